"""`certify stability`: spectra, Lyapunov P, Lemma A.8 and the perturbation error E(β) of Wang–Li–Li §3.3."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from certify.cli.app import IntRange, cli, console, err_console
from certify.cli.memory import parse_box
from certify.cli.options import read_hints, weight_hints_options
from certify.display import round_decimal
from certify.errors import InputError
from certify.rational import parse_number, to_json
from certify.verdict import Verdict, result_line


def _ball(a) -> str:
    """An arb ball as [lo, hi] with 6 digits, rounded outward."""
    from certify.memory.intervals import lower_q, upper_q

    lo, hi = lower_q(a), upper_q(a)
    if lo == hi or (hi - lo) <= abs(lo + hi) / 10**9:
        return round_decimal((lo + hi) / 2, 6, "nearest", notation="g")
    return f"[{round_decimal(lo, 4, 'down', notation='g')}, {round_decimal(hi, 4, 'up', notation='g')}]"


@cli.command("stability")
@click.argument("weights", type=click.Path(dir_okay=False))
@weight_hints_options
@click.option("--beta", "betas", multiple=True, help="Perturbation radius β (repeatable; default: the paper's grid "
                                                     "{0} ∪ {5e-4·2^k : k = 0..20}).")
@click.option("--samples", type=IntRange(0, 10_000), default=10, show_default=True,
              help="Random perturbations per β and ball (0: no sampling).")
@click.option("--steps", type=IntRange(1, 100_000), default=100, show_default=True,
              help="The error is the max over t = 1 … steps.")
@click.option("--box", default=None, help="x box (default: input.domain); see certify memory --box.")
@click.option("--json", "json_path", default=None, help="Write certify.stability/1 JSON here ('-': stdout).")
def stability_cmd(weights: str, betas: tuple[str, ...], samples: int, steps: int, box: str | None,
                  json_path: str | None) -> int:
    """Stability of WEIGHTS: each layer's spectrum (rigorous enclosures), margin, Lyapunov P with ‖P‖₂,
    Lemma A.8 (only under its hypothesis: W normal), and the perturbation error E(β): sampled by the
    paper's protocol (max-entry and spectral balls, running max) and a certified upper bound for every
    perturbation in the max-entry ball. Exit 0 when every layer is proved stable, 10 when one is proved
    unstable, 20 otherwise.
    """
    from certify.memory.stability import BETAS, perturbation, spectra
    from certify.spec import io
    from certify.spec.digest import content_sha256

    f = io.read(weights, read_hints())
    net = f.network
    xbox = parse_box(box, net.input_dim) if box is not None else [f.input.domain_of(k) for k in range(net.input_dim)]
    grid = tuple(parse_number(b, where="--beta") for b in betas) or BETAS
    for b, text in zip(grid, betas, strict=False):
        if b < 0:
            raise InputError(f"--beta={text} must be >= 0 (a perturbation radius)")
    out = err_console if json_path == "-" else console
    layers = spectra(net)
    t = Table(title=f"{f.name}: stability ({net.describe()})", title_justify="left")
    for c in ("layer", "eigenvalues", "margin", "normal", "‖P‖₂", "A.8 bound", "A.8"):
        t.add_column(c)
    for s in layers:
        eig = "; ".join(f"{_ball(z.real)}{'' if z.imag.is_zero() else ' ± i' + _ball(abs(z.imag))}"
                        + (f" (×{m})" if m > 1 else "") for z, m in s.eigenvalues if z.imag >= 0 or z.imag.contains(0))
        t.add_row(f"{s.layer} ({'ODE' if s.time == 'continuous' else 'map'})", eig, _ball(s.margin),
                  "yes" if s.normal else "no",
                  _ball(s.P_norm) if s.P_norm is not None else "—",
                  _ball(s.lemma_bound) if s.lemma_bound is not None else "—", s.lemma_verdict)
    out.print(t)
    for s in layers:
        if s.note:
            out.print(f"layer {s.layer}: {s.note}")
    rows = perturbation(net, xbox, steps, grid, samples)
    pt = Table(title=f"perturbation error E(β) = max_(t ≤ {steps}) sup_x |y_t(θ̃) − y_t(θ)| (Heaviside x in the box)",
               title_justify="left")
    for c in ("β", "sampled, max-entry ball", "sampled, spectral ball", "certified ≤ (every |θ̃ − θ|_max ≤ β)"):
        pt.add_column(c, justify="right")
    for r in rows:
        pt.add_row(round_decimal(r.beta, 4, "nearest"), f"{r.sampled_max_entry:.4g}", f"{r.sampled_spectral:.4g}",
                   "—" if r.certified is None else round_decimal(r.certified, 4, "up"))
    out.print(pt)
    stable = [s.margin > 0 for s in layers]
    unstable = [s.margin < 0 or (s.margin.contains(0) and s.margin.is_exact()) for s in layers]
    verdict = Verdict.PROVED if all(stable) else Verdict.REFUTED if any(unstable) else Verdict.UNKNOWN
    doc = {"format": "certify.stability/1", "name": f.name, "weights_sha256": content_sha256(f),
           "network": net.describe(),
           "layers": [{"layer": s.layer, "time": s.time,
                       "eigenvalues": [{"re": _ball(z.real), "im": _ball(z.imag), "multiplicity": m}
                                       for z, m in s.eigenvalues],
                       "max_real": _ball(s.max_real), "spectral_radius": _ball(s.radius), "margin": _ball(s.margin),
                       "normal": s.normal, "P_norm": None if s.P_norm is None else _ball(s.P_norm),
                       "lemma_A8_bound": None if s.lemma_bound is None else _ball(s.lemma_bound),
                       "lemma_A8": s.lemma_verdict, "note": s.note,
                       "P": None if s.P is None else [[to_json(s.P[i, j]) for j in range(s.P.ncols())]
                                                      for i in range(s.P.nrows())]} for s in layers],
           "perturbation": {"error": f"max over t = 1..{steps} and x in the box (Heaviside) of |y_t(perturbed) - "
                                     "y_t(model)|_inf; running max over samples and increasing beta",
                            "samples": samples, "box": [[to_json(lo), to_json(hi)] for lo, hi in xbox],
                            "rows": [{"beta": to_json(r.beta), "sampled_max_entry": r.sampled_max_entry,
                                      "sampled_spectral": r.sampled_spectral,
                                      "certified": None if r.certified is None else to_json(r.certified)}
                                     for r in rows]}}
    if json_path == "-":
        click.echo(json.dumps(doc, indent=1))
    elif json_path:
        Path(json_path).write_text(json.dumps(doc, indent=1) + "\n")
        out.print(f"wrote {json_path} (certify.stability/1)")
    what = ("every layer stable" if verdict is Verdict.PROVED else "a layer is not stable"
            if verdict is Verdict.REFUTED else "stability not decided")
    click.echo(result_line(verdict, f"{f.name} stability", what + f"; E(β) at {len(rows)} radii"))
    return verdict.exit_code
