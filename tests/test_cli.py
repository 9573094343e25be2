"""The ``funnel`` command's error handling: usage errors are the user's to fix, anything else is our bug."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from funnel_lib import FunnelTypeError, FunnelValueError, Step, cli


def _command(monkeypatch: pytest.MonkeyPatch, action: Callable[[], int]) -> None:
    """Register a ``funnel boom`` sub-command that runs ``action``."""
    def add(subparsers: Any) -> None:
        parser = subparsers.add_parser("boom", help="test command")
        parser.set_defaults(run=lambda args: action(), command="boom")

    monkeypatch.setattr(cli, "SUBCOMMANDS", [*cli.SUBCOMMANDS, add])


def _raise(error: BaseException) -> Callable[[], int]:
    def action() -> int:
        raise error
    return action


@pytest.mark.parametrize("action, message", [
    (lambda: Step("Buy", "conversion", ask=12) and 0, "ask must be between 0 and 10, got 12"),
    (_raise(FunnelTypeError("funnel must be a Funnel, got 3 (int)")), "funnel must be a Funnel, got 3 (int)"),
])
def test_library_errors_are_usage_errors_shown_without_module_paths(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], action: Callable[[], int],
        message: str) -> None:
    _command(monkeypatch, action)
    assert cli.main(["boom"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err == f"funnel boom: error: {message}\n"


def test_course_errors_are_usage_errors_without_private_paths(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["autograde", "ps1", "--course", str(tmp_path / "missing")]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("funnel autograde: error: ") and "does not exist" in err
    assert "funnel_lib." not in err and "Traceback" not in err


def test_a_limit_refused_by_grading_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["autograde", "ps1", "--memory", "1MiB"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == "funnel autograde: error: memory_bytes must be at least 64 MiB, got 1048576\n"


@pytest.mark.parametrize("bug", [ValueError("math domain error"), KeyError("steps"), TypeError("'NoneType' ...")])
def test_a_bug_says_it_is_one_saves_the_traceback_and_exits_70(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        bug: Exception) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _command(monkeypatch, _raise(bug))
    assert cli.main(["boom"]) == cli.EXIT_BUG == 70
    err = capsys.readouterr().err
    assert err.startswith("funnel boom: internal error: this is a bug in funnel_lib")
    assert f"  {type(bug).__name__}: {bug}\n" in err
    assert "please report it with the command you ran and this traceback" in err
    assert "Traceback" not in err and "usage error" not in err
    (saved,) = tmp_path.glob("funnel-bug-*.txt")
    assert str(saved) in err
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("Traceback (most recent call last):") and f"{type(bug).__name__}: " in text


def test_debug_prints_the_traceback_instead(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _command(monkeypatch, _raise(ZeroDivisionError("division by zero")))
    assert cli.main(["--debug", "boom"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err and "ZeroDivisionError: division by zero" in err
    assert "please report it with the command you ran and this traceback" in err
    assert list(tmp_path.glob("funnel-bug-*")) == []


def test_a_plain_value_error_is_no_longer_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The old CLI caught every ValueError and blamed the user for our bugs."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _command(monkeypatch, _raise(ValueError("cannot convert float NaN to integer")))
    assert cli.main(["boom"]) == cli.EXIT_BUG
    assert "error: cannot convert" not in capsys.readouterr().err


def test_exit_codes_are_distinct_and_documented() -> None:
    codes = [cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_USAGE, cli.EXIT_BUG, cli.EXIT_INTERRUPTED]
    assert len(set(codes)) == len(codes)
    epilog = cli.build_parser().epilog or ""
    assert all(re.search(rf"\b{code}\b", epilog) for code in codes)


def test_usage_errors_include_the_library_base() -> None:
    assert issubclass(FunnelValueError, cli._usage_errors())


def test_a_bug_while_reading_the_arguments_is_reported_as_a_bug(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def broken(text: str) -> int:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(cli, "_positive_int", broken)
    assert cli.main(["autograde", "ps1", "--jobs", "2"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert err.startswith("funnel autograde: internal error:") and "RuntimeError: parser bug" in err
