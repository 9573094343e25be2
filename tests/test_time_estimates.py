"""Time estimates: every lesson and exercise records its minutes, and the start page adds them up.

Each lesson notebook (``notebooks/NN_*.ipynb``) and each exercise notebook (both the released copy in
``exercises/`` and the instructor source in ``solutions/``) carries ``{"small_yeses": {"minutes": N}}``
in its notebook-level metadata. The start page computes its total from those numbers in the cell
tagged ``time-estimate``; these tests run that cell and check that the total it displays is the sum,
and that the start page names one workshop length.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "notebooks" / "00_start_here.ipynb"
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RELEASED = sorted((ROOT / "exercises").glob("ex[0-9][0-9]_*/ex[0-9][0-9]_*.ipynb"))
SOURCES = sorted((ROOT / "solutions").glob("ex[0-9][0-9]_*/ex[0-9][0-9]_*.ipynb"))
WORKSHOP_MINUTES = 60
TAG = "time-estimate"


def minutes(path: Path) -> object:
    return nbformat.read(path, as_version=4).metadata.get("small_yeses", {}).get("minutes")


def test_the_course_has_its_lessons_and_exercises() -> None:
    numbers = {int(p.name[:2]) for p in LESSONS}
    assert set(range(0, 17)) <= numbers, f"lessons 00-16 expected, found {sorted(numbers)}"
    assert len(RELEASED) >= 9 and [p.name for p in RELEASED] == [p.name for p in SOURCES]


@pytest.mark.parametrize("path", LESSONS + RELEASED + SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_lesson_and_exercise_carries_an_estimate(path: Path) -> None:
    value = minutes(path)
    assert isinstance(value, int) and not isinstance(value, bool), (
        f'{path.name}: notebook metadata needs "small_yeses": {{"minutes": N}} with N a whole number, got {value!r}')
    assert 5 <= value <= 240, f"{path.name}: {value} minutes is not a realistic estimate for one notebook"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_released_exercise_keeps_the_source_estimate(source: Path) -> None:
    released = ROOT / "exercises" / source.parent.name / source.name
    assert minutes(released) == minutes(source), f"{source.name}: regenerate exercises/ from solutions/"


@pytest.mark.parametrize("path", LESSONS + RELEASED, ids=lambda p: p.name)
def test_a_typed_duration_in_the_heading_matches_the_metadata(path: Path) -> None:
    """Where a notebook's first cells say "About N minutes", N is its recorded estimate."""
    value = minutes(path)
    head = " ".join(c.source for c in nbformat.read(path, as_version=4).cells[:2] if c.cell_type == "markdown")
    typed = [int(n) for n in re.findall(r"\babout (\d+) minutes\b", head, flags=re.IGNORECASE)]
    if value is None or not typed:
        pytest.skip("no estimate or no typed duration to compare")
    assert typed == [value], f"{path.name}: the heading says {typed} minutes, the metadata {value}"


def displayed_total() -> tuple[int, str]:
    nb = nbformat.read(START, as_version=4)
    tagged = [c for c in nb.cells if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"the start page needs exactly one code cell tagged {TAG!r}, found {len(tagged)}"
    namespace: dict[str, object] = {"__name__": "__start_page__"}
    here = os.getcwd()
    os.chdir(START.parent)
    try:
        exec(compile(tagged[0].source, f"{START.name}[{TAG}]", "exec"), namespace)
    finally:
        os.chdir(here)
    text = namespace["summary"].data  # type: ignore[attr-defined]
    found = re.search(r"In all: (\d+) minutes", text)
    assert found, f"the start page's summary does not state its total: {text!r}"
    return int(found.group(1)), text


def test_the_start_page_displays_the_sum_of_the_estimates() -> None:
    total, text = displayed_total()
    expected = sum(m for m in map(minutes, LESSONS + RELEASED) if isinstance(m, int) and not isinstance(m, bool))
    assert total == expected, f"the start page says {total} minutes, the notebooks add up to {expected}"
    missing = [p.stem for p in LESSONS + RELEASED if not isinstance(minutes(p), int)]
    for stem in missing:
        assert stem in text, f"{stem} has no estimate, and the start page does not say so"


def test_the_start_page_types_no_total_of_its_own() -> None:
    prose = " ".join(c.source for c in nbformat.read(START, as_version=4).cells if c.cell_type == "markdown")
    assert not re.search(r"\babout \d+(\.\d+)? hours\b", prose, flags=re.IGNORECASE), "compute the total, do not type it"


def test_the_start_page_names_one_workshop_length() -> None:
    prose = " ".join(c.source for c in nbformat.read(START, as_version=4).cells if c.cell_type == "markdown")
    lengths = {int(n) for n in re.findall(r"(\d+)[- ]minute workshop", prose, flags=re.IGNORECASE)}
    assert lengths == {WORKSHOP_MINUTES}, f"the start page names workshop lengths {sorted(lengths)}"
    agenda_end = max(int(n) for n in re.findall(r"^\| *\d+-(\d+) *\|", prose, flags=re.MULTILINE))
    assert agenda_end == WORKSHOP_MINUTES, f"the workshop agenda runs to {agenda_end} minutes"
