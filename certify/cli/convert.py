"""`certify convert`: a weight file from one format to another, exactly."""

from __future__ import annotations

from pathlib import Path

import click

from certify.cli.app import cli, console, err_console
from certify.cli.options import read_hints, weight_hints_options
from certify.errors import CertifyError
from certify.spec.digest import content_sha256


@cli.command("convert")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@weight_hints_options
def convert_cmd(source: str, target: str) -> int:
    """Convert the weight file SOURCE into TARGET; each suffix names its format.

    \b
    Formats (docs/formats.md): .rnn.json / .json (certify.rnn JSON), .safetensors and .npz
    (certify's arrays; read also: PyTorch nn.RNN state dicts), .onnx (RNN nodes).
    A state dict records neither its nonlinearity nor its input convention; say both:
      certify convert model.safetensors model.rnn.json --activation tanh --input-kind constant
    Every weight is copied exactly; a value the target cannot hold exactly (1/3 in ONNX,
    hardtanh in ONNX) is refused, never rounded. TARGET is read back and must have the
    content hash of SOURCE.
    """
    from certify.spec import io

    writer = io.writer_for(target)
    f = io.read(source, read_hints())
    for note in f.notes:
        err_console.print(f"note: {note}")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    writer(f, target)
    digest, back = content_sha256(f), content_sha256(io.read(target))
    if back != digest:  # a writer bug: never leave a file that says something else
        Path(target).unlink()
        raise CertifyError(f"{target} read back with content sha256 {back[:16]}…, not the {digest[:16]}… of {source}; "
                           "removed it (please report this)")
    console.print(f"converted {source} → {target}: {f.network.describe()}, input {f.input.kind}, "
                  f"content sha256 {digest[:16]}…")
    return 0
