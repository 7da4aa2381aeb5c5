"""The ``[tool.certify]`` configuration: which weight files ``certify gate`` checks, against what.

Read from ``pyproject.toml`` (table ``[tool.certify]``) or from a ``certify.toml`` (the same keys at
top level). Paths are relative to the configuration file. Every problem is collected and reported
at once, as one :class:`~certify.errors.InputError` that names the bad key and value::

    [tool.certify]
    weights = ["proofs/*/*.rnn.json"]      # weight files or globs; a file's name is its stem minus .rnn.json
    baseline = "{dir}/certificate.json"    # each file's baseline certificate ({dir}, {name} are filled in)
    timeout = 60                           # seconds per SMT query (a timeout is UNKNOWN, which fails)
    # rlimit = 5000000                     # optional: z3's resource budget per query (deterministic UNKNOWN)
    jobs = 2                               # constructions checked in parallel
    require_simulation = true              # a file without a simulation block fails (nothing is proved)
    recheck = false                        # also re-check each baseline certificate independently
    fresh_check = true                     # re-prove every file (false: trust a baseline of the same sha256)

    [tool.certify.thresholds]              # bounds every construction must meet
    weight_bits_max = 64

    [tool.certify.construction.squaring]   # bounds (and optionally weights/baseline) of one construction
    hidden_dim_max = 45
    error = [{T = 126, E = "1/1152921504606846976"}]   # certified sup error at runtime T must be <= E

>>> cfg = parse({"weights": ["a.rnn.json"], "thresholds": {"hidden_dim_max": 45}}, Path("/p/pyproject.toml"),
...             exists=lambda p: True)
>>> [(t.name, str(t.weights), str(t.baseline), t.thresholds.hidden_dim_max) for t in cfg.targets]
[('a', '/p/a.rnn.json', '/p/certificate.json', 45)]
>>> parse({"weights": [], "thresholds": {"hidden_dim_max": "many"}, "colour": 1}, Path("/p/certify.toml"))
Traceback (most recent call last):
...
certify.errors.InputError: /p/certify.toml: unknown key colour (allowed: baseline, construction, fresh_check, jobs, \
recheck, require_simulation, rlimit, thresholds, timeout, weights); thresholds.hidden_dim_max="many" is not a \
nonnegative integer; no weight files to check (set weights = [...])
"""

from __future__ import annotations

import glob
import math
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flint import fmpq

from certify.errors import InputError
from certify.rational import parse_number
from certify.spec.measure import METRICS, Metric
from certify.untrusted import NAME, check_name, quote, read_untrusted

KEYS = ("baseline", "construction", "fresh_check", "jobs", "recheck", "require_simulation", "rlimit", "thresholds",
        "timeout", "weights")
#: The measured quantities a threshold may bound (:data:`certify.spec.measure.METRICS`): integer ones first,
#: then exact rationals; each threshold key is the metric's ``<name>_max``.
THRESHOLD_METRICS: tuple[Metric, ...] = (*(m for m in METRICS if m.integer), *(m for m in METRICS if not m.integer))
#: threshold key -> what it bounds (integer thresholds; the others are exact rationals).
INT_THRESHOLDS = {m.key: m.short for m in THRESHOLD_METRICS if m.integer}
THRESHOLD_KEYS = (*(m.key for m in THRESHOLD_METRICS), "error")
#: Longest SMT timeout a configuration may ask for (seconds).
MAX_TIMEOUT = 86_400
#: Largest z3 resource budget a configuration may ask for (the bound of ``certify check --rlimit``).
MAX_RLIMIT = 10**12
#: Most weight files one glob may select.
MAX_FILES = 10_000


@dataclass(frozen=True)
class Thresholds:
    """Bounds a construction must meet; None means not required. One field per :data:`THRESHOLD_KEYS`:

    >>> tuple(Thresholds.__dataclass_fields__) == THRESHOLD_KEYS
    True
    """

    hidden_dim_max: int | None = None
    weight_bits_max: int | None = None
    nonzeros_max: int | None = None
    distinct_weights_max: int | None = None
    width_max: int | None = None
    weight_abs_max: fmpq | None = None
    error: tuple[tuple[int, fmpq], ...] = ()  # (T, E): certified sup error at runtime T is at most E

    def merged(self, over: Thresholds) -> Thresholds:
        """These thresholds with ``over``'s set values taking precedence."""
        pick = {k: getattr(over, k) if getattr(over, k) not in (None, ()) else getattr(self, k)
                for k in THRESHOLD_KEYS}
        return Thresholds(**pick)


@dataclass(frozen=True)
class Target:
    """One construction the gate checks."""

    name: str
    weights: Path
    baseline: Path
    thresholds: Thresholds = Thresholds()
    fresh_check: bool = True  # False: read the obligations' verdicts from the (fresh) baseline certificate
    require_simulation: bool | None = None  # None: the configuration's require_simulation


@dataclass(frozen=True)
class GateConfig:
    source: Path
    targets: tuple[Target, ...]
    timeout: float = 60.0
    jobs: int = 1
    require_simulation: bool = True
    recheck: bool = False
    rlimit: int | None = None  # z3's deterministic resource budget per SMT query (None: no budget)
    problems: tuple[str, ...] = field(default=(), compare=False)


def find(start: Path) -> Path:
    """The nearest ``certify.toml``, or ``pyproject.toml`` with a ``[tool.certify]`` table, from ``start`` up."""
    for d in [start.resolve(), *start.resolve().parents]:
        if (d / "certify.toml").is_file():
            return d / "certify.toml"
        p = d / "pyproject.toml"
        if p.is_file() and _certify_table(_toml(p), p) is not None:
            return p
    raise InputError(f"no configuration: no certify.toml and no pyproject.toml with [tool.certify] in {start} or "
                     "above (see docs/ci.md)")


def load(path: Path) -> GateConfig:
    """Read and validate the configuration in ``path`` (pyproject.toml or certify.toml)."""
    if not _exists(path):
        raise InputError(f"--config {path}: no such file")
    doc = _toml(path)
    if path.name == "pyproject.toml" or "tool" in doc:
        table = _certify_table(doc, path)
        if table is None:
            raise InputError(f"{path} has no [tool.certify] table")
        doc = table
    return parse(doc, path)


def _certify_table(doc: dict[str, Any], path: Path) -> dict[str, Any] | None:
    tool = doc.get("tool", {})
    if not isinstance(tool, dict) or "certify" not in tool:
        return None
    if not isinstance(tool["certify"], dict):
        raise InputError(f"{path}: tool.certify must be a table ([tool.certify]), got {quote(tool['certify'])}")
    return tool["certify"]


def _toml(path: Path) -> dict[str, Any]:
    """A TOML file read within ``max_file_bytes`` (regular files only)."""
    data = read_untrusted(path, "configuration")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path} is not valid TOML: {' '.join(str(err).split())[:200]}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    except RecursionError:
        raise InputError(f"{path}: TOML nested too deeply") from None


def parse(doc: dict[str, Any], source: Path, exists: Callable[[Path], bool] | None = None) -> GateConfig:
    """Validate a ``[tool.certify]`` table (paths relative to ``source``'s folder); collect every problem."""
    exists = exists or _exists
    problems: list[str] = []
    root = source.parent
    for k in sorted(set(doc) - set(KEYS)):
        problems.append(f"unknown key {_key(k)} (allowed: {', '.join(KEYS)})")
    patterns = doc.get("weights", [])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        problems.append(f"weights={quote(patterns)} must be a list of paths or globs")
        patterns = []
    baseline = doc.get("baseline", "{dir}/certificate.json")
    if not _template_ok(baseline, "baseline", problems):
        baseline = "{dir}/certificate.json"
    timeout = _number(doc, "timeout", 60.0, problems, lambda v: math.isfinite(v) and 0 < v <= MAX_TIMEOUT,
                      f"a positive number of seconds, at most {MAX_TIMEOUT}")
    jobs = _number(doc, "jobs", 1, problems, lambda v: isinstance(v, int) and 1 <= v <= 256, "an integer in 1..256")
    rlimit = _number(doc, "rlimit", None, problems, lambda v: isinstance(v, int) and 1 <= v <= MAX_RLIMIT,
                     f"a positive integer, at most {MAX_RLIMIT}") if "rlimit" in doc else None
    flags = {k: doc.get(k, d) for k, d in (("require_simulation", True), ("recheck", False), ("fresh_check", True))}
    for k, v in flags.items():
        if not isinstance(v, bool):
            problems.append(f"{k}={quote(v)} must be true or false")
    common = _thresholds(doc.get("thresholds", {}), "thresholds", problems)
    per = doc.get("construction", {})
    if not isinstance(per, dict):
        problems.append("construction must be a table of tables ([tool.certify.construction.NAME])")
        per = {}
    targets: dict[str, Target] = {}
    for pattern in patterns:
        if len(pattern) > 1024 or "\0" in pattern:
            problems.append(f"weights: {quote(pattern)} is not a usable path or glob")
            continue
        try:
            found = sorted(glob.glob(str(root / pattern)))[:MAX_FILES] if glob.has_magic(pattern) \
                else [str(root / pattern)]
        except (OSError, ValueError) as err:
            problems.append(f"weights: {quote(pattern)} cannot be searched ({err.__class__.__name__})")
            continue
        if not found:
            problems.append(f'weights: "{pattern}" matches no file')
        for w in found:
            _add(targets, root, Path(w), baseline, common, problems, exists, fresh=flags["fresh_check"] is not False)
    for name, table in sorted(per.items()):
        try:
            check_name(name, "construction")
        except InputError as err:
            problems.append(str(err))
            continue
        if not isinstance(table, dict):
            problems.append(f"construction.{name} must be a table")
            continue
        if "weights" in table and not isinstance(table["weights"], str):
            problems.append(f"construction.{name}.weights={quote(table['weights'])} must be a path (string)")
            continue
        if "baseline" in table and not _template_ok(table["baseline"], f"construction.{name}.baseline", problems):
            continue
        extra = sorted(set(table) - {*THRESHOLD_KEYS, "weights", "baseline", "fresh_check", "require_simulation"})
        if extra:
            problems.append(f"construction.{name}: unknown key {_key(extra[0])} (allowed: weights, baseline, "
                            f"fresh_check, require_simulation, {', '.join(THRESHOLD_KEYS)})")
        needs_sim = table.get("require_simulation")
        if needs_sim is not None and not isinstance(needs_sim, bool):
            problems.append(f"construction.{name}.require_simulation={quote(needs_sim)} must be true or false")
            needs_sim = None
        fresh = table.get("fresh_check", flags["fresh_check"] is not False)
        if not isinstance(fresh, bool):
            problems.append(f"construction.{name}.fresh_check={quote(fresh)} must be true or false")
            fresh = True
        own = _thresholds({k: v for k, v in table.items() if k in THRESHOLD_KEYS}, f"construction.{name}", problems)
        if "weights" in table:
            _add(targets, root, root / str(table["weights"]), str(table.get("baseline", baseline)), common,
                 problems, exists, name=name, fresh=fresh)
        if name not in targets:
            problems.append(f'construction.{name}: no weight file named "{name}" (add weights = "...")')
            continue
        t = targets[name]
        b = root / str(table["baseline"]) if "baseline" in table else t.baseline
        targets[name] = Target(name, t.weights, b, t.thresholds.merged(own), fresh, needs_sim)
    if not targets:
        problems.append("no weight files to check (set weights = [...])")
    if problems:
        raise InputError(f"{source}: " + "; ".join(problems))
    return GateConfig(source, tuple(targets[k] for k in sorted(targets)), float(timeout), int(jobs),
                      flags["require_simulation"], flags["recheck"], rlimit)


def _add(targets: dict[str, Target], root: Path, weights: Path, baseline: str, common: Thresholds,
         problems: list[str], exists: Callable[[Path], bool], name: str | None = None, fresh: bool = True) -> None:
    name = name or weights.name.removesuffix(".json").removesuffix(".rnn")
    if not exists(weights):
        problems.append(f'weights: "{weights}" does not exist')
        return
    if name in targets and targets[name].weights != weights:
        problems.append(f'two weight files are named "{name}": {targets[name].weights} and {weights}')
        return
    try:
        b = baseline.format(dir=weights.parent, name=name)
    except (KeyError, IndexError, ValueError):
        problems.append(f'baseline="{baseline}" may only use the placeholders {{dir}} and {{name}}')
        return
    targets[name] = Target(name, weights, Path(b) if Path(b).is_absolute() else root / b, common, fresh)


def _exists(p: Path) -> bool:
    """``p.exists()``, false for names the operating system refuses (too long, a NUL byte)."""
    try:
        return p.exists()
    except (OSError, ValueError):
        return False


def _template_ok(template: Any, where: str, problems: list[str]) -> bool:
    """A baseline path template uses only the placeholders {dir} and {name}, without attributes or formats
    (``str.format`` would otherwise read attributes named by the file)."""
    if not isinstance(template, str):
        problems.append(f"{where}={quote(template)} must be a path template (string)")
        return False
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        parts = [("", "?", "", None)]
    if any(f is not None and (f not in ("dir", "name") or spec or conv) for _, f, spec, conv in parts):
        problems.append(f'{where}={quote(template)} may only use the placeholders {{dir}} and {{name}}')
        return False
    return True


def _number(doc: dict[str, Any], key: str, default: Any, problems: list[str], ok: Callable[[Any], bool],
            what: str) -> Any:
    v = doc.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not ok(v):
        problems.append(f"{key}={quote(v)} must be {what}")
        return default
    return v


def _thresholds(table: Any, where: str, problems: list[str]) -> Thresholds:
    if not isinstance(table, dict):
        problems.append(f"{where} must be a table")
        return Thresholds()
    out: dict[str, Any] = {}
    for k, v in table.items():
        if k in INT_THRESHOLDS:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                problems.append(f"{where}.{k}={_show(v)} is not a nonnegative integer")
            else:
                out[k] = v
        elif k in THRESHOLD_KEYS and k != "error":
            q = _exact(v, f"{where}.{k}", problems)
            if q is not None:
                out[k] = q
        elif k == "error":
            out[k] = _errors(v, f"{where}.error", problems)
        else:
            problems.append(f"{where}: unknown threshold {_key(k)} (allowed: {', '.join(THRESHOLD_KEYS)})")
    return Thresholds(**out)


def _errors(v: Any, where: str, problems: list[str]) -> tuple[tuple[int, fmpq], ...]:
    if not isinstance(v, list):
        problems.append(f'{where} must be a list of {{T = steps, E = "bound"}}')
        return ()
    out = []
    for i, row in enumerate(v):
        if not isinstance(row, dict) or set(row) != {"T", "E"}:
            problems.append(f'{where}[{i}] must be {{T = steps, E = "bound"}}')
            continue
        T = row["T"]
        if isinstance(T, bool) or not isinstance(T, int) or T < 1:
            problems.append(f"{where}[{i}].T={_show(T)} is not a positive integer")
            continue
        q = _exact(row["E"], f"{where}[{i}].E", problems)
        if q is not None:
            out.append((T, q))
    return tuple(sorted(out))


def _exact(v: Any, where: str, problems: list[str]) -> fmpq | None:
    """A threshold as an exact rational: write fractions and decimals as strings ("1/4096", "0.25")."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        problems.append(f'{where}={_show(v)} must be an integer or an exact string like "1/4096" (TOML floats are '
                        "binary approximations)")
        return None
    try:
        q = parse_number(v, where=where)
    except InputError as err:
        problems.append(str(err))
        return None
    if q < 0:
        problems.append(f"{where}={_show(v)} is negative")
        return None
    return q


def _show(v: Any) -> str:
    return quote(v)


def _key(k: str) -> str:
    """A key as a message shows it: bare when it is a plain name, else quoted and escaped."""
    return k if NAME.fullmatch(k) and len(k) <= 60 else quote(k)
