"""Every record that crosses a process boundary while grading, with its JSON round trip (one home).

* :class:`Task` — parent -> worker: what to grade and how;
* :class:`KernelSettings` — worker -> grading kernel (``_shim.py`` reads the JSON file; it is
  standalone and does not import this module, so this class is the definition of that file);
* :class:`LogRecord` — grading kernel -> worker: one line of the kernel's log;
* :class:`WorkerOutcome` — worker -> parent: the result file.

>>> task = Task("/course", "ps1", "amara", "sqlite:///seed.db", ["toy"], "/run/work/amara", "/run/box/amara",
...             "/run/work/amara/result.json", {"memory_bytes": 2 ** 31})
>>> Task.from_json(task.to_json()) == task
True
>>> WorkerOutcome.from_json(WorkerOutcome("ok").to_json()).status
'ok'
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

__all__ = ["KernelSettings", "LogRecord", "Task", "WorkerOutcome"]

_R = TypeVar("_R", bound="_Record")


class _Record:
    """JSON round trip for the dataclasses below (unknown keys are refused, missing ones default)."""

    def to_json(self) -> str:
        """The record as JSON text."""
        return json.dumps(asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_json(cls: type[_R], text: str) -> _R:
        """Rebuild a record from :meth:`to_json`; a clear error for anything else."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__} JSON must be an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field(s) {unknown}; its fields are {sorted(known)}")
        return cls(**data)


@dataclass
class Task(_Record):
    """What one worker grades: one student's submission of one assignment."""

    course_root: str
    assignment: str
    student: str
    seed_url: str
    notebooks: list[str]
    work: str
    box: str
    result: str
    limits: dict[str, Any]
    cell_timeout: int | None = None
    local_modules: list[str] = field(default_factory=list)
    read_deny: list[str] = field(default_factory=list)
    write_deny: list[str] = field(default_factory=list)
    source_cells: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    isolation: str | None = None  # an _isolation.Isolation as JSON, or None (no bubblewrap)


@dataclass
class KernelSettings(_Record):
    """The settings file a grading kernel's launcher (``_shim.py``) reads before any student code runs."""

    limits: dict[str, Any]
    log: str
    guard: str
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    read_deny: list[str] = field(default_factory=list)
    write_deny: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    pristine: list[str] = field(default_factory=list)
    block_processes: bool = True
    protected_prefixes: list[str] = field(default_factory=list)
    local_modules: list[str] = field(default_factory=list)
    module_origins: dict[str, str] = field(default_factory=dict)


@dataclass
class LogRecord(_Record):
    """One line of a grading kernel's log (written by ``_shim.py`` and ``_guard.py``)."""

    kind: str
    event: str
    detail: str = ""
    severity: str = "review"


@dataclass
class WorkerOutcome(_Record):
    """A worker's result file: the status, per notebook where its files are, findings and timings."""

    status: str
    reason: str = ""
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    traceback: str = ""
