"""Find a TMNU program from a command-line argument: ``example:NAME``, a Python file, or JSON.

A Python file must define ``program`` (a :class:`Program`, or a function returning one). Running
it executes the user's own code, as ``python file.py`` would; a JSON program runs nothing and is read
within the limits of :class:`~certify.rational.Limits`.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from certify.constructions.examples import EXAMPLES
from certify.errors import InputError
from certify.jsonio import read
from certify.rational import number_budget
from certify.tmnu import serialize
from certify.tmnu.program import Program


def load_program(spec: str) -> Program:
    if spec.startswith("example:"):
        name = spec.split(":", 1)[1]
        if name not in EXAMPLES:
            raise InputError(f"example {name!r} does not exist (known: {', '.join(sorted(EXAMPLES))})")
        return EXAMPLES[name]()
    path = Path(spec)
    if not path.exists():
        raise InputError(f"{spec}: no such file (give a .py or .json program, or example:NAME)")
    if path.suffix == ".py":
        try:
            namespace = runpy.run_path(str(path))
        except InputError:
            raise
        except Exception as err:  # the user's program file failed: report it as bad input
            raise InputError(f"{spec}: running the program file failed: {type(err).__name__}: {err}") from None
        obj = namespace.get("program")
        if callable(obj) and not isinstance(obj, Program):
            obj = obj()
        if not isinstance(obj, Program):
            raise InputError(f"{spec}: defines no `program` (a certify.tmnu.program.Program or a function "
                             "returning one)")
        return obj
    if path.suffix == ".json":
        doc = read(path, "program file")
        with number_budget(spec):
            return serialize.from_json(doc, spec)
    raise InputError(f"{spec}: unknown program file type {path.suffix!r} (use .py or .json)")
