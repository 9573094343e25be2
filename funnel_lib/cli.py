"""The ``funnel`` command (also ``python -m funnel_lib``).

This is the command's entry point; sub-commands for grading and demos plug
into :func:`build_parser`.

>>> main(["--version"])  # doctest: +ELLIPSIS
funnel ...
0
"""

from __future__ import annotations

import argparse
from importlib import metadata
from typing import Sequence

DESCRIPTION = (
    "Small Yeses: design, check, simulate and measure micro-commitment funnels. "
    "The course lives in notebooks/ (start with `make lab`); this command is the "
    "library's entry point for grading and demos."
)


def version() -> str:
    """Return ``funnel_lib.__version__`` (or the installed distribution's version)."""
    import funnel_lib

    found = getattr(funnel_lib, "__version__", None)
    if isinstance(found, str) and found:
        return found
    try:
        return metadata.version("funnel_lib")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``funnel`` command."""
    parser = argparse.ArgumentParser(
        prog="funnel",
        description=DESCRIPTION,
        epilog="Run `funnel --version` to see which funnel_lib is installed.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {version()}",
        help="print the version of funnel_lib and exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``funnel`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    parser = build_parser()
    try:
        parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors end here
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    parser.print_help()
    return 0
