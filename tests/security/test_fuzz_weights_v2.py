"""Fuzz campaign for ``certify.rnn/2`` files (stacked layers, P, Q, activations, input kinds and domains).

Mutations of two hand-written files end in an InputError or a clean read whose exact run works (or
refuses tanh by name); never another exception. A clean read also writes back to the same text.
"""

from __future__ import annotations

import contextlib
import json

from flint import fmpq
from hypothesis import given
from test_fuzz_mutations import fuzz, one_of_files

from certify.errors import InputError
from certify.spec import io

DEEP = {
    "format": "certify.rnn/2", "name": "deep",
    "rnn": {"P": [[1], ["1/2"], [0]],
            "layers": [{"activation": "hardtanh", "W_hh": [[0, 1, 0], [0, 0, 1], ["1/4", 0, 0]],
                        "W_ih": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "b": [0, "-1/8", 0], "h0": [0, 0, "1/2"]},
                       {"activation": "tanh", "W_hh": [["1/2", 0], [0, "-1/2"]], "W_ih": [[1, 1, 0], [0, 1, 1]],
                        "b": [0, 0]},
                       {"activation": "satlin", "W_hh": [[0]], "W_ih": [[1, -1]], "b": ["1/2"]}],
            "Q": [[2]], "W_out": [[1], [-1]], "b_out": [0, 1]},
    "input": {"kind": "impulse", "domain": [-2, 2]},
    "claims": {"hidden_dim_max": 6},
}
WIDE = {
    "format": "certify.rnn/2", "name": "wide",
    "rnn": {"activation": "identity", "W_hh": {"shape": [2, 2], "entries": [[0, 1, "1/3"]]},
            "W_ih": [[1, 0], [0, 1]], "b": [0, 0], "W_out": [[1, 1]], "h0": [1, 0]},
    "input": {"kind": "sequence", "domain": [[-1, 1], [0, 3]], "length": 4},
}
FILES = {"deep.rnn.json": json.dumps(DEEP), "wide.rnn.json": json.dumps(WIDE)}


def test_the_unmutated_files_read_and_run() -> None:
    deep = io.loads(FILES["deep.rnn.json"], "deep")
    assert deep.network.depth == 3 and deep.input.kind == "impulse"
    wide = io.loads(FILES["wide.rnn.json"], "wide")
    ys = [y for _, _, y in wide.network.run_sequence([[fmpq(1), fmpq(2)], [fmpq(0), fmpq(1)]])]
    assert [str(v) for v in ys[-1]] == ["5/3"]  # h = [1, 2], then [1/3·2, 1]


@fuzz(1500)
@given(one_of_files(FILES)())
def test_v2_weight_files(case: tuple[str, str]) -> None:
    name, text = case
    with contextlib.suppress(InputError):
        f = io.loads(text.encode("utf-8", "surrogateescape"), name)
        assert io.loads(io.dumps(f), name) == f
        net = f.network
        list(net.run([fmpq(0)] * net.input_dim, 3, kind="impulse"))
