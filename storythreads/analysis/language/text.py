"""Word-level helpers shared by clustering, labelling and cross-referencing.

One tokenizer and one stop list, so "which words matter" means the same thing in every stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Words frequent in news copy that carry no story: reporting verbs, days, months, chrome.
NEWS_STOP_WORDS = frozenset(
    [
        "said",
        "says",
        "say",
        "saying",
        "told",
        "tells",
        "according",
        "reported",
        "reports",
        "reporting",
        "report",
        "statement",
        "added",
        "adds",
        "claimed",
        "claims",
        "including",
        "just",
        "like",
        "also",
        "new",
        "latest",
        "live",
        "update",
        "updates",
        "post",
        "posts",
        "cnn",
        "bbc",
        "guardian",
        "reuters",
        "ap",
        "afp",
        "getty",
        "images",
        "photo",
        "video",
        "watch",
        "read",
        "contributed",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
        "tomorrow",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "day",
        "days",
        "time",
        "times",
        "et",
        "gmt",
        "bst",
        "utc",
        "am",
        "pm",
        "a.m",
        "p.m",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mr",
        "mrs",
        "ms",
        "dr",
        "people",
        "percent",
    ]
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | NEWS_STOP_WORDS

TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w'’-]*[^\W_]\b|\b\d[\d,.]*\b"
_TOKEN = re.compile(TOKEN_PATTERN)


def tokens(text: str) -> list[str]:
    """Lower-cased content words of ``text`` (stop words and 1-letter tokens dropped)."""
    return [t for t in map(str.lower, _TOKEN.findall(text)) if t not in STOP_WORDS]


_NAME = re.compile(
    r"\b(?:[A-Z][\w’'-]*[a-z][\w’'-]*|[A-Z]{2,})(?:\s+(?:[A-Z][\w’'-]*[a-z][\w’'-]*|[A-Z]{2,}))*"
)
_NOT_NAMES = frozenset(
    w.capitalize() for w in (STOP_WORDS | {"here", "there", "what", "while", "however", "but"})
)


# Words of a dateline ("Posted: 12/16/08 1:30 AM EST", "Updated Dec 19, 2008"), beside the
# stop list's days, months and time zones.
_DATELINE_WORDS = frozenset(["posted", "updated", "published", "edt", "est", "pst", "cet"])


def says_what(text: str) -> bool:
    """False for a line that says only *when* (a date, a time, "Updated ...") or nothing.

    Archived articles often carry their dateline as the headline; as a post's headline it
    would make unrelated articles of one day look alike.
    """
    return any(not t[0].isdigit() and t not in _DATELINE_WORDS for t in tokens(text))


def names(text: str) -> set[str]:
    """Capitalised word runs that look like names of people, places or organisations.

    A plain rule (no NER model to download): runs of capitalised words, minus stop words
    such as a sentence-initial "The". Good enough to say *why* two threads are related.
    """
    found = set()
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if w not in _NOT_NAMES]
        while words and words[0].lower() in STOP_WORDS:
            words.pop(0)
        if words:
            name = re.sub(r"['’]s?$", "", " ".join(words)).strip()
            if len(name) > 2:
                found.add(name)
    return found


_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")


def lowercase_words(texts: Iterable[str]) -> set[str]:
    """Words the texts write in lower case somewhere: common words, not names."""
    found: set[str] = set()
    for text in texts:
        found.update(_LOWER_WORD.findall(text))
    return found


def proper_names(found: set[str], common: set[str]) -> set[str]:
    """The names of ``found`` with a word the texts never write in lower case: "Officials",
    "President" or "Defense Ministry" at a sentence's start are common words capitalised,
    and say nothing about why two threads are related; "Lyman" and "Zakharova" do."""
    return {n for n in found if any(w.lower().strip("'’") not in common for w in n.split())}


def word_set(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than a set literal)."""
    return frozenset(text.split())
