"""Independent exact references for the deep-narrow tests: a certify.rnn/2 document and a certify.deep-target/1
document evaluated by their definitions in Fractions (nothing of certify is imported)."""

from __future__ import annotations

from fractions import Fraction


def num(v: object) -> Fraction:
    return Fraction(str(v))


def matrix(m: object, rows: int, cols: int) -> list[list[Fraction]]:
    """A dense list of rows or a sparse {"shape", "entries"} block."""
    if isinstance(m, dict):
        out = [[Fraction(0)] * cols for _ in range(rows)]
        for i, j, v in m["entries"]:
            out[i][j] = num(v)
        return out
    return [[num(v) for v in row] for row in m]  # type: ignore[union-attr]


def run_network(doc: dict, xs: list[list[Fraction]]) -> list[list[Fraction]]:
    """y_1 … y_N of a ReLU certify.rnn/2 document on the input sequence xs (h0 as given)."""
    layers = []
    for la in doc["rnn"]["layers"]:
        assert la["activation"] == "relu"
        n, m = la["hidden_dim"], la["input_dim"]
        layers.append((matrix(la["W_hh"], n, n), matrix(la["W_ih"], n, m), [num(v) for v in la["b"]],
                       [num(v) for v in la.get("h0", [0] * n)]))
    d_out = len(doc["rnn"]["b_out"])
    w_out = matrix(doc["rnn"]["W_out"], d_out, len(layers[-1][2]))
    b_out = [num(v) for v in doc["rnn"]["b_out"]]
    hs = [list(h0) for *_, h0 in layers]
    ys = []
    for x in xs:
        u = list(x)
        for k, (whh, wih, b, _) in enumerate(layers):
            h = hs[k]
            hs[k] = [max(Fraction(0), sum((whh[i][j] * h[j] for j in range(len(h))), Fraction(0))
                         + sum((wih[i][j] * u[j] for j in range(len(u))), Fraction(0)) + b[i]) for i in range(len(b))]
            u = hs[k]
        ys.append([sum((w_out[i][j] * u[j] for j in range(len(u))), Fraction(0)) + b_out[i] for i in range(d_out)])
    return ys


def run_target(doc: dict, xs: list[list[Fraction]]) -> dict[int, list[Fraction]]:
    """{t: f[t](x[1:t])} of a certify.deep-target/1 document."""
    flat = [v for x in xs for v in x]
    out = {}
    for st in doc["steps"]:
        t = st["t"]
        past = flat[:t * doc["dx"]]
        h = [max(Fraction(0), sum((num(a) * v for a, v in zip(row, past, strict=True)), Fraction(0)) + num(c))
             for row, c in zip(st["A"], st["c"], strict=True)]
        out[t] = [sum((num(w) * v for w, v in zip(row, h, strict=True)), Fraction(0)) + num(d)
                  for row, d in zip(st["W"], st["d"], strict=True)]
    return out
