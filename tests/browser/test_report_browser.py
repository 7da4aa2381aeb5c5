"""The HTML report in a real browser (headless Chromium): it loads with no console message at all, shows the
verdict and every plot, and a screenshot is kept in artifacts/ (git-ignored).

Console messages are read from Chromium's own log (``--enable-logging=stderr``: one ``CONSOLE`` line per
message, including errors, uncaught exceptions and Content-Security-Policy violations). The report has no
scripts, so *any* console line is a failure. Planted bugs check that this detection works: a page with a
script error and a page that tries to load a remote image must both be caught.

Skipped when Chromium is not installed (``apt-get install chromium``; ``.ci/run`` installs it). Set
``CERTIFY_CHROMIUM`` to use another Chromium or Chrome binary (``none``: skip).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from certify.report import files
from certify.report.assemble import ReportOptions, build_report

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
_CANDIDATES = ([os.environ["CERTIFY_CHROMIUM"]] if "CERTIFY_CHROMIUM" in os.environ else
               [shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium"])
CHROMIUM = next((p for p in _CANDIDATES if p and p != "none" and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] (.*)")


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def load(page: Path, tmp: Path) -> tuple[str, list[str]]:
    """(the DOM after load, every console message)."""
    run = _chromium(tmp, "--dump-dom", page.resolve().as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, CONSOLE.findall(run.stderr)


def screenshot(page: Path, png: Path, tmp: Path, height: int = 4000) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    run = _chromium(tmp, f"--screenshot={png}", f"--window-size=1200,{height}", page.resolve().as_uri())
    assert run.returncode == 0 and png.exists(), run.stderr[-2000:]


def _ink(png: Path) -> float:
    """Share of pixels that are not white (a blank page has none)."""
    from PIL import Image

    with Image.open(png) as im:
        gray = im.convert("L")
        hist = gray.histogram()
    return 1 - sum(hist[250:]) / sum(hist)


def _figure(dom: str, name: str) -> str:
    m = re.search(rf'<figure id="plot-{name}">(.*?)</figure>', dom, re.S)
    return m.group(1) if m else ""


@pytest.fixture
def refuted_page(tmp_path: Path) -> Path:
    from certify.prove.checker import check
    from certify.spec import io

    f = io.read(ROOT / "tests" / "golden" / "refuted" / "halver_bug.rnn.json")
    r = build_report(f, check(f).to_json(), weights_ref="halver_bug.rnn.json",
                     options=ReportOptions(samples=3, max_steps=60))
    out = tmp_path / "halver_bug.html"
    files.write(r, out)
    return out


def test_committed_report_loads_cleanly_with_verdict_and_plots(tmp_path: Path) -> None:
    page = ROOT / "reports" / "squaring.html"
    dom, console = load(page, tmp_path)
    assert console == [], f"console messages: {console}"
    assert dom.rstrip().endswith("</html>")
    verdict = re.search(r'<p id="verdict" class="verdict PROVED">(.*?)</p>', dom, re.S)
    assert verdict and "PROVED." in verdict.group(1)
    assert "Every step of this network simulates its TMNU exactly" in verdict.group(1)
    for name in ("rate", "sparsity", "trajectory"):
        assert "<svg" in _figure(dom, name), f"plot {name} is missing"
    png = ARTIFACTS / "report-squaring.png"
    screenshot(page, png, tmp_path)
    assert _ink(png) > 0.02


def test_refuted_report_shows_the_failure_first(refuted_page: Path, tmp_path: Path) -> None:
    dom, console = load(refuted_page, tmp_path)
    assert console == [], f"console messages: {console}"
    verdict = re.search(r'<p id="verdict" class="verdict REFUTED">(.*?)</p>', dom, re.S)
    assert verdict and "Not every step simulates its TMNU" in verdict.group(1)
    assert dom.index('id="verdict"') < dom.index('id="failures"') < dom.index('id="construction"')
    assert "--start witness1.json --steps 4 --tmnu" in dom
    assert "<svg" in _figure(dom, "sparsity") and "<svg" in _figure(dom, "trajectory")
    screenshot(refuted_page, ARTIFACTS / "report-refuted.png", tmp_path, height=1600)


@pytest.mark.parametrize("planted, expect", [
    ("<script>undefinedFunction();</script>", "Content Security Policy"),
    ('<img src="https://example.invalid/pixel.png" alt="">', "Content Security Policy"),
])
def test_the_console_check_catches_planted_errors(tmp_path: Path, planted: str, expect: str) -> None:
    page = tmp_path / "planted.html"
    page.write_text((ROOT / "reports" / "squaring.html").read_text().replace("</body>", planted + "</body>"))
    _, console = load(page, tmp_path)
    assert any(expect in m for m in console), console


def test_the_console_check_sees_script_errors_where_scripts_may_run(tmp_path: Path) -> None:
    page = tmp_path / "script.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>console.error('planted'); nope();</script>"
                    "</body></html>")
    _, console = load(page, tmp_path)
    assert any("planted" in m for m in console) and any("nope is not defined" in m for m in console)
