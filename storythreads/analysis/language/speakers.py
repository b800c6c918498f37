"""Speakers of attributions: who a source phrase names, written one way per text.

A named person is written as the full name of the text that ends in the same word, the one
used most ("Mrs. Clinton", "Clinton" -> "Hillary Clinton"); "he"/"she" become the nearest
preceding named person (a speaker or a subject) whose known gender does not clash;
"officials", "a source", "people familiar with the matter" stay as written, kind
"anonymous"; "the statement", "a report" are kind "document"; ministries, campaigns and
named organisations are "organisation". ``speakers`` is called by ``attribution`` with its
parsed text and draft attributions (each with the ``source`` token of its cue).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from .drafts import Draft, Parsed
from .text import word_set

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

# Subject heads that name no one: the source is kept as written, kind "anonymous".
ANONYMOUS_HEADS = word_set("""
    official source aide person people insider adviser advisor expert analyst observer
    diplomat critic supporter opponent resident witness staffer employee member lawmaker
    strategist operative worker officer investigator researcher scientist economist
    activist protester voter someone anyone everyone many some few others other
""")
DOCUMENT_HEADS = word_set("""
    statement report study poll survey letter memo document analysis filing lawsuit
    complaint book website article data record email tweet post video ad release
    indictment ruling order note transcript interview readout paper review audit
    assessment estimate figure account footage message comment remark speech testimony
    announcement
""")
ORGANISATION_HEADS = word_set("""
    ministry office government campaign committee department agency administration company
    police military army force court council party team group organization organisation
    firm bank union commission service institute foundation center centre network board
    embassy spokesperson's newspaper media outlet station channel bureau authority
    authorities prosecutor's parliament congress senate house kremlin white
""")
ORG_LABELS = frozenset({"ORG", "GPE", "NORP", "FAC"})
HONORIFICS = word_set("""
    mr mrs ms miss dr prof sir dame president vice prime minister chancellor king queen
    prince pope gen general lt col sgt capt maj adm gov governor mayor sen senator rep
    representative secretary spokesperson spokesman spokeswoman ambassador commander chief
    director speaker judge justice former candidate nominee
""")
MALE_TITLES = frozenset({"mr", "sir", "king", "prince"})
FEMALE_TITLES = frozenset({"mrs", "ms", "miss", "dame", "queen"})
PRONOUN_GENDER = {"he": "m", "him": "m", "she": "f", "her": "f"}
PERSON_PRONOUNS = frozenset({"i", "me", *PRONOUN_GENDER})
# a reflexive source ("said himself") is resolved as the pronoun it stands for
REFLEXIVES = {"himself": "he", "herself": "she", "themselves": "they", "itself": "it",
              "myself": "i", "ourselves": "we", "yourself": "you", "yourselves": "you"}  # fmt: skip
NOBODY = frozenset({"nobody", "none", "noone"})
PRONOUNS = frozenset({*PERSON_PRONOUNS, "they", "them", "it", "we", "us", "you", *REFLEXIVES})
TITLE_WORDS = 4  # at most this many words of a title before a name ("Attorney General")
# abbreviated titles as the text calls the person later ("Sen. Cruz" ... "the senator")
TITLE_ABBREVIATIONS = {"sen": "senator", "rep": "representative", "gov": "governor",
                       "gen": "general", "lt": "lieutenant", "col": "colonel", "sgt": "sergeant",
                       "capt": "captain", "adm": "admiral", "pres": "president",
                       "atty": "attorney", "sec": "secretary", "prof": "professor"}  # fmt: skip
# forms of address, not titles a text calls someone by ("the mister said" is no speaker)
ADDRESS = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame"})
_TITLE_NOISE = re.compile(
    r"^(?:the|a|an|former|then|now|current|acting|outgoing)\s+", re.IGNORECASE
)
_PARAGRAPH = re.compile(r"[^\n]+")
_WORD = re.compile(r"\w+")


def edges(token: Token) -> tuple[int, int]:
    """First and last token index of a token's subtree."""
    return token.left_edge.i, token.right_edge.i


def _mention_range(source: Token) -> tuple[int, int]:
    """Token range of the source phrase: the subject, minus clauses and appositions."""
    first, last = source.i, source.i
    for child in source.children:
        if child.dep_ in ("relcl", "acl", "appos", "punct", "cc", "conj", "advcl"):
            continue
        c_first, c_last = edges(child)
        first, last = min(first, c_first), max(last, c_last)
    doc = source.doc
    while first < source.i and (doc[first].is_punct or doc[first].is_space):
        first += 1
    while last > source.i and (doc[last].is_punct or doc[last].is_space):
        last -= 1
    return first, last


def _clean_name(words: list[str]) -> str:
    """A name without leading titles and a trailing possessive ("Mrs. Clinton's" -> Clinton)."""
    while len(words) > 1 and words[0].lower().rstrip(".") in HONORIFICS:
        words = words[1:]
    name = " ".join(words)
    return re.sub(r"(?:'s|’s|'|’)$", "", name).strip()


def _classify(
    parsed: Parsed, source: Token, first: int, last: int, names: dict[str, str]
) -> tuple[str, str]:
    """(speaker, kind) for a source phrase, before pronouns are resolved."""
    doc = parsed.doc
    phrase = doc[first : last + 1].text
    lemma = source.lemma_.lower()
    entity = parsed.entity_at(source)
    if source.lower_ in NOBODY or any(
        t.dep_ == "det" and t.lower_ == "no" for t in source.lefts
    ):  # "no one said", "no honest person would say": nobody spoke
        return phrase, "other"
    if source.pos_ == "PRON":
        return source.text, "pronoun"
    if entity is not None and entity.label_ == "PERSON":
        return _clean_name([t.text for t in entity]), "person"
    proper = _is_name(source)
    if proper and last_word(source.text) in names:
        return source.text, "person"
    if not proper and lemma in ANONYMOUS_HEADS:
        return phrase, "anonymous"
    if entity is not None and entity.label_ in ORG_LABELS:
        return _strip_article(phrase), "organisation"
    if lemma in DOCUMENT_HEADS:
        return _strip_article(phrase), "document"
    if lemma in ORGANISATION_HEADS:
        return _strip_article(phrase), "organisation"
    person = parsed.person_in(first, last)
    if person is not None:
        return _clean_name([t.text for t in person]), "person"
    if proper:
        words = [t.text for t in doc[first : last + 1] if _is_name(t)]
        return _clean_name(words or [source.text]), "person"
    if source.tag_ in ("NNS",) or any(t.lower_ in ("a", "an", "some") for t in source.lefts):
        return phrase, "anonymous"
    if lemma in HONORIFICS:  # a title ("the nominee", "the judge") names a person
        return _strip_article(phrase), "person"
    # a common noun no list places: a person ("the announcer") or a thing ("the mask");
    # kind "noun" until judged (animacy.judge_speakers), "person" where nothing judges it
    return _strip_article(phrase), "noun"


def _is_name(token: Token) -> bool:
    """A proper noun, or a capitalised noun inside a sentence (the small tagger reads the
    call sign "Ares" as a plural noun)."""
    if token.pos_ == "PROPN":
        return True
    if token.pos_ != "NOUN" or not token.is_title or token.is_sent_start or token.i == 0:
        return False
    before = token.doc[token.i - 1]
    opening = before.is_quote and not before.whitespace_
    return not (opening or before.text in ("“", ":", ".", "?", "!", "—", "-", "("))


def _strip_article(phrase: str) -> str:
    return re.sub(r"^(?:the|The)\s+", "", phrase)


def last_word(name: str) -> str:
    words = _WORD.findall(name.lower())
    return words[-1] if words else ""


def person_names(doc: Doc) -> dict[str, str]:
    """Last word -> the full name of the text ending in it (see fullest_names)."""
    counts: Counter[str] = Counter()
    for ent in doc.ents:
        if ent.label_ == "PERSON":
            counts[_clean_name([t.text for t in ent])] += 1
    return fullest_names(counts)


def fullest_names(counts: Counter[str]) -> dict[str, str]:
    """Last word -> the name that stands for all names ending in it.

    A name of two words or more wins over a bare surname; among those, the one used most
    (then the longer, then the first counted), so a headline's "Rip Donald Trump" or a
    nickname seen once does not stand for the "Donald Trump" of the rest of the text.
    """
    order = {name: k for k, name in enumerate(counts)}

    def rank(name: str) -> tuple[bool, int, int, int]:
        return (len(name.split()) < 2, -counts[name], -len(name.split()), order[name])

    best: dict[str, str] = {}
    for name in sorted(counts, key=rank):
        best.setdefault(last_word(name), name)
    return best


def _gender(doc: Doc, names: dict[str, str]) -> dict[str, str]:
    """Gender of names where the text shows it: a title before the name (Mr., Mrs.)."""
    gender: dict[str, str] = {}
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        title = ent[0].lower_.rstrip(".")
        if ent.start > 0 and title not in MALE_TITLES | FEMALE_TITLES:
            title = doc[ent.start - 1].lower_.rstrip(".")
        name = names.get(last_word(_clean_name([t.text for t in ent])))
        if name and title in MALE_TITLES:
            gender.setdefault(name, "m")
        elif name and title in FEMALE_TITLES:
            gender.setdefault(name, "f")
    return gender


def title_key(phrase: str) -> str:
    """A title as compared: lower case, without a leading article or "former"."""
    key = phrase.lower().strip()
    while True:
        shorter = _TITLE_NOISE.sub("", key)
        if shorter == key:
            return key
        key = shorter


def titled_people(doc: Doc, names: dict[str, str]) -> dict[str, str]:
    """Title -> the one person the text gives it: "Attorney General Loretta Lynch" gives
    "attorney general" (and "general") -> Loretta Lynch, as does "Loretta Lynch, the
    attorney general". A title the text gives two people is left out."""
    found: dict[str, set[str]] = {}
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        name = names.get(last_word(_clean_name([t.text for t in ent])))
        if not name:
            continue
        words: list[str] = []
        start = max(0, ent.start - TITLE_WORDS)
        for token in reversed(doc[start : ent.start]):
            word = token.text.rstrip(".")
            if not (word.isalpha() and word[:1].isupper() and token.pos_ in ("PROPN", "NOUN")):
                break
            words.insert(0, TITLE_ABBREVIATIONS.get(word.lower(), word))
        before = ent.start - len(words) - 1
        if words and before >= 0 and doc[before].lower_ in ("of", "for", "and", "'s", "’s"):
            words = []  # the end of a longer title ("Secretary of State"): not a title itself
        after = doc[ent.end : ent.end + TITLE_WORDS + 3]
        if len(after) > 2 and after[0].text == "," and after[1].lower_ in ("the", "a"):
            head = next((t for t in after[2:] if t.text == ","), None)
            if head is not None:
                words = [t.text for t in doc[after[2].i : head.i]]
        words = [w for w in words if w.lower() not in ADDRESS]
        if not words:
            continue
        key = title_key(" ".join(words))
        keys = {key}
        if len(key.split()) <= 3 and not {"of", "from", "for", "and"} & set(key.split()):
            keys.add(key.split()[-1])  # "attorney general" -> "the general"
        for k in keys:
            found.setdefault(k, set()).add(name)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def _subject_people(doc: Doc, names: dict[str, str]) -> list[tuple[int, str]]:
    """(offset, full name) of each named person who is a subject: pronoun antecedents."""
    found = []
    for ent in doc.ents:
        if ent.label_ == "PERSON" and any(t.dep_ in ("nsubj", "nsubjpass") for t in ent):
            name = names.get(last_word(_clean_name([t.text for t in ent])))
            if name:
                found.append((ent.start_char, name))
    return found


def _resolve(
    pronoun: str,
    offset: int,
    antecedents: list[tuple[int, str, str]],
    gender: dict[str, str],
    paragraph_of: Callable[[int], int],
) -> tuple[str, str] | None:
    """The nearest preceding antecedent a pronoun can refer to, as (speaker, kind).

    "he"/"she": a named person whose known gender agrees. "they" (an anonymous group or an
    organisation) and "it" (an organisation or a document) only within the same or the
    previous paragraph: further back they name a group that never spoke as often as not.
    """
    want = PRONOUN_GENDER.get(pronoun.lower())
    for at, speaker, kind in reversed(antecedents):
        if at >= offset:
            continue
        if want is None and paragraph_of(offset) - paragraph_of(at) > 1:
            break
        if want is not None:
            if kind in ("person", "noun") and gender.get(speaker, want) == want:
                return speaker, kind
        elif (
            pronoun.lower() in ("they", "them")
            and kind in ("anonymous", "organisation")
            or pronoun.lower() == "it"
            and kind in ("organisation", "document")
        ):
            return speaker, kind
    return None


def speakers(parsed: Parsed, drafts: list[Draft]) -> list[tuple[str, str, int, int, str, str]]:
    """(speaker, kind, start, end, mention, noun) per draft, names normalised, pronouns
    resolved. ``noun`` is the head lemma of a speaker of kind "noun" (a common noun no
    name, title or list places: "the announcer", "the mask"), else ""."""
    doc = parsed.doc
    names = person_names(doc)
    gender = _gender(doc, names)
    titles = titled_people(doc, names)
    antecedents = [(at, name, "person") for at, name in _subject_people(doc, names)]
    starts = [m.start() for m in _PARAGRAPH.finditer(parsed.text)]

    def paragraph_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    out = []
    heads: dict[str, str] = {}  # speaker of kind "noun" -> its head lemma
    for draft in drafts:
        # the drafts attribution hands over all have a source (a Token)
        source = cast("Token", draft.source)
        first, last = _mention_range(source)
        start, end = doc[first].idx, doc[last].idx + len(doc[last])
        mention = parsed.text[start:end]
        speaker, kind = _classify(parsed, source, first, last, names)
        if kind in ("person", "noun"):  # a surname, or a title the text gives one person
            named = names.get(last_word(speaker)) or titles.get(title_key(speaker))
            speaker, kind = (named, "person") if named else (speaker, kind)
        if kind == "noun":
            heads.setdefault(speaker, source.lemma_.lower())
        if kind == "pronoun":
            speaker = REFLEXIVES.get(speaker.lower(), speaker)
            resolved = _resolve(speaker, start, antecedents, gender, paragraph_of)
            if resolved is not None:
                speaker, kind = resolved
                if source.lower_ in PRONOUN_GENDER:
                    gender.setdefault(speaker, PRONOUN_GENDER[source.lower_])
            else:
                # an unresolved "I" or "he" is still one person; "they", "we", "it" are not
                kind = "person" if source.lower_ in PERSON_PRONOUNS else "anonymous"
        bisect.insort(antecedents, (start, speaker, kind))
        out.append(
            (speaker, kind, start, end, mention, heads.get(speaker, "") if kind == "noun" else "")
        )
    return out
