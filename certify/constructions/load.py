"""Find a TMNU program from a command-line argument: ``example:NAME``, a Python file, or JSON.

A Python file must define ``program`` (a :class:`Program`, or a function returning one), and may
declare claims with its builder's ``b.claims(...)`` or a module-level ``CLAIMS`` (a dict, or a function
returning one; its keys replace the builder's), which ``certify compile`` writes into
the weight file, checked like ``--claims`` (:mod:`certify.bounds.claims_input`). Running it executes the
user's own code, as ``python file.py`` would; a JSON program runs nothing and is read within the limits
of :class:`~certify.rational.Limits`.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from certify.bounds.claims_input import checked
from certify.constructions.examples import EXAMPLE_CLAIMS, EXAMPLES
from certify.errors import InputError
from certify.jsonio import read
from certify.rational import number_budget
from certify.tmnu import serialize
from certify.tmnu.build import Builder
from certify.tmnu.program import Program


def load_program(spec: str) -> Program:
    """The program ``spec`` names (``example:NAME``, a ``.py`` or a ``.json`` file)."""
    return load_program_and_claims(spec)[0]


def load_program_and_claims(spec: str) -> tuple[Program, dict[str, Any]]:
    """The program ``spec`` names and the claims it declares (an example's, a Python file's ``CLAIMS``; a JSON
    program declares none)."""
    if spec.startswith("example:"):
        name = spec.split(":", 1)[1]
        if name not in EXAMPLES:
            raise InputError(f"example {name!r} does not exist (known: {', '.join(sorted(EXAMPLES))})")
        prog = EXAMPLES[name]()
        return prog, (EXAMPLE_CLAIMS[prog.name]() if prog.name in EXAMPLE_CLAIMS else {})
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
        claims = namespace.get("CLAIMS", {})
        built = [v.declared_claims for v in namespace.values() if isinstance(v, Builder) and v.name == obj.name]
        if callable(claims):
            try:
                claims = claims()
            except InputError:
                raise
            except Exception as err:  # the user's CLAIMS function failed: bad input, not a crash
                raise InputError(f"{spec}: CLAIMS() failed: {type(err).__name__}: {err}") from None
        return obj, checked({k: v for b in built for k, v in b.items()}, f"{spec}: b.claims") | \
            checked(claims, f"{spec}: CLAIMS")
    if path.suffix == ".json":
        doc = read(path, "program file")
        with number_budget(spec):
            return serialize.from_json(doc, spec), {}
    raise InputError(f"{spec}: unknown program file type {path.suffix!r} (use .py or .json)")
