"""The speaker rule (issue 33): a speaker is a person, an organisation or a group of people,
or a pronoun or title resolved to one; not a thing, an abstraction or nobody."""

from __future__ import annotations

import numpy as np
import pytest

from storythreads.analysis.language.animacy import NOT_A_SPEAKER, WHAT, WHO, judge_speakers
from storythreads.analysis.language.attribution import extract_attributions
from storythreads.analysis.language.nlp import load_nlp, parse


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def attributions(nlp, texts: list[str]):
    return [extract_attributions(doc) for doc in parse(texts, nlp)]


def test_nobody_is_no_speaker(nlp):
    found = attributions(nlp, ["No one said the plan would fail.",
                               "No honest person with half a brain would say that the tax is fair."])  # fmt: skip
    assert [a.speaker_kind for g in found for a in g] == [NOT_A_SPEAKER, NOT_A_SPEAKER]


class Lexicon:
    """A fake embedder that knows which words name someone: WHO and every word in
    ``people`` on one axis, WHAT and everything else on the other."""

    name, dim = "lexicon", 2

    def __init__(self, people: set[str]):
        self.people = people

    def embed(self, texts):
        def who(text: str) -> bool:
            return text in WHO or any(w in self.people for w in text.lower().split())

        return np.array([[1.0, 0.0] if who(t) and t not in WHAT else [0.0, 1.0] for t in texts],
                        dtype=np.float32)  # fmt: skip


def test_a_common_noun_speaker_is_judged_and_every_attribution_kept(nlp):
    texts = ["“We will win tonight,” the announcer said after the match.",
             "“Wear me on the train,” the mask says in the new advertisement.",
             "“It is over,” Maria Lopez told reporters."]  # fmt: skip
    found = attributions(nlp, texts)
    assert [a.speaker_noun for g in found for a in g] == ["announcer", "mask", ""]
    judged, things = judge_speakers(found, Lexicon({"announcer"}))
    assert [(a.speaker, a.speaker_kind) for g in judged for a in g] == [
        ("announcer", "person"), ("mask", NOT_A_SPEAKER), ("Maria Lopez", "person")]  # fmt: skip
    assert things == 1


def test_the_shipped_encoder_tells_people_from_things(nlp, real_embedder):
    texts = ["“We will win tonight,” the announcer said after the match.",
             "“It is over,” his lawyer told reporters.",
             "“Wear me on the train,” the mask says in the new advertisement.",
             "“Rates will rise,” the research says."]  # fmt: skip
    judged, _ = judge_speakers(attributions(nlp, texts), real_embedder)
    kinds = {a.speaker: a.speaker_kind for g in judged for a in g}
    assert kinds["announcer"] == kinds["his lawyer"] == "person"
    assert kinds["mask"] == NOT_A_SPEAKER
    assert kinds["research"] == NOT_A_SPEAKER
