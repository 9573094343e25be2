"""Every lesson notebook runs headless, top to bottom, with no error and nothing on stderr.

Run times are measured and printed as a table at the end of the session (see conftest's
terminal summary); the budget (20 s a lesson, 180 s in all) is reported there and enforced by
``benchmarks/bench_notebooks.py``. The test itself fails only on a hang guard (a cell timeout)
or a gross overrun (three times the budget), so a slow CI neighbour cannot make it flaky.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LESSON_BUDGET_S = 20.0
GROSS_OVERRUN = 3.0

pytestmark = pytest.mark.notebooks


def run_notebook(path: Path, timeout: int = 120) -> tuple[nbformat.NotebookNode, float]:
    """Execute a copy of the notebook in memory (the file on disk is never changed)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def problems_in(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index} wrote to stderr: {output.get('text', '')[:300]}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_clean(path: Path, record_property: pytest.RecordProperty) -> None:
    nb, seconds = run_notebook(path)
    record_property("notebook_seconds", (path.name, seconds))
    assert problems_in(nb) == []
    assert seconds < LESSON_BUDGET_S * GROSS_OVERRUN, f"{path.name} took {seconds:.1f} s"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert dirty == [], f"{path.name}: cells {dirty} carry outputs; run `make strip`"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
