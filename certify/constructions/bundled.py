"""The constructions this project ships proofs for (``proofs/<name>/``), as weight files.

>>> sorted(BUNDLED)[:3]
['counter', 'deep_narrow', 'polynomial_clocked']
"""

from __future__ import annotations

from collections.abc import Callable

from flint import fmpq

from certify.compiler.tmnu_to_rnn import compile_program, from_compiled
from certify.constructions.clocked import squaring_file
from certify.constructions.clocked_polynomial import polynomial_file
from certify.constructions.deep_example import deep_narrow_file
from certify.constructions.examples import EXAMPLE_CLAIMS, EXAMPLES
from certify.spec import io


def _example(name: str) -> Callable[[], io.RnnFile]:
    def build() -> io.RnnFile:
        claims = EXAMPLE_CLAIMS[name]() if name in EXAMPLE_CLAIMS else {}
        return from_compiled(compile_program(EXAMPLES[name]()), claims)

    return build


#: name -> function building the weight file that ``make proofs`` writes to proofs/<name>/<name>.rnn.json
BUNDLED: dict[str, Callable[[], io.RnnFile]] = {name: _example(name) for name in EXAMPLES}
#: Hand-built networks (no TMNU, no simulation block): their claims are rates, certified on the network itself.
BUNDLED["squaring_clocked"] = lambda: squaring_file(fmpq(2), up_to=14)
BUNDLED["deep_narrow"] = deep_narrow_file
BUNDLED["polynomial_clocked"] = lambda: polynomial_file([fmpq(1, 2), fmpq(-1), fmpq(3)], fmpq(3, 2), until=32)
