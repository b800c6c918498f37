"""Who can speak: a person, an organisation or a group of people, not a thing (issue 33).

The parse places most speakers: a name, a title the text gives one person, a pronoun
resolved to one, an organisation the entity tagger knows, "officials", "the statement".
What is left is a common noun no list names ("the announcer said", "his lawyer told",
but also "the mask says", "research shows"): ``Attribution.speaker_noun`` holds its head.
Whether such a noun names someone is lexical knowledge that neither the parser nor a
word list of this size has, and the sentence encoder the pipeline already loads does:
each noun is embedded twice, its head word ("the lawyer") and the speaker phrase as
written ("Pagliano's lawyer"), and compared with the centroids of two sets of plain
words, ``WHO`` and ``WHAT``. The margin of an embedding is its cosine with the WHO
centroid minus its cosine with the WHAT centroid; the noun names someone when either
margin is above zero, so that a person noun
in a long phrase ("the head of Sony Pictures Television") or a group in a number ("52
percent of registered voters") is kept: a voice wrongly dropped is lost from every
table, a thing wrongly kept is one row a reader can see through.

``judge_speakers`` keeps every attribution: a speaker judged a thing becomes kind
"other", which quotes.csv and the anonymous-source shares keep and the voices table does
not list (``analysis.compare.voices``), as it does not list unresolved pronouns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ...embeddings.base import Embedder
from .attribution import Attribution

# the centroids' words: generic class names, not examples of any data set (on a list of 45
# person and 45 thing nouns of news text, this split is right for 92 %)
WHO = ("person", "people", "organization", "group")
WHAT = ("thing", "object", "idea", "event", "document", "place")
NOT_A_SPEAKER = "other"  # the speaker kind of a thing, an abstraction, or nobody


def who_margins(nouns: Sequence[tuple[str, str]], embedder: Embedder) -> list[float]:
    """Per (head lemma, speaker phrase): the larger of the two WHO-minus-WHAT margins;
    above zero names someone. One call to the embedder for every text."""
    if not nouns:
        return []
    texts = [*WHO, *WHAT, *(f"the {head}" for head, _ in nouns), *(phrase for _, phrase in nouns)]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    who = _unit(vectors[: len(WHO)].mean(axis=0))
    what = _unit(vectors[len(WHO) : len(WHO) + len(WHAT)].mean(axis=0))
    rest = vectors[len(WHO) + len(WHAT) :]
    margin = rest @ who - rest @ what
    heads, phrases = margin[: len(nouns)], margin[len(nouns) :]
    return [float(m) for m in np.maximum(heads, phrases)]


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def judge_speakers(
    groups: Sequence[Sequence[Attribution]], embedder: Embedder
) -> tuple[list[list[Attribution]], int]:
    """The attributions with each common-noun speaker judged (see the module doc), and how
    many distinct speakers were judged things. Every attribution is kept."""
    nouns = sorted({(a.speaker_noun, a.speaker) for g in groups for a in g if a.speaker_noun})
    margins = dict(zip(nouns, who_margins(nouns, embedder), strict=True))
    things = {noun for noun, m in margins.items() if m <= 0}

    def judged(a: Attribution) -> Attribution:
        if (a.speaker_noun, a.speaker) in things:
            return replace(a, speaker_kind=NOT_A_SPEAKER)
        return a

    return [[judged(a) for a in g] for g in groups], len({s for _, s in things})
