"""The rule for tests that need something outside the repository: on a learner's or developer's machine
a clear skip, in CI (``CI=true``) a failure, so that nothing is skipped silently there.

Test modules import it after putting this folder on ``sys.path`` (as they do for ``grading_fixtures``);
``conftest.py`` uses it too.

>>> in_ci() == (os.environ.get("CI") == "true")
True
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

__all__ = ["import_or_skip", "in_ci", "skip_or_fail_in_ci"]


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``), where everything the tests need is installed."""
    return os.environ.get("CI") == "true"


def skip_or_fail_in_ci(reason: str, why_ci_has_it: str) -> NoReturn:
    """Skip the test (or the module, at import) with ``reason``, except in CI: fail there."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: {why_ci_has_it})", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def import_or_skip(name: str, reason: str, why_ci_has_it: str) -> ModuleType:
    """The module ``name``; when it cannot be imported, :func:`skip_or_fail_in_ci`."""
    try:
        return importlib.import_module(name)
    except ImportError:
        skip_or_fail_in_ci(reason, why_ci_has_it)
