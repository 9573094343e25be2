"""Answers as data (``_answers.py``) and the clean kernel's verdict (``_verdict.py``): units."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output

from funnel_lib import Funnel, Step, simulate
from funnel_lib.grading._answers import Unsupported, decode, dumps, encode, restore
from funnel_lib.grading._verdict import checker_notebook, find_test_cells, names_read, reconcile
from funnel_lib.stages import Stage

pytestmark = pytest.mark.grading

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4), max_leaves=20)


@given(values)
def test_round_trip_of_plain_values(value: object) -> None:
    assert decode(encode(value)) == value
    assert type(decode(encode(value))) is type(value)


def test_round_trip_of_library_values() -> None:
    step = Step("Watch a 20-second clip", "entry", ask=1, value=2, trust=1)
    funnel = Funnel([step, Step.from_catalog("quiz")])
    frame = simulate(funnel, "cold").table
    for value in (step, funnel, Stage.ENTRY, np.int64(4), np.float32(0.5), np.arange(6).reshape(2, 3),
                  pd.Series([1.5, 2.5], name="x"), frame, simulate, np, pd.Timestamp("2026-01-02")):
        back = decode(encode(value))
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(back, value)
        elif isinstance(value, pd.Series):
            pd.testing.assert_series_equal(back, value)
        elif isinstance(value, np.ndarray):
            assert back.dtype == value.dtype and (back == value).all()
        else:
            assert back == value and type(back) is type(value), value
    assert math.isinf(decode(encode(float("-inf"))))


def test_what_cannot_be_carried_is_named() -> None:
    cell: dict = {"__name__": "__main__"}
    exec("class Always:\n    def __eq__(self, other): return True\nx = Always()", cell)
    with pytest.raises(Unsupported, match="Always"):
        encode(cell["x"])
    with pytest.raises(Unsupported, match="not from an allowed library"):
        decode({"$ref": ["subprocess", "run"]})
    with pytest.raises(Unsupported, match="not a funnel_lib class"):
        decode({"$dataclass": ["pathlib", "Path", {}]})
    with pytest.raises(Unsupported, match="nested too deeply"):
        encode(nested(100))
    ns: dict = {}
    assert restore(ns, dumps({"rate": 0.3, "bad name": 1}, ["rate", "bad name"])) == ["rate"]


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_a_lying_kernel_is_overruled() -> None:
    test = new_code_cell("assert rate == 0.3, 'rate should be 0.3'",
                         metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "rate_test", "points": 1}})
    nb = new_notebook(cells=[new_code_cell("rate = 0.5"), test])
    assert find_test_cells(nb) == {1: ["rate"]}
    checker, where, local = checker_notebook(nb, find_test_cells(nb), {1: dumps({"rate": 0.5}, ["rate"])})
    assert where == {1: 1} and local == {} and "restore" in checker.cells[0].source
    # the student's kernel said "passed" (no outputs); the clean kernel failed the same answer
    checker.cells[1].outputs = [new_output("error", ename="AssertionError", evalue="rate should be 0.3", traceback=[])]
    findings = reconcile(nb, checker, where, local)
    assert [f.severity for f in findings] == ["review"]
    assert "reported the test passed, but on the same answers in a clean kernel it fails" in findings[0].message
    assert nb.cells[1].outputs[0]["ename"] == "AssertionError"


def test_tests_that_need_notebook_functions_are_noted() -> None:
    test = new_code_cell("assert first_stage(['entry']) is not None",
                         metadata={"nbgrader": {"grade": True, "grade_id": "stage_test", "points": 1}})
    nb = new_notebook(cells=[new_code_cell("def first_stage(names): return names[0]"), test])
    cell: dict = {"__name__": "__main__"}
    exec(nb.cells[0].source, cell)
    _, where, local = checker_notebook(nb, find_test_cells(nb), {1: dumps(cell, ["first_stage"])})
    assert where == {} and "judged in the notebook's own kernel" in local[1]
    assert names_read("%time x = 1\nassert y") == {"y"}


def test_records_round_trip_and_refuse_strangers() -> None:
    from funnel_lib.grading._records import KernelSettings, LogRecord, Task, WorkerOutcome

    settings = KernelSettings({"memory_bytes": 1}, "/k/log", "/k/guard.py", roles={"abc": {"role": "test"}})
    assert KernelSettings.from_json(settings.to_json()) == settings
    record = LogRecord("blocked", "open", "/course/gradebook.db")
    assert LogRecord.from_json(record.to_json()) == record
    outcome = WorkerOutcome("kernel died", "the kernel was killed", {"toy": {"executed": None}}, seconds=1.5)
    assert WorkerOutcome.from_json(outcome.to_json()) == outcome
    with pytest.raises(ValueError, match=r"WorkerOutcome has no field\(s\) \['sneaky'\]"):
        WorkerOutcome.from_json('{"status": "ok", "sneaky": 1}')
    with pytest.raises(ValueError, match="Task JSON must be an object, got list"):
        Task.from_json("[1]")


def test_a_reused_clean_kernel_is_reset_first() -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from funnel_lib.grading._checker import RESET_SOURCE

    test = new_code_cell("assert rate == 0.3", metadata={"nbgrader": {"grade": True, "solution": False,
                                                                       "grade_id": "rate_test", "points": 1}})
    nb = new_notebook(cells=[new_code_cell("rate = 0.3"), test])
    checker, where, _ = checker_notebook(nb, find_test_cells(nb), {1: dumps({"rate": 0.3}, ["rate"])},
                                         reset=RESET_SOURCE)
    assert checker.cells[0].source == RESET_SOURCE and checker.cells[0].metadata["funnel_grading"] == "reset"
    assert where == {1: 2} and "restore" in checker.cells[1].source
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.cache_size = 0  # as the clean kernel starts (no output cache: a cheap reset)
    shell = InteractiveShell(config=config)
    try:
        assert not shell.displayhook.do_full_cache
        shell.run_cell("rate = 0.3  # the previous student's answer")
        shell.run_cell("rate")
        assert shell.run_cell(RESET_SOURCE).success
        assert "rate" not in shell.user_ns and "_" not in shell.user_ns
    finally:
        shell.cleanup()


@pytest.mark.slow
def test_one_slot_grades_students_in_turn_without_leaks(tmp_path: Path) -> None:
    """One worker slot, one warm clean kernel: a blank answer after a right one still earns nothing."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import grading_fixtures as gf

    from funnel_lib.grading import autograde

    course = gf.make_course(tmp_path / "course")
    kinds = {"s1": "right", "s2": "blank", "s3": "right", "s4": "blank", "s5": "wrong"}
    for student, kind in kinds.items():
        gf.submit(course, student, kind)
    report = autograde(gf.ASSIGNMENT, course, jobs=1)
    got = {r.student: (r.status, r.score) for r in report.results}
    assert got == {s: ("graded", gf.EXPECTED_SCORE[kind]) for s, kind in kinds.items()}, got
