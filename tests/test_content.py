"""Course content: the article's own sentences never appear, links resolve, the coverage map holds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "seed/micro-commitment-funnel-article.txt"  # in ../shared: the `shared_file` fixture (tests/conftest.py)
RUN = 10  # words in a row that count as a copied sentence


def tracked_text_files() -> list[Path]:
    skip = {".venv", ".git", "node_modules", "build", "dist", "autograded", "submitted", "feedback"}
    files = []
    for path in ROOT.rglob("*"):
        if path.is_file() and path.suffix in {".ipynb", ".md", ".py", ".txt", ".html"} \
                and not skip.intersection(path.relative_to(ROOT).parts) and ".egg-info" not in str(path):
            files.append(path)
    return files


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower().replace("’", "'"))


def notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"])


def text_of(path: Path) -> str:
    return notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8", errors="replace")


def test_no_run_of_ten_words_from_the_article(shared_file: Callable[[str], Path]) -> None:
    """Skipped without ../shared on a developer's machine; a failure in CI, which lays shared/ beside its clone."""
    article_words = words(shared_file(ARTICLE).read_text(encoding="utf-8"))
    assert len(article_words) >= 50 * RUN, f"the article has only {len(article_words)} words: truncated?"
    shingles = {tuple(article_words[i:i + RUN]) for i in range(len(article_words) - RUN + 1)}
    copied = []
    for path in tracked_text_files():
        w = words(text_of(path))
        for i in range(len(w) - RUN + 1):
            if tuple(w[i:i + RUN]) in shingles:
                copied.append(f"{path.relative_to(ROOT)}: {' '.join(w[i:i + RUN])}")
                break
    assert copied == []


LINK = re.compile(r"\]\(([^)\s]+)\)")


def local_links(path: Path) -> list[str]:
    found = []
    for target in LINK.findall(text_of(path)):
        parsed = urlparse(target)
        if parsed.scheme or target.startswith("#") or target.startswith("mailto:"):
            continue
        found.append(unquote(parsed.path))
    return found


DOCS = [p for p in tracked_text_files() if p.suffix in {".ipynb", ".md"}]


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_internal_links_resolve(path: Path) -> None:
    broken = [t for t in local_links(path) if not (path.parent / t).exists()]
    assert broken == [], f"{path.relative_to(ROOT)} links to missing files: {broken}"


STOP = {"what", "is", "a", "are", "how", "do", "i", "in", "if", "this", "to", "for", "the", "does", "can", "all",
        "should", "have", "many", "it", "than", "better", "work", "use", "too"}


def coverage_rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    section = text.split("## What the course covers, and where", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2].isdigit():
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_coverage_map_names_existing_lessons() -> None:
    rows = coverage_rows()
    lessons = {p.name[:2]: p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    missing = [(topic, number) for topic, _kind, number in rows if number not in lessons]
    assert missing == []
    kinds = [kind for _topic, kind, _number in rows]
    assert kinds.count("step") == 8 and kinds.count("stage") == 5 and kinds.count("mistake") == 5
    assert kinds.count("faq") == 8 and kinds.count("psychology") == 1
    topics = " ".join(topic for topic, _kind, _number in rows).lower()
    assert "compounding" in topics and "long-term" in topics


def test_coverage_map_faq_matches_the_article(shared_file: Callable[[str], Path]) -> None:
    text = shared_file(ARTICLE).read_text(encoding="utf-8")
    assert "Frequently Asked Questions" in text, "the article has no FAQ section any more"
    faq = text.split("Frequently Asked Questions", 1)[1]
    questions = [line.strip() for line in faq.splitlines() if line.strip().endswith("?")]
    mapped = [set(words(topic.removeprefix("FAQ: "))) - STOP for topic, kind, _n in coverage_rows() if kind == "faq"]
    assert len(questions) == len(mapped) == 8
    for question in questions:
        key = set(words(question)) - STOP
        assert any(len(key & row) >= min(2, len(key)) for row in mapped), f"FAQ not in the map: {question}"


def test_lessons_are_covered_topics_are_taught_there() -> None:
    """Every lesson the map names mentions its topic's key word (a cheap guard against a stale map)."""
    lessons = {p.name[:2]: p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for topic, kind, number in coverage_rows():
        if kind != "stage" or number not in lessons:
            continue
        stage = topic.removeprefix("Stage: ").lower()
        assert stage in text_of(lessons[number]).lower(), f"lesson {number} never mentions the stage {stage!r}"


def _markdown(path: Path) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(path.read_text("utf-8"))["cells"]
            if cell["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[1:], ids=lambda p: p.name)
def test_every_lesson_ends_with_a_your_funnel_prompt(path: Path) -> None:
    headed = [text for text in _markdown(path) if re.search(r"^#+ .*\byour funnel\b", text, re.I | re.M)]
    assert headed, f"{path.name} has no 'Your funnel' prompt applying the idea to the learner's own product"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(ROOT.glob("*/ex*/*.ipynb")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_image_has_alt_text(path: Path) -> None:
    for text in _markdown(path):
        for alt in re.findall(r"!\[([^\]]*)\]\(", text):
            assert alt.strip(), f"{path.name}: a markdown image without alt text"
        for tag in re.findall(r"<img\b[^>]*>", text, re.I):
            assert re.search(r"\balt\s*=\s*['\"][^'\"]+['\"]", tag), f"{path.name}: {tag} has no alt text"
