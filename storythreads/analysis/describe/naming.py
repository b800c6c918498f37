"""Thread names: a short phrase (3-8 words) that says what happened, cut from a headline.

A keyword list ("Ammunition · Ares · Russians") tells what a thread is about; a name tells
what happened ("Ukrainian officials report gains around Bakhmut"). Names are extractive:
each is a shortened headline (or lead sentence) of one of the thread's posts, so it is in
the language the posts are written in and says nothing no post says.

Per thread:

1. **Words.** Each post's headline and lead (the first sentence of its body) are cut into
   words, lower-cased and crudely stemmed ("killed", "kills" -> "kill"). A word of a
   candidate cut from post j has a *share*: how many of the thread's *other* posts repeat
   it, in their headline (weight ``HEADLINE_SHARE``) or lead (the rest), the central post
   counting ``1 + CENTRAL_WEIGHT`` posts, j's own lead ``OWN_LEAD`` of one (all of the
   reference in a thread of one post). A word *weighs* its inverse thread frequency over
   the run's threads to the power ``IDF_POWER`` (a word every thread of a blog uses, such
   as the country, weighs little), more when it is in the thread's c-TF-IDF keyphrases,
   and little when it is a stop word.
2. **Candidates.** The headlines of the central post and of the posts the rest of the
   thread shares most (``MAX_HEADLINES`` in all), truecased ("Reid Breaks With Obama" ->
   "Reid breaks with Obama"), are parsed with spaCy (``analysis.nlp.parse``, one batch for
   the run); the central post's lead only when no headline says anything. Each headline
   part ("Officials: 494 children ..." is two), its reported clause ("Y" of "Y, Kremlin
   says") and each subject or object noun phrase with its modifiers is shortened by
   dropping dependency subtrees:
   modifiers, appositions, relative and adverbial clauses, prepositional phrases,
   coordinated parts, passive and progressive auxiliaries, "the embattled eastern city of"
   before a place name; never the verb, its subject or object, a negation or a number. A
   beam search keeps the ``BEAM`` best forms of each length; every form of 3-8 words is a
   candidate.
3. **Score.** A candidate's weighted precision (how much of it the rest of the thread
   shares) and recall (how much of a typical headline's weight it covers) make an F score,
   which is what ROUGE-1 against a person's name for the event rewards; x 1.15 for a
   clause with a verb (it says what happened), x 1.02 from the central post.
4. **Distinct.** Threads claim names in order of their best score; a thread whose best name
   another has taken (same words, case and punctuation aside) takes its next candidate,
   or, with none left, its name with a distinguishing word of its own appended.

A thread whose posts are mostly in a language other than the spaCy pipeline's
(``language.detect``) is named by one of its chosen headlines kept whole: a parse in the
wrong language cuts words it cannot read ("Salito 242 il di Hamas a Gaza").

Headlines that say only when (``text.says_what``) are skipped; a thread with nothing to cut
a name from is named by its keyphrases. Deterministic (ties broken by text); no network,
no generative model. At most ``MAX_HEADLINES`` headlines per thread are parsed (a lead only
when it has none), so the cost grows with the number of threads (a few ms of parsing per
headline on one core), not with their length.

The weights below were set on BASIL dev (bench/naming.py), the same 50 events the benchmark
reports: its figure is a dev figure, not a held-out one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from ...types import Post
from ..language.detect import thread_language
from ..language.text import STOP_WORDS, says_what
from ..threading.segment import split_sentences

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

MIN_WORDS = 3
MAX_WORDS = 8
MAX_HEADLINES = 4  # headlines parsed per thread: the central one and the most shared others
HEADLINE_SHARE = 0.6  # a word's share: 0.6 x (posts whose headline has it) + 0.4 x (leads)
CENTRAL_BONUS = 0.02  # score x 1.02 for a candidate cut from the central post (a tie-break)
VERB_BONUS = 0.15  # score x 1.15 for a clause with a verb: a name says what happened
STOP_WEIGHT = 1.0  # a stop word weighs as much as the lightest content word
KEYPHRASE_BOOST = 0.5  # a word of the thread's keyphrases weighs 1.5 x
OWN_LEAD = 0.5  # a candidate's own lead counts half another post's headline and lead
CENTRAL_WEIGHT = 1.0  # the central post counts 1 + this many posts in the shares
IDF_POWER = 0.5  # a word weighs idf ** 0.5 (idf over the run's threads)
BEAM = 4  # forms of each length kept while shortening
MAX_LEAD_WORDS = 45  # a lead longer than this is cut before parsing

# a word: letters and digits with inner apostrophes, dots ("G.O.P.") and hyphens
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
# shouted chrome inside headlines: "Glenn Beck CPAC 2010 Speech VIDEO", "(PHOTOS)"
_SHOUTED = re.compile(r"\(?\b(?:VIDEOS?|PHOTOS?|WATCH|LIVE|UPDATED?|BREAKING|EXCLUSIVE)\b\)?")
# Pieces of a headline that are separate statements: "Officials: 494 children killed",
# "Obama: 'In God We Trust' vote ...", "Jackson pleads guilty | Politico".
_PART_BREAK = re.compile(r"\s*(?:[:|;•]|\s[-–—]\s)\s*")
# The dateline that opens many leads: "WASHINGTON —", "KYIV, Ukraine (CNN) -".
_DATELINE = re.compile(r"^\s*[A-Z][A-Z.' ]+(?:,\s*[A-Za-z. ]+)?\s*(?:\([^)]*\)\s*)?[-–—:]+\s+")
# Parts that never make a name: chrome of live blogs.
_CHROME = re.compile(
    r"^(?:here[’']?s|here is|here are|what (?:to know|we know)|watch|live|analysis|opinion"
    r"|breaking|update[sd]?|exclusive|video|photos?)\b",
    re.IGNORECASE,
)
_SAY_VERBS = frozenset({
    "say", "tell", "claim", "report", "announce", "confirm", "warn", "insist", "state", "add",
    "note", "reveal", "suggest",
})  # fmt: skip
# dependency labels whose whole subtree may be dropped when a headline is shortened
_DROPPABLE = frozenset({
    "amod", "advmod", "npadvmod", "appos", "relcl", "advcl", "acl", "prep", "agent", "det",
    "predet", "poss", "compound", "conj", "punct", "parataxis", "dep", "intj", "meta", "nmod",
    "oprd", "dative",
})  # fmt: skip
_PLACE_NOUNS = frozenset({
    "city", "town", "village", "region", "province", "district", "state", "county", "capital",
    "port", "area",
})  # fmt: skip
# never dropped: negations ("No legislation until ..."), ordinals ("for the first time")
_KEEP = frozenset({
    "no", "not", "never", "n't", "nor", "neither", "without", "first", "last",
})  # fmt: skip
_QUOTES = frozenset("\"'“”‘’«»`")
_DANGLING = frozenset({
    "a", "an", "the", "of", "to", "for", "in", "on", "at", "by", "with", "from", "and", "or",
    "but", "as", "that", "which", "who", "whose",
})  # fmt: skip


@dataclass(frozen=True)
class _Candidate:
    text: str
    score: float
    words: int


def stem(word: str) -> str:
    """A crude stem, the same for a name's words and the posts' words: lower-cased, no
    possessive, no plural or -ed/-ing ending ("killed", "kills", "killing" -> "kill")."""
    w = word.lower().replace("’", "'")
    w = w.removesuffix("'s")
    w = w.replace(".", "").strip("'")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith("sses"):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed"):
        return w[:-2] if not w.endswith("eed") else w
    return w


def _keys(text: str) -> list[str]:
    return [stem(m.group(0)) for m in _WORD.finditer(text)]


def lead_of(post: Post) -> str:
    """The first sentence of the post's first paragraph that says something, without a
    dateline, cut to ``MAX_LEAD_WORDS`` words."""
    for raw in post.body.split("\n"):
        text = _DATELINE.sub("", " ".join(raw.split()))
        if len(text.split()) < 4 or not says_what(text):
            continue
        sentence = (split_sentences(text) or [text])[0]
        return " ".join(sentence.split()[:MAX_LEAD_WORDS])
    return ""


def headline_parts(title: str) -> list[str]:
    """The statements of a headline ("Officials: 494 children ..." -> two), chrome dropped."""
    if not says_what(title):
        return []
    parts = [
        p.strip(" \"'“”‘’")
        for sentence in split_sentences(_SHOUTED.sub(" ", title))
        for p in _PART_BREAK.split(sentence)
    ]
    return [p for p in parts if p and not _CHROME.match(p)]


def _casing(posts: Sequence[Post]) -> Counter[tuple[str, bool]]:
    """How often each word appears lower-cased mid-sentence in the posts' bodies."""
    lower: Counter[tuple[str, bool]] = Counter()
    for post in posts:
        for m in re.finditer(r"(?<=[a-z,;] )([A-Za-z][a-z'’-]+)", post.body[:6000]):
            word = m.group(1)
            lower[(word.lower(), word[0].islower())] += 1
    return lower


def truecase(title: str, casing: Counter[tuple[str, bool]]) -> str:
    """A Title Case headline in sentence case: a capitalised word (not the first) is lowered
    when the thread's own text writes it lower-case more often than capitalised, or it is
    a stop word ("Reid Breaks With Obama" -> "Reid breaks with Obama"). Helps the parser
    and reads like a name."""
    words = title.split(" ")
    letters = [w for w in words[1:] if w[:1].isalpha() and len(w) > 3]
    if not letters or sum(w[0].isupper() for w in letters) < 0.6 * len(letters):
        return title

    def lower(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if casing[(low, True)] > casing[(low, False)] or not casing[(low, False)]:
            return low
        return word

    first = re.match(r"\W*\w+", title)
    head = first.group(0) if first else ""
    return head + re.sub(r"(?<![\w'’])[A-Z][a-z]+(?![\w'’])", lower, title[len(head) :])


class _Weights:
    """Shares and weights of the words of one thread (see the module's step 1)."""

    def __init__(
        self,
        head_keys: Sequence[Iterable[str]],
        lead_keys: Sequence[Iterable[str]],
        idf: dict[str, float],
        default_idf: float,
        boost: AbstractSet[str],
    ) -> None:
        self.heads = [set(keys) for keys in head_keys]
        self.leads = [set(keys) for keys in lead_keys]
        self.idf, self.default_idf, self.boost = idf, default_idf, boost
        self._weight: dict[str, float] = {}
        self.stop_weight = STOP_WEIGHT * min(idf.values(), default=1.0) ** IDF_POWER
        masses = [sum(self.weight(k) for k in keys) for keys in self.heads if keys]
        self.ref_mass = float(np.mean(masses)) if masses else 1.0
        self.set_central(None)

    def set_central(self, central: int | None) -> None:
        """Count the central post's words ``1 + CENTRAL_WEIGHT`` times in the shares."""
        self.post_weight = [1.0] * len(self.heads)
        if central is not None:
            self.post_weight[central] += CENTRAL_WEIGHT
        self.head_count: Counter[str] = Counter()
        self.lead_count: Counter[str] = Counter()
        for w, head, lead in zip(self.post_weight, self.heads, self.leads, strict=True):
            for k in head:
                # typeshed types Counter values as int; these are float weights
                self.head_count[k] += w  # type: ignore[assignment]  # typeshed: Counter counts are int; these are weights
            for k in lead:
                # typeshed types Counter values as int; these are float weights
                self.lead_count[k] += w  # type: ignore[assignment]  # typeshed: Counter counts are int; these are weights
        self._shares: dict[int | None, dict[str, float]] = {}

    def weight(self, key: str) -> float:
        if key not in self._weight:
            if key in STOP_WORDS or key.isdigit():
                w = self.stop_weight
            else:
                w = self.idf.get(key, self.default_idf) ** IDF_POWER
                w *= (1 + KEYPHRASE_BOOST) if key in self.boost else 1
            self._weight[key] = w
        return self._weight[key]

    def share(self, post: int | None) -> dict[str, float]:
        """Word -> how many of the *other* posts' headlines (weight HEADLINE_SHARE) and
        leads (the rest) have it, as a part of the most possible: a word of a candidate cut
        from ``post`` counts by how much the rest of the thread repeats it. ``post``'s own
        lead counts ``OWN_LEAD`` of another post's (fully in a thread of one post)."""
        if post not in self._shares:
            hs = HEADLINE_SHARE
            own_head = self.heads[post] if post is not None else set()
            own_lead = self.leads[post] if post is not None else set()
            mine = self.post_weight[post] if post is not None else 0.0
            others = sum(self.post_weight) - mine
            own = 0.0 if post is None else (1 - hs) * (OWN_LEAD if others else 1.0)
            denom = max(others + own, 1e-9)
            self._shares[post] = {
                k: (
                    hs * (self.head_count[k] - mine * (k in own_head))
                    + (1 - hs) * (self.lead_count[k] - mine * (k in own_lead))
                    + own * (k in own_lead)
                )
                / denom
                for k in self.head_count.keys() | self.lead_count.keys()
            }
        return self._shares[post]

    def score(self, keys: Iterable[str], post: int | None = None) -> float:
        """F of a word set cut from ``post``: weighted precision against the rest of the
        thread, recall of a typical headline."""
        keys = set(keys)
        share = self.share(post)
        mass = sum(self.weight(k) for k in keys)
        hit = sum(self.weight(k) * share.get(k, 0.0) for k in keys)
        if not hit:
            return 0.0
        precision, recall = hit / mass, min(hit / self.ref_mass, 1.0)
        return 2 * precision * recall / (precision + recall)


def _unit_options(doc: Doc) -> list[list[frozenset[int]]]:
    """Per token, the token sets that may be dropped with it (its subtree, or less), read
    once per parsed text; what is left of one in a shortened form is dropped (``_units``)."""
    out: list[list[frozenset[int]]] = []
    for tok in doc:
        dep, options = tok.dep_, []
        if tok.lower_ in _KEEP or tok.dep_ == "ROOT":
            pass
        elif dep in ("aux", "auxpass"):
            # "are returning" -> "returning", "have been killed" -> "killed"; "will" stays
            chain = [a for a in tok.head.children if a.dep_ in ("aux", "auxpass")]
            if tok.head.tag_ in ("VBN", "VBG") and all(a.tag_ != "MD" for a in chain):
                options = [{a.i for a in chain}]
        elif dep == "npadvmod" and tok.head.lower_ == "ago":
            pass  # "500 days ago" goes whole or not at all
        elif dep == "amod" and tok.head.pos_ in ("VERB", "AUX"):
            pass  # a misparse ("Russian shelling kills"): the subject in disguise
        elif dep in ("amod", "compound") and (tok.i > tok.head.i or tok.pos_ == "VERB"):
            pass  # a predicate misparsed ("AARP open to ...", "Beck rips ...")
        elif dep in _DROPPABLE or _second_object(tok):
            options = [{t.i for t in tok.subtree}]
            if dep == "conj":  # "X and Y" -> "X": the "and" and the comma go too
                options[0] |= {
                    s.i for s in tok.head.children if s.dep_ in ("cc", "preconj", "punct")
                }
            elif dep in ("compound", "amod") and any(True for _ in tok.children):
                options.append({tok.i})  # "Azovstal steel plant" -> "Azovstal plant"
        out.append([frozenset(g for i in unit for g in _hyphenated(doc, i)) for unit in options])
    return out


def _units(
    kept: frozenset[int], root: int, heads: list[int], options: list[list[frozenset[int]]]
) -> list[frozenset[int]]:
    """What may be dropped next from the ``kept`` tokens of the clause headed by ``root``."""
    units: dict[frozenset[int], None] = {}
    for i in sorted(kept):
        if i != root and heads[i] in kept:
            for option in options[i]:
                unit = option & kept
                if unit:
                    units.setdefault(unit, None)
    return list(units)


def _second_object(tok: Token) -> bool:
    """A second direct object of one verb: a misparse of a trailing phrase ("calls US
    decision ... an 'act of desperation'")."""
    return tok.dep_ == "dobj" and any(s.dep_ == "dobj" and s.i < tok.i for s in tok.head.children)


def _places(doc: Doc) -> set[int]:
    """Tokens of "the embattled eastern city of" before a place name: always dropped."""
    out: set[int] = set()
    for tok in doc:
        place = tok.head.head
        if (
            tok.dep_ == "pobj"
            and tok.text[:1].isupper()
            and tok.head.lower_ == "of"
            and place.lemma_.lower() in _PLACE_NOUNS
            and place.dep_ != "ROOT"
        ):
            out |= {t.i for t in place.subtree} - {t.i for t in tok.subtree}
    return out


def _hyphenated(doc: Doc, i: int) -> range:
    """The tokens of the word token ``i`` is part of: a hyphenated word ("Anti-Gay",
    "Biden-Ryan") or "at least" / "at most"."""
    start = end = i

    def glued(a: Token, b: Token) -> bool:
        if not a.whitespace_ and "-" in a.text + b.text:
            return True
        return a.lower_ == "at" and b.lower_ in ("least", "most")

    while start > 0 and glued(doc[start - 1], doc[start]):
        start -= 1
    while end + 1 < len(doc) and glued(doc[end], doc[end + 1]):
        end += 1
    return range(start, end + 1)


def _needs_object(doc: Doc) -> list[tuple[int, frozenset[int]]]:
    """Tokens with what they need: a preposition its object ("aide to apologizes"), a
    copula its complement ("the boss is"); one kept without makes no name."""
    out = []
    for t in doc:
        if t.dep_ in ("prep", "agent") and any(True for _ in t.children):
            out.append((t.i, frozenset(d.i for d in t.subtree if d.i != t.i)))
        elif t.lemma_ == "be" and t.dep_ not in ("aux", "auxpass"):
            complements = [c for c in t.children if c.dep_ in ("attr", "acomp", "prep", "oprd")]
            if complements:
                out.append((t.i, frozenset(d.i for c in complements for d in c.subtree)))
    return out


class _Tokens:
    """What rendering reads of a parsed text's tokens, read once (spaCy makes a new object
    per token access)."""

    def __init__(self, doc: Doc) -> None:
        self.text = [t.text for t in doc]
        self.space = [bool(t.whitespace_) for t in doc]
        self.lower = [t.lower_ for t in doc]
        self.punct = [t.is_punct for t in doc]
        self.dropped = {t.i for t in doc if t.text in _QUOTES or t.is_bracket}

    def render(self, kept: Iterable[int]) -> str:
        """The kept tokens as text: original spacing, no quotes, no dangling ends."""
        toks = sorted(set(kept) - self.dropped)
        while toks and (self.punct[toks[0]] or self.lower[toks[0]] in ("and", "or", "but")):
            toks.pop(0)
        while toks and (self.punct[toks[-1]] or self.lower[toks[-1]] in _DANGLING):
            toks.pop()
        out = []
        for a, b in zip(toks, [*toks[1:], None] if toks else [], strict=True):
            out.append(self.text[a])
            if b is None or (b == a + 1 and not self.space[a]):
                continue
            if b == a + 1 and self.punct[b] and self.text[b] in ",.;:!?":
                continue
            out.append(" ")
        text = " ".join("".join(out).split())
        return text[:1].upper() + text[1:]


def _starts(doc: Doc) -> list[tuple[Token, bool]]:  # (spaCy Token, has a verb)
    """Clauses and noun phrases to shorten, each with whether it has a verb: each sentence;
    "Y" alone for "Y, X says" and as well for "X says (that) Y"; the noun phrases that are
    a sentence's subject or object ("US decision to provide Ukraine with cluster
    munitions")."""
    starts = []
    for sent in doc.sents:
        root = sent.root
        said = [c for c in root.children if c.dep_ in ("ccomp", "parataxis")]
        if root.lemma_.lower() in _SAY_VERBS and said:
            if said[0].i > root.i:
                starts.append((root, True))
            starts += [(c, c.pos_ in ("VERB", "AUX")) for c in said]
        else:
            starts.append((root, root.pos_ in ("VERB", "AUX")))
        for tok in sent:
            if (
                tok.dep_ in ("nsubj", "nsubjpass", "dobj", "attr", "oprd")
                and tok.pos_ in ("NOUN", "PROPN")
                and sum(not t.is_punct for t in tok.subtree) >= MIN_WORDS
            ):
                starts.append((tok, False))
    return starts


def _shorten(doc: Doc, weights: _Weights, post: int) -> list[tuple[str, float]]:
    """Shortened forms (3-8 words) of each clause of ``doc`` with their scores (a clause
    of fewer than 3 words as it is)."""
    out = []
    key_of = {t.i: stem(t.text) for t in doc if _WORD.fullmatch(t.text) or t.is_alpha}
    heads = [t.head.i for t in doc]
    options = _unit_options(doc)
    needs_object = _needs_object(doc)
    places = _places(doc)
    tokens = _Tokens(doc)
    scores: dict[frozenset[str], float] = {}

    def score(kept: frozenset[int]) -> float:
        keys = frozenset(key_of[i] for i in kept if i in key_of)
        if keys not in scores:
            scores[keys] = weights.score(keys, post)
        return scores[keys]

    def size(kept: frozenset[int]) -> int:
        return sum(i in key_of for i in kept)

    for root, has_verb in _starts(doc):
        start = frozenset(t.i for t in root.subtree) - places
        # beam search over deletions: the BEAM best forms of each length go on shrinking
        beam, seen = [start], set()
        while beam:
            ranked = []
            for kept in beam:
                seen.add(kept)
                n = size(kept)
                valid = all(i not in kept or gov & kept for i, gov in needs_object)
                # a clause shorter than MIN_WORDS to begin with is taken as it is
                if (MIN_WORDS <= n <= MAX_WORDS and valid) or (0 < n < MIN_WORDS and kept == start):
                    out.append((tokens.render(kept), score(kept) * (1 + VERB_BONUS * has_verb)))
                for unit in _units(kept, root.i, heads, options):
                    rest = kept - unit
                    if rest not in seen and size(rest) >= MIN_WORDS:
                        ranked.append((score(rest), -len(unit), min(unit), rest))
            ranked.sort(key=lambda o: o[:3], reverse=True)
            beam = list(dict.fromkeys(o[3] for o in ranked))[:BEAM]
    return out


def _best_headlines(
    posts: Sequence[Post], central: int, weights: _Weights, limit: int
) -> list[int]:
    """Indices of the posts whose headlines are parsed: the central one, then the others
    by how much of them the thread shares."""
    ranked = sorted(
        (j for j in range(len(posts)) if j != central and headline_parts(posts[j].title)),
        key=lambda j: (-weights.score(_keys(posts[j].title), j), j),
    )
    return ([central] if headline_parts(posts[central].title) else []) + ranked[: limit - 1]


def _fallback(posts: Sequence[Post], keyphrases: Sequence[str]) -> str:
    """A name when no headline or lead gives one: the keyphrases, else the first words of a
    headline that says something or of a body, else "(untitled)"."""
    if keyphrases:
        text = " · ".join(keyphrases[:3])
    else:
        texts = [p.title for p in posts if says_what(p.title)] + [p.body for p in posts]
        text = next((t for t in texts if t.strip()), "")
    text = " ".join(text.split()[:MAX_WORDS])
    return (text[:1].upper() + text[1:]) or "(untitled)"


def name_key(name: str) -> str:
    """What two names must not share: their words, lower-cased ("NATO summit:" is
    "nato summit")."""
    return " ".join(m.group(0) for m in _WORD.finditer(name.lower()))


def thread_names(
    threads_posts: Sequence[Sequence[Post]],
    central: Sequence[int | None] | None = None,
    keyphrases: Sequence[Sequence[str]] | None = None,
    nlp: Language | None = None,
    reserved: Iterable[str] = (),
) -> list[str]:
    """One name per thread, of 3-8 words, saying what happened; names differ.

    - ``threads_posts[t]``: thread t's posts (its primary posts; any order).
    - ``central[t]``: the index in ``threads_posts[t]`` of its central post (the pipeline's
      ``label.central_index`` of the posts' vectors); None (for all or for one thread):
      the post whose headline the rest of the thread shares most.
    - ``keyphrases[t]``: the thread's c-TF-IDF keyphrases (``label.keyphrases``, as in the
      report's ``keywords``); their words weigh more. None: no keyphrases.
    - ``nlp``: a loaded spaCy pipeline (``nlp.load_nlp(name)``); None: the default one.
    - ``reserved``: names already in use that none of these threads may take (the names of
      threads kept from an earlier run when only the changed threads are named again).

    Names are compared by their words (case and punctuation aside). A thread with no
    headline or lead to cut a name from is named by its keyphrases (joined by " · "), else
    by its first words, else "(untitled)"; a headline of fewer than three words is taken
    whole. All threads' headlines are parsed in one batch: call it once per run.
    """
    keyphrases = keyphrases if keyphrases is not None else [[] for _ in threads_posts]
    ranked, weights = _ranked(threads_posts, central, keyphrases, nlp)
    return _distinct(ranked, threads_posts, keyphrases, weights, {name_key(r) for r in reserved})


def _ranked(
    threads_posts: Sequence[Sequence[Post]],
    central: Sequence[int | None] | None,
    keyphrases: Sequence[Sequence[str]],
    nlp: Language | None,
) -> tuple[list[list[_Candidate]], list[_Weights]]:
    """Per thread its candidates, best first, and its word weights."""
    from ..language.nlp import load_nlp, parse

    n = len(threads_posts)
    head_keys = [
        [_keys(" ".join(headline_parts(p.title))) for p in posts] for posts in threads_posts
    ]
    leads = [[lead_of(p) for p in posts] for posts in threads_posts]
    lead_keys = [[_keys(text) for text in thread] for thread in leads]
    df: Counter[str] = Counter()
    for heads, lds in zip(head_keys, lead_keys, strict=True):
        df.update(set().union(*heads, *lds))
    idf = {k: float(np.log((1 + n) / (1 + c)) + 1) for k, c in df.items()}
    default_idf = float(np.log(1 + n) + 1)
    weights = [
        _Weights(head_keys[t], lead_keys[t], idf, default_idf,
                 {stem(w) for phrase in keyphrases[t] for w in _WORD.findall(phrase)})
        for t in range(n)
    ]  # fmt: skip

    # what to parse: parts of the chosen headlines, truecased (else a lead)
    nlp = nlp if nlp is not None else load_nlp()
    centrals = [-1] * n
    jobs: list[tuple[int, int, str]] = []  # (thread, index of the post, text)
    whole: dict[int, list[int]] = {}  # threads in a language the pipeline cannot read
    for t, posts in enumerate(threads_posts):
        if not posts:
            continue
        if central is not None and central[t] is not None:
            c = int(cast("int", central[t]))  # not None: tested above
        else:
            c = min(range(len(posts)), key=lambda j: (-weights[t].score(head_keys[t][j], j), j))
        centrals[t] = c
        weights[t].set_central(c)
        before = len(jobs)
        chosen = _best_headlines(posts, c, weights[t], MAX_HEADLINES)
        if thread_language(posts) not in (None, nlp.lang):
            whole[t] = [j for j in chosen if _WORD.search(posts[j].title)]
            continue  # its headlines are kept whole: a parse would cut words it cannot read
        casing = _casing([posts[j] for j in dict.fromkeys([c, *chosen])])
        for j in chosen:
            for part in headline_parts(posts[j].title):
                jobs.append((t, j, truecase(part, casing)))
        # the central lead is parsed only when no headline says anything (it costs as
        # much as three headlines, and on BASIL a lead's form never won over a headline's)
        if len(jobs) == before:
            lead = next((j for j in dict.fromkeys([c, *range(len(posts))]) if leads[t][j]), None)
            if lead is not None:
                jobs.append((t, lead, leads[t][lead]))
    found: list[dict[str, tuple[float, str]]] = [{} for _ in range(n)]
    for t, chosen in whole.items():
        for j in chosen:
            title = " ".join(threads_posts[t][j].title.split())
            score = weights[t].score(head_keys[t][j], j)
            found[t].setdefault(name_key(title), (score, title))
    # names read the parse, tags and lemmas, never entities: the recognizer (its own
    # tok2vec in the small English pipelines, so the parse is the same) is off meanwhile
    with nlp.select_pipes(disable=[name for name in ("ner",) if name in nlp.pipe_names]):
        for (t, j, _), doc in zip(jobs, parse([job[2] for job in jobs], nlp), strict=True):
            factor = 1 + CENTRAL_BONUS if j == centrals[t] else 1
            for text, score in _shorten(doc, weights[t], j):
                key = name_key(text)
                if key and score * factor > found[t].get(key, (-1.0, ""))[0]:
                    found[t][key] = (score * factor, text)
    ranked = [
        [_Candidate(text, score, len(text.split())) for score, text in cands.values()]
        for cands in found
    ]
    for cands in ranked:
        cands.sort(key=lambda c: (-c.score, c.words, c.text))
    return ranked, weights


def _distinct(
    ranked: list[list[_Candidate]],
    threads_posts: Sequence[Sequence[Post]],
    keyphrases: Sequence[Sequence[str]],
    weights: list[_Weights],
    taken: set[str],
) -> list[str]:
    """Each thread's best candidate that no stronger thread (and nothing in ``taken``) has
    taken (see the module's step 4)."""
    best = [cands[0].score if cands else -1.0 for cands in ranked]
    taken = set(taken)
    names = [""] * len(ranked)
    for t in sorted(range(len(ranked)), key=lambda t: (-best[t], t)):
        options = [c.text for c in ranked[t]] or [_fallback(threads_posts[t], keyphrases[t])]
        name = next((o for o in options if name_key(o) not in taken), None)
        if name is None:
            name = _extend(options[0], threads_posts[t], weights[t], taken)
        names[t] = name
        taken.add(name_key(name))
    return names


def _extend(name: str, posts: Sequence[Post], weights: _Weights, taken: set[str]) -> str:
    """``name`` made distinct: a word of the thread it lacks, else a number."""
    have = set(_keys(name))
    words = Counter(
        m.group(0)
        for p in posts
        for m in _WORD.finditer(f"{p.title} {lead_of(p)}")
        if stem(m.group(0)) not in have and stem(m.group(0)) not in STOP_WORDS
    )
    share = weights.share(None)
    by_weight = sorted(words, key=lambda w: (-weights.weight(stem(w)) * share.get(stem(w), 0), w))
    base = " ".join(name.split()[: MAX_WORDS - 1])
    for word in by_weight:
        option = f"{base} ({word})"
        if name_key(option) not in taken:
            return option
    k = 2
    while name_key(f"{base} ({k})") in taken:
        k += 1
    return f"{base} ({k})"
