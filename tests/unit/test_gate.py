"""certify gate: configuration errors name the bad value; stale, refuted, unknown, over-threshold and regressed
constructions fail with the right verdict and name the failing case or bound."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from certify import config
from certify.errors import InputError
from certify.gate import measure, run_gate
from certify.rational import to_string
from certify.report.junit import to_junit
from certify.spec import io
from certify.verdict import Verdict

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("counter", "squaring")
#: the committed constructions' measured bounds (tests follow the compiler instead of hard-coding them)
METRICS = {n: measure(io.read(ROOT / "proofs" / n / f"{n}.rnn.json")) for n in NAMES}
HD = int(METRICS["squaring"]["hidden_dim"].p)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of two committed constructions with a certify.toml that gates them."""
    for name in NAMES:
        shutil.copytree(ROOT / "proofs" / name, tmp_path / "proofs" / name)
    _toml(tmp_path, "")
    return tmp_path


def _toml(root: Path, extra: str) -> Path:
    p = root / "certify.toml"
    p.write_text(f'weights = ["proofs/*/*.rnn.json"]\ntimeout = 30\n\n[construction.squaring]\nhidden_dim_max = {HD}\n'
                 + extra)
    return p


def _gate(root: Path):
    return run_gate(config.load(root / "certify.toml"), jobs=1)


def _check(result, name: str, group: str):
    (o,) = [o for o in result.outcomes if o.name == name]
    (c,) = [c for c in o.checks if c.group == group]
    return c


def _plant(root: Path) -> None:
    """Change one weight of squaring without regenerating its certificate."""
    p = root / "proofs" / "squaring" / "squaring.rnn.json"
    doc = json.loads(p.read_text())
    entry = doc["rnn"]["W_hh"]["entries"][40]
    entry[2] = "3/2"
    p.write_text(json.dumps(doc))


def test_the_committed_constructions_pass(repo: Path) -> None:
    r = _gate(repo)
    assert r.verdict is Verdict.PROVED and r.exit_code == 0
    assert r.result_line() == f"RESULT: PROVED gate: {len(NAMES)} constructions, {8 * len(NAMES)} checks passed"
    assert "no bound regressed" in _check(r, "squaring", "regression").message
    root = ET.fromstring(to_junit(r))
    assert root.get("failures") == "0" and len(root.findall("testsuite")) == len(NAMES)


def test_a_planted_weight_change_is_refuted_and_named(repo: Path) -> None:
    _plant(repo)
    r = _gate(repo)
    assert r.verdict is Verdict.REFUTED and r.exit_code == 10
    step = _check(r, "squaring", "step")
    assert step.verdict is Verdict.REFUTED and "step[load]" in step.failures
    assert "stale" in _check(r, "squaring", "certificate").message
    assert _check(r, "counter", "step").verdict is Verdict.PROVED
    failures = ET.fromstring(to_junit(r)).findall(".//testcase/failure")
    assert any("step[load]" in (f.get("message") or "") for f in failures)
    assert "squaring: step REFUTED, certificate REFUTED" in r.result_line()


def test_a_threshold_past_what_is_proven_fails_naming_the_bound(repo: Path) -> None:
    wa = METRICS["squaring"]["weight_abs"]
    _toml(repo, f'weight_abs_max = "{to_string(wa / 2)}"\n')
    (repo / "certify.toml").write_text((repo / "certify.toml").read_text().replace(f"hidden_dim_max = {HD}",
                                                                                 f"hidden_dim_max = {HD - 1}"))
    r = _gate(repo)
    th = _check(r, "squaring", "thresholds")
    assert th.verdict is Verdict.REFUTED and r.exit_code == 10
    assert set(th.failures) == {"hidden_dim_max", "weight_abs_max"}
    assert f"hidden_dim_max <= {HD - 1} fails: the hidden dimension is {HD}" in th.message
    assert f"weight_abs_max <= {to_string(wa / 2)} fails: the largest |weight| is {to_string(wa)}" in th.message


def test_error_thresholds_are_decided_by_the_rates_module_or_a_sampled_exact_error(repo: Path) -> None:
    _toml(repo, 'error = [{T = 14, E = "1/16"}]\n')
    th = _check(_gate(repo), "squaring", "thresholds")
    assert th.verdict is Verdict.PROVED, th.message
    _toml(repo, 'error = [{T = 14, E = "1/1000"}]\n')
    th = _check(_gate(repo), "squaring", "thresholds")
    assert th.verdict is Verdict.REFUTED and th.failures == ("error[T=14]",)
    assert "error at T=14 <= 1/1000 fails" in th.message and "x = " in th.message


def test_a_bigger_network_regresses_against_the_baseline(repo: Path, tmp_path: Path) -> None:
    """Weights built elsewhere (here: counter's, under squaring's name) against squaring's baseline."""
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(repo / "proofs" / "counter" / "counter.rnn.json", build / "squaring.rnn.json")
    (repo / "certify.toml").write_text('weights = ["build/squaring.rnn.json"]\n'
                                       'baseline = "proofs/{name}/certificate.json"\n')
    shutil.move(str(build), str(repo / "build"))
    r = _gate(repo)
    reg = _check(r, "squaring", "regression")
    assert reg.verdict is Verdict.REFUTED
    worse = {m for m, v in METRICS["counter"].items() if v > METRICS["squaring"][m]}
    assert worse and set(reg.failures) == worse
    wa_new, wa_old = (to_string(METRICS[n]["weight_abs"]) for n in ("counter", "squaring"))
    if "weight_abs" in worse:  # the baseline's own weight file is measured, not the certificate's evidence
        assert f"largest |weight| regressed: {wa_new} > {wa_old} in the baseline weights " \
               "proofs/squaring/squaring.rnn.json" in reg.message.replace(str(repo) + "/", "")
    assert _check(r, "squaring", "certificate").verdict is Verdict.REFUTED


def test_a_missing_baseline_fails(repo: Path) -> None:
    (repo / "proofs" / "counter" / "certificate.json").unlink()
    c = _check(_gate(repo), "counter", "certificate")
    assert c.verdict is Verdict.REFUTED and "no baseline certificate" in c.message


def test_unknown_obligations_give_exit_20(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "golden" / "unknown" / "sawtooth32.rnn.json", tmp_path / "sawtooth32.rnn.json")
    (tmp_path / "certify.toml").write_text('weights = ["*.rnn.json"]\nrlimit = 1\n')
    r = _gate(tmp_path)
    assert r.verdict is Verdict.REFUTED  # no baseline certificate
    (tmp_path / "sawtooth32.certificate.json").write_text("{}")
    (tmp_path / "certify.toml").write_text('weights = ["*.rnn.json"]\nrlimit = 1\n'
                                           'baseline = "{dir}/{name}.certificate.json"\n')
    with pytest.raises(InputError, match="not a certificate"):
        _gate(tmp_path)
    from certify.prove.checker import Options, check
    from certify.spec import io

    f = io.read(tmp_path / "sawtooth32.rnn.json")
    check(f, Options(timeout=30, weights_name="sawtooth32.rnn.json")).write(tmp_path / "sawtooth32.certificate.json")
    r = _gate(tmp_path)
    assert _check(r, "sawtooth32", "invariant").verdict is Verdict.UNKNOWN
    assert r.verdict is Verdict.UNKNOWN and r.exit_code == 20


def test_rlimit_reaches_the_check_and_a_bad_one_exits_2(run_cli, tmp_path: Path) -> None:
    """``rlimit`` is z3's deterministic budget: set, the same obligations are UNKNOWN on every machine; it survives
    ``certify gate NAME`` (which keeps only the named constructions)."""
    shutil.copy(ROOT / "tests" / "golden" / "unknown" / "sawtooth32.rnn.json", tmp_path / "sawtooth32.rnn.json")
    toml = tmp_path / "certify.toml"
    toml.write_text('weights = ["*.rnn.json"]\nrlimit = 1\n')
    assert config.load(toml).rlimit == 1
    code, out, _ = run_cli("gate", "--config", str(toml), "sawtooth32")
    assert code == 10 and "invariant UNKNOWN" in out  # REFUTED: no baseline certificate; the budget gave UNKNOWN
    toml.write_text('weights = ["*.rnn.json"]\n')
    assert config.load(toml).rlimit is None
    toml.write_text('weights = ["*.rnn.json"]\nrlimit = 0\n')
    code, _, err = run_cli("gate", "--config", str(toml))
    assert code == 2 and "rlimit=0 must be a positive integer" in err


@pytest.mark.parametrize("text, message", [
    ('weights = ["nope/*.rnn.json"]', 'weights: "nope/*.rnn.json" matches no file'),
    ('weights = 3', "weights=3 must be a list of paths or globs"),
    ('weights = ["a.rnn.json"]\ncolour = 1', "unknown key colour"),
    ('weights = ["a.rnn.json"]\njobs = 0', "jobs=0 must be an integer in 1..256"),
    ('weights = ["a.rnn.json"]\nrlimit = 0', "rlimit=0 must be a positive integer"),
    ('weights = ["a.rnn.json"]\nrlimit = -1', "rlimit=-1 must be a positive integer"),
    ('weights = ["a.rnn.json"]\nrlimit = "x"', 'rlimit="x" must be a positive integer'),
    ('weights = ["a.rnn.json"]\nrlimit = true', "rlimit=True must be a positive integer"),
    ('weights = ["a.rnn.json"]\nrlimit = 1.5', "rlimit=1.5 must be a positive integer"),
    ('weights = ["a.rnn.json"]\n[thresholds]\nhidden_dim_max = -1', "thresholds.hidden_dim_max=-1 is not a "
                                                                    "nonnegative integer"),
    ('weights = ["a.rnn.json"]\n[thresholds]\nweight_abs_max = 0.1', "thresholds.weight_abs_max=0.1 must be an "
                                                                     "integer or an exact string"),
    ('weights = ["a.rnn.json"]\n[thresholds]\nweight_abs_max = "abc"', 'weight_abs_max="abc" is not a number'),
    ('weights = ["a.rnn.json"]\n[thresholds]\nerror = [{T = 0, E = "1"}]', "thresholds.error[0].T=0 is not a "
                                                                          "positive integer"),
    ('weights = ["a.rnn.json"]\n[construction.b]\nhidden_dim_max = 1', 'construction.b: no weight file named "b"'),
    ('weights = ["a.rnn.json"]\nbaseline = "{where}/c.json"', "may only use the placeholders"),
    ('weights = [', "is not valid TOML"),
])
def test_bad_configuration_names_the_bad_value(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "a.rnn.json").write_text("{}")
    (tmp_path / "certify.toml").write_text(text + "\n")
    with pytest.raises(InputError) as err:
        config.load(tmp_path / "certify.toml")
    assert message in str(err.value)


def test_find_prefers_certify_toml_then_pyproject_with_a_tool_certify_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    with pytest.raises(InputError, match="no configuration"):
        config.find(sub)
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.certify]\nweights = []\n")
    assert config.find(sub) == tmp_path / "a" / "pyproject.toml"
    (sub / "certify.toml").write_text("weights = []\n")
    assert config.find(sub) == sub / "certify.toml"


def test_this_repository_configures_every_committed_construction() -> None:
    cfg = config.load(ROOT / "pyproject.toml")
    committed = sorted(p.parent.name for p in (ROOT / "proofs").glob("*/*.rnn.json"))
    assert [t.name for t in cfg.targets] == committed
    assert all(t.baseline == t.weights.parent / "certificate.json" for t in cfg.targets)


def test_the_documented_configuration_is_valid() -> None:
    """docs/ci.md's [tool.certify] example parses (against this repository's proofs/)."""
    import re
    import tomllib

    text = (ROOT / "docs" / "ci.md").read_text()
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[tool.certify]" in b]
    cfg = config.parse(tomllib.loads(block)["tool"]["certify"], ROOT / "pyproject.toml")
    sq = next(t for t in cfg.targets if t.name == "squaring")
    assert sq.thresholds.hidden_dim_max and sq.thresholds.weight_bits_max == 64 and sq.thresholds.error


def test_the_pre_commit_hook_runs_the_gate() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: certify-gate" in text and "entry: certify gate" in text and "pass_filenames: false" in text


def test_fresh_check_false_trusts_only_a_baseline_of_the_same_weights(repo: Path) -> None:
    (repo / "certify.toml").write_text('weights = ["proofs/*/*.rnn.json"]\nfresh_check = false\n'
                                       '[construction.counter]\nfresh_check = true\n')
    cfg = config.load(repo / "certify.toml")
    assert {t.name: t.fresh_check for t in cfg.targets} == {"counter": True, "squaring": False}
    r = run_gate(cfg, jobs=1)
    assert r.exit_code == 0
    assert _check(r, "squaring", "step").message.endswith("(read from the baseline certificate)")
    assert not _check(r, "counter", "step").message.endswith("(read from the baseline certificate)")
    _plant(repo)
    r = run_gate(cfg, jobs=1)
    (o,) = [o for o in r.outcomes if o.name == "squaring"]
    assert r.exit_code == 10 and [c.group for c in o.checks if c.failed] == ["certificate"]
    assert "step" not in {c.group for c in o.checks}  # nothing is read from a stale certificate
    (repo / "certify.toml").write_text('weights = ["proofs/*/*.rnn.json"]\n[construction.counter]\nfresh_check = 1\n')
    with pytest.raises(InputError, match="construction.counter.fresh_check=1 must be true or false"):
        config.load(repo / "certify.toml")


def test_fresh_check_false_rechecks_the_baseline_it_trusts(repo: Path) -> None:
    """Planted bug: a baseline certificate edited so that a recorded ReLU decision is unjustified."""
    import json as _json

    (repo / "certify.toml").write_text('weights = ["proofs/squaring/*.rnn.json"]\nfresh_check = false\n')
    cert_path = repo / "proofs" / "squaring" / "certificate.json"
    doc = _json.loads(cert_path.read_text())
    step = next(r for r in doc["results"] if r["id"] == "step[square]")
    p = step["evidence"]["pattern"][2]
    i = p.index("a")
    step["evidence"]["pattern"][2] = p[:i] + "+" + p[i + 1:]
    cert_path.write_text(_json.dumps(doc))
    r = run_gate(config.load(repo / "certify.toml"), jobs=1)
    c = _check(r, "squaring", "certificate")
    assert r.exit_code == 10 and c.verdict is Verdict.REFUTED and "re-check disagrees" in c.message
