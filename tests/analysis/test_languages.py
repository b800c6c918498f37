"""Each post's language, and what a run in another language changes (issue 32): a note in
the report, names kept whole, no voices or figures read by a pipeline of another language."""

from __future__ import annotations

from datetime import UTC, datetime

from storythreads.analysis.describe.naming import thread_names
from storythreads.analysis.language.detect import (
    language_note,
    languages,
    post_language,
    text_language,
)
from storythreads.types import Post

ITALIAN = [
    ("Salito a 242 il numero di morti di Hamas a Gaza nella notte",
     "Il ministero della sanità ha detto che il numero delle vittime è salito durante la notte."),
    ("Il governo italiano convoca il consiglio dei ministri domani mattina",
     "La riunione servirà a discutere le misure per le famiglie colpite dall'alluvione."),
]  # fmt: skip


def post(pid: str, title: str, body: str) -> Post:
    return Post(pid, "test", None, datetime(2023, 11, 2, tzinfo=UTC), title, None, body)


def test_languages_are_told_and_short_texts_are_undetermined():
    assert post_language(post("a", *ITALIAN[0])) == "it"
    assert text_language("The council approved the new budget on Monday after a debate.") == "en"
    assert text_language("Der Bürgermeister äußerte sich am Dienstag über die Größe.") == "de"
    assert text_language("42") == "und"


def test_a_run_mostly_in_another_language_says_so():
    found = languages(["it"] * 7 + ["en"] * 2 + ["und"])
    assert (found.main, found.counts) == ("it", {"it": 7, "en": 2, "und": 1})
    note = language_note(found, 10)
    assert note is not None and note.startswith("7 of 10 posts are in Italian (it).")
    assert "--model" in note and "--nlp-model" in note
    assert language_note(languages(["en"] * 5 + ["it"]), 6) is None
    assert languages(["it", "en", "fr", "de"]).main is None  # no majority: nothing said


def test_a_thread_in_another_language_is_named_by_a_whole_headline():
    posts = [post(f"p{i}", title, body) for i, (title, body) in enumerate(ITALIAN)]
    (name,) = thread_names([posts])
    assert name in {title for title, _ in ITALIAN}  # no word cut by an English parse
