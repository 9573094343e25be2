"""Feedback that never shows the hidden tests: nbgrader's feedback with the hidden part of each test removed.

nbgrader's ``GenerateFeedback`` renders the autograded notebook, in which the hidden tests are
back in place — so the feedback HTML would show them verbatim, and the traceback of a failed hidden
assertion quotes the line that holds the expected answer. ``HideHiddenTests`` (configured in
``nbgrader_config.py`` as a feedback preprocessor, and always used by ``funnel grade``) replaces the
hidden region of every test cell with one comment line, and reduces the error of a test cell that
had hidden tests to its message (``AssertionError: …``): the test's message says what to change,
the traceback is not shown.

>>> from nbformat.v4 import new_code_cell, new_output
>>> cell = new_code_cell("assert x\\n### BEGIN HIDDEN TESTS\\nassert x == 4\\n### END HIDDEN TESTS")
>>> cell.outputs = [new_output("error", ename="AssertionError", evalue="x is not a step position",
...                            traceback=["...", "assert x == 4", "AssertionError: x is not a step position"])]
>>> print(hide_hidden_tests(cell).source)
assert x
# (hidden tests: not shown)
>>> hide_hidden_tests(cell).outputs[0]["traceback"]
['AssertionError: x is not a step position']

``FeedbackExporter`` is the HTML exporter ``funnel grade`` renders feedback with: nbconvert's, with
the compiled feedback templates kept (see :func:`template_cache`), so that a page after the first
skips compiling them.
"""

from __future__ import annotations

import os
import re
from typing import Any

from jinja2 import BytecodeCache, FileSystemBytecodeCache
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

__all__ = ["FeedbackExporter", "HIDDEN_NOTE", "HideHiddenTests", "hide_hidden_tests", "template_cache"]

HIDDEN_NOTE = "# (hidden tests: not shown)"
_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*$", re.S | re.M)


def hide_hidden_tests(cell: Any, begin: str = "### BEGIN HIDDEN TESTS", end: str = "### END HIDDEN TESTS") -> Any:
    """Remove the hidden tests (and their traceback lines) from one cell, in place; return the cell."""
    source = cell.get("source", "")
    if cell.get("cell_type") != "code" or begin not in source:
        return cell
    pattern = _REGION if (begin, end) == ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS") else re.compile(
        rf"^[ \t]*{re.escape(begin)}.*?^[ \t]*{re.escape(end)}[^\n]*$", re.S | re.M)
    cell.source = pattern.sub(HIDDEN_NOTE, source)
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
            output["traceback"] = [message]
    return cell


class HideHiddenTests(Preprocessor):
    """A feedback preprocessor: hidden tests and their tracebacks never reach the feedback HTML."""

    enabled = Bool(True, help="hide the hidden tests (on unless a course turns it off)").tag(config=True)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        """Hide the hidden region of one cell."""
        return hide_hidden_tests(cell), resources


_TEMPLATE_CACHE: list[Any] = []


def template_cache() -> BytecodeCache:
    """Jinja's cache of compiled templates for feedback pages: a folder of this user's, else this process's memory.

    The folder is ``templates`` beside ``funnel grade``'s prepared exercises (``~/.cache/funnel_lib/grade``),
    private to the user (0700). Jinja keys each entry by the template's name and a checksum of its source,
    so an edited template is compiled again. Compiling the feedback templates takes longer than rendering
    a page with them.

    >>> template_cache() is template_cache()
    True
    """
    if not _TEMPLATE_CACHE:
        from funnel_lib.grading._selfgrade import _cache_dir

        folder = _cache_dir("templates")
        cache: BytecodeCache
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if folder.is_symlink() or folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o022:
                raise OSError(f"{folder} is not a private folder of this user")
            cache = FileSystemBytecodeCache(str(folder))
        except OSError:
            cache = _MemoryBytecodeCache()
        _TEMPLATE_CACHE.append(cache)
    return _TEMPLATE_CACHE[0]


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in this process (when no private cache folder can be made)."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter whose templates, once compiled, are reused (:func:`template_cache`).

    >>> FeedbackExporter(template_name="lab").environment.bytecode_cache is template_cache()
    True
    """

    def _create_environment(self) -> Any:
        environment = super()._create_environment()
        environment.bytecode_cache = template_cache()
        return environment
