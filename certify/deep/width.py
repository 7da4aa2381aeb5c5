"""The minimal-width bounds of deep narrow RNNs (Song, Hwang, Lee, Kang, "Minimal width for universal
property of deep RNN", JMLR 24(121), 2023; arXiv 2211.13866), as a table.

Only what ``research/seed-papers.md`` §4 transcribes is here. Where the transcription is silent the row
says so (``width`` None, a ``note``), and where it is ambiguous the row carries a note; nothing is
invented. The JMLR version is the default; ``arxiv-v1`` holds the two numbers of its abstract.

>>> b = bound(dx=2, dy=1, activation="relu", target="continuous")
>>> b.width, b.theorem, b.version
(6, 'Theorem 5', 'jmlr')
>>> bound(dx=2, dy=1, activation="relu", target="continuous", version="arxiv-v1").width
5
>>> bound(dx=3, dy=1, activation="sigmoid", target="lp-compact").width      # max{d_x+1, d_y}+1
5
>>> bound(dx=2, dy=1, activation="tanh", target="lp-rdx").width is None       # ReLU only
True
"""

from __future__ import annotations

from dataclasses import dataclass

from certify.errors import InputError
from certify.spec.network import Network

VERSIONS = ("jmlr", "arxiv-v1")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
TARGETS = ("continuous", "seq2vec", "lp-compact", "lp-rdx")
CELLS = ("rnn", "lstm", "gru", "brnn")

#: The paper's activation classes: ReLU; class 1 (non-degenerate with σ(z₀) = 0, e.g. tanh);
#: class 2 (only σ'(z₀) ≠ 0, e.g. the logistic sigmoid).
CLASS = {"relu": "ReLU", "tanh": "non-degenerate class 1 (sigma(z0) = 0)",
         "sigmoid": "non-degenerate class 2 (sigma(z0) != 0)"}
#: certify's piecewise-linear activations placed in the paper's classes by the definition (§3), not by the
#: paper: hardtanh has hardtanh(0) = 0 and slope 1 at 0 (class 1); satlin has slope 1 at 1/2 and is nonzero
#: wherever its slope is (class 2); identity is a polynomial (degenerate: no theorem applies).
BY_DEFINITION = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "hardtanh": "tanh", "satlin": "sigmoid"}

TARGET_MEANING = {
    "continuous": "continuous past-dependent sequence-to-sequence maps, sup norm on K^N",
    "seq2vec": "continuous sequence-to-vector maps (the last token only), sup norm on K^N",
    "lp-compact": "L^p past-dependent maps on a compact K, 1 <= p < inf",
    "lp-rdx": "L^p past-dependent maps on all of R^{d_x}, 1 <= p < inf",
}


@dataclass(frozen=True)
class WidthBound:
    """One row of the table: the width that suffices (None where the transcription states none)."""

    dx: int
    dy: int
    activation: str
    target: str
    cell: str
    version: str
    width: int | None
    formula: str
    theorem: str
    note: str = ""

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"width": self.width, "theorem": self.theorem or None, "version": self.version,
                                  "formula": self.formula or None, "dx": self.dx, "dy": self.dy,
                                  "activation": self.activation, "target": self.target, "cell": self.cell}
        if self.note:
            out["note"] = self.note
        return out


def _extra(activation: str, what: str) -> int:
    """α(σ) (sequence-to-sequence) and β(σ) (sequence-to-vector), γ(σ) (L^p): 0 for ReLU and class 1 (α, β),
    0 for ReLU only (γ); 1 otherwise."""
    if what == "gamma":
        return 0 if activation == "relu" else 1
    return 0 if activation in ("relu", "tanh") else 1


def bound(dx: int, dy: int, activation: str, target: str, cell: str = "rnn", version: str = "jmlr") -> WidthBound:
    """The row for these dimensions, activation, target class, cell and paper version (see the module doc)."""
    for name, value, known in (("--activation", activation, ACTIVATIONS), ("--target", target, TARGETS),
                               ("--cell", cell, CELLS), ("--version", version, VERSIONS)):
        if value not in known:
            raise InputError(f"{name}={value!r} is not one of {', '.join(known)}")
    for name, v in (("--dx", dx), ("--dy", dy)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10**6:
            raise InputError(f"{name}={v!r} must be an integer in [1, 1000000]")
    row = _jmlr if version == "jmlr" else _arxiv_v1
    width, formula, theorem, note = row(dx, dy, activation, target, cell)
    return WidthBound(dx, dy, activation, target, cell, version, width, formula, theorem, note)


_Row = tuple[int | None, str, str, str]


def _jmlr(dx: int, dy: int, act: str, target: str, cell: str) -> _Row:
    lp = max(dx + 1, dy)
    if cell in ("lstm", "gru"):
        gated = "the gates' own activations (built in); --activation is not read"
        if target == "continuous":
            return dx + dy + 3, "d_x + d_y + 3", "Corollaries 16-17", \
                gated + "; the transcription names Corollaries 16-17 together (LSTM, GRU) without splitting them"
        if target == "lp-compact":
            return lp + 1, "max{d_x+1, d_y} + 1", "Corollaries 16-17", \
                gated + "; the transcription names Corollaries 16-17 together (LSTM, GRU) without splitting them"
        return None, "", "", f"no bound for {cell.upper()} and target {target} in the transcribed Table 1"
    if cell == "brnn":
        note = ("arbitrary (not past-dependent) sequence-to-sequence maps; the transcription gives "
                "'Theorems 22-23' for both rows (22 continuous, 23 L^p is our reading)")
        if target == "continuous":
            a = _extra(act, "alpha")
            return dx + dy + 3 + a, f"d_x + d_y + {3 + a}", "Theorem 22", note
        if target == "lp-compact":
            if act == "relu":
                return lp, "max{d_x+1, d_y}", "Theorem 23", note + "; ReLU: the R^{d_x} row applies on K"
            return lp + 1, "max{d_x+1, d_y} + 1", "Theorem 23", note
        if target == "lp-rdx":
            if act == "relu":
                return lp, "max{d_x+1, d_y}", "Theorem 23", note
            return None, "", "", "Table 1 states the L^p(R^{d_x}) row for ReLU only"
        return None, "", "", "no sequence-to-vector row for BRNN in the transcribed Table 1"
    if target == "continuous":
        a = _extra(act, "alpha")
        return dx + dy + 3 + a, f"d_x + d_y + 3 + alpha(sigma) = d_x + d_y + {3 + a}", "Theorem 5", \
            "the Discussion's 'at most d_x + d_y + 4' is the worst case over activations"
    if target == "seq2vec":
        b = _extra(act, "beta")
        note = ("beta(ReLU) = 0 is the issue's reading (the transcription defines beta by sigma(z0) only)"
                if act == "relu" else "")
        return dx + dy + 1 + b, f"d_x + d_y + 1 + beta(sigma) = d_x + d_y + {1 + b}", "Theorem 9", note
    if target == "lp-compact":
        if act == "relu":
            return lp, "max{d_x+1, d_y}", "Theorem 15", "ReLU: the R^{d_x} statement of Theorem 15 applies on K"
        return lp + 1, "max{d_x+1, d_y} + 1", "Theorem 15", ""
    if act == "relu":
        return lp, "max{d_x+1, d_y}", "Theorem 15", "Table 1 prints '=', the theorem proves '<='"
    return None, "", "", "Theorem 15 states the L^p(R^{d_x}) bound for ReLU only"


def _arxiv_v1(dx: int, dy: int, act: str, target: str, cell: str) -> _Row:
    """Only the v1 abstract is transcribed: d_x + d_y + 2 (continuous) and max{d_x+1, d_y} (L^p), with
    extra width 'if the activation is tanh or more' (how much is not transcribed)."""
    src = "arXiv v1 abstract (theorem numbers of v1 not transcribed)"
    if cell != "rnn":
        return None, "", "", f"the transcribed arXiv v1 abstract gives no width for {cell.upper()}"
    if act != "relu":
        return None, "", "", "arXiv v1 adds width 'if the activation is tanh or more'; how much is not transcribed"
    if target == "continuous":
        return dx + dy + 2, "d_x + d_y + 2", src, "the JMLR version (v2) corrects this to d_x + d_y + 3"
    if target in ("lp-compact", "lp-rdx"):
        return max(dx + 1, dy), "max{d_x+1, d_y}", src, ""
    return None, "", "", "the transcribed arXiv v1 abstract states no sequence-to-vector width"


def table(dx: int, dy: int, version: str = "jmlr") -> list[WidthBound]:
    """Every (cell, target, activation) row for these dimensions, in the order of Table 1.

    >>> [(r.cell, r.target, r.activation, r.width) for r in table(1, 1)][:3]
    [('rnn', 'continuous', 'relu', 5), ('rnn', 'continuous', 'tanh', 5), ('rnn', 'continuous', 'sigmoid', 6)]
    """
    return [bound(dx, dy, a, t, c, version) for c in CELLS for t in TARGETS for a in ACTIVATIONS]


def paper_activation(name: str) -> str:
    """The paper's activation (relu, tanh = class 1, sigmoid = class 2) a network's activation falls under.

    >>> paper_activation("hardtanh")
    'tanh'
    """
    if name not in BY_DEFINITION:
        raise InputError(f"activation {name!r} is degenerate or not covered by the paper (covered: "
                         f"{', '.join(BY_DEFINITION)})")
    return BY_DEFINITION[name]


@dataclass(frozen=True)
class FileWidth:
    """A network's measured width against the paper's bound for its activation and target class."""

    measured: int
    bound: WidthBound

    @property
    def meets(self) -> bool | None:
        """Whether the measured width is within the bound (None where the table states no bound)."""
        return None if self.bound.width is None else self.measured <= self.bound.width


def file_width(net: Network, target: str, version: str = "jmlr") -> FileWidth:
    """The width of ``net`` (its largest layer) against the bound for its (single) activation and ``target``.

    >>> net = Network.from_dense(W_hh=[[0, 0], [0, 1]], W_ih=[[1], [1]], b=[0, 0], W_out=[[1, 1]], b_out=[0],
    ...                          h0=[0, 0])
    >>> fw = file_width(net, "continuous")
    >>> fw.measured, fw.bound.width, fw.meets
    (2, 5, True)
    """
    names = set(net.activations)
    if len(names) != 1:
        raise InputError(f"the network mixes activations {sorted(names)}: the paper's bounds are for one activation")
    act = paper_activation(names.pop())
    return FileWidth(net.width, bound(net.input_dim, net.output_dim, act, target, "rnn", version))
