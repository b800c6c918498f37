"""Writes the bad-input corpus that tests/test_bad_input.py feeds to the CLI.

The small files are checked in next to this script; run it to regenerate them (the test
suite also checks that the checked-in files are exactly what it writes)::

    python tests/data/bad/make_bad.py

The big inputs (a 10 MB post, 100,000 tiny posts) are not stored: the tests call
``write_big_post`` and ``write_many_posts`` to make them in a temporary directory.
Every record a test expects to survive carries an id starting with ``keep-``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"


def _line(record: object) -> str:
    return json.dumps(record, ensure_ascii=False)


def _jsonl(*lines: object) -> bytes:
    """Records as JSON lines; a str or bytes item is written verbatim (a broken line)."""
    out = []
    for item in lines:
        if isinstance(item, bytes):
            out.append(item)
        elif isinstance(item, str):
            out.append(item.encode("utf-8"))
        else:
            out.append(_line(item).encode("utf-8"))
    return b"\n".join(out) + b"\n"


def _good(n: int, **extra) -> dict:
    """A plain, valid record about a story of its own (a harbour fire in Port Elsmere)."""
    return {
        "id": f"keep-{n}",
        "source": "Wire",
        "published": f"2023-07-09T0{n}:00:00Z",
        "title": f"Harbour fire in Port Elsmere, update {n}",
        "text": (
            f"Firefighters in Port Elsmere fought a warehouse fire at the harbour for the {n}th "
            "hour. The harbour master closed two docks while crews cooled the fuel tanks."
        ),
        **extra,
    }


def small_files() -> dict[str, bytes]:
    """File name -> content of every checked-in bad input."""
    files: dict[str, bytes] = {}
    files["empty.jsonl"] = b""
    files["whitespace.jsonl"] = b"  \n\t\n   \r\n\n"
    files["binary.png"] = PNG_HEADER + b"\x00" * 48 + b"IDAT\x78\x9c\x00\x00\xff\xff" + b"\x00" * 16
    files["invalid-utf8.jsonl"] = _jsonl(
        _good(1),
        b'{"id": "latin1", "title": "Caf\xe9 owners protest the new harbour tax"}',
        _good(2),
    )
    utf16_records = [
        _good(1, title="Harbour fire in Port Elsmere — update 1 (UTF-16)"),
        _good(2, text="Crews in Port Elsmere say the fire is contained. Ümlaut and ß survive."),
    ]
    files["utf16-bom.jsonl"] = "".join(_line(r) + "\n" for r in utf16_records).encode("utf-16")
    files["utf16be-bom.csv"] = "\ufeff".encode("utf-16-be") + (
        "id,published,title,text\r\n"
        'keep-1,2023-07-09T01:00:00Z,Harbour fire in Port Elsmere,"Crews cool the tanks."\r\n'
        'keep-2,2023-07-09T02:00:00Z,Port Elsmere docks reopen,"Two docks reopen, ß ü."\r\n'
    ).encode("utf-16-be")
    files["not-json.jsonl"] = _jsonl(
        _good(1),
        '{"id": "broken", "title": "cut off in the middle',
        "this line is prose, not JSON",
        _good(2),
    )
    files["not-object.jsonl"] = _jsonl(
        _good(1), "[1, 2, 3]", '"just a string"', "42", "null", "true", _good(2)
    )
    files["missing-fields.jsonl"] = _jsonl(
        _good(1),
        {"id": "no-title-no-text", "source": "Wire", "published": "2023-07-09T03:00:00Z"},
        {"id": "blank-title-and-text", "title": "   ", "text": "\n\t "},
        _good(2),
    )
    files["duplicate-ids.jsonl"] = _jsonl(
        # the same id twice with different text: the earlier post (by time) is kept,
        # although it comes second in the file
        {"id": "keep-dup", "published": "2023-07-09T10:00:00Z",
         "title": "Port Elsmere mayor speaks", "text": "The later version of this post."},
        {"id": "keep-dup", "published": "2023-07-09T09:00:00Z",
         "title": "Port Elsmere mayor speaks", "text": "The earlier version of this post."},
        _good(1),
    )  # fmt: skip
    files["dates.jsonl"] = _jsonl(
        _good(1, id="keep-future", published="2099-01-01T00:00:00Z"),
        _good(2, id="keep-unparseable", published="the day after the storm"),
        _good(3, id="keep-no-zone", published="2023-07-09T12:30:00"),
        _good(4, id="keep-not-text", published={"day": 9}),
    )
    files["languages.jsonl"] = _jsonl(
        {"id": "keep-ru-1", "published": "2023-07-09T01:00:00Z",
         "title": "Пожар в порту Элсмира", "text": "Пожарные тушат склад в порту. Два причала закрыты."},
        {"id": "keep-ru-2", "published": "2023-07-09T02:00:00Z",
         "title": "Пожар в порту потушен", "text": "Пожарные потушили склад в порту Элсмира."},
        {"id": "keep-ja-1", "published": "2023-07-09T03:00:00Z",
         "title": "港で倉庫火災", "text": "エルズミア港の倉庫で火災が発生しました。消防隊が消火にあたっています。"},
        {"id": "keep-ja-2", "published": "2023-07-09T04:00:00Z",
         "title": "港の火災は鎮火", "text": "エルズミア港の倉庫火災は鎮火しました。"},
    )  # fmt: skip
    files["html.jsonl"] = _jsonl(
        _good(1, title="<b>Harbour</b> fire <script>alert('t')</script>",
              text="<p>Crews <em>fight</em> the fire.</p><script>document.cookie</script>"
                   "<iframe src=\"http://evil.example/\"></iframe> <!-- a comment -->"),
        _good(2, text="</textarea></title><svg onload=alert(2)> Firefighters in Port Elsmere."),
    )  # fmt: skip
    files["control-chars.jsonl"] = _jsonl(
        _good(1, title="Alarm\u0007 bell\u001b[31m red\u0000 Port\u0085Elsmere",
              text="Fire\u0008fighters\u000b in \u001fPort Elsmere.\u007f\r\nDocks closed."),
        {"id": "control-only", "title": "\u0001\u0002\u0003", "text": "\u0004\u0005"},
        _good(2),
    )  # fmt: skip
    files["control-chars.csv"] = (
        b"id,title,text\n"
        b'keep-1,Alarm\x07 bell\x1b[31m red,"Fire\x08fighters\x0c in Port Elsmere.\x7f"\n'
        b"keep-2,Port Elsmere docks \x1f reopen,Two docks reopen.\n"
    )
    long_word = "".join(chr(ord("a") + i % 26) for i in range(50_000))
    files["long-word.jsonl"] = _jsonl(
        _good(1, text=f"Firefighters found {long_word} written on the harbour wall."),
        _good(2, title=long_word),
        _good(3),
    )
    files["ragged.csv"] = (
        b"id,title,text\n"
        b"keep-1,Harbour fire in Port Elsmere,Crews cool the tanks.\n"
        b"extra-cells,Too many cells,text,surplus,more surplus\n"
        b"keep-2,Port Elsmere docks reopen,Two docks reopen.\n"
    )
    files["no-text-column.csv"] = b"id,published,author\n1,2023-07-09T01:00:00Z,Jane Doe\n"
    files["no-stamps.txt"] = b"Live updates\n\nA page copied without any post times.\nNothing.\n"
    files["invalid-utf8.txt"] = (
        b"Live updates\n1:30 p.m. ET, July 8, 2023\nHarbour fire\nCaf\xe9 owners protest.\n"
    )
    files["unknown-format.dat"] = b"Some notes\nwith no records\nand no times\n"
    files["only-bad-records.jsonl"] = _jsonl("{not json", "[]", {"id": "x"})
    return files


def write_small(directory: Path = HERE) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in small_files().items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written


def big_text(chars: int) -> str:
    """Plain prose of about ``chars`` characters: distinct sentences, paragraphs of ten.

    Distinct sentences matter: a summarizer that compares every sentence with every
    other one (an n x n matrix) would need hundreds of gigabytes for 10 MB of them.
    """
    parts, size, i = [], 0, 0
    while size < chars:
        sentence = (
            f"Report {i} says the river near bridge {i % 13} rose {i % 97} centimetres "
            f"overnight in district {i % 31}. "
        )
        if i % 10 == 9:
            sentence = sentence.rstrip() + "\n\n"
        parts.append(sentence)
        size += len(sentence)
        i += 1
    return "".join(parts)[:chars].strip()


def write_big_post(path: Path, chars: int = 10_000_000) -> Path:
    """JSONL: a good post, a post of ``chars`` characters (line 2), another good post."""
    huge = {
        "id": "huge",
        "published": "2023-07-09T05:30:00Z",
        "title": "Flood report from the river districts",
        "text": big_text(chars),
    }
    path.write_bytes(_jsonl(_good(1), huge, _good(2)))
    return path


def write_many_posts(path: Path, n: int = 100_000) -> Path:
    """JSONL of ``n`` tiny, distinct posts."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(f'{{"id": "t{i}", "title": "Tiny post {i}"}}\n')
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written_path in write_small(target):
        print(written_path)
