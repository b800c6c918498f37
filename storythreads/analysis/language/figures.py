"""Numbers in the news: what was counted, how many, and whether the count changed.

Read from spaCy's parse (``analysis.nlp``), sentence by sentence:

- A number is a run of number tokens ("494", "1,051", "1.5 million", "two dozen").
  Never a figure: a number inside a DATE, TIME or ORDINAL entity ("June 30", "Oct. 15",
  "fiscal 2013", "10 a.m.", "500th"), a year (a four-digit 1800-2100 written without a
  comma), a day of the month (after a month's name), a number glued to a hyphen
  ("155-millimeter", "18-year-old"), an age band ("aged 18 to 29", "65 and older"), a
  label's number (its noun comes first: "page 5", "Section 230", "ground zero"), and
  "one" without a unit (a pronoun more often than a count).
- Its qualifier is what the parse hangs on it as a modifier: "at least", "more than",
  "up to", "about", "over", ... .
- What it counts comes from what it attaches to: a unit noun ("40 kilometers" -> distance,
  km; "square miles" -> area; "days" -> duration; "rounds" -> rounds; a percentage); a
  casualty verb or word that governs it or its noun ("killed at least 8 people",
  "13 wounded", "six dead", "deaths" -> deaths or injured; for children, civilians,
  soldiers and troops the group is named: "children killed"; a casualty figure with no
  noun of its own, "... and 1,051 injured", takes the group of the figure before it);
  otherwise the noun it counts ("three vehicles", "two of the plaintiffs") or, with none,
  the verb it
  is the subject or object of ("1.5 million fled" -> fled). Nothing to attach to, no
  figure.
- A figure is ``earlier`` (a superseded report) when the clause that holds it is in the
  past perfect ("had reported") or says "earlier" or "previously".
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ...types import Run
from ..compare.outlets import outlet_of, thread_posts

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token


def _words(text: str) -> list[str]:
    return text.split()


_SMALL = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS = _words("twenty thirty forty fifty sixty seventy eighty ninety")
NUMBER_WORDS = {w: i for i, w in enumerate(_SMALL)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
SCALES = {"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000}  # fmt: skip
QUALIFIERS = (
    "at least", "more than", "fewer than", "less than", "up to", "at most", "as many as",
    "about", "around", "approximately", "roughly", "nearly", "almost", "over", "some",
    "under", "just over", "just under", "close to", "upwards of",
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
    "percent": ("percent", "%"), "%": ("percent", "%"), "per": ("percent", "%"),
    "rounds": ("rounds", None), "shells": ("rounds", None),
}  # fmt: skip
CURRENCIES = {"$": "USD", "dollars": "USD", "dollar": "USD", "€": "EUR", "euros": "EUR",
              "£": "GBP", "pounds": "GBP"}  # fmt: skip
KILLED = frozenset(_words("kill die dead death fatality killing"))
INJURED = frozenset(_words("injure wound injury hurt wounded injured"))
GROUPS = frozenset({"children", "civilians", "soldiers", "troops"})
# Nouns that label a number rather than count it when they come first: "page 5".
LABELS = frozenset(_words(
    "page pages section article chapter paragraph clause amendment item no number episode "
    "season district route highway flight room title act rule precinct ward level category "
    "grade class phase stage version model row box lot exit gate channel"
))  # fmt: skip
AGE_WORDS = frozenset(_words("age ages aged"))
NOT_FIGURES = frozenset({"DATE", "TIME", "ORDINAL"})
NOT_REVISED = frozenset({"duration"})
# Subjects that say how much, not what: two of them in a thread differ only when they are
# about the same thing (``Figure.about``: "the bill", "unemployment"); two amounts of money
# in a story about a gun bill are often of different things.
UNIT_WORDS = frozenset(UNITS) | frozenset(CURRENCIES)
MEASURES = frozenset({"money", "percent", "area"} | {subject for subject, _ in UNITS.values()})
# Larger "counts" are typos or jokes, and would not fit a float64's integers (Parquet).
MAX_VALUE = 2.0**53


@dataclass(frozen=True)
class Figure:
    subject: str
    value: int | float
    unit: str | None
    qualifier: str | None  # "at least", "up to", ... as written, lower case
    text: str  # the sentence it comes from
    earlier: bool = False  # the sentence reports a superseded count ("Earlier, ... had reported")
    number: str = ""  # the number as written ("1.5 million"), to check it against the text
    # what an amount or a measure is of ("fine" of "a $5,000 fine", "bill" of "the bill would
    # cost $293 million"), lower case; None where the parse does not say
    about: str | None = None


def _word_value(words: list[str]) -> float | None:
    total = current = 0
    previous = None
    for word in words:
        for part in word.split("-"):
            if part in SCALES and previous in SCALES and previous != "hundred":
                return None  # "billion billion": no count
            previous = part
            if part in NUMBER_WORDS:
                current += NUMBER_WORDS[part]
            elif part == "hundred":
                current = max(current, 1) * 100
            elif part in SCALES:
                total, current = total + max(current, 1) * SCALES[part], 0
            else:
                return None
    return float(total + current)


def _value(tokens: list[Token]) -> float | None:
    """The value of a run of number tokens: digits (with a scale word after) or words."""
    words = [t.lower_ for t in tokens]
    digits = [w for w in words if any(c.isdigit() for c in w)]
    if not digits:
        value = _word_value(words)
        return value if value is not None and value < MAX_VALUE else None
    if len(digits) > 1 or not words[0][0].isdigit():
        return None  # "18 to 29", "3-2": a range or a score, not one count
    try:
        value = float(words[0].replace(",", ""))
    except ValueError:
        return None
    if len(words) > 2 or any(w not in SCALES for w in words[1:]):
        return None  # one scale word at most: "20 trillion trillion" is no count
    value *= SCALES[words[1]] if len(words) == 2 else 1
    return value if value < MAX_VALUE else None


def _is_number(token: Token) -> bool:
    text = token.lower_
    return (token.like_num or text in SCALES) and not text.endswith(("st", "nd", "rd", "th"))


def _number_runs(sent: Span) -> list[list[Token]]:
    """Maximal runs of adjacent number tokens of a sentence, in reading order."""
    runs: list[list[Token]] = []
    for token in sent:
        if _is_number(token):
            if runs and runs[-1][-1].i == token.i - 1:
                runs[-1].append(token)
            else:
                runs.append([token])
    return runs


def _excluded(run: list[Token], sent: Span) -> bool:
    """Dates, times, ordinals, years, days of the month, glued numbers, ages, labels."""
    first, last = run[0], run[-1]
    doc = first.doc
    if any(t.ent_type_ in NOT_FIGURES for t in run):
        return True
    text = first.text
    if (
        len(run) == 1
        and len(text) == 4
        and text.isdecimal()
        and text.isascii()
        and (1800 <= int(text) <= 2100)
    ):
        return True  # a year
    before = doc[first.i - 1] if first.i > sent.start else None
    after = doc[last.i + 1] if last.i + 1 < sent.end else None
    if before is not None and before.lower_.rstrip(".") in MONTHS:
        return True  # "June 30": a day of the month
    if (after is not None and after.text == "-" and not last.whitespace_) or (
        before is not None and before.text == "-" and not before.whitespace_
    ):
        return True  # "155-millimeter", "18-year-old": a size or an age, not a count
    if before is not None and before.lemma_.lower() in LABELS | AGE_WORDS:
        return True  # "page 5", "Section 230", "aged 18"
    head = last.head
    if head.lemma_.lower() in AGE_WORDS or (
        last.dep_ in ("nummod", "compound", "appos") and head.i < first.i and head.pos_ != "VERB"
    ):
        return True  # the noun comes first: a label ("ground zero", "Air Force One")
    older = last.i + 2 < sent.end and doc[last.i + 2].lower_ in ("older", "over", "above", "up")
    if after is not None and after.lower_ == "and" and older:
        return True  # "65 and older": an age band
    if text.lower() == "one" and len(run) == 1:
        return not (after is not None and after.lower_ in UNITS)
    return False


def _qualifier(run: list[Token]) -> str | None:
    """'at least', 'more than', 'about' ...: the modifiers the parse hangs on the number."""
    inside = {t.i for t in run}
    words: list[Token] = []  # spaCy Tokens
    for token in run:
        for child in token.children:
            if (
                child.i not in inside
                and child.i < run[0].i
                and child.dep_ in ("advmod", "quantmod", "amod", "prep")
            ):
                words.extend(t for t in child.subtree if t.i < run[0].i)
    phrase = " ".join(t.lower_ for t in sorted(set(words), key=lambda t: t.i))
    return phrase if phrase in QUALIFIERS else None


def _casualty(*tokens: Token | None) -> str | None:
    """'killed' or 'injured' when a token (a verb, an adjective or a noun) says so."""
    for token in tokens:
        if token is None:
            continue
        lemma, text = token.lemma_.lower(), token.lower_
        if lemma in KILLED or text in KILLED or text in ("deaths", "fatalities", "dead"):
            return "killed"
        if lemma in INJURED or text in INJURED or text == "injuries":
            return "injured"
    return None


def _attachment(run: list[Token]) -> tuple[Token | None, Token | None]:
    """(noun the number counts or None, the verb or word that governs them or None)."""
    last = run[-1]
    head = last.head
    if last.dep_ in ("nummod", "quantmod", "compound") and head.i != last.i:
        noun = head if head.pos_ in ("NOUN", "PROPN", "ADJ") else None
        if noun is not None:
            governor = noun.head if noun.dep_ in ("nsubj", "nsubjpass", "dobj", "attr",
                                                  "conj", "appos", "pobj") else None  # fmt: skip
            return noun, governor
    of = next((c for c in last.children if c.dep_ == "prep" and c.lower_ == "of"), None)
    counted = next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
    if counted is not None and counted.pos_ == "NOUN":  # "two of the plaintiffs"
        return counted, head if last.dep_ in ("nsubj", "nsubjpass", "dobj") else None
    if last.dep_ in ("nsubj", "nsubjpass", "dobj", "attr", "conj", "npadvmod", "pobj"):
        return None, head
    return None, None


def _subject(
    run: list[Token], sent: Span, last_group: str | None
) -> tuple[str | None, str | None, str | None]:
    """(subject, unit, group) of a number run, or (None, None, None)."""
    last = run[-1]
    doc = last.doc
    after = doc[last.i + 1] if last.i + 1 < sent.end else None
    if last.ent_type_ == "PERCENT" or (after is not None and after.lower_ in ("%", "percent")):
        return "percent", "%", None
    before = doc[run[0].i - 1] if run[0].i > sent.start else None
    currency = next((CURRENCIES[t.lower_] for t in (before, after)
                     if t is not None and t.lower_ in CURRENCIES), None)  # fmt: skip
    if currency or last.ent_type_ == "MONEY":
        return "money", currency, None
    noun, governor = _attachment(run)
    if noun is not None:
        word: str | None = noun.lower_
        if word == "square" or any(c.lower_ == "square" for c in noun.children):
            unit = UNITS.get(noun.lower_ if word != "square" else "")
            if unit:
                return "area", f"sq {unit[1]}", None
        if word in UNITS:
            return (*UNITS[word], None)
    what = _casualty(governor, noun, *(c for c in (noun.children if noun is not None else ())
                                         if c.dep_ == "amod"))  # fmt: skip
    if what is None and noun is None and after is not None:
        what = _casualty(after) if after.pos_ in ("ADJ", "VERB", "NOUN") else None
    if what is not None:
        word = noun.lower_ if noun is not None and _casualty(noun) is None else None
        group = word or (last_group if noun is None else None)
        if group in GROUPS:
            return f"{group} {what}", None, group
        return ("deaths" if what == "killed" else "injured"), None, group
    if noun is not None and noun.pos_ == "NOUN":
        if noun.lower_ in ("casualties", "casualty"):
            return "casualties", None, None
        return noun.lower_, None, noun.lower_
    if noun is None and governor is not None and governor.pos_ == "VERB":
        return governor.lower_, None, None
    return None, None, None


def _earlier(run: list[Token]) -> bool:
    """The clause holding the number is in the past perfect or says earlier / previously."""
    token = run[-1]
    for _ in range(8):  # up the heads to the clause's verb and the verb above it
        if token.pos_ in ("VERB", "AUX"):
            kids = list(token.children)
            if any(c.lower_ == "had" and c.dep_ in ("aux", "auxpass") for c in kids):
                return True
            if any(c.lower_ in ("earlier", "previously") for c in kids):
                return True
        if token.head.i == token.i:
            break
        token = token.head
    return False


def sentence_figures(sent: Span) -> list[Figure]:
    """Counted things of one parsed sentence (a spaCy Span), in reading order."""
    found: list[Figure] = []
    last_group: str | None = None
    text = sent.text.strip()
    for run in _number_runs(sent):
        if _excluded(run, sent):
            continue
        value = _value(run)
        if value is None:
            continue
        subject, unit, group = _subject(run, sent, last_group)
        if subject is None or not any(c.isalpha() for c in subject):
            continue
        last_group = group or last_group
        number = int(value) if value.is_integer() else value
        written = run[0].doc[run[0].i : run[-1].i + 1].text
        found.append(Figure(subject, number, unit, _qualifier(run), text, _earlier(run), written,
                            _about(run) if subject in MEASURES else None))  # fmt: skip
    return found


def _about(run: list[Token]) -> str | None:
    """What an amount or a measure is of: the noun it modifies ("a $5,000 fine"), else the
    subject of the verb it is the object or complement of ("the bill would cost $293
    million", "unemployment rose to 9.1 percent"); None when the parse names nothing."""
    node = run[-1]
    own = UNIT_WORDS | {"percent", "%"}
    while node.head.i != node.i and (node.head.pos_ in ("NUM", "SYM") or node.head.lower_ in own):
        node = node.head  # over the amount's own words: "$", "million", "percent", "miles"
    head = node.head
    if node.dep_ in ("nummod", "compound", "quantmod", "nmod", "amod") and head.pos_ == "NOUN":
        return head.lemma_.lower()
    verb = head.head if node.dep_ == "pobj" else head
    if verb.pos_ not in ("VERB", "AUX"):
        return None
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or subject.pos_ not in ("NOUN", "PROPN"):
        return None
    return subject.lemma_.lower()


def doc_figures(doc: Doc) -> list[Figure]:
    """Counted things of a parsed text, in reading order."""
    return [figure for sent in doc.sents for figure in sentence_figures(sent)]


def extract_figures(text: str, nlp: Language | None = None) -> list[Figure]:
    """Counted things of ``text`` (parsed with ``nlp``, default the shipped pipeline)."""
    from .nlp import parse

    (doc,) = parse([text], nlp)
    return doc_figures(doc)


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
    text: str  # the sentence
    number: str = ""  # the number as written
    about: str | None = None  # what an amount or a measure is of (Figure.about)


def figures(
    run: Run, found: Mapping[str, list[Figure]] | None = None, nlp: Language | None = None
) -> list[FigureRow]:
    """Figures of each thread's primary posts (title, then body); rows by (thread order,
    published with undated last, post id, position in the post). ``found`` gives each
    post's figures already (post id -> ``doc_figures`` of its parse, as ``compare`` reads
    them); without it the posts are parsed here with ``nlp`` (default: the shipped
    pipeline)."""
    pairs = [(thread, post) for thread, posts in thread_posts(run) for post in posts]
    if found is None:
        from .nlp import parse

        parsed = parse([f"{post.title}\n{post.body}" for _, post in pairs], nlp)
        found = {post.id: doc_figures(doc) for (_, post), doc in zip(pairs, parsed, strict=True)}
    rows = []
    for thread, post in pairs:  # already in (thread, published, id) order
        for f in found[post.id]:
            rows.append(FigureRow(thread.id, outlet_of(post), post.id, post.published, **vars(f)))
    return rows


@dataclass(frozen=True)
class Revision:
    thread_id: str
    subject: str
    # (value, post_id, outlet, published, earlier), superseded first
    values: list[tuple[int | float, str, str, datetime | None, bool]]
    note: str  # "deaths: 6 (earlier report) → 8"
    unit: str | None = None


def _time_key(when: datetime | None) -> tuple[bool, float]:
    return (when is None, when.timestamp() if when else 0.0)


def _format(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


def revisions(rows: list[FigureRow], subjects: Container[str] | None = None) -> list[Revision]:
    """Subjects a thread reports with more than one value (per unit), e.g. a death toll
    that rose. Values: superseded reports (`earlier`) first, then by time and post id.

    `subjects` limits the check to those subjects; by default every subject but those in
    `NOT_REVISED` (durations: "10 days ago" and "500 days since" are both true). A measure
    (`MEASURES`: money, percent, distance...) is compared only with the same measure of the
    same thing (`about`), and not at all where the parse does not say what it is of.
    Revisions come in the order their thread first appears in `rows`, then by subject and
    unit.
    """
    groups: dict[tuple[str, str, str, str], list[tuple[int, FigureRow]]] = {}
    order: dict[str, int] = {}
    for n, row in enumerate(rows):
        order.setdefault(row.thread_id, len(order))
        wanted = row.subject not in NOT_REVISED if subjects is None else row.subject in subjects
        if row.subject in MEASURES and row.about is None:
            wanted = False  # an amount of something unknown: nothing to compare it with
        if wanted:
            key = (row.thread_id, row.subject, row.unit or "", row.about or "")
            groups.setdefault(key, []).append((n, row))
    out = []
    for (thread_id, subject, unit, about), items in sorted(
        groups.items(), key=lambda kv: (order[kv[0][0]], *kv[0][1:])
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
        label += f" of the {about}" if about else ""
        values = [(r.value, r.post_id, r.outlet, r.published, r.earlier) for _, r in items]
        note = f"{label}: {' → '.join(steps)}"
        out.append(Revision(thread_id, subject, values, note, unit or None))
    return out
