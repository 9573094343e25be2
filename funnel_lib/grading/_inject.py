"""``InjectExecuted``: the stand-in for nbgrader's ``Execute`` step when the parent merges a worker's result.

nbgrader's ``Autograde`` converter runs in the parent exactly as ``nbgrader autograde`` would, but
instead of starting a kernel it takes the notebook a worker already executed in a sandbox — after
checking that it is the very notebook nbgrader just sanitized (same cells, same sources). A worker
that failed (kernel died, timed out, …) makes this step raise, which nbgrader handles like any
failed submission.

>>> InjectExecuted.registry
{}
"""

from __future__ import annotations

from typing import Any, ClassVar

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from funnel_lib.grading._errors import GradingError

__all__ = ["GradingFailed", "InjectExecuted", "InjectSanitized", "same_cells"]


class GradingFailed(GradingError, RuntimeError):
    """The worker could not execute this notebook (the message says why); nbgrader records it as a failed submission.

    >>> from funnel_lib.grading import GradingError, GradingFailed
    >>> issubclass(GradingFailed, GradingError), issubclass(GradingFailed, RuntimeError)
    (True, True)
    """

    __module__ = "funnel_lib.grading"


def same_cells(a: Any, b: Any) -> bool:
    """Whether two notebooks have the same cells (types, sources and grade ids), outputs aside.

    >>> from nbformat.v4 import new_notebook, new_code_cell
    >>> same_cells(new_notebook(cells=[new_code_cell("x = 1")]), new_notebook(cells=[new_code_cell("x = 1")]))
    True
    """
    if len(a.cells) != len(b.cells):
        return False
    for left, right in zip(a.cells, b.cells, strict=True):  # same length: checked above
        if left.cell_type != right.cell_type or left.source != right.source:
            return False
        if left.metadata.get("nbgrader", {}).get("grade_id") != right.metadata.get("nbgrader", {}).get("grade_id"):
            return False
    return True


class InjectExecuted(NbGraderPreprocessor):
    """Replace execution with the worker's executed notebook.

    ``registry`` maps a notebook's name to ``("ok", path)`` or ``("fail", why)``.
    """

    registry: ClassVar[dict[str, tuple[str, str]]] = {}

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        """Return the worker's executed version of ``nb``."""
        name = resources["nbgrader"]["notebook"]
        kind, value = self.registry.get(name, ("fail", f"{name} was not executed"))
        if kind != "ok":
            raise GradingFailed(value)
        executed = nbformat.read(value, as_version=4)
        if not same_cells(nb, executed):
            raise GradingFailed(f"{name}: the executed notebook does not match the sanitized submission")
        return executed, resources


class InjectSanitized(NbGraderPreprocessor):
    """Stand in for nbgrader's sanitizing preprocessors with the worker's result of running them.

    Used only when the course keeps nbgrader's default sanitizing steps (ClearOutput,
    DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata), which read the
    assignment's definition but write nothing to the gradebook: the worker already ran exactly
    those steps against a copy of that definition.
    """

    registry: ClassVar[dict[str, tuple[str, str]]] = {}

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        """Return the worker's sanitized version of ``nb``."""
        name = resources["nbgrader"]["notebook"]
        kind, value = self.registry.get(name, ("fail", f"{name} was not sanitized"))
        if kind != "ok":
            raise GradingFailed(value)
        return nbformat.read(value, as_version=4), resources
