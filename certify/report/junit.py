"""The gate's result as JUnit XML, the format CI systems (GitHub Actions, GitLab, Jenkins) display.

One ``<testsuite>`` per construction, one ``<testcase>`` per check group (``static``, ``invariant``,
``prologue``, ``step``, ``certificate``, ``thresholds``, ``regression``). A group that is not
PROVED is a ``<failure>`` whose ``type`` is its verdict and whose message names each failing case
or bound.

The gate's result types (:mod:`certify.gate`) have the attributes read here; this module reads them
through the protocols below and does not import the gate (the gate imports the report).

>>> from types import SimpleNamespace as NS
>>> from certify.verdict import Verdict
>>> step = NS(group="step", verdict=Verdict.REFUTED, message="step[load] REFUTED: unit 3 differs",
...           failures=("step[load]",), seconds=0.0, failed=True)
>>> cert = NS(group="certificate", verdict=Verdict.PROVED, message="fresh", failures=(), seconds=0.0, failed=False)
>>> r = NS(config="pyproject.toml", seconds=0.5, outcomes=(NS(name="sq", weights="sq.rnn.json", sha256="ab" * 32,
...        verdict=Verdict.REFUTED, checks=(step, cert), seconds=0.5),))
>>> import xml.etree.ElementTree as ET
>>> root = ET.fromstring(to_junit(r))
>>> root.get("tests"), root.get("failures"), root.find("testsuite/testcase/failure").get("message")
('2', '1', 'step[load] REFUTED: unit 3 differs')
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Protocol

from certify.verdict import Verdict


class Case(Protocol):
    """One check group of one construction (the gate's ``Check``)."""

    @property
    def group(self) -> str: ...
    @property
    def verdict(self) -> Verdict: ...
    @property
    def message(self) -> str: ...
    @property
    def failures(self) -> tuple[str, ...]: ...
    @property
    def seconds(self) -> float: ...
    @property
    def failed(self) -> bool: ...


class Suite(Protocol):
    """One construction (the gate's ``Outcome``)."""

    @property
    def name(self) -> str: ...
    @property
    def weights(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def verdict(self) -> Verdict: ...
    @property
    def checks(self) -> Sequence[Case]: ...
    @property
    def seconds(self) -> float: ...


class Run(Protocol):
    """The gate's whole result (``GateResult``)."""

    @property
    def config(self) -> str: ...
    @property
    def outcomes(self) -> Sequence[Suite]: ...
    @property
    def seconds(self) -> float: ...


def _time(seconds: float) -> str:
    return f"{max(seconds, 0.0):.3f}"


def to_junit(r: Run) -> str:
    """The XML text (UTF-8, with declaration)."""
    cases = sum(len(o.checks) for o in r.outcomes)
    fails = sum(1 for o in r.outcomes for c in o.checks if c.failed)
    root = ET.Element("testsuites", name="certify gate", tests=str(cases), failures=str(fails), errors="0",
                      time=_time(r.seconds))
    for o in r.outcomes:
        suite = ET.SubElement(root, "testsuite", name=o.name, tests=str(len(o.checks)),
                              failures=str(sum(1 for c in o.checks if c.failed)), errors="0", skipped="0",
                              time=_time(o.seconds))
        props = ET.SubElement(suite, "properties")
        for k, v in (("weights", o.weights), ("sha256", o.sha256), ("verdict", o.verdict.value),
                     ("config", r.config)):
            ET.SubElement(props, "property", name=k, value=v)
        for c in o.checks:
            case = ET.SubElement(suite, "testcase", classname=f"certify.{o.name}", name=c.group,
                                 time=_time(c.seconds))
            if c.failed:
                fail = ET.SubElement(case, "failure", type=c.verdict.value, message=c.message)
                fail.text = "\n".join([f"{o.name} / {c.group}: {c.verdict.value}", *(f"failing: {x}" for x in
                                                                                     c.failures), c.message])
            else:
                ET.SubElement(case, "system-out").text = c.message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
