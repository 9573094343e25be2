"""A second opinion no submission can forge: the hidden tests again, in a kernel with no student code.

The student's notebook runs in its own sandboxed kernel, which reports each cell's outputs — and a
kernel that the student's code rewrote can misreport them (drop the error of a failed test). So
just before each test cell runs there, the worker asks that kernel for the values the test reads,
as data (``_answers.py``). Afterwards a fresh kernel, started from nothing but the assignment's own
files, puts those values in place and runs every test cell again. Its verdict (failed or passed) is
the one that counts:

* when both kernels agree, the notebook keeps the first kernel's outputs (exactly what serial
  ``nbgrader autograde`` would record);
* when they disagree, the clean kernel's outputs replace the first kernel's, and the student is
  reported "needs review" with the reason (a kernel that misreports, or an answer that depends on
  something outside the data carried);
* a test that reads something that cannot be carried as data (a function the notebook defines)
  is judged in the notebook's own kernel, and the JSON report (``info``) says so.

>>> failed([{"output_type": "error", "ename": "AssertionError"}]), failed([{"output_type": "stream", "name": "stdout"}])
(True, False)
>>> sorted(names_read("assert rate == expected(len(xs))"))
['expected', 'rate', 'xs']
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
from typing import Any

from funnel_lib.grading._integrity import IntegrityFinding

__all__ = ["checker_notebook", "failed", "names_read", "reconcile", "find_test_cells"]

_BUILTINS = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit", "quit"}


def failed(outputs: list[Any]) -> bool:
    """Whether a test cell's outputs mean failure for nbgrader (an error, or anything on stderr)."""
    for output in outputs or []:
        kind = output.get("output_type")
        if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
            return True
    return False


def names_read(source: str) -> set[str] | None:
    """The global names a test cell reads (IPython syntax allowed); None when it cannot be parsed."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
        tree = ast.parse(python)
    except Exception:  # noqa: BLE001 - SyntaxError, or IPython unable to transform
        return None
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in _BUILTINS}


def find_test_cells(nb: Any) -> dict[int, list[str] | None]:
    """Autograded test cells of a notebook: cell index -> names the test reads (None: not parseable)."""
    found: dict[int, list[str] | None] = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            names = names_read(cell.source)
            found[index] = sorted(names) if names is not None else None
    return found


def _parse(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict) \
            or not isinstance(data.get("unsupported"), dict):
        return None
    return data


def checker_notebook(nb: Any, tests: dict[int, list[str] | None], answers: dict[int, str],
                     reset: str = "") -> tuple[Any, dict[int, int], dict[int, str]]:
    """The notebook the clean kernel runs: per judgeable test, a cell restoring its answers, then the test.

    ``reset``, when given, is the source of a first cell that clears a reused kernel's namespace.
    Returns (notebook, test cell index in ``nb`` -> index in the new notebook, index -> why a test is
    judged in the student's kernel instead).
    """
    from nbformat.v4 import new_code_cell, new_notebook

    out = new_notebook(metadata=copy.deepcopy(nb.metadata))
    where: dict[int, int] = {}
    local: dict[int, str] = {}
    if reset:
        out.cells.append(new_code_cell(reset, metadata={"funnel_grading": "reset"}))
    for index, names in tests.items():
        grade_id = nb.cells[index].get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {index + 1}")
        if names is None:
            local[index] = f"{grade_id}: the test could not be parsed, so it was judged in the notebook's own kernel"
            continue
        data = _parse(answers.get(index, ""))
        if data is None:
            local[index] = f"{grade_id}: the notebook's kernel did not hand over the answers; judged in that kernel"
            continue
        if data["unsupported"]:
            name, why = sorted(data["unsupported"].items())[0]
            local[index] = (f"{grade_id}: `{name}` is {why}, which cannot be carried to a clean kernel; "
                            "judged in the notebook's own kernel")
            continue
        restore = ("__import__('funnel_lib.grading._answers', fromlist=['restore']).restore(globals(), "
                   f"{json.dumps(data)!r})")
        out.cells.append(new_code_cell(restore, metadata={"funnel_grading": "restore"}))
        test = copy.deepcopy(nb.cells[index])
        test.outputs = []
        test.execution_count = None
        where[index] = len(out.cells)
        out.cells.append(test)
    return out, where, local


def reconcile(executed: Any, checked: Any, where: dict[int, int], local: dict[int, str]) -> list[IntegrityFinding]:
    """Make the clean kernel's verdict count in ``executed`` (changed in place); return the findings."""
    findings = [IntegrityFinding("MC-VERDICT", "info", why) for why in local.values()]
    for index, other in where.items():
        mine, clean = executed.cells[index], checked.cells[other]
        restore_outputs = checked.cells[other - 1].get("outputs", [])
        if failed(restore_outputs):
            message = (f"{_grade_id(mine, index)}: the answers could not be rebuilt in a clean kernel; "
                       "judged there without them")
            findings.append(IntegrityFinding("MC-VERDICT", "note", message))
        if failed(mine.get("outputs", [])) == failed(clean.get("outputs", [])):
            continue
        said = "failed" if failed(mine.get("outputs", [])) else "passed"
        truth = "fails" if failed(clean.get("outputs", [])) else "passes"
        mine.outputs = copy.deepcopy(clean.get("outputs", []))
        message = (f"{_grade_id(mine, index)}: the notebook's kernel reported the test {said}, but on the same answers "
                   f"in a clean kernel it {truth} (a kernel that misreports?); the clean kernel's result counts")
        findings.append(IntegrityFinding("MC-VERDICT", "review", message))
    return findings


def _grade_id(cell: Any, index: int) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
