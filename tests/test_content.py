"""Course content: the article's own sentences never appear, links resolve, the coverage map holds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT.parent / "shared" / "seed" / "micro-commitment-funnel-article.txt"
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


@pytest.mark.skipif(not ARTICLE.exists(), reason="the source article is not beside the project (../shared/seed)")
def test_no_run_of_ten_words_from_the_article() -> None:
    article_words = words(ARTICLE.read_text(encoding="utf-8"))
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
