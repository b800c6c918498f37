"""Ingest: the bundled CNN blog, JSONL, CSV, format sniffing, and broken files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storythreads.analysis.ingest import FORMATS, IngestResult, read_posts, sniff_format
from storythreads.analysis.ingest.common import make_id
from storythreads.analysis.ingest.times import parse_time
from storythreads.config import LimitSettings
from storythreads.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "cnn-liveblog-2023-07-08.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"


def utc(hour: int, minute: int, day: int = 8) -> datetime:
    return datetime(2023, 7, day, hour, minute, tzinfo=UTC)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def jsonl(*records) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


# --- the bundled live blog -------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> IngestResult:
    return read_posts([SEED])


@pytest.fixture(scope="module")
def by_time(seed):
    """Posts keyed by the ET clock time the page prints, e.g. "1:30 p.m."."""
    et_to_utc = {
        "1:30": utc(17, 30), "1:52": utc(17, 52), "11:02": utc(15, 2), "12:23": utc(16, 23),
        "12:09": utc(16, 9), "11:29": utc(15, 29), "8:55": utc(12, 55), "9:06": utc(13, 6),
        "7:05": utc(11, 5),
    }  # fmt: skip
    posts = {p.published: p for p in seed.posts}
    return {clock: posts[when] for clock, when in et_to_utc.items()}


def test_seed_has_nine_posts_in_time_order_without_problems(seed):
    assert len(seed.posts) == 9
    assert seed.problems == ()
    times = [p.published for p in seed.posts]
    assert times == sorted(times)
    assert all(t.tzinfo is not None and t.utcoffset().total_seconds() == 0 for t in times)


def test_seed_headlines_times_and_bylines(by_time):
    post = by_time["1:30"]
    assert post.published == datetime(2023, 7, 8, 17, 30, tzinfo=UTC)  # EDT is UTC-4
    assert post.title.startswith("Russia calls US decision to provide Ukraine with cluster")
    assert post.byline == "CNN's Mariya Knight"
    assert by_time["1:52"].title.startswith("Ukrainians who defended Azovstal steel plant")
    assert by_time["9:06"].title.startswith("Russian shelling kills at least 8 people")
    assert by_time["9:06"].byline == "CNN's Maria Kostenko in Kyiv"  # no-break spaces gone
    assert by_time["12:09"].byline == "CNN staff"
    assert by_time["12:23"].byline == "CNN\u2019s Jasmine Wright"  # kept as written
    assert {p.source for p in by_time.values()} == {"CNN"}
    assert {p.url for p in by_time.values()} == {None}
    assert all(p.id.startswith("p-") for p in by_time.values())


def test_seed_captions_stored_once_without_credit(by_time):
    with_photo = {"11:02", "12:23", "11:29", "8:55", "7:05"}
    for clock, post in by_time.items():
        assert len(post.captions) == (1 if clock in with_photo else 0), clock
    assert by_time["11:02"].captions == (
        "UK Prime Minister Rishi Sunak speaks at a press conference in London on June 30.",
    )
    for clock in with_photo:
        caption = by_time[clock].captions[0]
        assert "Getty" not in caption and "/CNN" not in caption
        assert caption not in by_time[clock].body


def test_seed_bodies_have_no_page_furniture_or_credits(seed):
    for post in seed.posts:
        for chrome in ("Watch more", "contributed reporting", "21 Posts", "Sort by", "Updated"):
            assert chrome not in post.body, (post.title, chrome)
        for credit in ("Augstein", "Al Drago", "Kostyantin Gak/CNN", "Contributor/Getty"):
            assert credit not in post.body
        assert "\xa0" not in post.body and not post.body.startswith("From ")
        assert all(paragraph.strip() == paragraph for paragraph in post.body.split("\n\n"))


def test_seed_bullets_are_their_own_paragraphs(by_time):
    paragraphs = by_time["12:09"].body.split("\n\n")
    bullets = [p for p in paragraphs if p.startswith("• ")]
    assert len(bullets) == 7
    assert bullets[0].startswith('• Turkey says Ukraine "deserves" NATO:')
    assert paragraphs[1] == "Here are the latest developments:"
    assert len([p for p in by_time["12:23"].body.split("\n\n") if p.startswith("• ")]) == 4


def test_seed_ids_are_stable_and_follow_the_rule(seed):
    again = read_posts([str(SEED)])
    assert [p.id for p in again.posts] == [p.id for p in seed.posts]
    first = seed.posts[-1]
    assert first.id == make_id("CNN", first.published, first.title, first.body)


def test_source_argument_overrides_inferred_outlet(tmp_path):
    result = read_posts([SEED], source="CNN International")
    assert {p.source for p in result.posts} == {"CNN International"}


def test_liveblog_zones_formats_and_caption_rules(tmp_path):
    text = (
        "Page title\n21 Posts\n"
        "9:00 am EST, January 9, 2023\nWinter post\n\nWinter body.\n"
        "2:15 p.m. BST, Jul. 8, 2023\nLondon post\nFrom Reuters\n"
        "- dash bullet\n* star bullet\n\n   \u2013 en dash bullet\n"
        "Short\nShort line that is a paragraph, not a caption.\n"
        "2023-07-08T20:00:00Z\nISO post\nText.\n"
        "10:00 p.m. CEST, July 8, 2023\n\n"
        "11:00 p.m. ET, July 8, 2023\nLate ET post\n"
    )
    result = read_posts([write(tmp_path, "blog.txt", text)])
    posts = {p.title: p for p in result.posts}
    assert posts["Winter post"].published == datetime(2023, 1, 9, 14, 0, tzinfo=UTC)
    london = posts["London post"]
    assert london.published == utc(13, 15)
    assert london.byline == "Reuters" and london.source is None
    assert london.body.split("\n\n") == [
        "• dash bullet", "• star bullet", "• en dash bullet",
        "Short", "Short line that is a paragraph, not a caption.",
    ]  # fmt: skip
    assert london.captions == ()
    assert posts["ISO post"].published == utc(20, 0)
    assert posts["Late ET post"].published == utc(3, 0, day=9)
    assert [p.line for p in result.problems] == [19]  # the CEST stamp has no headline
    assert "no headline" in result.problems[0].message


def test_liveblog_without_any_post_time_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no post times found"):
        read_posts([write(tmp_path, "notes.txt", "Just some notes.\nNothing else.\n")])


def test_liveblog_bad_date_keeps_post_undated(tmp_path):
    text = "13:30 p.m. ET, July 8, 2023\nOdd time\nBody.\n"
    result = read_posts([write(tmp_path, "blog.txt", text)])
    assert [p.published for p in result.posts] == [None]
    assert result.problems[0].line == 1 and "unparseable date" in result.problems[0].message


# --- JSONL --------------------------------------------------------------------------


def test_jsonl_skips_bad_lines_and_keeps_good_ones(tmp_path):
    path = write(
        tmp_path,
        "posts.jsonl",
        jsonl(
            {"id": "a", "title": "Alpha", "text": "A text.", "published": "2023-07-08T10:00:00",
             "gold_story_id": "s1", "gold_topic": "t", "blog_id": "b"},
            '{"id": "broken", "title": ',
            "[1, 2]",
            {"id": 42, "body": "Only a body.", "author": ["Ann", "Bo"], "source": "Wire"},
            {"id": "nothing", "source": "Wire"},
            "",
            {"id": "later", "title": "Later", "published": "2023-07-08T12:00:00+02:00"},
        ),
    )  # fmt: skip
    result = read_posts([path])
    assert [p.id for p in result.posts] == ["a", "later", "42"]  # undated last
    a, later, numbered = result.posts
    assert a.published == utc(10, 0) and a.source is None and a.byline is None
    assert not any("gold" in str(v) or v == "b" for v in vars(a).values())
    assert later.published == utc(10, 0) and later.body == ""
    assert numbered.title == "" and numbered.body == "Only a body."
    assert numbered.byline == "Ann, Bo" and numbered.source == "Wire"
    assert [(p.line, p.message.split(" ")[0]) for p in result.problems] == [
        (2, "not"), (3, "expected"), (5, "record"),
    ]  # fmt: skip
    assert "JSON object" in result.problems[1].message


def test_jsonl_dates_text_cleaning_and_generated_ids(tmp_path):
    path = write(
        tmp_path,
        "posts.ndjson",
        jsonl(
            {"title": "Bad date", "text": "x", "published": "yesterday-ish"},
            {"title": "Clock only", "text": "x", "published": "18:00"},
            {"title": "Epoch", "text": "x", "published": 1688837400},
            {"title": "RFC", "text": "x", "published": "Sat, 08 Jul 2023 17:30:00 +0000"},
            {"title": "Ctl\x07 title\n", "text": "line one\r\nline\x00 two\rthree\t."},
            {"text": "untitled one"},
            {"text": "untitled two"},
        ),
    )
    result = read_posts([path], source="Desk")
    posts = {p.title or p.body: p for p in result.posts}
    assert posts["Bad date"].published is None
    # a time of day takes the date of the nearest dated post of the file (issue 24)
    clock = posts["Clock only"]
    assert clock.published == utc(18, 0) and clock.time_source == "inferred"
    assert clock.time_inferred_from == posts["Epoch"].id
    assert posts["Epoch"].published == posts["RFC"].published == utc(17, 30)
    assert posts["Ctl title"].body == "line one\nline two\nthree\t."
    assert [p.line for p in result.problems] == [1, 2]
    assert "unparseable date" in result.problems[0].message
    assert result.problems[1].message == (
        f"post {clock.id}: time 18:00 has no date; "
        f"date 2023-07-08 inferred from post {posts['Epoch'].id}"
    )
    assert {p.source for p in result.posts} == {"Desk"}
    one, two = posts["untitled one"], posts["untitled two"]
    assert one.id != two.id and one.id == make_id("Desk", None, "", "untitled one")
    assert read_posts([path], source="Desk").posts == result.posts


def test_duplicate_ids_keep_one_post_whatever_the_order(tmp_path):
    same = {"id": "x", "title": "Same", "text": "t"}
    first = write(tmp_path, "a.jsonl", jsonl(same, same, {"id": "x", "title": "Other"}))
    second = write(tmp_path, "b.jsonl", jsonl({"id": "x", "title": "Third"}))
    third = write(tmp_path, "c.jsonl", jsonl(same))
    result = read_posts([first, second, third])
    assert len(result.posts) == 1
    again = read_posts([third, second, first])
    assert again.posts == result.posts  # the kept post does not depend on file order
    messages = [(Path(p.path).name, p.line) for p in result.problems]
    assert ("a.jsonl", 3) in messages and ("b.jsonl", None) in messages
    assert all("duplicate id x with different content" in p.message for p in result.problems)


def test_limits_on_post_size_and_count(tmp_path):
    path = write(
        tmp_path,
        "posts.jsonl",
        jsonl({"id": "big", "text": "x" * 150}, {"id": "ok", "text": "fine"}),
    )
    result = read_posts([path], limits=LimitSettings(max_post_chars=100))
    assert [p.id for p in result.posts] == ["ok"]
    assert result.problems[0].line == 1 and "max_post_chars" in result.problems[0].message
    with pytest.raises(InputError, match="max_posts"):
        read_posts([path], limits=LimitSettings(max_posts=1))
    other = write(tmp_path, "more.jsonl", jsonl({"id": "other", "text": "y"}))
    with pytest.raises(InputError, match="in total"):
        read_posts([other, path], limits=LimitSettings(max_posts=2))


# --- CSV ----------------------------------------------------------------------------


def test_csv_with_quoted_newlines_aliases_and_big_fields(tmp_path):
    big = "word " * 30_000  # over the csv module's default 128 KiB field limit
    text = (
        "\ufeffID,Title,Body,Published,Byline,gold_story_id\n"
        '1,First,"para one\n\npara two",2023-07-08 09:00,Ann,s1\n'
        "\n"
        f"2,Second,{big},,,s2\n"
        "3,Third,too,many,fields,here,extra\n"
        "4,,,,,\n"
    )
    result = read_posts([write(tmp_path, "posts.csv", text)])
    first, second = result.posts
    assert (first.id, first.title, first.byline) == ("1", "First", "Ann")
    assert first.body == "para one\n\npara two" and first.published == utc(9, 0)
    assert second.published is None and len(second.body) == len(big.strip())
    assert [(p.line, p.message.split(";")[0]) for p in result.problems] == [
        (7, "row has 7 fields but the header has 6"),
        (8, "record has neither a title nor a text"),
    ]


def test_csv_needs_a_text_or_title_column(tmp_path):
    with pytest.raises(InputError, match="needs a 'text', 'body' or 'title' column") as info:
        read_posts([write(tmp_path, "posts.csv", "id,url\n1,http://x\n")])
    assert info.value.line == 1


# --- sniffing and file errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.jsonl", "anything", "jsonl"),
        ("a.ndjson", "anything", "jsonl"),
        ("a.CSV", "anything", "csv"),
        ("a.txt", '{"id": 1}', "liveblog"),
        ("a.dat", '\n  {"id": 1}\n', "jsonl"),
        ("a.dat", "id,title,text\n1,a,b\n", "csv"),
        ("a", "Page\n\n1:30 p.m. ET, July 8, 2023\nHeadline\n", "liveblog"),
        ("a", "Page\n2023-07-08T17:30:00Z\nHeadline\n", "liveblog"),
    ],
)
def test_sniff_format(name, text, expected):
    assert sniff_format(Path(name), text) == expected


def test_sniff_format_gives_up_with_a_hint():
    with pytest.raises(InputError, match=r"use --format liveblog\|jsonl\|csv") as info:
        sniff_format(Path("notes.md"), "# Notes\nid;title\n")
    assert info.value.path == "notes.md"


def test_format_argument_overrides_sniffing_and_is_checked(tmp_path):
    path = write(tmp_path, "posts.txt", jsonl({"id": "a", "title": "A"}))
    assert [p.id for p in read_posts([path], format="jsonl").posts] == ["a"]
    with pytest.raises(InputError, match=r"unknown format 'xml'.*liveblog, jsonl, csv"):
        read_posts([path], format="xml")
    assert set(FORMATS) == {"liveblog", "jsonl", "csv", "html", "feed"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\t\n", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_unusable_files_raise_input_error(tmp_path, content, message):
    path = write(tmp_path, "in.jsonl", content)
    with pytest.raises(InputError, match=message) as info:
        read_posts([path])
    assert info.value.path == str(path) and "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_posts([tmp_path / "nope.jsonl"])
    with pytest.raises(InputError, match="directory"):
        read_posts([tmp_path])


def test_latin1_liveblog_is_read_and_the_guess_names_the_line(tmp_path):
    data = "1:30 p.m. ET, July 8, 2023\nHeadline\n\nBody ok.\nLe café a fermé\n"
    result = read_posts([write(tmp_path, "blog.txt", data.encode("latin-1"))])
    assert "Le café a fermé" in result.posts[0].body
    [problem] = result.problems
    assert problem.line == 5 and "not UTF-8" in problem.message and "cp1252" in problem.message


def test_a_line_in_another_encoding_is_recovered_not_skipped(tmp_path):
    data = (
        jsonl({"id": "a", "title": "A"}).encode()
        + '{"id": "b", "title": "Café crème"}\n'.encode("cp1252")
        + jsonl({"id": "c", "title": "C"}).encode()
    )
    result = read_posts([write(tmp_path, "posts.jsonl", data)])
    assert [p.title for p in result.posts] == ["A", "Café crème", "C"]
    assert [(p.line, p.message[:35]) for p in result.problems] == [
        (2, "1 of 4 lines are not UTF-8; read th")
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_files_with_a_bom(tmp_path, encoding):
    text = "1:30 p.m. ET, July 8, 2023\r\nHéadline\r\n\r\nBody.\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    result = read_posts([write(tmp_path, "blog.txt", data)])
    assert [(p.title, p.body) for p in result.posts] == [("Héadline", "Body.")]


def test_parse_time_edge_cases():
    assert parse_time("2023-07-08T13:30:00-04:00") == utc(17, 30)
    assert parse_time("1:30 p.m. ET, July 8, 2023") == utc(17, 30)
    assert parse_time("1:30pm EDT, July 8, 2023") == utc(17, 30)
    assert parse_time("12:05 a.m. GMT, July 8, 2023") == utc(0, 5)
    assert parse_time("17:30, July 8, 2023") == utc(17, 30)  # no zone: UTC
    assert parse_time("1:30 p.m. CEST, July 8, 2023") == utc(11, 30)
    assert parse_time("") is None and parse_time(None) is None
    for bad in ("1:30 p.m. XYZ, July 8, 2023", True, "2023-02-30", 1e30):
        with pytest.raises((ValueError, TypeError)):
            parse_time(bad)


# --- the shared data sets (skipped where ../shared is not checked out) -----------------


@pytest.mark.parametrize(
    ("name", "count"), [("ecbplus-dev.jsonl", 772), ("liveblogs-dev-posts.jsonl", 1618)]
)
def test_shared_data_sets_read_cleanly(name, count):
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not available in this checkout")
    result = read_posts([path])
    assert len(result.posts) == count
    # the blogs' times of day without a date are said, each with its post (issue 24)
    inferred = {p.id for p in result.posts if p.time_inferred_from}
    noted = [re.match(r"post (\S+): time \d+:\d+ has no date", p.message)[1]
             for p in result.problems]  # fmt: skip
    assert inferred <= set(noted) and len(noted) == len(set(noted))
    assert bool(noted) == (name == "liveblogs-dev-posts.jsonl")  # its BBC blogs: no dates


def test_a_key_event_field_marks_the_post_and_the_datasets_flag_stays_unseen(tmp_path):
    path = write(
        tmp_path,
        "marks.jsonl",
        jsonl(
            {"id": "a", "title": "A", "text": "x", "key_event": True},
            {"id": "b", "title": "B", "text": "y", "key_event": "yes"},
            {"id": "c", "title": "C", "text": "z", "pinned": 1},
            {"id": "d", "title": "D", "text": "w", "is_key_event": True},  # a gold label
            {"id": "e", "title": "E", "text": "v", "key_event": "no"},
        ),
    )
    marks = {p.id: p.key_event for p in read_posts([path]).posts}
    assert marks == {"a": True, "b": True, "c": True, "d": False, "e": False}


def test_a_short_csv_row_and_blank_cells_past_the_header_are_read(tmp_path):
    """A row with fewer cells than the header gives the fields it has; blank cells after
    the header's last column (a trailing comma) are dropped, not an error."""
    from storythreads.analysis.ingest import read_posts

    path = tmp_path / "posts.csv"
    path.write_text(
        "id,title,text\nshort-1,Harbour fire in Port Elsmere\n"
        "trail-1,Port Elsmere docks reopen,Two docks reopen.,,\n",
        encoding="utf-8",
    )
    result = read_posts([str(path)], format="csv")
    assert [p.id for p in result.posts] == ["short-1", "trail-1"]
    assert result.posts[0].body == "" and result.posts[1].body == "Two docks reopen."
    assert result.problems == ()


def test_lines_are_read_one_at_a_time_as_the_file_numbers_them():
    from storythreads.analysis.ingest.cleaning import iter_lines, split_lines

    text = "\ufeffa\r\nb\rc\n\nd"
    assert list(iter_lines(text)) == split_lines(text) == ["a", "b\rc", "", "d"]
    assert list(iter_lines("")) == [""] and list(iter_lines("x\n")) == ["x", ""]


def test_a_large_file_of_a_known_format_is_read_past_a_blank_start(tmp_path):
    """A known format is checked by the file's first 64 kB; blank lines longer than that
    still leave the records after them, and a file of blanks alone is still refused."""
    record = json.dumps({"id": "a", "title": "Late", "text": "a record after blank lines"})
    late = tmp_path / "late.jsonl"
    late.write_text("\n" * 70_000 + record + "\n")
    assert [p.id for p in read_posts([late]).posts] == ["a"]
    blank = tmp_path / "blank.jsonl"
    blank.write_text(" \n" * 40_000)
    with pytest.raises(InputError, match="only whitespace"):
        read_posts([blank])
