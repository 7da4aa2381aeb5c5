"""The proof report as data: one frozen object, serializable to ``certify.report/1`` JSON and back.

A :class:`Report` holds everything a renderer shows and nothing it has to recompute: the verdict in
plain words, the construction summary, one row per obligation, the static claims, the precision
table, the rate data and the plot data. It is built by :func:`certify.report.assemble.build_report`
from a weight file and its certificate; ``docs/report-schema.json`` documents the JSON form.

Numbers that state something (bounds, claims, errors) are exact strings (``"1/4096"``); the only
decimals are display copies and plot coordinates, which are never claims.

>>> r = Report(name="demo", weights_file="demo.rnn.json", weights_sha256="0" * 64, certificate_file=None,
...            verdict=Verdict.PROVED, simulation_checked=False, headline="Only static claims were checked.")
>>> Report.from_json(r.to_json()) == r
True
>>> r.to_json()["format"]
'certify.report/1'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from certify import schemas
from certify.errors import InputError
from certify.prove.obligations import ObligationKind
from certify.verdict import Status, Verdict, exit_code

FORMAT = "certify.report/1"


@dataclass(frozen=True)
class Table:
    """A generic table (for sections whose columns come from another module, e.g. precision)."""

    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows]}

    @staticmethod
    def from_json(d: dict[str, Any]) -> Table:
        return Table(tuple(d["columns"]), tuple(tuple(r) for r in d["rows"]))


@dataclass(frozen=True)
class Section:
    """An optional analysis: ``status`` is ``computed`` or ``not computed`` (with the reason why)."""

    status: str = "not computed"
    reason: str = "not requested for this report"
    table: Table = Table()

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "table": self.table.to_json()}

    @staticmethod
    def from_json(d: dict[str, Any]) -> Section:
        return Section(d["status"], d["reason"], Table.from_json(d["table"]))


@dataclass(frozen=True)
class StackInfo:
    name: str
    alphabet: tuple[str, ...]
    base: int
    initial_length: int


@dataclass(frozen=True)
class RegisterInfo:
    name: str
    lo: str
    hi: str
    role: str  # "input x" or "initial <value>"
    output: bool


@dataclass(frozen=True)
class SimulationInfo:
    """The TMNU side: what the network claims to simulate, and how (c RNN steps per TMNU step)."""

    program: str
    c: int
    t0: int
    states: int
    transitions: int
    ops: int
    hidden_dim_formula: int
    stacks: tuple[StackInfo, ...]
    registers: tuple[RegisterInfo, ...]


@dataclass(frozen=True)
class Construction:
    """Measured static quantities of the network (exact) and its simulation block, if any."""

    hidden_dim: int
    input_dim: int
    output_dim: int
    nonzeros: int
    nonzeros_hh: int
    distinct_weights: int
    weight_abs_max: str
    weight_abs_at: str
    weight_bits_max: int
    weight_bits_at: str
    input_kind: str
    input_domain: tuple[str, str]
    simulation: SimulationInfo | None = None
    input_box: str | None = None  # one interval per input dimension (and N): "[0, 1] x [-1, 1], N = 4"


@dataclass(frozen=True)
class Obligation:
    """One row of the obligation table (a certificate result). ``seconds`` is None when not recorded."""

    id: str
    kind: ObligationKind
    case: str
    method: str
    verdict: Verdict
    reason: str = ""
    seconds: float | None = None
    smt: str | None = None


@dataclass(frozen=True)
class Failure:
    """A result that is not PROVED: its reason, the replayed witness (if any) and how to replay it."""

    id: str
    verdict: Verdict
    reason: str
    witness: dict[str, Any] | None = None
    replay: str | None = None


@dataclass(frozen=True)
class Claim:
    """A static claim of the file, as the certificate decided it."""

    key: str
    meaning: str
    claimed: str
    measured: str
    verdict: Verdict


@dataclass(frozen=True)
class RatePoint:
    """An error value at runtime T (exact string); ``exact`` is False for a decimal approximation."""

    T: int
    E: str
    exact: bool = True
    at: str = ""  # for measured points: the sample input where the largest error was seen


@dataclass(frozen=True)
class RateCheck:
    """The rate module's verdict on one row of ``claims.rate``: E bounds the error for T in [T, T_end)."""

    T: int
    T_end: int | None
    E: str
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class Rates:
    """Error against runtime: the file's claimed bound, errors measured at sample inputs (lower bounds
    on the sup-norm error, never a certificate), and the certified table when ``certify.bounds.rates``
    computed one."""

    target: str | None = None
    claimed: tuple[RatePoint, ...] = ()
    measured: tuple[RatePoint, ...] = ()
    sample_inputs: tuple[str, ...] = ()
    note: str = ""
    certified: Section = Section()
    certified_points: tuple[RatePoint, ...] = ()
    checks: tuple[RateCheck, ...] = ()


@dataclass(frozen=True)
class Trajectory:
    """A sampled exact rollout ``y_t`` (decimal display copies) for a few constant inputs x."""

    inputs: tuple[str, ...] = ()
    times: tuple[int, ...] = ()
    values: tuple[tuple[str, ...], ...] = ()  # values[k][i] = y at times[i] for inputs[k]
    targets: tuple[str | None, ...] = ()     # f(x) as a decimal, when the file names a target


@dataclass(frozen=True)
class Sparsity:
    """Where the nonzero weights are, in the matrix [W_hh | W_ih | b] (rows are hidden units)."""

    rows: int = 0
    cols: int = 0
    blocks: tuple[tuple[str, int], ...] = ()  # (name, first column)
    positive: tuple[tuple[int, int], ...] = ()
    negative: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything a proof report shows. Build with :func:`certify.report.assemble.build_report`."""

    name: str
    weights_file: str
    weights_sha256: str
    certificate_file: str | None
    verdict: Verdict
    simulation_checked: bool
    headline: str
    note: str = ""
    counts: tuple[tuple[str, int, int, int], ...] = ()  # (kind, proved, refuted, unknown)
    obligations: tuple[Obligation, ...] = ()
    failures: tuple[Failure, ...] = ()
    claims: tuple[Claim, ...] = ()
    construction: Construction | None = None
    precision: Section = Section()
    rates: Rates = Rates()
    trajectory: Trajectory = Trajectory()
    sparsity: Sparsity = Sparsity()
    timings: bool = False
    commands: tuple[tuple[str, str], ...] = field(default=())  # (what, shell command)

    @property
    def nothing_claimed(self) -> bool:
        """The file claims nothing (no simulation block, no static claims): nothing is proved."""
        return not self.simulation_checked and not self.obligations

    @property
    def status(self) -> Status:
        """What the report's ``RESULT:`` line says: the verdict, or NOTHING CLAIMED."""
        return Status.NOTHING_CLAIMED if self.nothing_claimed else Status.of(self.verdict)

    @property
    def exit_code(self) -> int:
        return exit_code(self.status)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT} | _encode(self)

    @staticmethod
    def from_json(doc: Any, source: str = "report") -> Report:
        """Read a report back: its format id, then its schema (``certify/schemas/report.json``); anything else
        raises :class:`~certify.errors.InputError` naming ``source`` and the path of each problem in the document.

        >>> Report.from_json({"format": FORMAT, "name": 3}, "r.json")
        Traceback (most recent call last):
        ...
        certify.errors.InputError: r.json: malformed report: "weights_file" is missing; "weights_sha256" is missing;\
 "certificate_file" is missing; "verdict" is missing; "simulation_checked" is missing; and 14 more
        """
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(f'{source}: not a report of format "{FORMAT}"')
        schemas.validate("report", doc, f"{source}: malformed report", InputError)
        try:
            return _decode_report(doc)
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"malformed report: {type(err).__name__}: {err}") from None


# --- JSON encoding: dataclasses -> dicts, tuples -> lists, verdicts -> strings ------------------------------
#: Optional fields written only when set (reports without them stay byte-identical to earlier ones).
OMITTED_WHEN_NONE = frozenset({"input_box"})


def _encode(v: Any) -> Any:
    if isinstance(v, enum.Enum):  # a verdict, an obligation kind
        return v.value
    if isinstance(v, (Table, Section)):
        return v.to_json()
    if hasattr(v, "__dataclass_fields__"):
        return {k: _encode(getattr(v, k)) for k in v.__dataclass_fields__
                if not (k in OMITTED_WHEN_NONE and getattr(v, k) is None)}
    if isinstance(v, (tuple, list)):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {k: _encode(x) for k, x in v.items()}
    return v


def _tuples(v: Any) -> Any:
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def _points(items: list[dict[str, Any]]) -> tuple[RatePoint, ...]:
    return tuple(RatePoint(**p) for p in items)


def _decode_report(d: dict[str, Any]) -> Report:
    c = d["construction"]
    construction = None
    if c is not None:
        s = c["simulation"]
        sim = None if s is None else SimulationInfo(
            **{k: s[k] for k in ("program", "c", "t0", "states", "transitions", "ops", "hidden_dim_formula")},
            stacks=tuple(StackInfo(x["name"], tuple(x["alphabet"]), x["base"], x["initial_length"])
                         for x in s["stacks"]),
            registers=tuple(RegisterInfo(**x) for x in s["registers"]))
        construction = Construction(**{k: c[k] for k in c if k not in ("simulation", "input_domain")},
                                    input_domain=tuple(c["input_domain"]), simulation=sim)
    r, t, sp = d["rates"], d["trajectory"], d["sparsity"]
    return Report(
        name=d["name"], weights_file=d["weights_file"], weights_sha256=d["weights_sha256"],
        certificate_file=d["certificate_file"], verdict=Verdict(d["verdict"]),
        simulation_checked=d["simulation_checked"], headline=d["headline"], note=d["note"],
        counts=_tuples(d["counts"]),
        obligations=tuple(Obligation(**(o | {"verdict": Verdict(o["verdict"]), "kind": ObligationKind(o["kind"])}))
                          for o in d["obligations"]),
        failures=tuple(Failure(**(f | {"verdict": Verdict(f["verdict"])})) for f in d["failures"]),
        claims=tuple(Claim(**(x | {"verdict": Verdict(x["verdict"])})) for x in d["claims"]),
        construction=construction,
        precision=Section.from_json(d["precision"]),
        rates=Rates(target=r["target"], claimed=_points(r["claimed"]), measured=_points(r["measured"]),
                    sample_inputs=tuple(r["sample_inputs"]), note=r["note"],
                    certified=Section.from_json(r["certified"]), certified_points=_points(r["certified_points"]),
                    checks=tuple(RateCheck(**(c | {"verdict": Verdict(c["verdict"])})) for c in r["checks"])),
        trajectory=Trajectory(tuple(t["inputs"]), tuple(t["times"]), _tuples(t["values"]), tuple(t["targets"])),
        sparsity=Sparsity(sp["rows"], sp["cols"], _tuples(sp["blocks"]), _tuples(sp["positive"]),
                          _tuples(sp["negative"])),
        timings=d["timings"], commands=_tuples(d["commands"]),
    )
