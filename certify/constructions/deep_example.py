"""The bundled deep narrow RNN: the two-input example target of ``docs/deep-narrow.md`` (``examples/
deep_narrow_target.json``, which a test keeps equal to :data:`TARGET`), compiled, with the claims
``certify build deep-narrow`` writes (width, target class, equality to the target on K^N).

>>> f = deep_narrow_file()
>>> f.network.width, f.network.depth, sorted(f.claims)
(5, 103, ['equals_target', 'width_max', 'width_target'])
"""

from __future__ import annotations

from typing import Any

from certify.deep.narrow import compile_target
from certify.deep.target import parse_target
from certify.spec.file import InputSpec, RnnFile

#: d_x = 2, d_y = 1, N = 4, K = [0, 1] × [−1, 1]; f[t] a one-hidden-layer ReLU net of x[1:t].
TARGET: dict[str, Any] = {
    "format": "certify.deep-target/1", "name": "two_input_example", "kind": "continuous", "dx": 2, "dy": 1, "N": 4,
    "domain": [[0, 1], [-1, 1]],
    "steps": [
        {"t": 1, "A": [[1, 1], [1, -1]], "c": [0, "-1/2"], "W": [[1, 2]], "d": [0]},
        {"t": 2, "A": [[1, 0, -1, 0], ["1/2", "1/2", "1/2", "1/2"]], "c": [0, 0], "W": [[1, -1]], "d": ["1/4"]},
        {"t": 3, "A": [[0, 0, 1, 0, -1, 0], [0, 1, 0, 1, 0, 1]], "c": [0, "1/3"], "W": [[2, 1]], "d": [0]},
        {"t": 4, "A": [[1, 0, 1, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 1, 0, -1], [0, 0, 0, 0, 0, -1, 0, 1]],
         "c": [-2, 0, 0], "W": [[1, 1, 1]], "d": [0]},
    ],
}


def deep_narrow_file() -> RnnFile:
    tg = parse_target(TARGET, "the bundled deep-narrow target")
    net = compile_target(tg)
    return RnnFile(network=net, name=f"{tg.name}_narrow", input=InputSpec("sequence", tg.domain, tg.N),
                   claims={"width_max": net.width, "width_target": tg.kind, "equals_target": tg.as_json()})
