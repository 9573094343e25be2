"""Reports of a class autograde: per-student results, the summary table and CSV, the resume state."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnel_lib.grading._integrity import IntegrityFinding

__all__ = ["STATUSES", "FAILED", "CSV_FIELDS", "StudentResult", "AutogradeReport"]


STATUSES = ("graded", "needs review", "timed out", "kernel died", "invalid notebook", "missing notebook", "error")


FAILED = frozenset(STATUSES) - {"graded", "needs review"}


CSV_FIELDS = ("student", "status", "score", "max_score", "reason", "seconds")


@dataclass
class StudentResult:
    """How grading one student's submission went.

    >>> StudentResult("bo", "needs review", 3.0, 4.0, "rate_answer: runs code from a string (exec)").row()["status"]
    'needs review'
    """

    student: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reason: str = ""
    seconds: float = 0.0
    findings: list[IntegrityFinding] = field(default_factory=list)
    skipped: bool = False
    fingerprint: str = ""

    @property
    def ok(self) -> bool:
        """True when the submission was graded with nothing to review."""
        return self.status == "graded"

    def row(self) -> dict[str, Any]:
        """The summary CSV row."""
        return {
            "student": self.student, "status": self.status,
            "score": "" if self.score is None else f"{self.score:g}",  # after nbgrader's late penalty
            "max_score": "" if self.max_score is None else f"{self.max_score:g}",
            "reason": self.reason, "seconds": f"{self.seconds:.1f}",
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly record (the resume state)."""
        return {"student": self.student, "status": self.status, "score": self.score, "max_score": self.max_score,
                "reason": self.reason, "seconds": round(self.seconds, 2), "fingerprint": self.fingerprint,
                "findings": [f.to_dict() for f in self.findings]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudentResult:
        """Rebuild a record saved by :meth:`to_dict`."""
        return cls(student=data["student"], status=data["status"], score=data.get("score"),
                   max_score=data.get("max_score"), reason=data.get("reason", ""), seconds=data.get("seconds", 0.0),
                   findings=[IntegrityFinding(**f) for f in data.get("findings", [])],
                   fingerprint=data.get("fingerprint", ""))


@dataclass
class AutogradeReport:
    """The outcome of :func:`autograde` for a class.

    >>> report = AutogradeReport("ps1", [StudentResult("amara", "graded", 3.0, 4.0)], None, None, 1.5)
    >>> report.ok, report.counts()
    (True, {'graded': 1})
    >>> print(report.table())
    student  status  score  max  reason
    amara    graded  3      4
    1 students: 1 graded
    """

    assignment: str
    results: list[StudentResult]
    csv_path: Path | None
    state_path: Path | None
    seconds: float
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """True when every student was graded with nothing to review."""
        return not self.interrupted and all(r.ok for r in self.results)

    def counts(self) -> dict[str, int]:
        """How many students have each status."""
        found: dict[str, int] = {}
        for result in self.results:
            found[result.status] = found.get(result.status, 0) + 1
        return found

    def table(self) -> str:
        """A plain-text summary table."""
        rows = [r.row() for r in self.results]
        headers = {"student": "student", "status": "status", "score": "score", "max_score": "max", "reason": "reason"}
        widths = {key: max([len(headers[key])] + [len(str(row[key])) for row in rows])
                  for key in ("student", "status", "score", "max_score")}
        lines = ["  ".join(headers[k].ljust(widths[k]) for k in widths) + "  reason"]
        for row, result in zip(rows, self.results, strict=True):  # one row per result
            reason = row["reason"] + (" (skipped: graded before)" if result.skipped else "")
            if len(reason) > 120:
                reason = reason[:117] + "..."
            lines.append("  ".join(str(row[k]).ljust(widths[k]) for k in widths) + "  " + reason)
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts().items()))
        lines.append(f"{len(self.results)} students: {counts}" + (" (interrupted)" if self.interrupted else ""))
        return "\n".join(lines)


def _unique(findings: list[IntegrityFinding]) -> list[IntegrityFinding]:
    out: list[IntegrityFinding] = []
    for finding in findings:
        if finding not in out:
            out.append(finding)
    return out


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return dict(data.get("students", {}))
    except (OSError, json.JSONDecodeError, AttributeError):
        return {}


def _save_state(path: Path, assignment: str, state: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = json.dumps({"assignment": assignment, "students": state}, indent=1, sort_keys=True)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_csv(path: Path, results: list[StudentResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.row())
    os.replace(tmp, path)
