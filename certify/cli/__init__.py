"""The ``certify`` command line. It only wires modules together and maps results to exit codes.

Exit codes (DESIGN §8): 0 all PROVED / success · 10 something REFUTED · 20 something UNKNOWN ·
2 bad input or usage · 1 internal error.
"""

from __future__ import annotations

import sys
import traceback

import click

from certify.cli import (  # noqa: F401  (each module registers its command)
    build,
    check,
    compile,
    convert,
    equiv,
    gate,
    info,
    memory,
    precision,
    rates,
    recheck,
    report,
    run,
    stability,
    width,
)
from certify.cli.app import cli, err_console
from certify.errors import CertifyError, InputError

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (bad input → 2 with a one-line message, never a traceback)."""
    try:
        rv = cli.main(args=argv, prog_name="certify", standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 1
    except click.UsageError as e:  # one line, like every other bad input
        hint = f" (see {e.ctx.command_path} --help)" if e.ctx is not None else ""
        _error_line(f"{e.format_message()}{hint}")
        return 2
    except click.ClickException as e:
        _error_line(e.format_message())
        return 2
    except InputError as e:
        _error_line(e)
        return 2
    except CertifyError as e:
        _error_line(e)
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 1
    except (MemoryError, RecursionError) as e:  # a last resort: the readers bound their input themselves
        _error_line(f"input too large: {type(e).__name__} (a limit is missing; please report this; "
                    "docs/security.md lists the limits)")
        return 2
    except Exception as e:  # an internal error: say so plainly, with the traceback for a bug report
        sys.stderr.write(f"internal error: {type(e).__name__}: {e}\n")
        traceback.print_exc(file=sys.stderr)
        return 1
    return int(rv or 0)


def _error_line(e: Exception | str) -> None:
    """One unwrapped line on stderr, whatever the terminal width and encoding (unencodable characters,
    e.g. from a file, are written as \\u escapes)."""
    line = f"error: {' '.join(str(e).split())}"
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    line = line.encode(encoding, "backslashreplace").decode(encoding, "replace")
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
