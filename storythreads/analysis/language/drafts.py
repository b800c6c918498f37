"""What the attribution rules work on (``attribution``) and the speaker rules read
(``speakers``): an attribution while it is built, and one parsed Doc read once. Their own
module, so that neither of the two imports the other's private types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


@dataclass
class Draft:
    """An attribution while it is being built: token-level source, cue and content spans."""

    cue: Token | Span  # Token, or a Span for "according to"
    source: Token | None  # Token: head of the source phrase; None when a cue has no subject
    spans: list[tuple[int, int]]  # character spans of the content

    @property
    def position(self) -> int:
        return self.spans[0][0]


@dataclass
class Parsed:
    """What the rules read of one Doc, worked out once: its text and each token's entity.

    (``doc.text`` and ``doc.ents`` are rebuilt by spaCy on every access, so reading them
    per attribution made extraction quadratic in the length of a post.)
    """

    doc: Doc  # a spaCy Doc
    text: str
    entities: list[Span | None]  # token index -> the named entity (a Span) holding it, or None

    @classmethod
    def of(cls, doc: Doc) -> Parsed:
        entities: list[Span | None] = [None] * len(doc)
        for ent in doc.ents:
            for i in range(ent.start, ent.end):
                entities[i] = ent
        return cls(doc, doc.text, entities)

    def entity_at(self, token: Token) -> Span | None:
        """The named entity holding a token, if any."""
        return self.entities[token.i]

    def person_in(self, first: int, last: int) -> Span | None:
        """The last PERSON entity wholly inside tokens first..last."""
        for i in range(last, first - 1, -1):
            ent = self.entities[i]
            if (
                ent is not None
                and ent.label_ == "PERSON"
                and first <= ent.start
                and ent.end - 1 <= last
            ):
                return ent
        return None
