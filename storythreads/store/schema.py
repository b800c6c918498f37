"""The store's schema: numbered migrations, applied in order, version in PRAGMA user_version.

A migration is never edited once released; a change to the schema is a new entry.
"""

from __future__ import annotations

MIGRATIONS = [
    # 1: the first schema
    """
    CREATE TABLE posts (
        id TEXT PRIMARY KEY, source TEXT, url TEXT, published TEXT, title TEXT NOT NULL,
        byline TEXT, body TEXT NOT NULL, captions TEXT NOT NULL, content_sha TEXT NOT NULL,
        first_run TEXT NOT NULL, last_run TEXT NOT NULL);
    CREATE TABLE post_edits (
        post_id TEXT NOT NULL, run_id TEXT NOT NULL, old_sha TEXT NOT NULL,
        new_sha TEXT NOT NULL, old_title TEXT, old_body TEXT, PRIMARY KEY (post_id, run_id));
    CREATE TABLE segments (
        id TEXT PRIMARY KEY, post_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
        kind TEXT NOT NULL, text TEXT NOT NULL, sha TEXT NOT NULL);
    CREATE INDEX segments_post ON segments (post_id);
    CREATE TABLE vectors (
        model TEXT NOT NULL, sha TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL,
        PRIMARY KEY (model, sha));
    CREATE TABLE threads (
        id TEXT PRIMARY KEY, label TEXT NOT NULL, keyphrases TEXT NOT NULL, headline TEXT,
        centroid BLOB, first_seen TEXT, last_seen TEXT, status TEXT NOT NULL,
        summary TEXT NOT NULL, born_run TEXT NOT NULL, updated_run TEXT NOT NULL);
    CREATE TABLE assignments (
        post_id TEXT NOT NULL, thread_id TEXT NOT NULL, role TEXT NOT NULL,
        score REAL NOT NULL, segment_ids TEXT NOT NULL, PRIMARY KEY (post_id, thread_id, role));
    CREATE TABLE links (
        src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL, score REAL NOT NULL,
        reason TEXT NOT NULL, PRIMARY KEY (src, dst, kind));
    CREATE TABLE lineage (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, thread_id TEXT NOT NULL,
        event TEXT NOT NULL, other_id TEXT, detail TEXT NOT NULL);
    CREATE TABLE runs (
        seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, started TEXT NOT NULL,
        finished TEXT NOT NULL, settings_digest TEXT NOT NULL, model TEXT NOT NULL,
        model_hash TEXT, counts TEXT NOT NULL, changes TEXT NOT NULL, problems TEXT NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: the report map's position of each threaded post in the latest run
    """
    CREATE TABLE layout (post_id TEXT PRIMARY KEY, x REAL NOT NULL, y REAL NOT NULL);
    """,
    # 3: the report's key points of each run (reports.key_points), as cited JSON
    """
    ALTER TABLE runs ADD COLUMN key_points TEXT NOT NULL DEFAULT '[]';
    """,
    # 4: a post dated to the day only ("2013-01-23") covers that whole day (analysis.timeline)
    """
    ALTER TABLE posts ADD COLUMN date_only INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: how each run was made (storythreads.provenance), as JSON
    """
    ALTER TABLE runs ADD COLUMN provenance TEXT NOT NULL DEFAULT '{}';
    """,
    # 6: a time of day whose date was taken from another post (ingest; issue 24)
    """
    ALTER TABLE posts ADD COLUMN time_inferred_from TEXT;
    """,
    # 7: a record's own `group` field (compare's outlet groups; issue 25)
    """
    ALTER TABLE posts ADD COLUMN outlet_group TEXT;
    """,
    # 8: the page's mark of a key event on a post (issue 27)
    """
    ALTER TABLE posts ADD COLUMN key_event INTEGER NOT NULL DEFAULT 0;
    """,
    # 9: a store that grows for years (issue 26): the scheduled run reads only the posts and
    # threads of its working set (by time and by thread), and keeps the document frequency
    # of every word of the threaded posts, so its TF-IDF rows are the whole store's
    """
    CREATE INDEX posts_published ON posts (published);
    CREATE INDEX assignments_thread ON assignments (thread_id);
    CREATE INDEX threads_last_seen ON threads (last_seen);
    CREATE TABLE terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
    """,
]
