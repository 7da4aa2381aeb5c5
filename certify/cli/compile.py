"""`certify compile`: TMNU program → weight file."""

from __future__ import annotations

from pathlib import Path

import click

from certify.cli.app import cli, console
from certify.compiler.tmnu_to_rnn import from_compiled
from certify.spec.digest import content_sha256


@cli.command("compile")
@click.argument("program")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Weight file to write; the suffix picks the format: F.rnn.json, F.safetensors, F.npz, F.onnx.")
@click.option("--claims", "claims_path", default=None, metavar="FILE",
              help="A JSON object of claims (a file, or inline '{\"hidden_dim_max\": 40}') merged into the weight "
                   "file; its keys replace the program's. Unknown keys are refused.")
def compile_cmd(program: str, output: str, claims_path: str | None) -> int:
    """Compile a TMNU PROGRAM into an RNN weight file with its simulation map and claims.

    PROGRAM is example:NAME (counter, stack_copy, squaring), a Python file defining `program`
    (and optionally CLAIMS = {...}), or a JSON program (*.json).

    \b
    Claims written, later sources replacing a key of earlier ones:
      1. hidden_dim_max, the compiler's formula for the program;
      2. the program's claims (an example's, a Python file's CLAIMS);
      3. --claims FILE.
    Claims in the program file are kept on every recompile; --claims must be given again.
    """
    from certify.bounds.claims_input import merge, read_claims
    from certify.compiler.tmnu_to_rnn import compile_program
    from certify.constructions.load import load_program_and_claims
    from certify.plugins import load_plugins
    from certify.spec import io

    io.writer_for(output)  # an output suffix certify does not write is refused before compiling
    load_plugins()  # their claim keys are known keys
    prog, declared = load_program_and_claims(program)
    given = read_claims(claims_path) if claims_path is not None else {}
    _check_size(prog, program)
    compiled = compile_program(prog)
    f = from_compiled(compiled, merge(declared, given))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    io.write(f, output)
    net, sim = compiled.network, compiled.simulation
    console.print(f"compiled {prog.name!r}: {len(prog.states)} states, {len(prog.stacks)} stacks, "
                  f"{len(prog.registers)} registers, {len(prog.ops)} ops, {len(prog.transitions)} transitions")
    console.print(f"  RNN: hidden_dim {net.hidden_dim}, {net.W_hh.nnz} nonzeros in W_hh, "
                  f"c = {sim.c} RNN steps per TMNU step, start step t0 = {sim.t0}")
    console.print(f"  claims: {', '.join(f'{k} (--claims)' if k in given else k for k in f.claims) or 'none'}")
    console.print(f"  wrote {output} (content sha256 {content_sha256(f)[:16]}…)")
    return 0


def _check_size(prog, spec: str) -> None:
    """Refuse a program whose network would be beyond ``max_dimension`` before compiling it: certify never
    writes a weight file it would refuse to read, and the compiler's work grows with the units."""
    from certify.errors import InputError
    from certify.untrusted import current_limits

    units = (3 * len(prog.states) + len(prog.transitions) + 3 * len(prog.stacks) + 3 * len(prog.registers)
             + sum(2 * len(s.alphabet) for s in prog.stacks) + sum(len(o.hidden) for o in prog.ops))
    limit = current_limits().max_dimension
    if units > limit:
        raise InputError(f"{spec}: the program compiles to at least {units} hidden units, more than the limit "
                         f"max_dimension={limit} (raise it with --limit max_dimension=N)")
