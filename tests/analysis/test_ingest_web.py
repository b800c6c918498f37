"""Ingest from the web: saved live-blog and article pages, RSS/Atom feeds, outlet names.

The fixtures in tests/data/html are invented pages in the shapes real outlets use.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storythreads.analysis.ingest import FORMATS, read_posts, sniff_format
from storythreads.analysis.ingest.common import make_id
from storythreads.analysis.ingest.outlets import outlet_from_url
from storythreads.analysis.ingest.web.markup import html_to_text
from storythreads.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "html"
CNN_PAGE = "https://edition.cnn.com/us/live-news/marlow-creek-flooding-07-08-23/index.html"
GUARDIAN_PAGE = "https://www.theguardian.com/world/live/2023/jul/08/heatwave-southern-europe-live"


def utc(hour: int, minute: int, day: int = 8, second: int = 0) -> datetime:
    return datetime(2023, 7, day, hour, minute, second, tzinfo=UTC)


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def live_page(*updates, extra: str = "") -> str:
    """A page with one LiveBlogPosting whose updates are the given objects."""
    blog = {"@type": "LiveBlogPosting", "liveBlogUpdate": list(updates)}
    return (
        "<!doctype html>\n<html><head>\n"
        '<link rel="canonical" href="https://www.bbc.co.uk/news/live/world-1">\n'
        f"{extra}"
        f'<script type="application/ld+json">{json.dumps(blog)}</script>\n'
        "</head><body></body></html>\n"
    )


# --- JSON-LD live blogs ---------------------------------------------------------------


def test_cnn_style_page_gives_one_post_per_update():
    result = read_posts([DATA / "cnn-style-liveblog.html"])
    assert result.problems == ()
    posts = {p.published: p for p in result.posts}
    assert len(result.posts) == 4  # the post markup on the same page adds nothing
    first = posts[utc(17, 30)]  # 13:30-04:00
    assert first.title == "Floodwaters rise in Marlow Creek as rain keeps falling"
    assert first.byline == "Dana Whitfield, Omar Reyes"
    assert first.body.split("\n\n") == [
        "The Marlow River rose another two feet overnight, the county emergency office said.",
        "About 400 homes near the east bank were told to leave before noon.",
    ]
    assert first.id == first.url == CNN_PAGE + "#h_a1"
    assert {p.source for p in result.posts} == {"CNN"}
    strike = posts[utc(15, 15)]
    assert strike.byline == "Marcus Bell"
    assert strike.body.split("\n\n")[1:] == [
        "• No container ships will be unloaded this week.",
        "• Talks resume on Monday.",
    ]
    shelters = posts[utc(13, 40)]  # an @id and no url: the page address + "#" + @id
    assert shelters.id == shelters.url == CNN_PAGE + "#h_d4"
    assert shelters.body == (
        "Red Cross volunteers opened shelters in three school gyms.\n\n"
        "Cots and meals are available for 600 people."
    )


def test_script_tag_in_a_headline_is_kept_as_text():
    posts = {p.published: p for p in read_posts([DATA / "cnn-style-liveblog.html"]).posts}
    title = posts[utc(16, 5)].title
    assert title == "Residents get fake relief emails with <script>alert(1)</script> in the subject"


def test_guardian_style_graph_with_single_author_objects():
    result = read_posts([DATA / "guardian-style-liveblog.html"])
    assert result.problems == ()
    assert [p.published for p in result.posts] == [utc(14, 15), utc(15, 40), utc(17, 2, second=11)]
    wildfire, summary, acropolis = result.posts
    assert acropolis.title == "Athens closes the Acropolis in the afternoons"
    assert acropolis.byline == "Helen Ashby" and wildfire.byline == "Tomás Ibarra"
    assert acropolis.id == acropolis.url == GUARDIAN_PAGE + "#block-64a9e1"
    assert len(acropolis.body.split("\n\n")) == 2
    assert summary.title == "" and summary.body.startswith("A quick summary")  # no headline
    assert "Valdera & Montefino" in wildfire.body  # entities decoded
    assert {p.source for p in result.posts} == {"The Guardian"}  # from og:url, not site_name


def test_update_problems_are_reported_and_the_rest_kept(tmp_path):
    text = live_page(
        {"@id": "a", "headline": "Good", "datePublished": "2023-07-08T12:00:00Z"},
        {"@id": "b", "datePublished": "2023-07-08T12:05:00Z"},  # neither headline nor body
        {"@id": "c", "headline": "Undated", "datePublished": "the morning after"},
        "not an object",
        extra='<script type="application/ld+json">{"broken": </script>\n',
    )
    result = read_posts([write(tmp_path, "page.html", text)])
    assert [(p.title, p.published) for p in result.posts] == [
        ("Good", utc(12, 0)),
        ("Undated", None),
    ]
    assert {p.source for p in result.posts} == {"BBC"}
    lines = [(p.line, p.message.split(" ")[0]) for p in result.problems]
    assert lines == [(4, "JSON-LD"), (5, "record"), (5, "unparseable"), (5, "a")]


def test_update_without_any_id_gets_a_content_id(tmp_path):
    text = live_page({"headline": "No id", "articleBody": "<p>x</p>", "author": "Ann Lee"})
    (post,) = read_posts([write(tmp_path, "page.html", text)]).posts
    assert post.id == make_id("BBC", None, "No id", "x")
    assert post.url == "https://www.bbc.co.uk/news/live/world-1" and post.byline == "Ann Lee"


# --- markup and articles --------------------------------------------------------------


def test_markup_only_live_blog_falls_back_to_post_elements():
    result = read_posts([DATA / "markup-only-liveblog.html"])
    assert result.problems == ()
    titles = [(p.published, p.title, p.byline) for p in result.posts]
    assert titles == [
        (utc(15, 0), "Storm Imke makes landfall", None),
        (utc(17, 20), "Route 9 closed between Harwick and Dunmore", "Sam Ortiz"),
        (utc(18, 45), "Power restored to half of Harwick", "Lena Park"),
    ]  # the related-story teaser outside the live container is not a post
    landfall, _road, power = result.posts
    assert power.captions == ("Crews repair a line on Route 9.",)
    assert power.body.split("\n\n") == [
        "The utility said 21,000 customers had power again by mid-afternoon.",
        "Another 19,000 are still waiting; crews expect to reach them by Sunday night.",
    ]
    assert landfall.body.endswith("• Schools are closed.\n\n• Ferries are cancelled.")
    assert power.id == power.url == "https://www.example-news.org/live/storm-imke#post-3"
    assert {p.source for p in result.posts} == {"example-news.org"}


def test_single_article_prefers_json_ld_for_title_time_and_authors():
    result = read_posts([DATA / "single-article.html"])
    (post,) = result.posts
    assert result.problems == ()
    assert post.title == "Eastport dockworkers end strike after pay deal"
    assert post.published == utc(12, 0, day=9) and post.byline == "Ruth Okafor, Ben Lindqvist"
    assert post.source == "Reuters"
    assert (
        post.id
        == post.url
        == ("https://www.reuters.com/world/us/eastport-dockworkers-end-strike-2023-07-09/")
    )
    paragraphs = post.body.split("\n\n")
    assert len(paragraphs) == 5 and paragraphs[0].startswith("Dockworkers in Eastport voted")
    assert not any(word in post.body for word in ("Privacy", "Business", "rights reserved"))


def test_article_without_json_ld_uses_page_metadata_and_ignores_teasers(tmp_path):
    paragraphs = "".join(
        f"<p>Part {i}: the harbour bridge repairs will take most of the summer and close one "
        "lane in each direction, the city's transport office said on Monday.</p>"
        for i in range(4)
    )
    teasers = "".join(
        f'<article class="post"><time datetime="2023-07-0{i}T10:00:00Z">July {i}</time>'
        f"<h3>Old story {i}</h3><p>Teaser.</p></article>"
        for i in (1, 2)
    )
    text = (
        "<html><head><title>Bridge repairs begin | Example Gazette</title>"
        '<meta name="author" content="Jo March">'
        '<meta property="article:published_time" content="2023-07-10T09:15:00+02:00">'
        '<meta property="og:url" content="https://news.example.org/2023/07/10/bridge"></head>'
        f'<body><nav><a href="/">Home</a></nav><aside>{teasers}</aside>'
        f"<article><h1>Bridge repairs begin</h1>{paragraphs}</article></body></html>"
    )
    (post,) = read_posts([write(tmp_path, "bridge.htm", text)]).posts
    assert (post.title, post.byline) == ("Bridge repairs begin", "Jo March")
    assert post.published == utc(7, 15, day=10)
    assert post.source == "news.example.org" and len(post.body.split("\n\n")) == 4


def test_page_with_nothing_to_read_names_the_file(tmp_path):
    path = write(
        tmp_path, "home.html", "<html><head><title>Home</title></head><body><nav>Home</nav></body>"
    )
    with pytest.raises(InputError, match="nothing to read") as info:
        read_posts([path])
    assert info.value.path == str(path)
    only_bad = write(tmp_path, "bad.html", live_page({"@id": "x"}))
    with pytest.raises(InputError, match="1 records skipped, first: .*neither a title"):
        read_posts([only_bad])


def test_html_to_text_keeps_paragraphs_and_drops_code():
    markup = "<div>One<br>two <b>bold</b></div><script>var x;</script><ul><li>item</li></ul>"
    assert html_to_text(markup) == "One\n\ntwo bold\n\n• item"
    assert html_to_text("line one\n\n  line &amp; two  ") == "line one\n\nline & two"
    assert html_to_text("a <!-- note --> b") == "a b"
    assert html_to_text(None) == ""


# --- feeds ------------------------------------------------------------------------------


def test_rss_feed_entries():
    result = read_posts([DATA / "bbc-news.rss"])
    assert result.problems == ()
    heat, wildfire, acropolis = result.posts
    assert [p.published for p in result.posts] == [utc(9, 5), utc(15, 30), utc(17, 10)]
    assert acropolis.title == "Heatwave: Acropolis closes in the afternoons"
    assert acropolis.byline == "Nadia Karam" and wildfire.byline is None
    assert acropolis.body == (
        "Athens shuts its most famous site at midday as temperatures pass 40C.\n\nTickets stay valid."
    )
    assert wildfire.id == "bbc-66139876"  # the guid
    assert heat.id == heat.url == "https://www.bbc.co.uk/news/world-europe-66139555"  # no guid
    assert {p.source for p in result.posts} == {"BBC"}


def test_atom_feed_entries():
    result = read_posts([DATA / "aljazeera-news.atom"])
    strike, storm = result.posts
    assert storm.published == utc(18, 50)  # published, not updated
    assert storm.byline == "Yusuf Demir, Leila Haddad"
    assert storm.body.split("\n\n")[1] == "Crews expect to finish by Sunday night."  # content
    assert storm.id == "tag:aljazeera.com,2023:news-2031"
    assert (
        strike.published == utc(10, 0)
        and strike.body == "More than forty ships are waiting at anchor."
    )
    assert {p.source for p in result.posts} == {"Al Jazeera"}


def test_feed_problems_and_unreadable_feeds(tmp_path):
    rss = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
        "<link>https://news.example.com/</link>"
        "<item><title>Caf\u00e9 &lt;b&gt;</title><guid>g1</guid><pubDate>soon</pubDate></item>"
        "<item><description></description></item></channel></rss>"
    )
    result = read_posts([write(tmp_path, "news.xml", rss)])
    (post,) = result.posts
    assert post.title == "Caf\u00e9 <b>" and post.published is None  # plain text stays text
    assert post.source == "news.example.com"
    assert [p.message.split(" ")[0] for p in result.problems] == [
        "declares", "unparseable", "record"
    ]  # the file is UTF-8 though it declares Latin-1: said, and read as UTF-8
    sloppy = "<rss><channel><item><title>Caf&eacute; &foo;</title></item></channel></rss>"
    result = read_posts([write(tmp_path, "sloppy.rss", sloppy)])
    assert [p.title for p in result.posts] == ["Caf\u00e9 &foo;"]
    assert "not well-formed XML (undefined entity)" in result.problems[0].message
    with pytest.raises(InputError, match="no entries"):
        read_posts([write(tmp_path, "empty.rss", "<rss><channel><title>t</title></channel></rss>")])
    with pytest.raises(InputError, match="not a readable RSS or Atom feed"):
        read_posts([write(tmp_path, "broken.atom", "not xml at all")])


# --- outlets, sniffing, and URLs in other formats --------------------------------------


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://edition.cnn.com/live", "CNN"),
        ("http://www.cnn.com/2023/07/08/x.html", "CNN"),
        ("https://www.theguardian.com/world", "The Guardian"),
        ("https://www.bbc.co.uk/news", "BBC"),
        ("https://news.bbc.co.uk/2/hi/1.stm", "BBC"),
        ("https://www.bbc.com/news", "BBC"),
        ("https://www.nytimes.com/a", "The New York Times"),
        ("https://query.nytimes.com/a", "The New York Times"),
        ("https://www.reuters.com/a", "Reuters"),
        ("https://apnews.com/a", "AP"),
        ("https://www.aljazeera.com/a", "Al Jazeera"),
        ("http://articles.latimes.com/2013/may/03/x", "Los Angeles Times"),
        ("http://news.sky.com/story/1", "Sky News"),
        ("HTTPS://WWW.FOXNEWS.COM:443/a", "Fox News"),
        ("www.nydailynews.com/news", "New York Daily News"),
        ("https://example.org/x", "example.org"),
        ("https://www.example.org./x", "example.org"),
        ("http://voices.yahoo.com/x", "voices.yahoo.com"),
        ("https://notcnn.com/x", "notcnn.com"),
        ("mailto:desk@cnn.com", None),
        ("/relative/path", None),
        ("http://[broken", None),
        ("", None),
        (None, None),
    ],
)
def test_outlet_from_url(url, outlet):
    assert outlet_from_url(url) == outlet


def test_outlet_from_url_known_only():
    assert outlet_from_url("https://edition.cnn.com/x", known_only=True) == "CNN"
    assert outlet_from_url("https://example.org/x", known_only=True) is None


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.html", "anything", "html"),
        ("a.HTM", "anything", "html"),
        ("a.xml", "anything", "feed"),
        ("a.rss", "anything", "feed"),
        ("a.atom", "anything", "feed"),
        ("a", "\ufeff  <!DOCTYPE html>\n<html><body>", "html"),
        ("a", "<html lang='en'>", "html"),
        ("a", '<?xml version="1.0"?>\n<rss version="2.0">', "feed"),
        ("a", '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">', "feed"),
        ("a", '<?xml version="1.0"?>\n<!-- saved -->\n<html xmlns="x">', "html"),
    ],
)
def test_sniff_web_formats(name, text, expected):
    assert sniff_format(Path(name), text) == expected


def test_unknown_markup_is_not_guessed_and_the_hint_lists_all_formats():
    with pytest.raises(InputError, match=r"use --format liveblog\|jsonl\|csv\|html\|feed"):
        sniff_format(Path("a.dat"), '<?xml version="1.0"?><catalog/>')
    assert {"html", "feed"} <= set(FORMATS)


def test_saved_page_with_another_extension_is_sniffed(tmp_path):
    text = (DATA / "guardian-style-liveblog.html").read_text(encoding="utf-8")
    assert len(read_posts([write(tmp_path, "page.saved", text)]).posts) == 3


def test_jsonl_record_with_url_and_no_source_gets_the_outlet(tmp_path):
    records = [
        {"title": "From a URL", "url": "http://articles.latimes.com/2013/may/03/x"},
        {"title": "Named", "url": "https://www.cnn.com/x", "source": "Wire"},
        {"title": "No URL"},
    ]
    path = write(tmp_path, "posts.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    posts = {p.title: p for p in read_posts([path]).posts}
    assert posts["From a URL"].source == "Los Angeles Times"
    assert posts["From a URL"].id == make_id("Los Angeles Times", None, "From a URL", "")
    assert posts["Named"].source == "Wire" and posts["No URL"].source is None
    overridden = read_posts([path], source="Desk").posts  # the user's outlet comes first
    assert {p.title: p.source for p in overridden}["From a URL"] == "Desk"


def test_csv_row_with_url_and_no_source_gets_the_outlet(tmp_path):
    path = write(tmp_path, "posts.csv", "title,url\nA,https://apnews.com/article/1\n")
    assert [p.source for p in read_posts([path]).posts] == ["AP"]


def test_a_source_that_is_a_bare_host_becomes_the_outlet_name(tmp_path):
    path = tmp_path / "hosts.jsonl"
    rows = [
        {"id": "1", "source": "news.bbc.co.uk", "title": "a", "text": "x"},
        {"id": "2", "source": "www.examiner.com", "title": "b", "text": "y"},
        {"id": "3", "source": "Reuters wire", "title": "c", "text": "z"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    sources = {p.id: p.source for p in read_posts([path]).posts}
    assert sources == {"1": "BBC", "2": "examiner.com", "3": "Reuters wire"}


def test_the_pages_key_event_marks_are_kept_on_the_posts(tmp_path):
    """Issue 27: a post the page marks (the Guardian's is-key-event class, a "Key event"
    label) is a key event; the others are not."""
    text = (DATA / "markup-only-liveblog.html").read_text(encoding="utf-8")
    text = text.replace('<article class="block" id="post-2">',
                        '<article class="block is-key-event" id="post-2">')  # fmt: skip
    text = text.replace('<article class="block" id="post-1">',
                        '<article class="block" id="post-1"><span class="badge">Key event</span>')  # fmt: skip
    posts = {p.title: p.key_event for p in read_posts([write(tmp_path, "live.html", text)]).posts}
    assert posts == {
        "Storm Imke makes landfall": True,
        "Route 9 closed between Harwick and Dunmore": True,
        "Power restored to half of Harwick": False,
    }
