"""Fuzz campaign: malformed TMNU program files (``*.tmnu.json``) end in an InputError or a valid program.

Cases mutate the bundled constructions and the test programs. A program that reads is validated
and, when valid, compiled — what ``certify compile`` does with it.
"""

from __future__ import annotations

import json

from cases import halver, sawtooth, toggler
from hypothesis import given
from test_fuzz_mutations import fuzz, one_of_files

from certify.compiler.tmnu_to_rnn import compile_program
from certify.constructions.examples import EXAMPLES
from certify.errors import InputError
from certify.jsonio import loads
from certify.tmnu import serialize
from certify.tmnu.validate import problems
from certify.universal.interpreter import universal_interpreter

PROGRAMS = {p.name: json.dumps(serialize.to_json(p)) for p in
            [*(f() for f in EXAMPLES.values()), halver(), toggler(), sawtooth(8), universal_interpreter("bc+0+p")]}


def test_the_unmutated_programs_read_back() -> None:
    for name, text in PROGRAMS.items():
        assert serialize.from_json(json.loads(text)).name == name


@fuzz(2000)
@given(one_of_files(PROGRAMS)())
def test_program_files(case: tuple[str, str]) -> None:
    name, text = case
    try:
        program = serialize.from_json(loads(text.encode("utf-8", "surrogateescape"), name), name)
        if not problems(program):
            compile_program(program)
    except InputError:
        pass
