"""Write a report to disk in the format its file name asks for: ``.html``, ``.md`` (with SVGs beside it)
or ``.json``. Returns every path written, so callers (``make proofs``, the CLI) can list them.

>>> from certify.report.model import Report
>>> from certify.verdict import Verdict
>>> import tempfile, pathlib
>>> r = Report(name="demo", weights_file="demo.rnn.json", weights_sha256="ab" * 32, certificate_file=None,
...            verdict=Verdict.PROVED, simulation_checked=False, headline="Only static claims.")
>>> with tempfile.TemporaryDirectory() as d:
...     [p.name for p in write(r, pathlib.Path(d) / "demo.json")]
['demo.json']
"""

from __future__ import annotations

from pathlib import Path

from certify import __version__
from certify.errors import InputError
from certify.jsonio import dumps
from certify.report import html, markdown, plots
from certify.report.model import Report

SUFFIXES = (".html", ".md", ".json")


def generator() -> str:
    """What made the page: certify's and matplotlib's versions (SVG output depends on both)."""
    import matplotlib  # only when a page is written: importing it is slow

    return f"certify {__version__}; matplotlib {matplotlib.__version__}"


def to_json_text(r: Report) -> str:
    return dumps(r.to_json())


def witness_files(r: Report) -> dict[str, str]:
    """The witness of each failure by the file name its replay command gives (``--start NAME``); the
    command names it as seen from the working directory, :func:`write` puts it beside the report."""
    files = {}
    for f in r.failures:
        if f.witness and f.replay and "--start " in f.replay:
            files[f.replay.split("--start ", 1)[1].split()[0]] = dumps(f.witness)
    return files


def write(r: Report, out: Path) -> list[Path]:
    """Write ``r`` to ``out`` (format by suffix); Markdown puts ``<stem>-<plot>.svg`` beside it."""
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"-o {out}: the report format is chosen by the suffix, one of {', '.join(SUFFIXES)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if suffix == ".json":
        out.write_text(to_json_text(r))
        written.append(out)
    elif suffix == ".html":
        out.write_text(html.render(r, plots.all_plots(r), generator=generator()))
        written.append(out)
    else:
        images = {}
        for name, svg in plots.all_plots(r).items():
            p = out.with_name(f"{out.stem}-{name}.svg")
            p.write_text(svg)
            images[name] = p.name
            written.append(p)
        out.write_text(markdown.render(r, images))
        written.insert(0, out)
    for name, text in witness_files(r).items():
        p = out.parent / Path(name).name
        p.write_text(text)
        written.append(p)
    return written
