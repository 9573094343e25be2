"""tools/mutation.py (`make mutation`): reading mutmut's verdicts, the share killed, the settings it writes.

The mutation run itself takes tens of minutes and is not part of the suite; these tests cover the
parts of the tool that turn mutmut's output into the numbers it reports.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("funnel_mutation_tool", ROOT / "tools" / "mutation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


RESULTS = """\
    funnel_lib._rules.x_fit_flags__mutmut_1: killed
    funnel_lib._rules.x_fit_flags__mutmut_2: survived
    funnel_lib._rules.xǁFindingǁ__post_init____mutmut_3: timeout
    funnel_lib._rules.x__names__mutmut_4: no tests
    funnel_lib._rules.x__names__mutmut_5: caught by type check
    funnel_lib._events_core.x_run__mutmut_1: survived
    funnel_lib._events_core.x_run__mutmut_2: not checked
not a result line: killed
"""


def test_results_are_counted_per_module(tool: ModuleType) -> None:
    counts, survivors = tool.parse_results(RESULTS, "funnel_lib/_rules.py")
    assert dict(counts) == {"killed": 2, "survived": 1, "timed out": 1, "not covered": 1}
    assert survivors == ["funnel_lib._rules.x_fit_flags__mutmut_2"]
    counts, survivors = tool.parse_results(RESULTS, "funnel_lib/_events_core.py")
    assert dict(counts) == {"survived": 1, "not run": 1} and survivors == ["funnel_lib._events_core.x_run__mutmut_1"]


def test_killed_share_counts_timeouts_and_leaves_out_mutants_no_test_reaches(tool: ModuleType) -> None:
    outcome = tool.Outcome("funnel_lib/_rules.py", [], {"killed": 6, "timed out": 1, "survived": 3, "not covered": 5,
                                                        "not run": 2})  # a run stopped early
    assert outcome.total == 17
    assert outcome.killed_share == pytest.approx(0.7)
    assert tool.Outcome("m.py", [], {"not covered": 4}).killed_share is None
    row = tool.table([outcome]).splitlines()[-1].split()
    assert row[:8] == ["funnel_lib/_rules.py", "17", "6", "3", "1", "5", "2", "70.0"]


def test_settings_are_valid_toml_naming_the_module_and_its_tests(tool: ModuleType) -> None:
    tests = ["tests/test_events.py", "tests/test_events_reference.py"]
    config = tomllib.loads(tool.settings("funnel_lib/_events_core.py", tests))["tool"]["mutmut"]
    assert config["only_mutate"] == ["funnel_lib/_events_core.py"]
    assert config["pytest_add_cli_args_test_selection"] == [*tests, "funnel_lib/_events_core.py"]  # + doctests
    assert "-x" in config["pytest_add_cli_args"] and "--doctest-modules" in config["pytest_add_cli_args"]


def test_every_target_and_its_tests_exist(tool: ModuleType) -> None:
    for module, tests in tool.TARGETS.items():
        assert (ROOT / module).is_file(), module
        assert tests and all((ROOT / test).is_file() for test in tests), tests


def test_without_mutmut_it_says_how_to_install_it(tool: ModuleType, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(tool, "VENV_BIN", tmp_path)
    assert tool.main([]) == 2
    assert "mutmut is not installed" in capsys.readouterr().err
