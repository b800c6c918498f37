"""Who speaks in each outlet's telling of a story: direct quotes, attributions, hedges.

Plain patterns over English news copy, no parser or model. A quote's speaker comes from
the words next to it:

- after it: ``“…,” Zakharova said``; ``“…,” a gunner with the call sign Ares says``;
  ``“…,” said Zakharova`` (the quote must end in , ? ! or a dash, as attributed quotes do);
- before it: ``Zakharova said: “…”``; ``Erdogan told CNN “…”``;
- a full-sentence quote right after an attributed one in the same paragraph
  (``“…,” Erdogan told CNN. “We are a strong state…”``) continues that speaker.

Quotes that match none of these (scare quotes such as ``an "act of desperation"``) are
left out. A speaker phrase is cut to its last run of capitalised words ("Russian foreign
ministry spokesperson Maria Zakharova" -> "Maria Zakharova"); a phrase without one is kept
minus a leading article ("the prosecutor general's office" -> "prosecutor general's
office"); titles in `TITLES` go ("US President Joe Biden" -> "Joe Biden"). A later short form is mapped to an earlier name of the same text that ends with
it ("Zakharova" -> "Maria Zakharova"). A pronoun speaker (he, she, they, it) becomes the
last named quote speaker of the same text; with none before it, the pronoun is kept as is.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..types import Run
from .compare import outlet_of, thread_posts
from .text import STOP_WORDS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


VERBS = r"said|says|added|adds|told|tells|wrote|writes|stated|explained|continued|noted|insisted"
ATTRIBUTION_VERBS = r"said|says|told|tells|added|adds|stated|announced|claimed|claims|confirmed"
PRONOUNS = frozenset({"he", "she", "they", "it"})
HEDGES = (
    "could not independently verify", "cannot independently verify",
    "has not been able to verify", "reportedly", "allegedly", "claimed", "according to",
    "unconfirmed", "it is unclear",
)  # fmt: skip

_QUOTE = re.compile(r"[“\"]([^“”\"]+)[”\"]")
_CAP = r"[A-Z][\w'’-]*"
_AFTER = re.compile(
    rf"\s*(?:(?P<verb2>said|says|added|adds)\s+(?P<speaker2>{_CAP}(?:\s+{_CAP}){{0,3}})\b"
    rf"|(?P<speaker>[^\s.,;:!?“”\"()][^.,;:!?“”\"()]{{0,80}}?)\s+(?:has\s+|had\s+)?"
    rf"(?P<verb>{VERBS})\b)"
)
_BEFORE = re.compile(
    rf"(?P<speaker>(?:{_CAP}\s+){{0,4}}{_CAP}|\b(?i:he|she|they|it))\s+(?:also\s+)?"
    rf"(?P<verb>{VERBS})(?:\s+(?:CNN|reporters|(?:the\s+)?[A-Z][\w'’-]*))?\s*[:,]?\s*$"
)
_ACCORDING = re.compile(
    r"\b(?:according to|citing)\s+(?P<phrase>[^.,;:!?()“”\"—–]+)", re.IGNORECASE
)
_SAID = re.compile(rf"\b(?:(?:has|had|have)\s+)?(?:also\s+)?(?P<verb>{ATTRIBUTION_VERBS})\b")
_CLAUSE_END = re.compile(r"[.,;:!?()“”\"—–]")
_BOUNDARY_WORDS = _words(
    "that which who whom whose and but while after before when since as because if so than "
    "where though although once until then by of in on at to for with from"
)
_FILLER = _words(  # words between a source and its verb: "officials had", "Biden on Friday"
    "also first previously earlier later further recently already has had have was were is "
    "are reportedly on early late last this next monday tuesday wednesday thursday friday "
    "saturday sunday"
)
_CONJUNCTIONS = _words("and but or while so that which because as when if")
_DETERMINERS = _words("the a an its his her their this these those")
TITLES = _words(
    "President Vice Prime Minister Chancellor King Queen Prince Pope Gen. General Lt. Col. "
    "Sgt. Capt. Maj. Adm. Gov. Governor Mayor Sen. Senator Rep. Dr. Mr. Mrs. Ms. Prof. "
    "Chairman Chair Secretary Spokesperson Spokesman Spokeswoman Ambassador Commander "
    "Chief Director Speaker Judge"
)


@dataclass(frozen=True)
class Quote:
    speaker: str
    quote: str
    verb: str | None  # the reporting verb, lower case ("said", "told"); None if continued


def _speaker_name(phrase: str) -> str | None:
    """The last run of capitalised words after any title ("US President Joe Biden" -> "Joe
    Biden"), else the phrase without a leading article ("the foreign ministry")."""
    words = phrase.replace("’", "'").split()
    while len(words) > 1 and words[0].lower() in STOP_WORDS and not words[0].isupper():
        words.pop(0)
    if not words or words[0].lower() in _DETERMINERS:
        return None
    if words[-1][0].isupper():
        start = len(words) - 1
        while start > 0 and words[start - 1][0].isupper() and words[start - 1] not in TITLES:
            start -= 1
        if start < len(words) - 1 or words[start] not in TITLES:
            words = words[start:]
    return " ".join(words)


class _Names:
    """Maps short forms to an earlier full name of the same text, pronouns to the last one."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.last_speaker: str | None = None

    def canonical(self, name: str, quoted: bool = False) -> str:
        if name.lower() in PRONOUNS:
            return self.last_speaker or name.lower()
        for full in reversed(self.seen):
            if full.endswith(" " + name):
                name = full
                break
        else:
            self.seen.append(name)
        if quoted:
            self.last_speaker = name
        return name


def _quotes_in(paragraph: str) -> tuple[list[tuple[int, Quote]], list[range]]:
    """(position, Quote with the speaker as written) pairs, and the spans of the quotes and
    their attributions (so that "…,” Sunak said" is not counted as an attribution too)."""
    found: list[tuple[int, Quote]] = []
    used: list[range] = [range(m.start(), m.end()) for m in _QUOTE.finditer(paragraph)]
    previous: tuple[int, str] | None = None  # end of the last attributed quote, its speaker
    for m in _QUOTE.finditer(paragraph):
        text = m.group(1).strip()
        speaker = verb = None
        after = _AFTER.match(paragraph, m.end())
        before = _BEFORE.search(paragraph[max(0, m.start() - 200) : m.start()])
        if after and re.search(r"[,?!—–-]['’]?$", text):
            verb = (after.group("verb") or after.group("verb2")).lower()
            raw = (after.group("speaker") or after.group("speaker2")).split()
            ok = len(raw) <= 8 and raw[0].lower() not in _CONJUNCTIONS
            speaker = _speaker_name(" ".join(raw)) if ok else None
            if speaker:
                used.append(range(m.end(), after.end()))
        if speaker is None and before and len(text.split()) >= 3 and text[:1].isupper():
            speaker, verb = _speaker_name(before.group("speaker")), before.group("verb").lower()
        if speaker is None and previous and text[:1].isupper() and len(text.split()) >= 3:
            gap = paragraph[previous[0] : m.start()]
            if len(gap.split()) <= 15 and not _QUOTE.search(gap):
                speaker, verb = previous[1], None
        if speaker is None:
            continue
        found.append((m.start(), Quote(speaker, text.rstrip(",—–- "), verb)))
        previous = (m.end(), speaker)
    return found, used


def _phrase_before(prefix: str) -> str | None:
    """The noun phrase that ends `prefix` (the words before a reporting verb)."""
    cut = [m.end() for m in _CLAUSE_END.finditer(prefix)]
    words = prefix[cut[-1] if cut else 0 :].split()
    while words and words[-1].lower() in _FILLER:
        words.pop()
    phrase: list[str] = []
    for word in reversed(words):
        if word.lower() in _BOUNDARY_WORDS or len(phrase) == 10:
            break
        phrase.insert(0, word)
    name = _speaker_name(" ".join(phrase))
    if not name or name.lower() in PRONOUNS or (not name[0].isupper() and len(name.split()) > 5):
        return None
    return name


def _analyse(text: str) -> tuple[list[Quote], list[str]]:
    """Quotes and attributed sources of `text`; names are resolved in reading order."""
    names = _Names()
    quotes: list[Quote] = []
    sources: list[str] = []
    for paragraph in (" ".join(p.split()) for p in text.splitlines()):
        found, used = _quotes_in(paragraph)
        events: list[tuple[int, str, Quote | None]] = [(pos, q.speaker, q) for pos, q in found]
        for m in _ACCORDING.finditer(paragraph):
            words = []
            for word in m.group("phrase").split():
                if word.lower() in _BOUNDARY_WORDS - {"of", "by"} or len(words) == 10:
                    break
                words.append(word)
            events.append((m.start(), _speaker_name(" ".join(words)) or "", None))
        for m in _SAID.finditer(paragraph):
            if not any(m.start("verb") in span for span in used):
                events.append((m.start(), _phrase_before(paragraph[: m.start()]) or "", None))
        for _, raw, quote in sorted(events, key=lambda e: e[0]):
            if quote is not None:
                speaker = names.canonical(raw, quoted=True)
                quotes.append(Quote(speaker, quote.quote, quote.verb))
            elif raw and raw.lower() not in PRONOUNS:
                sources.append(names.canonical(raw))
    return quotes, sources


def extract_quotes(text: str) -> list[Quote]:
    """Attributed quotations of `text`, in reading order (see the module docstring)."""
    return _analyse(text)[0]


def attributions(text: str) -> list[str]:
    """Sources named without a quote, in reading order: "according to X", "citing X",
    "X said" (X cut like a speaker: "citing Kremlin spokesperson Dmitry Peskov" ->
    "Dmitry Peskov"; "according to Ukrainian officials" -> "Ukrainian officials").
    Pronouns are skipped; a reporting verb that attributes a quote is not counted again."""
    return _analyse(text)[1]


def hedges(text: str) -> Counter:
    """How often each phrase of `HEDGES` occurs (case-insensitive, whole words)."""
    counts: Counter = Counter()
    for phrase in HEDGES:
        pattern = r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b"
        n = len(re.findall(pattern, text, re.IGNORECASE))
        if n:
            counts[phrase] = n
    return counts


@dataclass(frozen=True)
class VoiceRow:
    thread_id: str
    outlet: str
    speaker: str
    quotes: int
    attributions: int


@dataclass(frozen=True)
class HedgeRow:
    thread_id: str
    outlet: str
    phrase: str
    count: int


def _merge_short_forms(counts: dict[str, list[int]]) -> dict[str, list[int]]:
    """Across the posts of one outlet: "Zakharova" joins "Maria Zakharova" if it is the only
    longer capitalised name ending with it."""
    merged: dict[str, list[int]] = {}
    for name, (q, a) in counts.items():
        longer = [n for n in counts if n[:1].isupper() and n.endswith(" " + name)]
        target = longer[0] if len(longer) == 1 and name[:1].isupper() else name
        total = merged.setdefault(target, [0, 0])
        total[0] += q
        total[1] += a
    return merged


def voices(run: Run) -> list[VoiceRow]:
    """Quotes and attributions per (thread, outlet, speaker) over primary posts' titles and
    bodies; rows by (thread order, outlet, speaker)."""
    rows = []
    for thread, posts in thread_posts(run):
        per_outlet: dict[str, dict[str, list[int]]] = {}
        for post in posts:
            quotes, sources = _analyse(f"{post.title}\n{post.body}")
            counts = per_outlet.setdefault(outlet_of(post), {})
            for q in quotes:
                counts.setdefault(q.speaker, [0, 0])[0] += 1
            for s in sources:
                counts.setdefault(s, [0, 0])[1] += 1
        for outlet in sorted(per_outlet):
            for speaker, (q, a) in sorted(_merge_short_forms(per_outlet[outlet]).items()):
                rows.append(VoiceRow(thread.id, outlet, speaker, q, a))
    return rows


def hedging(run: Run) -> list[HedgeRow]:
    """Hedge phrase counts per (thread, outlet) over primary posts; by (thread, outlet, phrase)."""
    rows = []
    for thread, posts in thread_posts(run):
        per_outlet: dict[str, Counter] = {}
        for post in posts:
            per_outlet.setdefault(outlet_of(post), Counter()).update(
                hedges(f"{post.title}\n{post.body}")
            )
        for outlet in sorted(per_outlet):
            for phrase, n in sorted(per_outlet[outlet].items()):
                rows.append(HedgeRow(thread.id, outlet, phrase, n))
    return rows
