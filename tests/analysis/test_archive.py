"""An archive read without holding it (issue 34): ``read_archive`` gives what
``read_posts`` gives, post for post and problem for problem, while keeping of a streamed
file only where each post lies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storythreads.analysis.ingest import read_archive, read_posts
from storythreads.errors import InputError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def same_as_read_posts(paths: list[Path], **options: object) -> None:
    whole = read_posts(paths, **options)  # type: ignore[arg-type]
    archive = read_archive(paths, stream_bytes=0, **options)  # type: ignore[arg-type]
    assert list(archive) == list(whole.posts)
    assert archive.problems == whole.problems
    assert [p.id for p in archive[3:7]] == [p.id for p in whole.posts[3:7]]
    assert archive[-1] == whole.posts[-1]
    assert archive.times() == [p.published for p in whole.posts]


@pytest.mark.parametrize(
    "name", ["basil-dev.jsonl", "liveblogs-dev-posts.jsonl", "ecbplus-dev.jsonl"]
)
def test_the_dev_sets_read_as_archives_are_the_same_posts(name):
    path = SHARED / name
    if not path.exists():
        pytest.skip("needs ../shared/data")
    same_as_read_posts([path])


def lines(path: Path, rows: list[object], raw: bytes = b"", newline: bytes = b"\n") -> Path:
    body = newline.join(json.dumps(r).encode("utf-8") for r in rows)
    path.write_bytes(raw + body + newline)
    return path


ROWS = [
    {"id": "a", "published": "2024-03-04T10:00:00Z", "title": "Dam opens", "text": "Water."},
    {"id": "b", "published": "11:30", "blog_id": "x", "text": "A time of day, no date."},
    {"id": "c", "published": "2024-03-04T09:00:00Z", "blog_id": "x", "text": "Dated, blog x."},
    {"id": "a", "published": "2024-03-04T08:00:00Z", "title": "Dam opens", "text": "Earlier."},
    {"id": "d", "text": "Undated."},
    {"title": "No id", "text": "An id is made.", "published": "1970-01-01T00:00:00Z"},
    "not an object",
    {"id": "e", "published": "45'", "text": "A match minute."},
]


def test_clocks_duplicates_odd_times_and_bad_records_read_the_same(tmp_path):
    first = lines(tmp_path / "one.jsonl", ROWS, raw=b"\xef\xbb\xbf", newline=b"\r\n")
    second = lines(tmp_path / "two.jsonl", [
        {"id": "d", "text": "Another text for d."},
        {"id": "f", "published": "2024-03-05T07:00:00+02:00", "text": "Second file."},
    ])  # fmt: skip
    (tmp_path / "three.jsonl").write_text("{broken\n\n" + json.dumps(ROWS[0]) + "\n")
    same_as_read_posts([first, second, tmp_path / "three.jsonl"])
    archive = read_archive([first, second], stream_bytes=0)
    assert {p.id: p.time_inferred_from for p in archive}["b"] == "c"  # held whole
    assert any("duplicate id d" in p.message for p in archive.problems)


def test_a_file_that_is_not_utf8_throughout_is_read_whole_as_read_posts_reads_it(tmp_path):
    path = tmp_path / "mixed.jsonl"
    utf8 = json.dumps({"id": "u", "text": "café"}, ensure_ascii=False).encode("utf-8")
    latin = json.dumps({"id": "l", "text": "café"}, ensure_ascii=False).encode("latin-1")
    path.write_bytes(utf8 + b"\n" + latin + b"\n")
    same_as_read_posts([path])
    assert [p.body for p in read_archive([path], stream_bytes=0)] == ["café", "café"]


def test_a_small_file_is_held_and_a_large_one_streamed(tmp_path):
    path = lines(tmp_path / "a.jsonl", ROWS[:3])
    held = read_archive([path])  # under STREAM_BYTES
    streamed = read_archive([path], stream_bytes=0)
    assert list(held) == list(streamed)
    path.write_text("")  # a held archive does not read the file again
    assert len(list(held)) == 3


def test_a_file_changed_under_a_run_is_an_error_not_another_post(tmp_path):
    path = lines(tmp_path / "a.jsonl", ROWS[:1] + [ROWS[4]])
    archive = read_archive([path], stream_bytes=0)
    lines(path, [{**ROWS[0], "text": "Edited."}, ROWS[4]])
    with pytest.raises(InputError, match="changed while this run read it"):
        list(archive)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"\n  \n", "only whitespace"),
        (b'{"id": "a", "text": "x"}\n\x00\x00\n', "binary file"),
    ],
)
def test_unusable_files_fail_as_in_read_posts(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_posts([path])
    with pytest.raises(InputError, match=message):
        read_archive([path], stream_bytes=0)


def test_the_limit_on_posts_holds_for_archives(tmp_path):
    from storythreads.config import LimitSettings

    path = lines(tmp_path / "a.jsonl", ROWS[:3])
    with pytest.raises(InputError, match=r"limits.max_posts \(2\)"):
        read_archive([path], limits=LimitSettings(max_posts=2), stream_bytes=0)


def test_unstored_asks_the_store_a_slice_at_a_time(tmp_path):
    path = lines(tmp_path / "a.jsonl", ROWS[:5])
    archive = read_archive([path], stream_bytes=0)
    posts = {p.id: p for p in archive}
    stored = {"a": (posts["a"].content_sha, None), "c": ("edited", None)}
    fresh = archive.unstored(lambda ids: {i: stored[i] for i in ids if i in stored})
    assert [p.id for p in fresh] == [p.id for p in archive if p.id != "a"]
