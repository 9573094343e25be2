"""The glossary lists every checker rule code, and every lesson that names a code links to it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from funnel_lib.framework import RULES

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "notebooks" / "glossary.md"
CODE = re.compile(r"\bMC\d{3}\b")


def glossary_rows() -> dict[str, list[str]]:
    rows = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and CODE.fullmatch(cells[0]):
            rows[cells[0]] = cells
    return rows


def test_every_rule_in_the_code_has_one_glossary_line_with_its_severity_and_principle() -> None:
    rows = glossary_rows()
    assert set(rows) == set(RULES), f"missing: {sorted(set(RULES) - set(rows))}, stale: {sorted(set(rows) - set(RULES))}"
    for code, rule in RULES.items():
        _, severity, principle, meaning = rows[code]
        assert (severity, principle) == (rule.severity, rule.principle), code
        assert len(meaning.split()) >= 5, code


def test_every_lesson_that_names_a_rule_code_links_to_the_glossary() -> None:
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells)
        if CODE.search(text):
            assert "](glossary.md)" in text, f"{path.name} names a rule code but does not link to glossary.md"


def test_the_glossary_links_point_at_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", GLOSSARY.read_text(encoding="utf-8")):
        assert (GLOSSARY.parent / target).exists(), target
