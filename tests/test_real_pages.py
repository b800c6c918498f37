"""The conformance suite of real pages (issue 32): saved live blogs and feeds of real
outlets, from the test data of public web-extraction and feed libraries.

tests/data/pages/expected.json lists each page with the counts written down by hand from
the page (updates, distinct times, updates with a headline of their own) and its sha256;
tests/data/pages/SOURCES.md says where each comes from (repository, path, commit, licence)
and what it exercises. The pages themselves are third-party files, so this repository
does not carry them: they are read, gzipped or not, from the folder named by
$STORYTHREADS_PAGES, else ../shared/pages beside the checkout, else tests/data/pages; a
page that is not there is skipped, saying where it was looked for.

Per page, as the issue asks: it reads with no error; at least 90 % of its updates come out
as posts, with 90 % of its distinct times; no post carries the page's headline unless the
update has none; no HTML entity is left in any text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import lxml.html
import pytest

from storythreads.analysis.ingest import read_posts
from storythreads.analysis.ingest.cleaning import clean_line

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "tests" / "data" / "pages"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
SHARE = 0.9
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def _folders() -> list[Path]:
    given = os.environ.get("STORYTHREADS_PAGES")
    return [Path(given)] if given else [ROOT.parent / "shared" / "pages", HERE]


def _page_bytes(name: str) -> bytes | None:
    """The page's bytes, from the first folder that has it (gzipped or not)."""
    for folder in _folders():
        for candidate, opener in ((folder / name, gzip.decompress),
                                  (folder / name.removesuffix(".gz"), bytes)):  # fmt: skip
            if candidate.is_file():
                return opener(candidate.read_bytes())
    return None


@pytest.fixture(params=EXPECTED, ids=[e["file"].removesuffix(".gz") for e in EXPECTED])
def page(request, tmp_path) -> tuple[dict, Path]:
    entry = request.param
    data = _page_bytes(entry["file"])
    if data is None:
        where = " or ".join(str(f) for f in _folders())
        pytest.skip(f"{entry['file']} is not in {where} (see tests/data/pages/SOURCES.md)")
    assert hashlib.sha256(data).hexdigest() == entry["sha256"], "not the page that was counted"
    path = tmp_path / entry["file"].removesuffix(".gz")
    path.write_bytes(data)
    return entry, path


def test_every_update_with_its_own_time_and_headline(page):
    entry, path = page
    result = read_posts([path])
    posts = result.posts
    assert len(posts) >= SHARE * entry["updates"], [str(p) for p in result.problems]
    times = {p.published for p in posts if p.published is not None}
    assert len(times) >= SHARE * entry["distinct_times"]
    titled = [p for p in posts if p.title]
    assert len(titled) <= len(posts)
    if entry["headlines_as_headings"]:
        assert len(titled) >= SHARE * entry["headlines"]
    if entry["kind"] == "liveblog":
        page_headlines = _page_headlines(path)
        assert not [p.title for p in titled if clean_line(p.title).casefold() in page_headlines]
    for post in posts:
        for text in (post.title, post.body, post.byline or "", *post.captions):
            assert not _ENTITY.search(text), (post.id, text[:200])


def _page_headlines(path: Path) -> set[str]:
    tree = lxml.html.document_fromstring(path.read_bytes())
    found = {clean_line(node.text_content()) for node in tree.iter("title", "h1")}
    found |= {clean_line(m.get("content") or "") for m in tree.iter("meta")
              if (m.get("property") or m.get("name")) in ("og:title", "twitter:title")}  # fmt: skip
    return {h.casefold() for h in found if h}


def test_the_suite_covers_outlets_languages_and_feeds():
    blogs = [e for e in EXPECTED if e["kind"] == "liveblog"]
    feeds = [e for e in EXPECTED if e["kind"] == "feed"]
    assert len(blogs) >= 20 and len({e["outlet"] for e in blogs}) >= 8
    assert len({e["language"] for e in blogs}) >= 3
    assert len(feeds) >= 4
    assert {e["markup"] for e in blogs} >= {"json-ld", "microdata", "none"}
    sources = (HERE / "SOURCES.md").read_text(encoding="utf-8")
    assert all(e["file"].removesuffix(".gz") in sources for e in EXPECTED)
