"""Numbers in the news: what was counted, how many, and whether the count changed.

Sentence by sentence, plain rules (no parser):

- A number is written in digits ("494", "1,051", "1.5 million") or words ("eight",
  "thirteen", "five hundred"; "one" only before a unit, being more often a pronoun).
  Clock times ("10 a.m."), dates ("June 30", "2022"), ordinals ("500th") and numbers
  glued to a hyphen ("155-millimeter") are skipped.
- A qualifier right before it is kept: "at least", "more than", "up to", "about", ... .
- The subject comes from the words after it, up to the next comma, number or clause end:
  a unit ("km", "miles" -> distance; "square miles" -> area; "days", "months" ->
  duration; "rounds" -> rounds; "percent" -> percent); a casualty word within a few words
  ("killed", "dead", "died", "deaths", "fatalities" -> deaths; "injured", "wounded" ->
  injured), also before the number ("kills at least 8"); for children, civilians,
  soldiers and troops the group is named ("children killed"). A number with a casualty
  word but no noun of its own ("... 494 children have been killed and 1,051 injured")
  takes the noun of the figure before it in the sentence. Otherwise the subject is the
  lower-case word right after the number ("three vehicles" -> vehicles; with no parser it
  may be a verb: "1.5 million fled" -> fled); no such word, no figure.
- A figure is `earlier` (a superseded report) when its sentence starts with "Earlier,"
  or says "had reported" or "previously".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..types import Run
from .compare import outlet_of, thread_posts
from .segment import split_sentences
from .text import STOP_WORDS


def _words(text: str) -> list[str]:
    return text.split()


_SMALL = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS = _words("twenty thirty forty fifty sixty seventy eighty ninety")
NUMBER_WORDS = {w: i for i, w in enumerate(_SMALL)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
QUALIFIERS = (
    "at least", "more than", "fewer than", "less than", "up to", "at most", "as many as",
    "about", "around", "approximately", "roughly", "nearly", "almost", "over", "some",
)  # fmt: skip
MONTHS = frozenset(
    _words(
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    )
)
UNITS = {
    "km": ("distance", "km"), "kilometer": ("distance", "km"), "kilometers": ("distance", "km"),
    "kilometre": ("distance", "km"), "kilometres": ("distance", "km"),
    "mile": ("distance", "miles"), "miles": ("distance", "miles"),
    "meters": ("distance", "m"), "metres": ("distance", "m"),
    **{w + s: ("duration", w + "s") for w in ("hour", "day", "week", "month", "year") for s in "s"},
    **{w: ("duration", w + "s") for w in ("hour", "day", "week", "month", "year")},
    "percent": ("percent", "%"), "%": ("percent", "%"),
    "rounds": ("rounds", None), "shells": ("rounds", None),
}  # fmt: skip
KILLED = frozenset(_words("killed dead died die dies death deaths fatalities kills killing"))
INJURED = frozenset(_words("injured wounded injuries hurt wounding injuring"))
GROUPS = frozenset({"children", "civilians", "soldiers", "troops"})
NOT_REVISED = frozenset({"duration"})
_EARLIER = re.compile(r"^earlier\b|\bhad reported\b|\bpreviously\b", re.IGNORECASE)
_TOKEN = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<glue>st|nd|rd|th|-)?"
    r"|(?P<word>[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*)|(?P<mark>%)|(?P<stop>[,;:()\[\]“”\"—–]|\.\s)"
)
_CLOCK = re.compile(r"\s*(?:a\.?m\b|p\.?m\b|:\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    subject: str
    value: int | float
    unit: str | None
    qualifier: str | None  # "at least", "up to", ... as written, lower case
    text: str  # the sentence it comes from
    earlier: bool = False  # the sentence reports a superseded count ("Earlier, ... had reported")


def _word_value(words: list[str]) -> int | None:
    total = current = 0
    for word in words:
        for part in word.split("-"):
            if part in NUMBER_WORDS:
                current += NUMBER_WORDS[part]
            elif part == "hundred":
                current = max(current, 1) * 100
            elif part in SCALES:
                total, current = total + max(current, 1) * SCALES[part], 0
            else:
                return None
    return total + current


def _is_number_word(word: str) -> bool:
    return all(p in NUMBER_WORDS or p in SCALES for p in word.lower().split("-"))


def _noun(word: str) -> str | None:
    if word.isalpha() and word.islower() and (word not in STOP_WORDS or word == "people"):
        return word
    return None


def _number_at(toks: list, i: int, sentence: str) -> tuple[float | None, int]:
    """The value of a number starting at token i (None: not a count) and the next index."""
    m, kind = toks[i]
    if kind == "num":
        glued = m.start() > 0 and (
            sentence[m.start() - 1].isalnum() or sentence[m.start() - 1] in "-:"
        )
        if glued or m.group("glue") or _CLOCK.match(sentence, m.end()):
            return None, i + 1
        value, i = float(m.group("num").replace(",", "")), i + 1
        while i < len(toks) and toks[i][1] == "word" and toks[i][0].group().lower() in SCALES:
            value, i = value * SCALES[toks[i][0].group().lower()], i + 1
        return value, i
    if kind == "word" and _is_number_word(m.group()):
        start = i
        while i < len(toks) and toks[i][1] == "word" and _is_number_word(toks[i][0].group()):
            i += 1
        return float(_word_value([t.group().lower() for t, _ in toks[start:i]]) or 0), i
    return None, i + 1


def _subject(raw: list[str], pre: list[str], last_noun: str | None) -> tuple:
    """(subject, unit, noun) from the words after a number and the word before it."""
    after = [w.lower() for w in raw]
    first = after[0] if after else None
    if first == "square" and len(after) > 1 and after[1] in UNITS:
        return "area", f"sq {UNITS[after[1]][1]}", None
    if first in UNITS:
        return (*UNITS[first], None)
    noun = _noun(raw[0]) if raw and first not in KILLED | INJURED else None
    window = after[1:5] if noun else after[:3]
    hit = next((w for w in window if w in KILLED or w in INJURED), None)
    if hit is None and pre and (pre[-1] in KILLED or pre[-1] in INJURED):
        hit = pre[-1]
    if hit is not None:
        group, what = noun or last_noun, "killed" if hit in KILLED else "injured"
        if group in GROUPS:
            return f"{group} {what}", None, group
        return ("deaths" if what == "killed" else "injured"), None, group
    if first in ("casualties", "casualty"):
        return "casualties", None, None
    return noun, None, noun


def _sentence_figures(sentence: str) -> list[Figure]:
    toks = [(m, m.lastgroup) for m in _TOKEN.finditer(sentence)]
    earlier = bool(_EARLIER.search(sentence))
    found: list[Figure] = []
    last_noun: str | None = None
    i = 0
    while i < len(toks):
        start = i
        value, i = _number_at(toks, i, sentence)
        if value is None:
            continue
        before = [
            t.group().lower() if k == "word" else "," for t, k in toks[max(0, start - 4) : start]
        ]
        qualifier = next((q for q in QUALIFIERS if before[-len(q.split()) :] == q.split()), None)
        pre = before[: len(before) - len(qualifier.split())] if qualifier else before
        raw: list[str] = []  # the words after the number, as written, up to a stop or number
        for t, k in toks[i:]:
            if k in ("stop", "num") or len(raw) == 6:
                break
            raw.append(t.group())
        if raw[:1] == ["other"]:
            raw = raw[1:]
        if (pre and pre[-1] in MONTHS) or (
            1900 <= value <= 2100 and value.is_integer() and not raw
        ):
            continue  # a date ("June 30") or a year ending a clause ("in February 2022")
        if toks[start][0].group().lower() == "one" and not (raw and raw[0].lower() in UNITS):
            continue  # "one of the reasons": a pronoun more often than a count
        subject, unit, noun = _subject(raw, pre, last_noun)
        if subject is None:
            continue
        last_noun = noun or last_noun
        number = int(value) if value.is_integer() else value
        found.append(Figure(subject, number, unit, qualifier, sentence, earlier))
    return found


def extract_figures(text: str) -> list[Figure]:
    """Counted things of `text` in reading order (rules in the module docstring)."""
    return [
        figure
        for paragraph in text.splitlines()
        for sentence in split_sentences(paragraph)
        for figure in _sentence_figures(sentence)
    ]


@dataclass(frozen=True)
class FigureRow:
    thread_id: str
    outlet: str
    post_id: str
    published: datetime | None
    subject: str
    value: int | float
    unit: str | None
    qualifier: str | None
    earlier: bool
    text: str


def figures(run: Run) -> list[FigureRow]:
    """Figures of each thread's primary posts (title, then body); rows by (thread order,
    published with undated last, post id, position in the post)."""
    rows = []
    for thread, posts in thread_posts(run):
        for post in posts:  # already in (published, id) order
            for f in extract_figures(f"{post.title}\n{post.body}"):
                rows.append(
                    FigureRow(thread.id, outlet_of(post), post.id, post.published, **vars(f))
                )
    return rows


@dataclass(frozen=True)
class Revision:
    thread_id: str
    subject: str
    values: list[tuple]  # (value, post_id, outlet, published, earlier), superseded first
    note: str  # "deaths: 6 (earlier report) → 8"
    unit: str | None = None


def _time_key(when: datetime | None) -> tuple:
    return (when is None, when.timestamp() if when else 0.0)


def _format(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


def revisions(rows: list[FigureRow], subjects=None) -> list[Revision]:
    """Subjects a thread reports with more than one value (per unit), e.g. a death toll
    that rose. Values: superseded reports (`earlier`) first, then by time and post id.

    `subjects` limits the check to those subjects; by default every subject but those in
    `NOT_REVISED` (durations: "10 days ago" and "500 days since" are both true). Revisions
    come in the order their thread first appears in `rows`, then by subject and unit.
    """
    groups: dict[tuple, list[tuple[int, FigureRow]]] = {}
    order: dict[str, int] = {}
    for n, row in enumerate(rows):
        order.setdefault(row.thread_id, len(order))
        wanted = row.subject not in NOT_REVISED if subjects is None else row.subject in subjects
        if wanted:
            groups.setdefault((row.thread_id, row.subject, row.unit or ""), []).append((n, row))
    out = []
    for (thread_id, subject, unit), items in sorted(
        groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], kv[0][2])
    ):
        if len({r.value for _, r in items}) < 2:
            continue
        items.sort(key=lambda x: (not x[1].earlier, _time_key(x[1].published), x[1].post_id, x[0]))
        steps: list[str] = []
        last = None
        for _, r in items:
            if last != (r.value, r.earlier):  # 8 in the title and 8 in the body: one step
                steps.append(_format(r.value) + (" (earlier report)" if r.earlier else ""))
                last = (r.value, r.earlier)
        label = f"{subject} ({unit})" if unit else subject
        values = [(r.value, r.post_id, r.outlet, r.published, r.earlier) for _, r in items]
        note = f"{label}: {' → '.join(steps)}"
        out.append(Revision(thread_id, subject, values, note, unit or None))
    return out
