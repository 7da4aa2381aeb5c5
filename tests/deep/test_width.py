"""The width table against the paper's Table 1 (as transcribed in research/seed-papers.md §4), both versions."""

from __future__ import annotations

import pytest

from certify.deep.width import bound, file_width, paper_activation, table
from certify.errors import InputError
from certify.spec.network import Network

# (cell, target, activation, dx, dy) -> (width, theorem): Table 1 and Theorems 5, 9, 15, Cor. 16-17, Thms 22-23
TABLE_1 = [
    ("rnn", "continuous", "relu", 2, 1, 6, "Theorem 5"),          # d_x + d_y + 3
    ("rnn", "continuous", "tanh", 3, 2, 8, "Theorem 5"),          # class 1: + 3
    ("rnn", "continuous", "sigmoid", 3, 2, 9, "Theorem 5"),       # class 2: + 4
    ("rnn", "seq2vec", "relu", 2, 1, 4, "Theorem 9"),             # d_x + d_y + 1
    ("rnn", "seq2vec", "tanh", 2, 3, 6, "Theorem 9"),
    ("rnn", "seq2vec", "sigmoid", 2, 3, 7, "Theorem 9"),          # + 1 + beta, beta = 1
    ("rnn", "lp-compact", "tanh", 4, 2, 6, "Theorem 15"),         # max{d_x+1, d_y} + 1
    ("rnn", "lp-compact", "sigmoid", 1, 5, 6, "Theorem 15"),      # d_y dominates
    ("rnn", "lp-rdx", "relu", 4, 2, 5, "Theorem 15"),             # max{d_x+1, d_y}
    ("rnn", "lp-rdx", "relu", 1, 7, 7, "Theorem 15"),
    ("lstm", "continuous", "relu", 2, 2, 7, "Corollaries 16-17"),
    ("gru", "lp-compact", "relu", 2, 2, 4, "Corollaries 16-17"),
    ("brnn", "continuous", "relu", 2, 1, 6, "Theorem 22"),
    ("brnn", "continuous", "sigmoid", 2, 1, 7, "Theorem 22"),
    ("brnn", "lp-compact", "tanh", 2, 1, 4, "Theorem 23"),
    ("brnn", "lp-rdx", "relu", 2, 1, 3, "Theorem 23"),
]


@pytest.mark.parametrize(("cell", "target", "act", "dx", "dy", "width", "theorem"), TABLE_1)
def test_jmlr_table(cell: str, target: str, act: str, dx: int, dy: int, width: int, theorem: str) -> None:
    b = bound(dx, dy, act, target, cell)
    assert (b.width, b.theorem, b.version) == (width, theorem, "jmlr")
    assert b.as_json()["width"] == width


def test_discussion_worst_case_is_d_x_plus_d_y_plus_4() -> None:
    assert max(bound(3, 2, a, "continuous").width or 0 for a in ("relu", "tanh", "sigmoid")) == 3 + 2 + 4


def test_arxiv_v1_abstract() -> None:
    assert bound(2, 1, "relu", "continuous", version="arxiv-v1").width == 5          # d_x + d_y + 2
    assert bound(2, 4, "relu", "lp-rdx", version="arxiv-v1").width == 4              # max{d_x+1, d_y}
    # silent where the transcription is: the amount of extra width for tanh, seq2vec, other cells
    for args in (("tanh", "continuous", "rnn"), ("relu", "seq2vec", "rnn"), ("relu", "continuous", "lstm")):
        b = bound(2, 1, *args, version="arxiv-v1")
        assert b.width is None and b.note


@pytest.mark.parametrize(("act", "target", "cell"), [("tanh", "lp-rdx", "rnn"), ("relu", "seq2vec", "lstm"),
                                                     ("relu", "seq2vec", "brnn"), ("sigmoid", "lp-rdx", "brnn")])
def test_rows_the_paper_does_not_state_have_no_width(act: str, target: str, cell: str) -> None:
    b = bound(2, 2, act, target, cell)
    assert b.width is None and b.theorem == "" and b.note


def test_whole_table_has_every_row() -> None:
    rows = table(2, 1)
    assert len(rows) == 4 * 4 * 3
    assert [r.width for r in rows if r.cell == "rnn" and r.target == "continuous"] == [6, 6, 7]


@pytest.mark.parametrize(("kwargs", "bad"), [({"activation": "gelu"}, "gelu"), ({"target": "lp"}, "'lp'"),
                                             ({"cell": "gru2"}, "gru2"), ({"version": "v3"}, "v3"),
                                             ({"dx": 0}, "--dx=0")])
def test_bad_input_is_named(kwargs: dict, bad: str) -> None:
    args = {"dx": 2, "dy": 1, "activation": "relu", "target": "continuous"} | kwargs
    with pytest.raises(InputError, match=bad):
        bound(**args)


def test_file_width_and_activation_classes() -> None:
    net = Network.from_dense(W_hh=[[0] * 7] * 7, W_ih=[[1, 0]] * 7, b=[0] * 7, W_out=[[1] * 7], b_out=[0], h0=[0] * 7)
    fw = file_width(net, "continuous")
    assert (fw.measured, fw.bound.width, fw.meets) == (7, 6, False)
    assert file_width(net, "lp-rdx").meets is False and file_width(net, "seq2vec").bound.width == 4
    assert paper_activation("satlin") == "sigmoid" and paper_activation("hardtanh") == "tanh"
    with pytest.raises(InputError, match="identity"):
        paper_activation("identity")
