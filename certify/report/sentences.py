"""The report in plain words: the headline verdict and the commands that replay a witness.

Soundness rule: a sentence says "proved" only when every result of the certificate is PROVED, and
says "every step simulates its TMNU" only when the certificate checked the simulation.

>>> headline(Verdict.PROVED, True, {"PROVED": 16, "REFUTED": 0, "UNKNOWN": 0}, 1, ("-1", "1"), [])
'Every step of this network simulates its TMNU exactly: all 16 obligations and claims are PROVED, for every \
input x in [-1, 1] and every configuration in the declared domain.'
>>> headline(Verdict.PROVED, False, {"PROVED": 2, "REFUTED": 0, "UNKNOWN": 0}, 2, ("-1", "1"), [])
'Only the 2 static claims were checked, and they hold. This file has no simulation block, so nothing is \
proved about its steps.'
>>> headline(Verdict.UNKNOWN, False, {"PROVED": 0, "REFUTED": 0, "UNKNOWN": 0}, 0, ("-1", "1"), [])[:60]
'Nothing is claimed: this file has no simulation block and no'
>>> headline(Verdict.UNKNOWN, True, {"PROVED": 5, "REFUTED": 0, "UNKNOWN": 1}, 0, ("-1", "1"),
...          [("invariant[saw.r.hi]", "timeout")])
'Not proved: 1 of 6 obligations is UNKNOWN (invariant[saw.r.hi]: timeout); none is refuted.'
"""

from __future__ import annotations

from flint import fmpq

from certify.prove.obligations import ObligationKind
from certify.rational import decimal, parse_number, to_string
from certify.verdict import Verdict


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def headline(verdict: Verdict, simulation_checked: bool, counts: dict[str, int], static_claims: int,
             domain: tuple[str, str], failures: list[tuple[str, str]]) -> str:
    """One or two sentences saying what the certificate proves, or what failed first."""
    total = sum(counts.values())
    if not simulation_checked and not total:
        return ("Nothing is claimed: this file has no simulation block and no static claims, so nothing was checked "
                "and nothing is proved (certify check lists the claims it could make).")
    if verdict is Verdict.PROVED:
        if not simulation_checked:
            what = "static claim was checked, and it holds" if static_claims == 1 else \
                "static claims were checked, and they hold"
            return (f"Only the {static_claims} {what}. This file has no simulation block, so nothing is proved "
                    "about its steps.")
        return (f"Every step of this network simulates its TMNU exactly: all {total} obligations and claims are "
                f"PROVED, for every input x in [{domain[0]}, {domain[1]}] and every configuration in the declared "
                "domain.")
    bad = counts[verdict.value]
    first = f"{failures[0][0]}: {failures[0][1]}" if failures else ""
    if verdict is Verdict.REFUTED:
        what = "Not every step simulates its TMNU" if simulation_checked else "A static claim is false"
        return (f"{what}: {_plural(bad, 'obligation', 'obligations')} of {total} "
                f"{'is' if bad == 1 else 'are'} REFUTED ({first}). Each refutation comes with a witness "
                "replayed in exact arithmetic.")
    return (f"Not proved: {bad} of {_plural(total, 'obligation', 'obligations')} "
            f"{'is' if bad == 1 else 'are'} UNKNOWN ({first}); none is refuted.")


def rate_sentence(checks) -> str:
    """What the rate module decided about the file's claimed rate table, as a sentence (or nothing).

    >>> from certify.report.model import RateCheck
    >>> rate_sentence([RateCheck(10, 14, "1/4", Verdict.PROVED, ""), RateCheck(14, None, "1/16", Verdict.PROVED, "")])
    ' The claimed error-versus-runtime table is certified: all 2 rows PROVED.'
    >>> rate_sentence([RateCheck(10, None, "1/99", Verdict.REFUTED, "at T=10: |y_T - f| >= 0.25 > E")])
    ' The claimed error-versus-runtime table is false: row T=10 is REFUTED (at T=10: |y_T - f| >= 0.25 > E).'
    """
    if not checks:
        return ""
    bad = [c for c in checks if c.verdict is not Verdict.PROVED]
    if not bad:
        return f" The claimed error-versus-runtime table is certified: all {len(checks)} rows PROVED."
    refuted = [c for c in bad if c.verdict is Verdict.REFUTED]
    first = (refuted or bad)[0]
    what = "false" if refuted else "not fully certified"
    return (f" The claimed error-versus-runtime table is {what}: row T={first.T} is {first.verdict.value} "
            f"({first.reason})" + (f"; {len(bad) - 1} more rows are not PROVED." if len(bad) > 1 else "."))


def badge(verdict: Verdict, simulation_checked: bool, results: int) -> str:
    """The verdict as the page's badge: never a bare PROVED for a vacuous or static-only certificate.

    >>> badge(Verdict.PROVED, True, 16), badge(Verdict.PROVED, False, 2), badge(Verdict.UNKNOWN, False, 0)
    ('PROVED', 'PROVED (static claims only)', 'NOTHING CLAIMED')
    >>> badge(Verdict.REFUTED, False, 2)
    'REFUTED'
    """
    if not simulation_checked and not results:
        return NOTHING_CLAIMED
    if verdict is not Verdict.PROVED or simulation_checked:
        return verdict.value
    return "PROVED (static claims only)"


#: The badge of a file that claims nothing: shown in a neutral colour, never as a pass.
NOTHING_CLAIMED = "NOTHING CLAIMED"


def box_class(verdict: Verdict, simulation_checked: bool, results: int) -> str:
    """The CSS class of the verdict box: the verdict's, or ``NOTHING`` (neutral) when nothing is claimed.

    >>> box_class(Verdict.UNKNOWN, False, 0), box_class(Verdict.PROVED, False, 2)
    ('NOTHING', 'PROVED')
    """
    return "NOTHING" if badge(verdict, simulation_checked, results) == NOTHING_CLAIMED else verdict.value


def replay_command(kind: ObligationKind, weights: str, witness: dict, witness_file: str, c: int, t0: int,
                   certificate: str | None) -> str:
    """The shell command that replays a witness.

    >>> K = ObligationKind
    >>> replay_command(K.STEP, "F.rnn.json", {"x": "1/3", "config": {}}, "witness.json", 4, 2, None)
    'certify run F.rnn.json --x 1/3 --start witness.json --steps 4 --tmnu'
    >>> replay_command(K.READOUT, "F.rnn.json", {"x": "-1"}, "witness.json", 4, 2, None)
    'certify run F.rnn.json --x -1 --steps 2 --exact --tmnu'
    >>> replay_command(K.INVARIANT, "F.rnn.json", {"x": "0", "registers": {}}, "w.json", 4, 2, "cert.json")
    'certify recheck cert.json'
    """
    if kind.starts_at_h0:
        return f"certify run {weights} --x {witness['x']} --steps {max(t0, 1)} --exact --tmnu"
    if kind is ObligationKind.STEP and "config" in witness:
        return f"certify run {weights} --x {witness['x']} --start {witness_file} --steps {c} --tmnu"
    if certificate:
        return f"certify recheck {certificate}"
    return f"certify check {weights} --all"


def approx(text: str, digits: int = 4) -> str:
    """A display copy of an exact number: ``digits`` significant digits, truncated toward zero, marked ≈
    unless it is exact already. Never used as a claim; the exact text is always shown beside it.

    >>> approx("1/4096"), approx("3"), approx("-7/3"), approx("1/1152921504606846976"), approx("0.5")
    ('≈ 2.441e-4', '3', '≈ -2.333', '≈ 8.673e-19', '0.5')
    """
    q = parse_number(text)
    if q == 0:
        return "0"
    a, sign = abs(q), "-" if q < 0 else ""
    e = len(str(a.p)) - len(str(a.q))
    while a < _pow10(e):
        e -= 1
    while a >= _pow10(e + 1):
        e += 1
    body = decimal(a, max(0, digits - 1 - e)) if -3 <= e <= 5 else decimal(a / _pow10(e), digits - 1)
    body = body.rstrip("0").rstrip(".") if "." in body else body
    shown = parse_number(body) * (1 if -3 <= e <= 5 else _pow10(e))
    body = body if -3 <= e <= 5 else f"{body}e{e}"
    return f"{sign}{body}" if shown == a else f"≈ {sign}{body}"


def _pow10(e: int) -> fmpq:
    return fmpq(10**e) if e >= 0 else fmpq(1, 10**-e)


def bound_text(q: fmpq, upper: bool, digits: int = 4) -> str:
    """A certified bound for display, rounded in the safe direction: ``≤ u`` with u ≥ q for an upper bound,
    ``≥ l`` with l ≤ q for a lower bound (q ≥ 0), to ``digits`` significant digits.

    >>> bound_text(fmpq(51898292912548847472002731457, 158456325028528675187087900672), upper=True)
    '≤ 0.3276'
    >>> bound_text(fmpq(1, 3), upper=False), bound_text(fmpq(1, 4096), upper=True), bound_text(fmpq(0), True)
    ('≥ 0.3333', '≤ 2.442e-4', '≤ 0')
    """
    sign = "≤" if upper else "≥"
    if q <= 0:
        return f"{sign} {to_string(q)}"
    e = len(str(q.p)) - len(str(q.q))
    while q < _pow10(e):
        e -= 1
    while q >= _pow10(e + 1):
        e += 1
    scale = _pow10(e - digits + 1)
    m = q / scale
    n = int(m.p) // int(m.q)
    if upper and n * scale < q:
        n += 1
    value = n * scale
    text = decimal(value, max(0, digits - 1 - e)) if -3 <= e <= 5 else \
        f"{decimal(value / _pow10(e), digits - 1)}e{e}"
    mant, _, exp = text.partition("e")
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    return f"{sign} {mant}" + (f"e{exp}" if exp else "")
