"""The ``funnel`` command (also ``python -m funnel_lib``).

Sub-commands:

* ``funnel grade NOTEBOOK`` — grade your own copy of an exercise with the hidden tests; prints a
  table per question and writes ``<notebook>_feedback.html`` beside it (the notebook is never
  modified). Exit code 0 when every autograded question passed, 1 when some did not.
* ``funnel autograde ASSIGNMENT`` — grade a whole class in parallel in an nbgrader course
  (``--course DIR`` or the current directory), with a progress bar, a summary table and
  ``reports/<assignment>_autograde.csv``. Exit code 0 when every student was graded cleanly, 1
  when some timed out, crashed, had invalid or missing notebooks, or need review.

Exit code 2 means the command could not run (bad arguments, not a course, unknown assignment or
notebook); 130 means it was interrupted (Ctrl-C; ``autograde`` resumes where it stopped); 70 means
the command hit a bug in funnel_lib itself (``EX_SOFTWARE`` of BSD's sysexits): it prints a short
note saying so, and writes the traceback to a file to report (``funnel --debug ...`` prints it).

A usage error is one of the library's own errors (:class:`funnel_lib.FunnelError`, the grading
subsystem's errors) or a bad argument: only its message is shown, never a module path. Any other
exception is a bug, not the user's mistake, and is reported as one.

Each sub-command is one ``add_*_command(subparsers)`` function that registers its parser and
sets ``run`` to the function doing the work: add a command by writing another one and listing it
in ``SUBCOMMANDS``.

>>> main(["--version"])  # doctest: +ELLIPSIS
funnel ...
0
>>> main(["autograde", "ps1", "--jobs", "0"])  # the usage error goes to stderr
2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

__all__ = ["DESCRIPTION", "SUBCOMMANDS", "build_parser", "main", "version"]

DESCRIPTION = (
    "Small Yeses: design, check, simulate and measure micro-commitment funnels. "
    "The course lives in notebooks/ (start with `make lab`); this command grades "
    "exercises (yours, or a whole class's) and runs the library's tools."
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 70, 130

REPORT_BUG = "please report it with the command you ran and this traceback"


def version() -> str:
    """Return ``funnel_lib.__version__`` (or the installed distribution's version).

    >>> version() != ""
    True
    """
    import funnel_lib

    found = getattr(funnel_lib, "__version__", None)
    if isinstance(found, str) and found:
        return found
    try:
        return metadata.version("funnel_lib")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _size(text: str) -> int:
    from funnel_lib.grading._sandbox import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors end with exit code 2 (also inside sub-commands)."""


def add_grade_command(subparsers: Any) -> None:
    """Register ``funnel grade NOTEBOOK``."""
    parser = subparsers.add_parser(
        "grade", help="grade your copy of an exercise with the hidden tests",
        description="Grade a learner's copy of an exercise against the course's hidden tests, in a temporary "
                    "course. Prints a table per question and writes <notebook>_feedback.html beside the notebook; "
                    "the notebook itself is never modified. Exit code: 0 all autograded questions passed, "
                    "1 some did not, 2 the notebook or course could not be used, 70 a bug in funnel_lib.",
    )
    parser.add_argument("notebook", help="the exercise notebook (.ipynb) to grade")
    parser.add_argument("--course", metavar="DIR", help="the course directory (default: found from the notebook, "
                        "else the course funnel_lib was installed from)")
    parser.add_argument("--no-feedback", action="store_true", help="do not write the feedback HTML file")
    parser.add_argument("--cell-timeout", type=_positive_int, metavar="SECONDS",
                        help="stop a cell after this long (default: the course's Execute.timeout)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    parser.set_defaults(run=run_grade, command="grade")


def run_grade(args: argparse.Namespace) -> int:
    """Run ``funnel grade``."""
    from funnel_lib.grading._isolation import probe_in_background

    probe_in_background()  # bubblewrap is tried while the grading machinery loads
    from funnel_lib.grading import grade_notebook

    # a CourseError (not a notebook of the course, no such course, ...) is a usage error: see main()
    report = grade_notebook(args.notebook, args.course, feedback=not args.no_feedback, cell_timeout=args.cell_timeout)
    if args.json:
        print(json.dumps({
            "notebook": str(report.notebook), "assignment": report.assignment, "status": report.status,
            "reason": report.reason, "score": report.score, "max_score": report.max_score,
            "feedback": str(report.feedback) if report.feedback else None,
            "questions": [q.__dict__ for q in report.questions],
        }, indent=1))
    else:
        print(report.table())
    return EXIT_OK if report.passed else EXIT_FAILED


def add_autograde_command(subparsers: Any) -> None:
    """Register ``funnel autograde ASSIGNMENT``."""
    parser = subparsers.add_parser(
        "autograde", help="grade every submission of an assignment, in parallel",
        description="Autograde every student under submitted/ in parallel sandboxed kernels, in any nbgrader "
                    "course. The gradebook and autograded/ end up as serial `nbgrader autograde` leaves them. "
                    "Students graded before are skipped unless --force; an interrupted run resumes. Writes "
                    "reports/<assignment>_autograde.csv. Exit code: 0 all graded cleanly, 1 some students failed "
                    "or need review, 2 usage error, 70 a bug in funnel_lib, 130 interrupted.",
    )
    parser.add_argument("assignment", nargs="?", help="the assignment id (a folder of the course's source directory)")
    parser.add_argument("--check-isolation", action="store_true",
                        help="print which OS isolation layers (bubblewrap, uid, namespaces, cgroups) this machine "
                             "enforces for grading kernels, then exit (0 when kernels run in bubblewrap)")
    parser.add_argument("--isolation", choices=("auto", "require", "off"), default="auto",
                        help="run kernels in bubblewrap: when available (auto, default), or refuse to grade "
                             "without it (require), or not (off)")
    parser.add_argument("--course", metavar="DIR", help="the nbgrader course directory (default: the current one)")
    parser.add_argument("--jobs", "-j", type=_positive_int, metavar="N", help="worker processes (default: CPU count)")
    parser.add_argument("--force", action="store_true", help="regrade students that were graded before")
    parser.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    parser.add_argument("--memory", type=_size, default="2GiB", metavar="SIZE",
                        help="memory cap of each kernel, e.g. 2GiB (default) or 512MiB")
    parser.add_argument("--cpu-time", type=_positive_int, default=600, metavar="SECONDS",
                        help="CPU-time cap of each kernel (default: 600)")
    parser.add_argument("--max-processes", type=_positive_int, default=32, metavar="N",
                        help="kill a kernel whose processes number more than this (default: 32)")
    parser.add_argument("--allow-processes", action="store_true",
                        help="let notebook code start processes (refused by default)")
    parser.add_argument("--student-timeout", type=_positive_float, metavar="SECONDS",
                        help="stop grading a student after this long (default: from the cell timeout)")
    parser.add_argument("--cell-timeout", type=_positive_int, metavar="SECONDS",
                        help="override the course's Execute.timeout (then grades may differ from nbgrader's)")
    parser.add_argument("--reports", metavar="DIR", help="where the summary CSV goes (default: <course>/reports)")
    parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    parser.set_defaults(run=run_autograde, command="autograde")


def run_autograde(args: argparse.Namespace) -> int:
    """Run ``funnel autograde``."""
    from funnel_lib.grading import Limits, autograde

    if args.check_isolation:
        from funnel_lib.grading._isolation import probe

        info = probe()
        print("Isolation of grading kernels on this machine:")
        print(info.report())
        return EXIT_OK if info.jailed else EXIT_FAILED
    if not args.assignment:
        print("funnel autograde: error: the assignment is required (or use --check-isolation)", file=sys.stderr)
        return EXIT_USAGE
    isolation = {"auto": None, "require": True, "off": False}[args.isolation]
    if isolation is not False:
        from funnel_lib.grading._isolation import probe_in_background

        probe_in_background()
    try:  # the limits come straight from the command line: a value they refuse is a usage error
        limits = Limits(memory_bytes=args.memory if isinstance(args.memory, int) else _size(args.memory),
                        cpu_seconds=args.cpu_time, max_processes=args.max_processes,
                        block_processes=not args.allow_processes)
    except (ValueError, argparse.ArgumentTypeError) as error:
        return _usage_error("autograde", error)
    # a CourseError (unknown assignment or student, not a course, ...) is a usage error: see main()
    report = autograde(args.assignment, args.course, jobs=args.jobs, force=args.force, students=args.student,
                       limits=limits, student_timeout=args.student_timeout, cell_timeout=args.cell_timeout,
                       progress=None if args.no_progress else sys.stderr, reports_dir=args.reports,
                       isolation=isolation)
    if args.json:
        print(json.dumps({"assignment": report.assignment, "interrupted": report.interrupted,
                          "csv": str(report.csv_path) if report.csv_path else None,
                          "students": [r.to_dict() for r in report.results]}, indent=1))
    else:
        print(report.table())
        if report.csv_path is not None:
            print(f"summary: {report.csv_path}")
    if report.interrupted:
        print("interrupted: run the same command again to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_FAILED


#: The sub-commands, in the order ``funnel --help`` lists them.
SUBCOMMANDS: list[Callable[[Any], None]] = [add_grade_command, add_autograde_command]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``funnel`` command.

    >>> sorted(build_parser()._subparsers._group_actions[0].choices)
    ['autograde', 'grade']
    """
    parser = _Parser(
        prog="funnel",
        description=DESCRIPTION,
        epilog="Exit codes: 0 ok, 1 something was graded as failed or needs review, 2 usage error, "
               "70 a bug in funnel_lib (please report it), 130 interrupted. "
               "Run `funnel COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}",
                        help="print the version of funnel_lib and exit")
    parser.add_argument("--debug", action="store_true",
                        help="if the command hits a bug in funnel_lib, print the traceback instead of saving it")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


#: Optional modules that cost seconds to import and that no ``funnel`` command uses: jsonschema
#: imports ``rfc3987_syntax`` (it builds a grammar, ~1.5 s) only to check the "iri" string format,
#: which the notebook schemas nbformat validates against never use.
_SLOW_UNUSED_MODULES = ("rfc3987_syntax",)


def _skip_slow_unused_imports() -> list[str]:
    """Mark :data:`_SLOW_UNUSED_MODULES` as absent in this process (only before jsonschema loads); return them.

    Used when ``funnel`` runs as a program, never in a process that may run other code (a kernel).

    >>> isinstance(_skip_slow_unused_imports(), list)
    True
    """
    if "jsonschema" in sys.modules:
        return []
    from funnel_lib.grading._shim import without_modules  # standalone: imports nothing else

    return without_modules(_SLOW_UNUSED_MODULES)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``funnel`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    if argv is None:  # run as a program (``funnel ...``, ``python -m funnel_lib ...``)
        _skip_slow_unused_imports()
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = next((word for word in arguments if not word.startswith("-")), "")  # for messages only
    code = _run(arguments, command)
    if argv is None and command == "grade":
        _exit_now(code)
    return code


def _run(arguments: list[str], command: str) -> int:
    try:
        return _parse_and_run(arguments)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _usage_errors() as error:
        return _usage_error(command, error)
    except Exception as error:  # anything else is a bug in funnel_lib, not the user's mistake
        return _report_bug(command, error, debug="--debug" in arguments)


def _exit_now(code: int) -> None:  # pragma: no cover - ends the process (tested through a real ``funnel grade``)
    """End ``funnel grade`` run as a program without the interpreter's teardown.

    Tearing down the hundreds of modules grading loads (nbgrader, nbconvert, sqlalchemy, jupyter) takes
    a noticeable share of the command's time. By now the grading folders are removed, the worker is
    reaped and the feedback is written, and nothing else in the process holds data to save, so only
    the output streams are flushed.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _parse_and_run(arguments: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
    except SystemExit as stop:  # --help, --version and usage errors end here
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return EXIT_OK
    return int(run(args))


def _usage_errors() -> tuple[type[BaseException], ...]:
    """The errors that mean "this command cannot run as asked": the library's own, and grading's if loaded.

    >>> _usage_errors()[0].__name__
    'FunnelError'
    """
    from funnel_lib.errors import FunnelError

    errors: list[type[BaseException]] = [FunnelError]
    grading = sys.modules.get("funnel_lib.grading")  # loaded by the grading commands, never imported here
    for name in ("GradingError", "CourseError"):
        error = getattr(grading, name, None)
        if isinstance(error, type) and issubclass(error, BaseException):
            errors.append(error)
    return tuple(errors)


def _usage_error(command: str, error: BaseException) -> int:
    """Print a usage error's message (never its class's module path) and return :data:`EXIT_USAGE`.

    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = _usage_error("grade", ValueError("notebook 'x.ipynb' does not exist"))
    >>> code, err.getvalue()
    (2, "funnel grade: error: notebook 'x.ipynb' does not exist\\n")
    """
    print(f"{_program(command)}: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def _report_bug(command: str, error: Exception, *, debug: bool = False) -> int:
    """Say that the command hit a bug, where the traceback is and how to report it; return :data:`EXIT_BUG`.

    The traceback goes to a new file in the temporary directory (or to stderr with ``--debug``,
    or when the file cannot be written); the short note names the error's class, never its module.

    >>> import contextlib, io, pathlib
    >>> try:
    ...     {}["missing"]
    ... except KeyError as bug:
    ...     with contextlib.redirect_stderr(io.StringIO()) as err:
    ...         code = _report_bug("grade", bug)
    >>> code, "this is a bug in funnel_lib" in err.getvalue()
    (70, True)
    >>> saved = err.getvalue().split("traceback is in ")[1].split(" ")[0]
    >>> "KeyError: 'missing'" in pathlib.Path(saved).read_text()
    True
    >>> pathlib.Path(saved).unlink()
    """
    details = "".join(traceback.format_exception(error))
    print(f"{_program(command)}: internal error: this is a bug in funnel_lib, not a problem with what you asked for.\n"
          f"  {type(error).__name__}: {error}", file=sys.stderr)
    saved = None if debug else _save_traceback(details)
    if saved is None:
        print(details.rstrip(), file=sys.stderr)
        print(f"Sorry: {REPORT_BUG} (above).", file=sys.stderr)
    else:
        print(f"The full traceback is in {saved} (run again with `funnel --debug ...` to print it).\n"
              f"Sorry: {REPORT_BUG}.", file=sys.stderr)
    return EXIT_BUG


def _program(command: str) -> str:
    return f"funnel {command}" if command else "funnel"


def _save_traceback(details: str) -> str | None:
    try:
        with tempfile.NamedTemporaryFile("w", prefix="funnel-bug-", suffix=".txt", delete=False,
                                         encoding="utf-8") as handle:
            handle.write(details)
    except OSError:
        return None
    return handle.name
