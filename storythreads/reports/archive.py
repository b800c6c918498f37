"""The archive beside a report: one page per thread (HTML and JSON) and an index of them all.

The main report shows a window: the threads active in the last ``report.window_days``
(reports.window.recent_window). Every thread a run has described keeps its page in
``archive/threads/<id>.html`` and ``.json``, so nothing leaves the reports when it leaves
the window. A page is rewritten only when what it shows changed (the digest of its JSON
is kept in ``archive/index.json``): an hourly run on a store of years writes the pages of
the threads it re-threaded, not one per thread the store holds. ``index.json`` is the
whole store's threads as data; ``index.html`` lists them, newest activity first.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..types import Run
from .files import write_all_atomic
from .graph import Graph
from .render import environment, report_dict
from .values import safe_url

FOLDER = "archive"
PAGE_SCHEMA = "storythreads.thread/1"
INDEX_SCHEMA = "storythreads.archive/1"


def write_archive(
    run: Run, out_dir: str | Path, formats=("json", "html"), graph: Graph | None = None
) -> dict:
    """Write the pages of ``run``'s threads that changed, and the index; return counts
    (threads whose pages were written, threads unchanged, threads in the archive). Pages
    are written in the report ``formats`` among json and html; index.json, which records
    what each page shows, always."""
    as_json, as_html = "json" in formats, "html" in formats
    folder = Path(out_dir) / FOLDER
    pages = folder / "threads"
    pages.mkdir(parents=True, exist_ok=True)
    index = read_index(folder)
    data = report_dict(run, graph)
    posts = {p["id"]: p for p in data["posts"]}
    files: list[tuple[Path, bytes]] = []
    kept = written = 0
    for t in data["threads"]:
        members = sorted(
            (posts[i] for i in (*t["posts"], *t["also_posts"]) if i in posts),
            key=lambda p: (p["published"] is None, p["published"] or "", p["id"]),
        )
        page = {"thread": t, "posts": members}
        digest = hashlib.sha256(_json(page).encode()).hexdigest()[:16]
        entry = _entry(t, digest)
        if index.get(t["id"], {}).get("digest") == digest and all(
            (pages / f"{t['id']}.{fmt}").exists() for fmt in formats if fmt in ("json", "html")
        ):
            kept += 1
            index[t["id"]] = entry
            continue
        index[t["id"]] = entry
        page = {"schema": PAGE_SCHEMA, "run": data["run"]["id"], **page}
        written += 1
        if as_json:
            files.append((pages / f"{t['id']}.json", (_json(page) + "\n").encode()))
        if as_html:
            files.append((pages / f"{t['id']}.html", _thread_html(t, members).encode()))
    for event in run.lineage:  # threads that ended keep their page; the index says so
        if event.event in ("merged", "retired") and event.thread_id in index:
            index[event.thread_id] = {**index[event.thread_id], "status": event.event}
    rows = sorted(index.values(), key=lambda r: (r["last_seen"] or "", r["id"]), reverse=True)
    index_data = {"schema": INDEX_SCHEMA, "threads": rows}
    # pages are many and each is whole or absent: renamed into place without a sync each;
    # the index, which says which pages are current, is synced and renamed last
    write_all_atomic(files, durable=False)
    index_files = [(folder / "index.json", (_json(index_data) + "\n").encode())]
    if as_html:
        index_files.insert(0, (folder / "index.html", _index_html(rows).encode()))
    write_all_atomic(index_files)
    return {"written": written, "unchanged": kept, "threads": len(rows)}


def read_index(folder: Path) -> dict[str, dict]:
    """Thread id -> its index entry; empty when there is no archive yet or it is unreadable
    (every page is then written afresh)."""
    try:
        data = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        return {r["id"]: r for r in data["threads"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _entry(t: dict, digest: str) -> dict:
    return {
        "id": t["id"],
        "label": t["label"],
        "status": t["status"],
        "first_seen": t["first_seen"],
        "last_seen": t["last_seen"],
        "posts": len(t["posts"]),
        "file": f"threads/{t['id']}.html",
        "digest": digest,
    }


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


def _thread_html(t: dict, posts: list[dict]) -> str:
    also = set(t["also_posts"])
    related = [
        {
            "thread_id": r["thread_id"],
            "file": f"{r['thread_id']}.html",
            "score": f"{r['score']:.2f}" if r["score"] is not None else "",
            "kinds": ", ".join(dict.fromkeys(x["kind"] for x in r["reasons"])),
        }
        for r in t["related"]
    ]
    first, last = t["first_seen"] or "undated", t["last_seen"] or "undated"
    return (
        environment("html")
        .get_template("thread.html.j2")
        .render(
            t=t,
            # only http(s) URLs become links, as in report.html
            posts=[{**p, "also": p["id"] in also, "url": safe_url(p["url"])} for p in posts],
            related=related,
            span=first if first == last else f"{first} – {last}",
        )
    )


def _index_html(rows: list[dict]) -> str:
    return environment("html").get_template("archive.html.j2").render(rows=rows)
