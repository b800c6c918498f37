"""Attributions from the real small spaCy pipeline: the seed blog's quotes and speakers,
pronouns, anonymous sources, "according to", the scorer and its gold files, a missing
pipeline, and the time a long post takes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from storythreads.analysis.evaluate.attribution import (
    evaluate_attributions,
    load_gold,
    same_speaker,
    score,
)
from storythreads.analysis.language.attribution import (
    Attribution,
    attributions_for_texts,
    extract_attributions,
    quote_spans,
    same_speakers,
)
from storythreads.analysis.language.nlp import load_nlp, paragraphs, parse
from storythreads.cli import commands as cli
from storythreads.errors import InputError, NlpModelError

SEED = Path(__file__).parents[2] / "examples" / "cnn-liveblog-2023-07-08.txt"


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _extract(nlp, text: str) -> list[Attribution]:
    return extract_attributions(next(parse([text], nlp)))


def _quoting(found: list[Attribution], words: str) -> Attribution:
    """The one attribution whose content holds `words`."""
    hits = [a for a in found if words in a.content]
    assert len(hits) == 1, (words, hits)
    return hits[0]


@pytest.fixture(scope="module")
def seed(nlp) -> tuple[str, list[Attribution]]:
    text = SEED.read_text(encoding="utf-8")
    return text, _extract(nlp, text)


@pytest.mark.parametrize(
    ("words", "speaker", "cue"),
    [
        ("The transfer of cluster munitions is an act of desperation", "Maria Zakharova", "said"),
        (
            "It will not affect the course of a special military operation",
            "Maria Zakharova",
            "added",
        ),
        ("We are returning home from Türkiye", "Volodymyr Zelensky", "said"),
        ("a violation of the terms of the existing agreements", "Dmitry Peskov", "called"),
        ("the conditions for the return were violated", "Dmitry Peskov", "adding"),
        ("We are not at a point where we would impose sanctions", "Recep Tayyip Erdogan", "told"),
        ("The Russians are falling back", "Ares", "says"),
        ("One or two months ago there was a lot of incoming", "Ares", "adds"),
        ("We put on the flak jackets", "Ares", "says"),
    ],
)
def test_seed_quotes_have_their_speakers(seed, words, speaker, cue):
    text, found = seed
    quote = _quoting(found, words)
    assert (quote.speaker, quote.speaker_kind, quote.cue, quote.direct) == (
        speaker, "person", cue, True,
    )  # fmt: skip
    # offsets point at the content and the speaker mention in the original text (whose
    # no-break spaces the content shows as plain spaces)
    assert words in text[quote.start : quote.end].replace("\xa0", " ")
    assert text[quote.speaker_start : quote.speaker_end] == quote.mention


def test_a_quote_continued_after_its_cue_is_one_attribution(seed):
    """“…,” Erdogan told CNN. “We are a strong state…” is one quotation in two pieces."""
    text, found = seed
    erdogan = _quoting(found, "We are not at a point")
    assert "We are a strong state" in erdogan.content
    assert len(erdogan.spans) == 2
    assert "Erdogan told CNN" in text[erdogan.spans[0][1] : erdogan.spans[1][0]]


def test_scare_quotes_are_not_attributed_to_a_speaker(seed):
    _, found = seed
    assert not any(a.content.strip('“”"') == "Pakistan" for a in found)


def test_pronoun_resolves_to_the_nearest_named_person(nlp):
    text = (
        "Senator Jane Holloway met reporters on Monday. Her aide, Tom Reyes, stood nearby.\n\n"
        "“We will not back down,” Holloway said.\n\n"
        "“This is about the families,” she added.\n\n"
        "Mr. Reyes later spoke to CNN. He said the vote would happen next week."
    )
    found = _extract(nlp, text)
    added = _quoting(found, "This is about the families")
    assert (added.speaker, added.mention, added.speaker_kind) == ("Jane Holloway", "she", "person")
    vote = _quoting(found, "the vote would happen next week")
    assert (vote.speaker, vote.mention, vote.direct) == ("Tom Reyes", "He", False)


def test_names_are_written_as_the_longest_name_of_the_text(nlp):
    text = (
        "Hillary Clinton spoke in Ohio on Tuesday.\n\n"
        "“We are stronger together,” Mrs. Clinton said.\n\n"
        "Clinton told voters that the economy was improving."
    )
    found = _extract(nlp, text)
    assert {a.speaker for a in found} == {"Hillary Clinton"}
    assert {a.mention for a in found} == {"Mrs. Clinton", "Clinton"}


def test_one_name_per_person_across_a_threads_posts(nlp):
    posts = [
        "“It will not affect the operation,” Zakharova said on Saturday.",
        "Russian foreign ministry spokesperson Maria Zakharova said the talks were over.",
        "Officials said the decision was final.",
    ]
    found = list(attributions_for_texts(posts, nlp))
    assert [a.speaker for a in found[0]] == ["Zakharova"]
    merged = same_speakers(found)
    assert [a.speaker for group in merged for a in group] == [
        "Maria Zakharova", "Maria Zakharova", "Officials",
    ]  # fmt: skip
    assert [a.speaker_kind for group in merged for a in group] == [
        "person", "person", "anonymous",
    ]  # fmt: skip


def test_anonymous_sources_stay_anonymous(nlp):
    text = (
        "The ministry is preparing a new budget. Officials said the plan would be announced "
        "on Friday.\n\n"
        "The president will not attend the summit, people familiar with the matter told CNN."
    )
    found = _extract(nlp, text)
    plan = _quoting(found, "the plan would be announced")
    assert (plan.speaker, plan.speaker_kind, plan.direct) == ("Officials", "anonymous", False)
    summit = _quoting(found, "The president will not attend the summit")
    assert summit.speaker_kind == "anonymous"
    assert summit.speaker.startswith("people familiar with")
    assert summit.cue == "told"


def test_according_to_names_the_source_and_the_rest_is_content(nlp):
    text = (
        "At least eight people were killed when Russian troops shelled the city on Saturday, "
        "according to Ukrainian officials.\n\n"
        "According to the statement, most of the children were in the Donetsk region."
    )
    found = _extract(nlp, text)
    first = _quoting(found, "At least eight people were killed")
    assert (first.speaker, first.speaker_kind, first.cue) == (
        "Ukrainian officials", "anonymous", "according to",
    )  # fmt: skip
    assert "according" not in text[first.start : first.end]
    second = _quoting(found, "most of the children were in the Donetsk region")
    assert (second.speaker, second.speaker_kind) == ("statement", "document")


def test_quotations_pair_within_paragraphs_and_mixed_marks():
    text = "“Mixed marks,\" he said.\n\n\"An open one\n\nThen ''two apostrophes'' here."
    spans = [text[s:e] for s, e in quote_spans(text)]
    assert spans == ['“Mixed marks,"', '"An open one', "''two apostrophes''"]


def test_parse_keeps_offsets_of_the_original_text(nlp):
    text = "Clinton\u00a0was headed to an emergency room.\n\nShe said: “I feel great.”\n"
    assert "".join(paragraphs(text)) == text
    doc = next(parse([text], nlp))
    assert len(doc.text) == len(text)
    # the no-break space is parsed as a space, so "Clinton" and "was" are two words
    assert [t.text for t in doc[:2]] == ["Clinton", "was"]
    assert doc.text[doc[1].idx :].startswith("was headed")


def test_missing_pipeline_is_an_exit_code_4_error():
    with pytest.raises(NlpModelError) as info:
        load_nlp("no_such_pipeline_xyz")
    assert info.value.exit_code == 4
    message = str(info.value)
    assert "no_such_pipeline_xyz" in message
    assert "\n" not in message


def test_speaker_rule_and_matching(tmp_path, nlp):
    assert same_speaker("Hillary Clinton", "Mrs. Clinton")
    assert not same_speaker("Donald Trump", "Clinton")
    text = "“We will win,” Trump said. Officials said the vote was fair."
    record = {
        "id": "a",
        "text": text,
        "gold_attributions": [
            {"source": "Donald Trump", "cue": "said", "content_spans": [[0, 14]], "direct": True},
            {"source": "he", "cue": "said", "content_spans": [[41, 59]], "direct": False},
            {"source": "x", "cue": "said", "content_spans": [[0, 3]], "direct": False},
        ],
    }
    result = score([record], [_extract(nlp, text)])
    assert (result["direct"]["matched"], result["direct"]["gold"]) == (1, 1)
    assert result["direct"]["speaker_accuracy"] == 1.0
    assert (result["all"]["matched"], result["all"]["gold"], result["all"]["predicted"]) == (
        2,
        3,
        2,
    )
    # the pronoun gold source is not scored for speaker
    assert result["all"]["speaker_scored"] == 1
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert evaluate_attributions(gold)["all"]["recall"] == pytest.approx(2 / 3)


# --- a long post: extraction time grows with the length, not with its square --------------

# one of each kind of paragraph the rules read: a cue with a quote and its continuation,
# scare quotes, a transcript label, "according to", a question with its cue after it, an
# anonymous source with a set-off cue, a sign-off, a cue introducing a quote
_LONG_POST_PARAGRAPHS = [
    "“We will not back down,” Zakharova said. “The deal is dead.” Critics called it a “farce”.",
    "PESKOV: We have no comment on the “so-called” talks.",
    "According to Maria Zakharova, the talks collapsed on Monday. She said “enough is enough”.",
    "“Is this the end?” he asks. The “experts” disagree, and the “rules” are unclear.",
    "Officials said the “review” would go on, a memo added. “Not now,” Mr. Smith told CNN.",
    "“Freedom is never free” ― Anna Lee",
    "Dmitry Peskov continued: “We will fight on.” The talks, he told reporters, are over.",
]


def _long_post(nlp, blocks: int):
    """A post of `blocks` copies of the paragraphs above, joined into one Doc as parse()
    joins the paragraphs it parses one by one (parsed once here: the test times only the
    extraction)."""
    from spacy.tokens import Doc

    block = next(parse(["\n\n".join(_LONG_POST_PARAGRAPHS) + "\n\n"], nlp))
    return Doc.from_docs([block] * blocks, ensure_whitespace=False)


def _best_time(doc, runs: int = 3) -> tuple[float, list[Attribution]]:
    best, found = float("inf"), []
    for _ in range(runs):
        started = time.perf_counter()
        found = extract_attributions(doc)
        best = min(best, time.perf_counter() - started)
    return best, found


def test_extraction_time_grows_linearly_with_the_post(nlp):
    short, long = _long_post(nlp, 30), _long_post(nlp, 120)
    assert 14_000 < len(short.text) and 4 * len(short.text) == len(long.text) > 56_000
    one, found_short = _best_time(short)
    four, found_long = _best_time(long)
    # every paragraph gives its attributions, however long the post
    assert len(found_short) > 200 and len(found_long) == 4 * len(found_short)
    assert {a.speaker_kind for a in found_long} >= {"person", "anonymous"}
    # the quadratic code took ~20x as long (15 s for 63k characters); linear takes ~4x
    assert four < 8 * one or four < 0.5, (one, four)
    assert four < 3.0, four


# --- gold files for eval-voices: a bad record is an InputError naming file and line --------

_GOOD_GOLD = {
    "id": "a",
    "text": "“We will win,” Trump said.",
    "gold_attributions": [
        {"source": "Trump", "cue": "said", "content_spans": [[0, 14]], "direct": True}
    ],
}


def _gold_with(**changes) -> dict:
    record = json.loads(json.dumps(_GOOD_GOLD))
    for key, value in changes.items():
        if key in record:
            record[key] = value
        else:
            record["gold_attributions"][0][key] = value
    return record


def _gold_file(tmp_path, bad_line: str | bytes) -> Path:
    """A gold file whose first record is good and whose second line is `bad_line`."""
    path = tmp_path / "gold.jsonl"
    good = json.dumps(_GOOD_GOLD).encode("utf-8")
    bad = bad_line if isinstance(bad_line, bytes) else bad_line.encode("utf-8")
    path.write_bytes(good + b"\n" + bad + b"\n")
    return path


def test_good_gold_loads(tmp_path):
    path = tmp_path / "gold.jsonl"
    record = _gold_with(source=None)
    path.write_text(json.dumps(_GOOD_GOLD) + "\n\n" + json.dumps(record) + "\n", "utf-8")
    assert load_gold(path) == [_GOOD_GOLD, record]


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (_gold_with(text=None), '"text" must be a string, got null'),
        (_gold_with(gold_attributions=["x"]), "gold_attributions[0] must be an object"),
        (_gold_with(gold_attributions=None), '"gold_attributions" must be a list, got null'),
        (_gold_with(content_spans=[["a", 2]]), "content_spans[0] must be [start, end]"),
        (_gold_with(content_spans=[[0, 2, 3]]), "content_spans[0] must be [start, end]"),
        (_gold_with(content_spans=[[5, 2]]), "content_spans[0] must be [start, end]"),
        (_gold_with(content_spans=[[-3, 2]]), "content_spans[0] must be [start, end]"),
        (_gold_with(content_spans=[[True, 2]]), "content_spans[0] must be [start, end]"),
        (_gold_with(content_spans="0-14"), "content_spans must be a list, got a string"),
        (_gold_with(direct="yes"), "direct must be true or false, got a string"),
        (_gold_with(source=5), "source must be a string or null, got a number"),
        ({"id": "b", "text": "x"}, 'no "gold_attributions"'),
        ([1, 2], "expected a JSON object, got a list"),
    ],
)
def test_bad_gold_record_is_an_input_error_naming_file_and_line(tmp_path, record, problem):
    path = _gold_file(tmp_path, json.dumps(record))
    with pytest.raises(InputError) as info:
        load_gold(path)
    assert (info.value.path, info.value.line) == (str(path), 2)
    assert problem in str(info.value)
    assert str(info.value).startswith(f"{path}:2: ")


def test_missing_gold_fields_are_input_errors(tmp_path):
    record = _gold_with()
    del record["gold_attributions"][0]["direct"]
    with pytest.raises(InputError, match='gold_attributions\\[0\\] has no "direct"'):
        load_gold(_gold_file(tmp_path, json.dumps(record)))


def test_gold_that_is_not_utf8_or_json_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"gold.jsonl:2: not UTF-8 text \(byte 0xe9"):
        load_gold(_gold_file(tmp_path, b'{"id": "caf\xe9"}'))
    with pytest.raises(InputError, match=r"gold.jsonl:2: not valid JSON"):
        load_gold(_gold_file(tmp_path, '{"id": '))


@pytest.mark.parametrize(
    "bad_line",
    [
        json.dumps(_gold_with(text=None)),
        json.dumps(_gold_with(content_spans=[["a", 2]])),
        b"\xff\xfe not text",
    ],
)
def test_eval_voices_with_bad_gold_fails_in_one_line(tmp_path, bad_line):
    path = _gold_file(tmp_path, bad_line)
    result = CliRunner().invoke(cli.main, ["eval-voices", str(path)])
    assert result.exit_code == InputError.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"storythreads: error: {path}:2: "), lines
    assert "Traceback" not in result.output


def test_a_title_names_the_person_the_text_gives_it(nlp):
    """Issue 25: "the attorney general said" after "Attorney General Loretta Lynch" is
    Loretta Lynch; a title the text gives nobody, or two people, stays as written."""
    found = _extract(
        nlp,
        "Attorney General Loretta Lynch met the families on Monday.\n\n"
        "“We will not rest until this is solved,” the attorney general said.\n\n"
        "Mayor Bill de Blasio visited the site. “The city is safe,” the mayor said.\n\n"
        "“We have seen nothing like it,” the governor said.",
    )
    assert _quoting(found, "not rest").speaker == "Loretta Lynch"
    assert _quoting(found, "not rest").mention == "the attorney general"
    assert _quoting(found, "city is safe").speaker == "Bill de Blasio"
    assert _quoting(found, "seen nothing").speaker == "governor"  # no governor is named


def test_the_end_of_a_longer_title_is_no_title(nlp):
    found = _extract(
        nlp,
        "Secretary of State Jon Husted defended the rules.\n\n"
        "“The rules stand,” the state said in a filing.",
    )
    assert _quoting(found, "rules stand").speaker != "Jon Husted"


def test_a_reflexive_source_resolves_like_its_pronoun(nlp):
    """A parse that makes "himself" the source (the issue's "himself", listed as an
    anonymous speaker) resolves it as "he"."""
    found = _extract(nlp, "Governor Tom Hale spoke on Tuesday.\n\n“We will sign it,” himself said.")
    said = _quoting(found, "sign it")
    assert (said.speaker, said.mention, said.speaker_kind) == ("Tom Hale", "himself", "person")


def test_voices_never_list_a_pronoun_as_a_speaker():
    from storythreads.analysis.compare.voices import QuoteRow, sources, voices

    rows = [
        QuoteRow("p1", "A", "t1", "himself", "anonymous", "said", "x", False, 0, 1),
        QuoteRow("p1", "A", "t1", "they", "anonymous", "said", "y", False, 2, 3),
        QuoteRow("p1", "A", "t1", "Tom Hale", "person", "said", "“z”", True, 4, 5),
    ]
    assert [v.speaker for v in voices(rows)] == ["Tom Hale"]
    (mix,) = sources(rows)
    assert (mix.attributions, mix.anonymous) == (3, 2)  # still counted
