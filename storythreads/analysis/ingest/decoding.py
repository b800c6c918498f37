"""Bytes to text for every input format: byte-order marks, UTF-8, declared and guessed
encodings, said in ``problems`` whenever the file is not plain UTF-8.

Real files come in whatever their makers' systems wrote: an RSS feed declared
``ISO-8859-1``, a CSV exported from a spreadsheet in Windows-1252, a JSONL file that
concatenates a UTF-8 source and a Latin-1 one. The rules, in order:

1. A byte-order mark names the encoding (UTF-8, UTF-16).
2. A file that is valid UTF-8 is UTF-8, whatever it declares: Latin-1 text is almost never
   valid UTF-8 by chance, while a UTF-8 file declared Latin-1 (a copied template) is common.
3. A page or feed that declares its encoding (``<?xml encoding=...?>``, ``<meta charset>``)
   and is not UTF-8 is read in that encoding, as a browser would (w3lib maps the names as
   the WHATWG does: "ISO-8859-1" is read as Windows-1252).
4. Otherwise each line that is valid UTF-8 stays UTF-8, and the others are read in the
   encoding charset-normalizer finds likeliest for them (on a tie, Windows-1252, the web's
   default for unlabelled legacy text). No record is lost for its bytes when a decoding
   recovers it; the guess is reported, naming the first line it was needed for.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding

from ...errors import InputError

_UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_WEB_DEFAULT = "cp1252"  # WHATWG: the legacy default for unlabelled Western text


@dataclass(frozen=True)
class Decoded:
    """A file's text and, when it was not plain UTF-8, what was done: the encoding used,
    why, and the first line (1-based) that needed it."""

    text: str
    encoding: str = "utf-8"
    note: str | None = None
    line: int | None = None


def decode_preview(data: bytes, where: str) -> str:
    """A forgiving reading of the bytes (bad bytes replaced), to tell the format by; the
    same InputError as ``decode`` for binary data."""
    if data.startswith(UTF16_BOMS):
        return decode(data, where).text
    data = data.removeprefix(_UTF8_BOM)
    if b"\x00" in data:
        raise InputError("looks like a binary file (it contains NUL bytes)", path=where)
    return data.decode("utf-8", errors="replace")


def decode(data: bytes, where: str, markup: bool = False) -> Decoded:
    """The text of a file's bytes by the rules above; ``markup``: an HTML page or a feed,
    whose own declaration of its encoding is read. InputError for binary data."""
    if data.startswith(UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-16 ({exc.reason})", path=where) from exc
        if "\x00" in text:
            raise InputError("looks like a binary file (it contains NUL bytes)", path=where)
        return Decoded(text, "utf-16")
    data = data.removeprefix(_UTF8_BOM)
    if b"\x00" in data:
        raise InputError("looks like a binary file (it contains NUL bytes)", path=where)
    declared = html_body_declared_encoding(data[:4096]) if markup else None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = data.count(b"\n", 0, exc.start) + 1
    else:
        if declared and _codec(declared) != "utf-8" and not data.isascii():
            return Decoded(text, note=f"declares {declared} but is valid UTF-8; read as UTF-8")
        return Decoded(text)
    if declared and _codec(declared) not in ("utf-8", None):
        try:
            text = data.decode(declared)
        except UnicodeDecodeError:
            pass  # the declaration is wrong: guess, as for a file that declares nothing
        else:
            return Decoded(text, declared, f"not UTF-8; read as {declared}, the encoding "
                           "the file declares", first_bad)  # fmt: skip
    return _by_line(data, first_bad)


def _by_line(data: bytes, first_bad: int) -> Decoded:
    """UTF-8 where a line is UTF-8, the likeliest other encoding where it is not."""
    lines = data.split(b"\n")
    bad = [i for i, line in enumerate(lines) if not _is_utf8(line)]
    guess = guess_encoding(b"\n".join(lines[i] for i in bad))
    if not _ascii_compatible(guess):  # UTF-16 without a mark: lines cannot be split on bytes
        text = data.decode(guess, errors="replace")
        return Decoded(text, guess, f"not UTF-8; read as {guess}, the likeliest encoding "
                       "(charset-normalizer)", first_bad)  # fmt: skip
    for i in bad:
        lines[i] = lines[i].decode(guess, errors="replace").encode("utf-8")
    text = b"\n".join(lines).decode("utf-8")
    some = f"{len(bad)} of {len(lines)} lines are" if len(bad) < len(lines) else "the file is"
    note = (
        f"{some} not UTF-8; read them as {guess}, the likeliest encoding "
        "(charset-normalizer); save the file as UTF-8 to be sure"
    )
    return Decoded(text, guess, note, first_bad)


def guess_encoding(data: bytes) -> str:
    """The likeliest encoding of bytes that are not UTF-8 (charset-normalizer's least
    "chaotic" reading; Windows-1252 among equals or where it reads the same, since short
    samples often tie)."""
    matches = list(from_bytes(data))
    if not matches:
        return _WEB_DEFAULT
    least = min(match.chaos for match in matches)
    tied = [match.encoding for match in matches if match.chaos <= least]
    if _WEB_DEFAULT in tied or _same_reading(data, tied[0], _WEB_DEFAULT):
        return _WEB_DEFAULT
    return tied[0]  # charset-normalizer lists its best reading first


def _same_reading(data: bytes, one: str, other: str) -> bool:
    """Whether two encodings read these bytes as the same text (cp1250 and cp1252 agree on
    "café"; charset-normalizer then lists only one of them)."""
    try:
        return data.decode(one) == data.decode(other)
    except UnicodeDecodeError:
        return False


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _ascii_compatible(name: str) -> bool:
    return _codec(name) not in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
                                "utf-32-be")  # fmt: skip
