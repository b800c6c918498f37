"""Ingest: files in, `Post`s out — the first stage, and the only one that reads user files.

One module per input format (`liveblog_text`, `jsonl`, `csv_posts`), the rules shared by
all of them in `common`, and file handling (decoding, sniffing, merging) in `reading`::

    result = read_posts(["blog.txt", "more.jsonl"], limits=settings.limits)
    result.posts      # tuple[Post, ...], sorted by (published, id), one per id
    result.problems   # records skipped or repaired, each naming its file and line

``read_archive`` reads the same posts without holding a large JSONL file (``archive``).
"""

from .archive import Archive, read_archive
from .reading import FORMATS, IngestResult, Reader, read_posts, sniff_format

__all__ = [
    "FORMATS",
    "Archive",
    "IngestResult",
    "Reader",
    "read_archive",
    "read_posts",
    "sniff_format",
]
