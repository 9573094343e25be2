#!/usr/bin/env python3
"""Strip outputs from the course notebooks, keeping everything else.

Notebooks are committed without outputs so that diffs show only what an
author changed, and so that learners see a fresh notebook. This script:

* empties every code cell's ``outputs`` and sets its ``execution_count`` to
  ``None``;
* drops the per-cell ``metadata.execution`` timing record (written by
  nbclient / JupyterLab when a cell runs) and the notebook-level saved widget
  state ``metadata.widgets`` (it only describes outputs that are gone);
* keeps all other notebook and cell metadata: nbgrader's cell metadata
  (grade ids, points, locked/solution flags), tags, kernelspec, language info.

A notebook whose content does not change is not rewritten.

Usage::

    python tools/strip_notebooks.py                 # every notebook of the course
    python tools/strip_notebooks.py a.ipynb b.ipynb # just these
    python tools/strip_notebooks.py --check         # exit 1 listing notebooks with outputs

Without paths, "every notebook of the course" is what git tracks or would
track (``git ls-files --cached --others --exclude-standard '*.ipynb'``); outside
a git checkout it is every ``*.ipynb`` below the current folder, skipping
hidden folders (``.venv``, ``.ipynb_checkpoints``, ...).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

#: Cell-metadata keys that record a run, not the author's intent.
RUN_CELL_METADATA = ("execution",)
#: Notebook-metadata keys that record a run, not the author's intent.
RUN_NOTEBOOK_METADATA = ("widgets",)


def find_notebooks(root: Path) -> list[Path]:
    """Return the notebooks of the project below ``root``, sorted."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.ipynb"],
            cwd=root,
            check=True,
            capture_output=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return sorted(
            p
            for p in root.rglob("*.ipynb")
            if not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])
        )
    return sorted({root / name for name in listed.split("\0") if name and (root / name).is_file()})


def problems(nb: Any) -> list[str]:
    """Describe what in ``nb`` would be stripped (empty list: nothing)."""
    found: list[str] = []
    outputs = counts = timings = 0
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            outputs += bool(cell.get("outputs"))
            counts += cell.get("execution_count") is not None
        timings += any(key in cell.get("metadata", {}) for key in RUN_CELL_METADATA)
    if outputs:
        found.append(f"{outputs} cell(s) with outputs")
    if counts:
        found.append(f"{counts} cell(s) with execution counts")
    if timings:
        found.append(f"{timings} cell(s) with execution timing metadata")
    for key in RUN_NOTEBOOK_METADATA:
        if key in nb.metadata:
            found.append(f"saved notebook metadata {key!r}")
    return found


def strip(nb: Any) -> Any:
    """Strip ``nb`` in place (see the module docstring) and return it."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        metadata = cell.get("metadata", {})
        for key in RUN_CELL_METADATA:
            metadata.pop(key, None)
    for key in RUN_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    return nb


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="strip_notebooks.py",
        description="Remove outputs and execution counts from notebooks, keeping their metadata.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="notebooks to process (default: every notebook of the course)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 and list the notebooks that carry outputs",
    )
    args = parser.parse_args(argv)

    paths: list[Path] = args.paths or find_notebooks(Path.cwd())
    dirty: list[tuple[Path, list[str]]] = []
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"argument paths: {str(path)!r} is not an existing .ipynb file")
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        found = problems(nb)
        if not found:
            continue
        dirty.append((path, found))
        if not args.check:
            nbformat.write(strip(nb), path)

    def shown(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

    verb = "carry outputs" if args.check else "were stripped"
    if dirty:
        print(f"{len(dirty)} of {len(paths)} notebook(s) {verb}:")
        for path, found in dirty:
            print(f"  {shown(path)}: {', '.join(found)}")
        if args.check:
            print("Run `make strip` to remove them.")
            return 1
    else:
        print(f"{len(paths)} notebook(s) checked: no outputs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
