"""Who says what: attributions (source, cue, content) read from a spaCy parse.

One text (a post or an article) at a time, from its Doc:

- a *cue* is a verb of saying or believing (`CUE_LEMMAS`, by lemma, so "said", "says",
  "told", "adding" all count); its nominal subject is the source ("adding", "and added"
  inherit the subject of the verb they hang from) and its clausal complement (ccomp, or
  xcomp for verbs of intent: "vowed to ...") is the content. When the parser hangs a cue
  set off by commas under the clause it reports ("The UK is ..., Sunak told reporters";
  "Acts of protest, Mr. Obama said, are ..."), that clause around the cue is the content.
  Verbs that cite only when quoting (`QUOTING_LEMMAS`: "called him a "nasty guy"") count
  when their complements hold a quotation;
- "according to Y, ..." and "..., according to Y": Y is the source, the rest of the
  sentence the content;
- "PENCE: ..." at the start of a paragraph (a transcript's or a headline's label, when the
  label is a person or organisation entity or a name in capitals);
- quotations are found in the characters (“…”, "…", and ''…'' as some papers print them),
  paired within a paragraph. A quotation that overlaps an attribution's content widens it
  (a partial quote inside "X said the US was "aimed at..."", or the first sentences of a
  multi-sentence quote that the parse cut off). Otherwise it goes to the name signing it
  ("“…” ― Oscar Quintero"), to a cue verb the parse hangs it from, to a cue right after it
  ("“…?” he asks.") or introducing it ("He continued: “…”"), or, opening a sentence right
  after a direct quote of the same paragraph, continues that speaker ("“A,” he said.
  “B.”" is one attribution with two content spans). Other quotations (scare quotes,
  titles) are no attribution;
- an attribution whose cue lies inside another's content is part of that one, not a row
  of its own ("Flynn said Trump was right when he said ...").

Speakers (who a source phrase names, one way per text; pronouns resolved) are
analysis/language/speakers.py's.

`direct` is true when the content holds a quotation (as in PolNeAR: partial quotes
count). Offsets are character offsets into the text the Doc was parsed from.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from .drafts import Draft, Parsed
from .speakers import edges as _edges
from .speakers import fullest_names, last_word
from .speakers import speakers as _speakers
from .text import word_set

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

# Verbs of saying, writing, reporting and believing. By lemma: "says", "said", "adding".
SPEECH_LEMMAS = word_set("""
    say tell add argue claim warn announce insist note explain write acknowledge suggest
    state declare assert contend maintain predict admit concede deny confirm allege report
    reply respond answer complain emphasize emphasise stress reveal disclose indicate recall
    testify tweet post caution observe remark mention reiterate repeat recount inform assure
    counter retort charge lament muse speculate boast joke quip learn conclude find show
    estimate ask urge demand accuse question signal hint vow
    pledge promise threaten propose recommend advise agree disagree continue yell exclaim
    scream whisper mutter shout plead
""")
COGNITION_LEMMAS = word_set("believe think expect hope fear feel worry doubt suspect")
# Verbs that cite words only when the words are quoted: "called him a "nasty guy"".
QUOTING_LEMMAS = word_set("""
    call describe label brand dub liken characterize characterise compare blast criticize
    criticise condemn praise slam mock deride dismiss denounce chant sing hail laud
""")
CUE_LEMMAS = SPEECH_LEMMAS | COGNITION_LEMMAS | QUOTING_LEMMAS
# Cues whose content may be an infinitive (xcomp): "vowed to fight", "urged them to leave".
INTENT_LEMMAS = word_set(
    "vow pledge promise threaten propose agree urge ask demand expect hope warn"
)
RELATIVE_PRONOUNS = frozenset({"who", "that", "which"})
# Quotation marks: openers, closers, and marks that do both (toggle).
OPENERS, CLOSERS = "“", "”"
_QUOTE_MARK = re.compile(r"''|[“”\"]")
_PARAGRAPH = re.compile(r"[^\n]+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Attribution:
    """One attribution: who (speaker), how (cue), what (content), and where in the text.

    `start`/`end` span the content (from the first piece to the last); `spans` holds the
    pieces when a quote is interrupted by its attribution ("“A,” he said. “B.”").
    `mention` is the speaker as written ("he", "Mrs. Clinton"), at speaker_start/end.
    """

    speaker: str
    speaker_kind: str  # person | organisation | anonymous | document | other
    cue: str
    content: str
    direct: bool
    start: int
    end: int
    speaker_start: int
    speaker_end: int
    mention: str = ""
    spans: tuple[tuple[int, int], ...] = ()
    # the head lemma of a speaker that is a common noun no name, title or word list places
    # ("the announcer", "the mask"): kind "person" until animacy.judge_speakers tells a
    # person from a thing; "" for every other speaker
    speaker_noun: str = ""


# --- quotations ---------------------------------------------------------------------------


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of quotations, marks included, paired within each paragraph.

    A paragraph that ends inside a quotation closes it there (news copy reopens a quote
    that runs on at the start of the next paragraph, without closing the first).
    """
    spans: list[tuple[int, int]] = []
    for paragraph in _PARAGRAPH.finditer(text):
        spans.extend(_paragraph_quotes(paragraph.group(), paragraph.start()))
    return spans


def _paragraph_quotes(paragraph: str, offset: int) -> Iterator[tuple[int, int]]:
    opened = None
    for mark in _QUOTE_MARK.finditer(paragraph):
        kind = mark.group()
        if kind == OPENERS or (opened is None and kind != CLOSERS):
            opened = mark.start()
        elif opened is not None:
            yield offset + opened, offset + mark.end()
            opened = None
    if opened is not None and len(paragraph.rstrip()) - opened > 1:
        yield offset + opened, offset + len(paragraph.rstrip())


class _Quotes:
    """The quotations of one text (quote_spans: in text order, none overlapping), with
    look-ups by bisection so a long post costs no more per word than a short one."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = spans
        self._starts = [start for start, _ in spans]
        self._ends = [end for _, end in spans]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.spans)

    def holds(self, position: int) -> bool:
        """Whether a character offset lies inside a quotation."""
        k = bisect.bisect_right(self._starts, position) - 1
        return k >= 0 and position < self._ends[k]

    def ending_after(self, start: int) -> Iterator[tuple[int, int]]:
        """The quotations that end after `start`, in text order."""
        for k in range(bisect.bisect_right(self._ends, start), len(self.spans)):
            yield self.spans[k]

    def within(self, start: int, end: int) -> bool:
        """Whether a whole quotation lies inside start..end."""
        k = bisect.bisect_left(self._starts, start)
        return k < len(self.spans) and self._ends[k] <= end


# --- cues, sources and contents from the parse ------------------------------------------------


def _is_cue(token: Token, quotes: _Quotes) -> bool:
    """A verb of saying or believing that is not itself inside a quotation."""
    return (
        token.pos_ in ("VERB", "AUX")
        and token.lemma_.lower() in CUE_LEMMAS
        and not quotes.holds(token.idx)
    )


def _source(verb: Token, depth: int = 0) -> Token | None:
    """The token heading the cue's source: its nominal subject, or one it inherits.

    "adding that ..." and "... and added that ..." inherit the subject of the verb they
    hang from; "Zelensky, who said ..." and "a statement saying ..." name the noun the
    clause describes.
    """
    subjects = [child for child in verb.children if child.dep_ == "nsubj"]
    if subjects:
        # two subjects are a misparse of an apposition ("a gunner with the call sign Ares
        # says"): the one next to the verb is the name
        child = min(subjects, key=lambda t: abs(t.i - verb.i))
        if child.lower_ in RELATIVE_PRONOUNS and verb.dep_ == "relcl":
            return verb.head
        return child
    if verb.dep_ == "acl" and verb.tag_ == "VBG" and verb.head.pos_ in ("NOUN", "PROPN"):
        return verb.head
    inherits = verb.dep_ in ("conj", "xcomp") or (verb.dep_ == "advcl" and verb.tag_ == "VBG")
    if depth < 3 and inherits and verb.head.pos_ in ("VERB", "AUX"):
        return _source(verb.head, depth + 1)
    return None


def _char_span(doc: Doc, first: int, last: int) -> tuple[int, int] | None:
    """Characters of tokens first..last, with punctuation (not quote marks) trimmed."""
    while first <= last and _trimmable(doc[first]):
        first += 1
    while last >= first and _trimmable(doc[last]):
        last -= 1
    if first > last:
        return None
    return doc[first].idx, doc[last].idx + len(doc[last])


def _trimmable(token: Token) -> bool:
    return token.is_space or (token.is_punct and not token.is_quote)


def _content_range(verb: Token, quotes: _Quotes) -> tuple[int, int] | None:
    """Token range of what was said: the ccomp, an intent xcomp, or a quoted complement.

    Verbs that only cite when quoting (QUOTING_LEMMAS: "called him a "nasty guy"") take the
    words after them, up to the end of their last complement, when those hold a quotation.
    """
    lemma = verb.lemma_.lower()
    if lemma not in QUOTING_LEMMAS:
        for child in verb.children:
            if child.dep_ == "ccomp":
                return _edges(child)
        for child in verb.children:
            if child.dep_ == "xcomp" and lemma in INTENT_LEMMAS:
                return _edges(child)
    complements = [
        child
        for child in verb.rights
        if child.dep_ in ("dobj", "parataxis", "oprd", "attr", "ccomp", "xcomp", "prep", "dative")
    ]
    if lemma in QUOTING_LEMMAS and complements:
        first, last = complements[0].left_edge.i, complements[-1].right_edge.i
        if any(quotes.holds(t.idx) for t in verb.doc[first : last + 1]):
            return first, last
        return None
    for child in complements:
        if child.dep_ in ("dobj", "parataxis", "oprd", "attr") and _quoted(child, quotes):
            return _edges(child)
    return None


def _quoted(token: Token, quotes: _Quotes) -> bool:
    """Whether a token's subtree starts or ends inside a quotation."""
    first, last = _edges(token)
    doc = token.doc
    return quotes.holds(doc[first].idx) or quotes.holds(doc[last].idx)


_SET_OFF = (",", "—", "–", "--")


def _reported_clause(verb: Token) -> list[tuple[int, int]]:
    """Token ranges of the clause a set-off cue reports, around the cue's own words.

    The parser hangs a trailing cue ("The UK is ..., Sunak told reporters") or a medial one
    ("Acts of protest, Mr. Obama said, are acts of patriotism") under the clause it reports.
    The content is then the head's subtree left and right of the cue's subtree; the cue must
    be set off by a comma, dash or closing quote (so "He left after she said so" is not an
    attribution), and on both sides when the clause goes on after it.
    """
    if verb.dep_ not in ("parataxis", "ccomp", "advcl"):
        return []
    if any(child.dep_ == "mark" and child.lower_ != "as" for child in verb.children):
        return []
    doc = verb.doc
    cue_first, cue_last = _edges(verb)
    while doc[cue_first].is_punct and cue_first < verb.i:  # its commas may hang from it
        cue_first += 1
    while doc[cue_last].is_punct and cue_last > verb.i:
        cue_last -= 1
    clause = verb.head
    while clause.pos_ not in ("VERB", "AUX") and clause.head.i != clause.i:
        clause = clause.head  # "The difference now, he told me, is ...": up to "is"
    head_first, head_last = _edges(clause)
    if cue_first - 1 <= head_first:
        return []
    before = doc[cue_first - 1]
    if not (before.text in _SET_OFF or before.is_quote):
        return []
    pieces = [(head_first, cue_first - 1)]
    if head_last > cue_last + 1:
        if doc[cue_last + 1].text not in _SET_OFF:
            return []
        pieces.append((cue_last + 2, head_last))
    return pieces


def _verb_drafts(doc: Doc, quotes: _Quotes) -> Iterator[Draft]:
    """An attribution for each cue verb with a source and a content."""
    for token in doc:
        if not _is_cue(token, quotes):
            continue
        source = _source(token)
        if source is None or quotes.holds(source.idx):
            continue
        found = _content_range(token, quotes)
        if found is not None:
            ranges = [found]
        elif token.lemma_.lower() in QUOTING_LEMMAS:
            continue
        else:
            ranges = _reported_clause(token)
        spans = [span for span in (_char_span(doc, *r) for r in ranges) if span is not None]
        if spans and not any(_inside_source(span, source) for span in spans):
            yield Draft(token, source, spans)


def _inside_source(span: tuple[int, int], source: Token) -> bool:
    """Whether the content span would hold the source itself (a bad parse)."""
    return span[0] <= source.idx < span[1]


def _according_drafts(doc: Doc, quotes: _Quotes) -> Iterator[Draft]:
    """ "according to Y, X" and "X, according to Y": Y the source, X the content."""
    for token in doc:
        if token.lower_ != "according" or quotes.holds(token.idx):
            continue
        to = next((c for c in token.children if c.lower_ == "to"), None)
        source = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
        if to is None or source is None:
            continue
        sent = token.sent
        first, last = _edges(token)
        left = (sent.start, first - 1)
        right = (last + 1, sent.end - 1)
        side = left if left[1] - left[0] >= right[1] - right[0] else right
        span = _char_span(doc, *side)
        if span is not None:
            yield Draft(doc[token.i : to.i + 1], source, [span])


def _label_drafts(parsed: Parsed) -> Iterator[Draft]:
    """ "NAME: words" at the start of a paragraph: a transcript's speaker or a headline's.

    The label must be a person or organisation entity, or a name in capitals as transcripts
    print it ("PENCE:"); a section label ("Some context:", "Monday:") is neither.
    """
    doc = parsed.doc
    for paragraph in _PARAGRAPH.finditer(parsed.text):
        span = doc.char_span(paragraph.start(), paragraph.end(), alignment_mode="expand")
        if span is None:
            continue
        tokens = [t for t in span if not (t.is_quote or t.is_space or t.text in ("•", "*"))]
        colon = next((k for k, t in enumerate(tokens[:6]) if t.text == ":"), None)
        if not colon or colon + 1 >= len(tokens) or not _is_label(parsed, tokens[:colon]):
            continue
        content = _char_span(doc, tokens[colon + 1].i, span.end - 1)
        if content is not None:
            yield Draft(tokens[colon], tokens[colon - 1], [content])


def _is_label(parsed: Parsed, tokens: list[Token]) -> bool:
    """A speaker label: all of a PERSON/ORG entity, or a word in capitals."""
    if len(tokens) == 1 and tokens[0].is_upper and tokens[0].is_alpha and len(tokens[0]) > 2:
        return True
    entity = parsed.entity_at(tokens[0])
    return (
        entity is not None
        and entity.label_ in ("PERSON", "ORG")
        and entity.start == tokens[0].i
        and entity.end == tokens[-1].i + 1
    )


# --- quotations joined to attributions --------------------------------------------------------


def _widen(drafts: list[Draft], quotes: _Quotes) -> set[tuple[int, int]]:
    """Widen each content span over the quotations it overlaps; the quotes used, returned."""
    used: set[tuple[int, int]] = set()
    for draft in drafts:
        cue_at = _cue_offset(draft)
        widened = []
        for start, end in draft.spans:
            for q_start, q_end in quotes.ending_after(start):
                if q_start >= end:  # in text order: no later quotation reaches the span
                    break
                if not q_start <= cue_at < q_end:
                    start, end = min(start, q_start), max(end, q_end)
                    used.add((q_start, q_end))
            widened.append((start, end))
        draft.spans = widened
    return used


def _cue_offset(draft: Draft) -> int:
    cue = draft.cue
    return cue.idx if hasattr(cue, "idx") else cue.start_char


def _quote_tokens(doc: Doc, quote: tuple[int, int]) -> list[Token]:
    """The words inside a quotation (its marks and spaces left out)."""
    span = doc.char_span(quote[0], quote[1], alignment_mode="expand")
    if span is None:
        return []
    return [t for t in span if not (t.is_quote or t.is_space)]


def _governing_cue(doc: Doc, quote: tuple[int, int], quotes: _Quotes) -> Token | None:
    """A cue verb outside the quotation that the parse hangs the quotation's words from."""
    inside = _quote_tokens(doc, quote)
    ids = {t.i for t in inside}
    for token in inside:
        head = token.head
        while head.i in ids and head.head.i != head.i:
            head = head.head
        if head.i not in ids and _is_cue(head, quotes) and _source(head) is not None:
            return head
    return None


def _free_cue(token: Token, quotes: _Quotes) -> bool:
    """A cue with a source and no content of its own: it can take a nearby quotation."""
    return (
        _is_cue(token, quotes)
        and token.lemma_.lower() not in QUOTING_LEMMAS
        and _source(token) is not None
        and _content_range(token, quotes) is None
    )


def _cue_after(doc: Doc, quote: tuple[int, int], quotes: _Quotes, reach: int = 8) -> Token | None:
    """A free cue just after the quotation: "“…?” he asks." even when parsed as two sentences.

    Only words of one clause may come between (no full stop, colon or other quotation).
    """
    # not None: _attach_quotes passes only quotations with words (_quote_tokens)
    span = cast("Span", doc.char_span(quote[0], quote[1], alignment_mode="expand"))
    for token in doc[span.end : span.end + reach]:
        if token.is_quote or token.text in (".", "?", "!", ":", ";") or "\n" in token.text:
            return None
        if _free_cue(token, quotes):
            return token
    return None


def _cue_before(doc: Doc, quote: tuple[int, int], quotes: _Quotes) -> Token | None:
    """A free cue that introduces the quotation with a colon or comma: "He continued: “…”".

    The mark may end the previous paragraph ("Limbaugh added:" then the quoted paragraph).
    """
    # not None: _attach_quotes passes only quotations with words (_quote_tokens)
    span = cast("Span", doc.char_span(quote[0], quote[1], alignment_mode="expand"))
    i = span.start - 1
    while i >= 0 and doc[i].is_space:
        i -= 1
    if i < 0 or doc[i].text not in (":", ",") or (doc[i].text == "," and i < span.start - 1):
        return None
    for token in reversed(doc[doc[i].sent.start : i]):
        if token.is_quote or token.text in (".", "?", "!"):
            return None
        if _free_cue(token, quotes):
            return token
    return None


_DASHES = ("―", "—", "–", "--", "-")


def _signed_by(doc: Doc, quote: tuple[int, int]) -> Token | None:
    """The dash of a sign-off after a quotation ("“…” ― Oscar P. Quintero"), if any.

    The dash must be followed by a name alone up to the end of its line: capitalised words
    (initials and a closing full stop allowed), as readers' comments and epigraphs are signed.
    """
    # not None: _attach_quotes passes only quotations with words (_quote_tokens)
    span = cast("Span", doc.char_span(quote[0], quote[1], alignment_mode="expand"))
    i = span.end
    while i < len(doc) and doc[i].is_space and "\n" not in doc[i].text:
        i += 1
    if i >= len(doc) or doc[i].text not in _DASHES:
        return None
    name: list[Token] = []
    for token in doc[i + 1 :]:
        if "\n" in token.text or (token.text == "." and name):
            break
        if not (token.is_title or token.is_upper) or len(name) == 5:
            return None
        name.append(token)
    return doc[i] if name else None


def _signer(dash: Token) -> Token:
    """The last word of the name after a sign-off dash: the head of the source phrase."""
    name = dash
    for token in dash.doc[dash.i + 1 :]:
        if "\n" in token.text or token.text == ".":
            break
        name = token
    return name


def _starts_sentence(doc: Doc, quote: tuple[int, int]) -> bool:
    """Whether a quotation opens its sentence (or follows a colon)."""
    # not None: _attach_quotes passes only quotations with words (_quote_tokens)
    span = cast("Span", doc.char_span(quote[0], quote[1], alignment_mode="expand"))
    first = span[0]
    if first.is_sent_start or first.i == 0:
        return True
    before = doc[first.i - 1]
    return before.is_space or before.text in (":", ".", "?", "!")


class _DraftIndex:
    """The drafts _attach_quotes works on, indexed by where their content ends and by where
    their cue is, so finding the last speaker before a quotation takes a bisection."""

    def __init__(self, drafts: list[Draft]):
        self.drafts = drafts
        self._number = {id(d): k for k, d in enumerate(drafts)}
        self._ends = sorted((d.spans[-1][1], k) for k, d in enumerate(drafts) if d.spans)
        self._cues = sorted((_cue_offset(d), k) for k, d in enumerate(drafts))

    def add(self, draft: Draft) -> None:
        """A new draft (with no content yet)."""
        k = len(self.drafts)
        self.drafts.append(draft)
        self._number[id(draft)] = k
        bisect.insort(self._cues, (_cue_offset(draft), k))

    def attach(self, draft: Draft, quote: tuple[int, int]) -> None:
        """Add a quotation to a draft's content."""
        k = self._number[id(draft)]
        if draft.spans:
            del self._ends[bisect.bisect_left(self._ends, (draft.spans[-1][1], k))]
        draft.spans = sorted(draft.spans + [quote])
        bisect.insort(self._ends, (draft.spans[-1][1], k))

    def last_ending_by(self, offset: int) -> Draft | None:
        """The draft whose content ends last at or before `offset` (the first such)."""
        k = bisect.bisect_right(self._ends, (offset, len(self.drafts)))
        if k == 0:
            return None
        first = bisect.bisect_left(self._ends, (self._ends[k - 1][0], -1))
        return self.drafts[self._ends[first][1]]

    def cued_in(self, start: int, end: int) -> Iterator[Draft]:
        """The drafts whose cue lies in start..end (end excluded)."""
        low = bisect.bisect_left(self._cues, (start, -1))
        high = bisect.bisect_left(self._cues, (end, -1))
        return (self.drafts[k] for _, k in self._cues[low:high])


def _attach_quotes(parsed: Parsed, drafts: list[Draft], quotes: _Quotes) -> list[Draft]:
    """Quotations no attribution holds: hung from a cue, or continuing the last speaker."""
    doc = parsed.doc
    used = _widen(drafts, quotes)
    index = _DraftIndex(drafts)
    by_cue = {draft.cue.i: draft for draft in drafts if hasattr(draft.cue, "i")}
    for quote in quotes:
        if quote in used or not _quote_tokens(doc, quote):
            continue
        cue = (
            _signed_by(doc, quote)
            or _governing_cue(doc, quote, quotes)
            or _cue_after(doc, quote, quotes)
            or _cue_before(doc, quote, quotes)
        )
        if cue is not None:
            draft = by_cue.get(cue.i)
            if draft is None:
                source = _source(cue) if cue.pos_ in ("VERB", "AUX") else _signer(cue)
                draft = Draft(cue, source, [])
                index.add(draft)
                by_cue[cue.i] = draft
            index.attach(draft, quote)
            used.add(quote)
            continue
        previous = _previous_direct(parsed, index, quote, quotes)
        if previous is not None:
            index.attach(previous, quote)
            used.add(quote)
    return sorted(drafts, key=lambda d: d.position)


def _previous_direct(
    parsed: Parsed, drafts: _DraftIndex, quote: tuple[int, int], quotes: _Quotes
) -> Draft | None:
    """The speaker a quotation with no cue continues: the last direct quote before it.

    It must be in the same paragraph, with no attribution of another speaker between; the
    quotation must open a sentence, or follow the speaker's cue in the same sentence
    ("“A,” he said, but “B.”").
    """
    last = drafts.last_ending_by(quote[0])
    if last is None:
        return None
    last_end = last.spans[-1][1]
    if not _is_direct(last.spans, quotes) or parsed.text.find("\n", last_end, quote[0]) >= 0:
        return None
    between = drafts.cued_in(last_end, quote[0])
    # another speaker's cue between ends the run; so does any cue after a quote whose own
    # cue names no one (there was an AttributeError here)
    if any(d.source is None or last.source is None or d.source.i != last.source.i for d in between):
        return None
    cue_sentence = last.cue.sent if hasattr(last.cue, "sent") else None
    doc = parsed.doc
    # not None: _attach_quotes passes only quotations with words (_quote_tokens)
    quote_start = cast("Span", doc.char_span(quote[0], quote[1], alignment_mode="expand"))[0]
    if _starts_sentence(doc, quote) or (cue_sentence is not None and quote_start in cue_sentence):
        return last
    return None


# --- the whole text ---------------------------------------------------------------------------


def _cue_text(draft: Draft) -> str:
    """The cue as written, with its particles and negation ("did not say", "pointed out")."""
    # a Token, or a Span ("according to"): a Span has no children, so it returns at once
    cue = cast("Token", draft.cue)
    if not hasattr(cue, "children") or cue.pos_ not in ("VERB", "AUX"):
        return cue.text
    parts = [cue] + [c for c in cue.children if c.dep_ in ("neg", "prt", "aux", "auxpass")]
    parts.sort(key=lambda t: t.i)
    return " ".join(t.text for t in parts)


def _is_direct(spans: Iterable[tuple[int, int]], quotes: _Quotes) -> bool:
    """Whether the content spans hold a whole quotation."""
    return any(quotes.within(start, end) for start, end in spans)


def _merge_spans(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, with overlapping pieces joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def extract_attributions(doc: Doc) -> list[Attribution]:
    """Every attribution in one parsed text, in text order (see the module docstring)."""
    parsed = Parsed.of(doc)
    text = parsed.text
    quotes = _Quotes(quote_spans(text))
    drafts = [
        *_verb_drafts(doc, quotes),
        *_according_drafts(doc, quotes),
        *_label_drafts(parsed),
    ]
    drafts = _dedupe(drafts)
    drafts = _outermost([d for d in _attach_quotes(parsed, drafts, quotes) if d.spans])
    result = []
    speakers = _speakers(parsed, drafts)
    for draft, (speaker, kind, s_start, s_end, mention, noun) in zip(drafts, speakers, strict=True):
        spans = _merge_spans(draft.spans)
        result.append(
            Attribution(
                speaker=speaker,
                speaker_kind="person" if kind == "noun" else kind,
                cue=_cue_text(draft),
                content=" ".join(text[s:e] for s, e in spans),
                direct=_is_direct(spans, quotes),
                start=spans[0][0],
                end=spans[-1][1],
                speaker_start=s_start,
                speaker_end=s_end,
                mention=mention,
                spans=spans,
                speaker_noun=noun,
            )
        )
    return result


def _outermost(drafts: list[Draft]) -> list[Draft]:
    """Drafts whose cue is not inside another's content.

    "Flynn said Trump was right when he said ..." is Flynn's attribution; the nested one is
    part of what he is reported to have said (and as a row of its own it would count the
    same quoted words twice).
    """
    pieces = sorted((start, end, k) for k, d in enumerate(drafts) for start, end in d.spans)
    starts = [start for start, _, _ in pieces]
    # reach[n]: over pieces[:n], the furthest end and its draft, and the furthest end of
    # any other draft, so "does another draft's piece hold this offset" is one bisection
    reach = [((-1, -1), -1)]
    for _, end, k in pieces:
        (best, owner), second = reach[-1]
        if k == owner:
            reach.append(((max(best, end), owner), second))
        elif end > best:
            reach.append(((end, k), best))
        else:
            reach.append(((best, owner), max(second, end)))

    def nested(k: int, draft: Draft) -> bool:
        at = _cue_offset(draft)
        (best, owner), second = reach[bisect.bisect_right(starts, at)]
        return (best > at and owner != k) or second > at

    return [draft for k, draft in enumerate(drafts) if not nested(k, draft)]


def _dedupe(drafts: list[Draft]) -> list[Draft]:
    """One draft per content span: a conjoined cue ("said and added") keeps the first."""
    seen = set()
    kept = []
    for draft in sorted(drafts, key=lambda d: d.position):
        key = tuple(draft.spans)
        if key not in seen:
            seen.add(key)
            kept.append(draft)
    return kept


def attributions_for_texts(
    texts: Iterable[str],
    nlp: Language | None = None,
    *,
    n_process: int = 1,
    batch_size: int = 256,
) -> Iterator[list[Attribution]]:
    """Attributions of each text, in order, parsed in batches (analysis.nlp.parse)."""
    from .nlp import parse

    for doc in parse(texts, nlp, n_process=n_process, batch_size=batch_size):
        yield extract_attributions(doc)


def same_speakers(groups: list[list[Attribution]]) -> list[list[Attribution]]:
    """The attributions of several texts (a thread's posts) with one name per person.

    Each text names its people on its own; across texts "Zakharova" in one post and "Maria
    Zakharova" in another become the full name used most among the person speakers ending
    in that word (fullest_names). A one-word speaker the entity tagger took for an
    organisation in a post with no full name ("Zakharova said") is that person too.
    """
    counts: Counter[str] = Counter()
    for group in groups:
        counts.update(a.speaker for a in group if a.speaker_kind == "person")
    best = fullest_names(counts)
    return [[_renamed(a, best) for a in group] for group in groups]


def _renamed(attribution: Attribution, best: dict[str, str]) -> Attribution:
    name = best.get(last_word(attribution.speaker))
    if name is None or attribution.speaker_kind not in ("person", "organisation"):
        return attribution
    if attribution.speaker_kind == "organisation" and len(attribution.speaker.split()) > 1:
        return attribution
    return replace(attribution, speaker=name, speaker_kind="person", speaker_noun="")
