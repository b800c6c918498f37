"""Post text is hostile: markup and links in titles, bodies, bylines, ids and URLs come out
of report.html and report.md as visible text, never as markup.

Rendered once through the CLI (FakeEmbedder); the HTML is parsed with the standard
library's parser, so "no onerror attribute" means no tag has one, whatever the spelling.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder

from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[click](javascript:alert(1))"
IMAGE = "![x](http://evil/x.png)"
TABLE = "| table | break |"
HOSTILE_ID = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
SNEAKY_URL = 'https://example.com/a"onmouseover="alert(1)'

POSTS = [
    {
        "id": "evil-1",
        "published": "2023-07-09T01:00:00Z",
        "source": SCRIPT,
        "url": "javascript:alert(1)",
        "title": f"{SCRIPT} Harbour fire {IMG}",
        "byline": f"{JS_LINK} {IMAGE} {SCRIPT}",
        "text": "\n".join(
            [
                "# Injected heading about the Port Elsmere harbour fire tonight",
                f"Firefighters at the Port Elsmere harbour say {SCRIPT} the warehouse fire grew.",
                f"{TABLE} the harbour fire in Port Elsmere is still burning tonight |",
                f"Residents near the harbour were told {JS_LINK} to close their windows now.",
                f"A photo of the harbour fire {IMAGE} shows the warehouse roof in flames.",
                f"A witness wrote {IMG} about the Port Elsmere harbour warehouse fire.",
            ]
        ),
    },
    {
        "id": "evil-2",
        "published": "2023-07-09T02:00:00Z",
        "url": SNEAKY_URL,
        "title": f"</title>{SCRIPT} {TABLE} Port Elsmere harbour fire update",
        "byline": "# Heading byline",
        "text": "Firefighters at the Port Elsmere harbour contained the warehouse fire, officials say.",
    },
    {
        "id": HOSTILE_ID,
        "published": "2023-07-09T03:00:00Z",
        "title": f"{IMAGE} Port Elsmere harbour fire out",
        "byline": IMG,
        "text": "The warehouse fire at the Port Elsmere harbour is out, firefighters say tonight.",
    },
]

# Every tag and attribute the templates write; post text must add none.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "nav",
    "ol", "ul", "li", "a", "span", "main", "section", "strong", "time", "details", "summary",
    "div", "input", "figure", "figcaption", "script",
    "svg", "rect",  # the cards' sparklines: numbers only
}  # fmt: skip
TEMPLATE_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "id", "class", "href"}
TEMPLATE_ATTRIBUTES |= {"rel", "style", "type", "placeholder", "aria-label", "src"}
TEMPLATE_ATTRIBUTES |= {
    "viewbox",
    "preserveaspectratio",
    "aria-hidden",
    "x",
    "y",
    "width",
    "height",
}
TEMPLATE_DATA_ATTRIBUTES = "data-"  # the page script finds figures and threads by data-*


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.data.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("untrusted")
    data = work / "posts.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in POSTS), encoding="utf-8")
    out = work / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli.engines, "embedder", lambda settings: CachedEmbedder(FakeEmbedder()))
        result = CliRunner().invoke(cli.main, ["run", str(data), "--out", str(out), "--no-store"])
    assert result.exit_code == 0, result.output
    found = {
        fmt: (out / f"report.{fmt}").read_text(encoding="utf-8") for fmt in ("html", "md", "json")
    }
    pages = sorted((out / "archive").rglob("*.html"))
    found["archive"] = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    return found


# -- HTML ----------------------------------------------------------------------------------


def test_html_has_the_strict_csp_and_only_the_templates_scripts(rendered):
    """The interactive page has scripts (plotly, the page script, figure data as JSON), all
    the template's own: inline only, no eval, no source from anywhere, no post text in code."""
    html = rendered["html"]
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert csp, "no Content-Security-Policy meta tag"
    assert "default-src 'none'" in csp[1]
    assert "unsafe-eval" not in csp[1] and "http" not in csp[1]
    # the one script from a file is plotly.js in the report's own assets/ folder
    sources = re.findall(r"<script[^>]+src=\"([^\"]*)\"", html, re.IGNORECASE)
    assert len(sources) == 1 and re.fullmatch(r"assets/plotly-[0-9.]+\.min\.js", sources[0])
    assert "<script>alert" not in html.lower()
    code = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert code and not any("alert(1)" in block for block in code)


def test_archive_pages_run_no_script_and_link_only_http_and_each_other(rendered):
    """The archive's thread pages (issue 26) show the same hostile text, escaped: no
    script at all, no event handler, and links only to http(s) or to archive pages."""
    pages = rendered["archive"]
    assert "Harbour" in pages or "harbour" in pages.lower()
    assert "<script" not in pages.lower()
    assert "script-src" not in pages  # default-src 'none' covers scripts
    parser = Tags()
    parser.feed(pages)
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("https://example.com/") or re.fullmatch(
                r"(\.\./)*[a-z0-9/-]+\.html", href
            ), href


def test_html_tags_and_attributes_are_only_the_templates(rendered):
    parser = Tags()
    parser.feed(rendered["html"])
    tags = {tag for tag, _ in parser.tags}
    assert tags <= TEMPLATE_TAGS, tags - TEMPLATE_TAGS
    for tag, attrs in parser.tags:
        own = {a for a in attrs if not a.startswith(TEMPLATE_DATA_ATTRIBUTES)}
        assert own <= TEMPLATE_ATTRIBUTES, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "https://example.com/")), href
    # markup outside the template's scripts (plotly.js itself mentions onerror in its code)
    markup = re.sub(
        r"<script\b[^>]*>.*?</script>", "", rendered["html"], flags=re.DOTALL | re.IGNORECASE
    )
    assert not re.search(r"<[^>]*onerror=", markup, re.IGNORECASE)
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", markup, re.IGNORECASE)
    # the sneaky URL is still a link, with its quotes percent-encoded
    hrefs = [a.get("href") for tag, a in parser.tags if tag == "a"]
    assert "https://example.com/a%22onmouseover=%22alert%281%29" in hrefs


def test_html_shows_the_hostile_text_escaped(rendered):
    html = rendered["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/title&gt;" in html
    parser = Tags()
    parser.feed(html)
    text = " ".join(parser.data)
    # as a reader sees it: the literal text of the posts
    assert f"{SCRIPT} Harbour fire {IMG}" in text
    assert f"{JS_LINK} {IMAGE} {SCRIPT}" in text


# -- Markdown ------------------------------------------------------------------------------

TEMPLATE_HEADINGS = {"# Story threads", "## What changed", "## Key points", "## Unthreaded posts",
                     "## Skipped records", "### Summary", "### Timeline", "### Related threads"}  # fmt: skip


def test_markdown_has_no_live_html(rendered):
    md = rendered["md"]
    anchors = re.compile(r'<a id="(?:post|thread)-[A-Za-z0-9.-]+"></a>')
    assert len(anchors.findall(md)) == len(POSTS) + 1  # the template's own anchors
    rest = anchors.sub("", md)
    assert not re.search(r"(?<!\\)<", rest), re.findall(r"(?<!\\)<.{0,30}", rest)
    assert not re.search(r"(?<!\\)>", rest), re.findall(r".{0,30}(?<!\\)>", rest)
    assert r"\<script\>alert(1)\</script\>" in md
    assert r"\<img src=x onerror=alert(1)\>" in md


def test_markdown_has_no_live_links_or_images(rendered):
    md = rendered["md"]
    assert "[click](javascript:" not in md
    assert r"\[click\](javascript:alert(1))" in md
    assert "![x](" not in md
    assert r"!\[x\](http://evil/x.png)" in md
    targets = re.findall(r"(?<!\\)\]\(([^)\s]*)\)", md)
    assert targets
    for target in targets:
        assert target.startswith(("#", "https://example.com/")), target
    assert "javascript:alert(1))" not in [t + ")" for t in targets]


def test_markdown_structure_is_only_the_templates(rendered):
    md = rendered["md"]
    labels = {t["label"] for t in json.loads(rendered["json"])["threads"]}
    for line in md.splitlines():
        assert not line.startswith("|"), line  # no table from post text
        if line.startswith("#"):
            assert line in TEMPLATE_HEADINGS or line.removeprefix("## ") in {
                re.sub(r"([\\`*_\[\]<>#|~&])", r"\\\1", label) for label in labels
            }, line
    assert r"\| table \| break \|" in md
    assert r"\# Heading byline" in md


def test_json_keeps_the_text_as_written(rendered):
    report = json.loads(rendered["json"])
    posts = {p["id"]: p for p in report["posts"]}
    assert posts["evil-1"]["title"] == POSTS[0]["title"]
    assert posts["evil-1"]["byline"] == POSTS[0]["byline"]
    assert posts["evil-1"]["url"] == "javascript:alert(1)"  # data; never made a link
    assert HOSTILE_ID in posts
