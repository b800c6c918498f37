"""Pages read update by update (issue 32): the update's own markup over structured values
that only repeat the page's, microdata, pages with no schema, entities, encodings.

The pages here are small, written to isolate one rule each; the real pages of many outlets
are checked by tests/test_real_pages.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

from storythreads.analysis.ingest import read_posts
from storythreads.analysis.ingest.cleaning import decode_entities
from storythreads.analysis.ingest.decoding import decode, guess_encoding

PAGE = "https://www.theguardian.com/world/live/2023/may/15/russia-ukraine-war-live"
HEADLINE = "Russia-Ukraine war live: Zelenskiy meets Sunak at Chequers"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def utc(hour: int, minute: int, day: int = 15) -> datetime:
    return datetime(2023, 5, day, hour, minute, tzinfo=UTC)


BLOCKS = [
    ("64621c2d", "2023-05-15T21:05:00+01:00", "EU agrees new sanctions package",
     "The European Union agreed an eleventh package of sanctions against Russia."),
    ("64620f11", "2023-05-15T19:40:00+01:00", None,
     "Zelenskiy and Sunak met at Chequers, where the prime minister promised drones."),
    ("6461fa02", "2023-05-15T17:10:00+01:00", "Stoltenberg: Ukraine will become a member",
     "The Nato secretary general said Ukraine would join the alliance one day."),
]  # fmt: skip


def guardian_like(repeat: bool = True) -> str:
    """A live page whose JSON-LD gives every update the page's headline and one time (the
    page's last change), while each block shows its own time and, for some, a heading."""
    updates = [
        {
            "@type": "BlogPosting",
            "headline": HEADLINE if repeat else (title or ""),
            "datePublished": "2023-05-15T21:30:00+01:00" if repeat else when,
            "url": f"{PAGE}?page=with:block-{anchor}#block-{anchor}",
            "articleBody": body,
        }
        for anchor, when, title, body in BLOCKS
    ]
    blog = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": HEADLINE,
        "dateModified": "2023-05-15T21:30:00+01:00",
        "datePublished": "2023-05-15T06:00:00+01:00",
        "liveBlogUpdate": updates,
    }
    blocks = "".join(
        f'<article id="block-{anchor}" class="block">'
        f'<time datetime="{when}">{when[11:16]} BST</time>'
        + (f"<h2>{title}</h2>" if title else "")
        + f"<p>{body}</p></article>"
        for anchor, when, title, body in BLOCKS
    )
    return (
        f"<!doctype html><html><head><title>{HEADLINE} | The Guardian</title>"
        f'<link rel="canonical" href="{PAGE}">'
        f'<script type="application/ld+json">{json.dumps(blog)}</script></head>'
        f"<body><h1>{HEADLINE}</h1><div>{blocks}</div></body></html>"
    )


def test_update_markup_wins_over_json_ld_that_repeats_the_page(tmp_path):
    result = read_posts([write(tmp_path, "live.html", guardian_like())])
    posts = sorted(result.posts, key=lambda p: p.published)
    assert [p.published for p in posts] == [utc(16, 10), utc(18, 40), utc(20, 5)]
    assert [p.title for p in posts] == [
        "Stoltenberg: Ukraine will become a member", "", "EU agrees new sanctions package"
    ]  # the update without a heading has no title, not the page's headline
    assert posts[0].id == f"{PAGE}#block-6461fa02"
    assert any("the page's time" in p.message for p in result.problems)


def test_blocks_that_show_their_time_as_text_give_it_with_the_page_date(tmp_path):
    page = re.sub(r'<time datetime="[^"]*">([^<]*)</time>', r'<p class="t">\1</p>', guardian_like())
    result = read_posts([write(tmp_path, "text-times.html", page)])
    posts = sorted(result.posts, key=lambda p: p.published)
    # "21:05 BST" and the others on the page's date, 15 May (BST: UTC+1)
    assert [p.published for p in posts] == [utc(16, 10), utc(18, 40), utc(20, 5)]
    assert all(p.time_source == "inferred" for p in posts)
    assert "BST" not in posts[0].body


def test_json_ld_with_its_own_times_and_headlines_is_kept(tmp_path):
    result = read_posts([write(tmp_path, "live.html", guardian_like(repeat=False))])
    posts = sorted(result.posts, key=lambda p: p.published)
    assert [p.published for p in posts] == [utc(16, 10), utc(18, 40), utc(20, 5)]
    assert posts[2].title == "EU agrees new sanctions package"
    assert result.problems == ()


def test_microdata_live_blog_without_json_ld(tmp_path):
    updates = "".join(
        f'<div itemprop="liveBlogUpdate" itemscope itemtype="http://schema.org/BlogPosting"'
        f' id="u{i}"><time itemprop="datePublished" datetime="2023-05-15T1{i}:00:00+05:30">'
        f'1{i}:00 IST</time><h2 itemprop="headline">Update {i}: rain in Delhi&#39;s east</h2>'
        f'<div itemprop="articleBody"><p>Rain fell in part {i} of the city today.</p></div></div>'
        for i in range(4)
    )
    page = (
        "<html><head><title>Delhi rain live</title>"
        '<link rel="canonical" href="https://www.ndtv.com/india-news/delhi-rain-live"></head>'
        '<body><div itemscope itemtype="http://schema.org/LiveBlogPosting">'
        f'<h1 itemprop="headline">Delhi rain live</h1>{updates}</div></body></html>'
    )
    result = read_posts([write(tmp_path, "ndtv.html", page)])
    assert len(result.posts) == 4
    assert {p.source for p in result.posts} == {"ndtv.com"}
    first = min(result.posts, key=lambda p: p.published)
    assert first.title == "Update 0: rain in Delhi's east"
    assert first.published == datetime(2023, 5, 15, 4, 30, tzinfo=UTC)
    assert first.id == "https://www.ndtv.com/india-news/delhi-rain-live#u0"


def _stamped_page(stamps: list[str], meta: str = "") -> str:
    blocks = "".join(
        f'<div class="x1"><span class="s">{stamp}</span>'
        f"<p>Relacja numer {i}: premier spotkał się w środę z przedstawicielami rolników "
        f"w Warszawie i zapowiedział pomoc dla gospodarstw w regionie {i}.</p></div>"
        for i, stamp in enumerate(stamps)
    )
    teaser = "".join(f'<li><span>{12 + i}:00</span> <a href="/x{i}">Inny tekst</a></li>'
                     for i in range(4))  # fmt: skip
    return (
        f"<html><head><title>Relacja na żywo</title>{meta}</head><body>"
        f"<ul class='related'>{teaser}</ul><main><h1>Relacja na żywo</h1>"
        f"<div class='feed'>{blocks}</div></main></body></html>"
    )


def test_live_page_without_schema_is_read_by_its_stamped_blocks(tmp_path):
    meta = '<meta property="article:published_time" content="2023-05-15T08:00:00+02:00">'
    page = _stamped_page(["16:45", "15:30", "14:05", "12:50"], meta)
    result = read_posts([write(tmp_path, "relacja.html", page)])
    posts = sorted(result.posts, key=lambda p: p.published)
    # times of day in the page's own offset (+02:00)
    assert [p.published for p in posts] == [utc(10, 50), utc(12, 5), utc(13, 30), utc(14, 45)]
    assert all(p.time_source == "inferred" for p in posts)
    # report.json's time_inferred_from names posts only; a page is named apart
    assert {(p.inferred_from_post, p.inferred_from_page) for p in posts} == {(None, "the page")}
    assert all(p.body.startswith("Relacja numer") for p in posts)
    assert all("16:45" not in p.body for p in posts)  # the stamp is not body text
    [said] = [p.message for p in result.problems if "the page's date" in p.message]
    assert said.startswith("4 posts give a time of day without a date (16:45, ...)")


def test_stamps_relative_to_the_save_count_back_from_the_last_change(tmp_path):
    meta = '<meta property="article:modified_time" content="2020-02-19T10:27:00Z">'
    page = _stamped_page(["1 min ago", "25 min ago", "1 hr 5 min ago", "2 hr ago"], meta)
    page = page.replace("<html>", '<html lang="en">')
    result = read_posts([write(tmp_path, "relative.html", page)])
    posts = sorted(result.posts, key=lambda p: p.published)
    back = ((8, 27), (9, 22), (10, 2), (10, 26))
    when = [datetime(2020, 2, 19, h, m, tzinfo=UTC) for h, m in back]
    assert [p.published for p in posts] == when
    assert all(p.time_source == "inferred" for p in posts)
    assert any("relative to when the page was saved" in p.message for p in result.problems)


def test_match_minutes_keep_posts_undated(tmp_path):
    page = _stamped_page(["90+2'", "67'", "45'", "12'"])
    result = read_posts([write(tmp_path, "match.html", page)])
    assert len(result.posts) == 4 and all(p.published is None for p in result.posts)
    assert sum("match minute" in p.message for p in result.problems) == 1


def test_an_article_with_dated_comments_is_one_article(tmp_path):
    article = "".join(
        f"<p>Paragraph {i} of the story: the council approved the new budget on Monday "
        "after a long debate about the cost of the harbour bridge repairs.</p>"
        for i in range(6)
    )
    comments = "".join(
        f'<div class="c"><span>1{i}:0{i}</span><p>I think comment {i} is right about '
        "this, the bridge has needed work for years and nobody listened.</p></div>"
        for i in range(5)
    )
    page = (
        "<html><head><title>Council approves budget</title></head><body>"
        f"<article><h1>Council approves budget</h1>{article}</article>"
        f'<section class="comments">{comments}</section></body></html>'
    )
    result = read_posts([write(tmp_path, "article.html", page)])
    assert len(result.posts) == 1 and "Paragraph 0" in result.posts[0].body


def test_entities_are_decoded_in_every_format(tmp_path):
    assert decode_entities("Prince Harry&#39;s 8-word response") == "Prince Harry's 8-word response"
    assert decode_entities("parler&agrave; &amp;#39;oggi&amp;#39;") == "parlerà 'oggi'"
    assert decode_entities("AT&T and R&D") == "AT&T and R&D"
    rows = [{"id": "a", "title": "Harry&#39;s reply", "text": "Caf&eacute; &amp; bar"}]
    path = write(tmp_path, "posts.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    (post,) = read_posts([path]).posts
    assert (post.title, post.body) == ("Harry's reply", "Café & bar")


def test_a_feed_declared_latin1_is_read_in_latin1(tmp_path):
    rss = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
        "<link>https://www.jn.pt/</link><item><title>Lisboa quer passes com acesso a táxis"
        "</title><guid>g1</guid><pubDate>Wed, 03 Jan 2018 10:00:00 +0000</pubDate>"
        "<description>A Câmara da capital vai criar pacotes.</description></item>"
        "</channel></rss>"
    ).encode("latin-1")
    result = read_posts([write(tmp_path, "jn.rss", rss)])
    (post,) = result.posts
    assert post.title == "Lisboa quer passes com acesso a táxis"
    assert post.body == "A Câmara da capital vai criar pacotes."
    assert [p.message for p in result.problems] == [
        "not UTF-8; read as cp1252, the encoding the file declares"
    ]


def test_an_undeclared_latin1_feed_loses_no_item(tmp_path):
    items = "".join(
        f"<item><title>Notícia {i}: eleição em São Paulo</title><guid>g{i}</guid>"
        f"<pubDate>Seg, 24 Set 2018 19:4{i}:00 -0300</pubDate></item>\n"
        for i in range(6)
    )
    rss = f"<rss version='2.0'><channel><link>https://noticias.uol.com.br/</link>\n{items}"
    result = read_posts([write(tmp_path, "uol.rss", (rss + "</channel></rss>").encode("latin-1"))])
    assert len(result.posts) == 6
    assert all("São Paulo" in p.title for p in result.posts)
    # dates in Portuguese are read (dateparser), in UTC
    assert min(p.published for p in result.posts) == datetime(2018, 9, 24, 22, 40, tzinfo=UTC)


def test_decoding_rules():
    assert decode("café".encode(), "x").note is None
    utf8_declared_latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?><a>©</a>'.encode()
    assert decode(utf8_declared_latin1, "x", markup=True).text.endswith("<a>©</a>")
    assert "valid UTF-8" in (decode(utf8_declared_latin1, "x", markup=True).note or "")
    french = "L'été sera chaud à Paris, déclare le ministre.".encode("latin-1")
    assert guess_encoding(french) == "cp1252"  # a tie with cp1250 goes to the web's default
    assert decode("Пожар в порту Элсмира, сообщили власти".encode("cp1251"), "x").text == (
        "Пожар в порту Элсмира, сообщили власти"
    )


def test_a_page_date_for_times_of_day_comes_from_the_page():
    from storythreads.analysis.ingest.times import clock_time

    clock = clock_time("12.50 BST")
    assert clock is not None and clock.on(date(2023, 5, 15)) == utc(11, 50)
    assert clock_time("1:30 p.m. ET").on(date(2023, 7, 8)) == datetime(  # type: ignore[union-attr]
        2023, 7, 8, 17, 30, tzinfo=UTC
    )


def test_a_bare_update_id_finds_its_block_and_page_labels_are_no_headlines(tmp_path):
    page = guardian_like().replace(f'"url": "{PAGE}?page=with:block-', '"@id": "').replace(
        '#block-', '", "x": "'
    )  # each update names its block by a bare id ("64621c2d" for block-64621c2d)
    posts = sorted(read_posts([write(tmp_path, "bare.html", page)]).posts,
                   key=lambda p: p.published)  # fmt: skip
    assert [p.published for p in posts] == [utc(16, 10), utc(18, 40), utc(20, 5)]


def test_a_headline_that_only_opens_the_body_is_no_headline(tmp_path):
    updates = [
        {"@type": "BlogPosting", "@id": f"u{i}", "datePublished": f"2020-10-02T18:1{i}:00+05:30",
         "headline": f"18:1{i}(IST) Rayudu returns to the side for match {i} and",
         "articleBody": f"Rayudu returns to the side for match {i} and will bat at four."}
        for i in range(3)
    ]
    label = [{"@type": "BlogPosting", "@id": f"w{i}", "datePublished": f"2023-08-14T0{i}:00:00Z",
              "headline": "Women's World Cup", "articleBody": f"Update {i} from Sydney."}
             for i in range(4)]  # fmt: skip
    for name, entries in (("toi.html", updates), ("indy.html", label)):
        blog = {"@type": "LiveBlogPosting", "headline": "Live", "liveBlogUpdate": entries}
        page = f'<html><head><script type="application/ld+json">{json.dumps(blog)}</script>'
        posts = read_posts([write(tmp_path, name, page + "</head><body></body></html>")]).posts
        assert [p.title for p in posts] == [""] * len(entries), name


def test_lines_that_open_with_a_time_are_updates_and_days_turn_at_midnight(tmp_path):
    stamps = ["02.10", "00.40", "23.50", "22.15", "21.00"]
    lines = "".join(
        f"<h5><span>{stamp} Uhr: Meldung {i}</span></h5>"
        f"<p>Die Regierung teilte in Berlin mit, dass die Gespräche über die Lage {i} am "
        f"Morgen weitergehen sollen, wie ein Sprecher sagte.</p><p>Mehr Text {i}.</p>"
        for i, stamp in enumerate(stamps)
    )
    page = (
        '<html><head><meta property="article:published_time" content="2024-07-17T08:00:00+02:00">'
        '<meta property="article:modified_time" content="2024-07-18T02:15:00+02:00"></head>'
        f"<body><section>{lines}</section></body></html>"
    )
    result = read_posts([write(tmp_path, "ticker.html", page)])
    posts = sorted(result.posts, key=lambda p: p.published)
    assert [p.title for p in posts] == [f"Meldung {i}" for i in (4, 3, 2, 1, 0)]
    assert posts[0].body.endswith("Mehr Text 4.") and "Uhr" not in posts[0].body
    assert [p.published for p in posts] == [
        datetime(2024, 7, 17, 19, 0, tzinfo=UTC), datetime(2024, 7, 17, 20, 15, tzinfo=UTC),
        datetime(2024, 7, 17, 21, 50, tzinfo=UTC), datetime(2024, 7, 17, 22, 40, tzinfo=UTC),
        datetime(2024, 7, 18, 0, 10, tzinfo=UTC),
    ]  # 21.00 on the 17th (+02:00) ... 02.10 on the 18th
