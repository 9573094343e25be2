"""Shared pytest set-up: headless matplotlib and a timing table for the notebooks."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

LESSON_BUDGET_S = 20.0
TOTAL_BUDGET_S = 180.0


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print how long each notebook took to run, against its budget."""
    timings = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", []):
                if key == "notebook_seconds":
                    timings[value[0]] = value[1]
    if not timings:
        return
    write = terminalreporter.write_line
    write("")
    write(f"notebook run times (budget {LESSON_BUDGET_S:.0f} s each, {TOTAL_BUDGET_S:.0f} s in all)")
    for name, seconds in sorted(timings.items()):
        flag = "" if seconds <= LESSON_BUDGET_S else "  OVER BUDGET"
        write(f"  {name:<44}{seconds:>7.1f} s{flag}")
    total = sum(timings.values())
    write(f"  {'total':<44}{total:>7.1f} s{'' if total <= TOTAL_BUDGET_S else '  OVER BUDGET'}")
