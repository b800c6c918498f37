"""Scores of extracted attributions against gold in PolNeAR's JSONL form.

Gold records (../shared/data/polnear-dev.jsonl) carry ``id``, ``text`` and
``gold_attributions``: each with ``source`` (may be null), ``cue``, ``content_spans``
(character spans into the text) and ``direct`` (PolNeAR's rule: the content holds a quotation
mark, “ ” or ").

The rules (issue 15):
- a predicted attribution matches a gold one of the same article when the word-level F1 of
  their contents is at least 0.5; matching is one-to-one, greedy from the best F1 down;
- precision, recall and F1 for direct quotes (gold and predictions that are direct) and for
  all attributions;
- speaker accuracy on matched pairs: right when the last word of one name is a word of the
  other; gold sources that are pronouns (or missing) are not scored for speaker. PolNeAR's
  gold source is the mention as written ("the mayor"), so a speaker resolved to the name
  the text gives it ("Bill de Blasio") is also right when its mention matches the gold.

"Direct" is decided by PolNeAR's own rule on both sides (the content text holds “, ” or "),
so the two sides split on one definition: the gold marks quotations printed with two
apostrophes (''…'', as the NYT does) as not direct, and so does this score, though the
extractor's ``direct`` flag counts them as quotations.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, Protocol, TypedDict

from ...errors import InputError
from ..language.text import word_set

if TYPE_CHECKING:
    from spacy.tokens import Doc

MATCH_F1 = 0.5
_WORD = re.compile(r"\w+")
_GOLD_QUOTES = frozenset('“”"')
PRONOUNS = word_set("""
    he she they it i we you him her them his hers its their theirs our ours my mine your
    yours me us who whom whose which that this these those itself himself herself
    themselves
""")


class GoldAttribution(TypedDict):
    """One gold attribution of a record, as ``load_gold`` checks it."""

    content_spans: list[list[int]]  # [start, end] character offsets into the text
    direct: bool
    source: NotRequired[str | None]


class GoldRecord(TypedDict):
    """One gold article of the JSONL file, as ``load_gold`` checks it (other keys kept)."""

    id: object
    text: str
    gold_attributions: list[GoldAttribution]


class Extracted(Protocol):
    """What ``predicted_items`` reads of an attribution (and ``spans``, ``mention`` where
    it has them)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def speaker(self) -> str | None: ...
    @property
    def direct(self) -> bool: ...


@dataclass(frozen=True)
class Item:
    """One attribution reduced to what is scored: content words, speaker, directness."""

    words: Counter[str]
    speaker: str | None
    direct: bool
    # the speaker as the text writes it ("the mayor"), when the speaker was resolved to a
    # name ("Bill de Blasio"): PolNeAR's gold source is that written mention
    mention: str | None = None


def load_gold(path: str | Path) -> list[GoldRecord]:
    """The gold records of a JSONL file; InputError names the line of a bad record.

    A record is checked for what the scorer reads (see the module docstring): ``text`` a
    string, ``gold_attributions`` a list of objects, each with ``content_spans`` (a list of
    [start, end] character offsets into the text), ``direct`` (true or false) and, if
    given, ``source`` (a string or null).
    """
    records: list[GoldRecord] = []
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})",
                        str(path),
                        number,
                    ) from exc
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"not valid JSON ({exc})", str(path), number) from exc
                problem = _gold_problem(record)
                if problem is not None:
                    raise InputError(
                        f"not an attribution gold record: {problem}", str(path), number
                    )
                records.append(record)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from exc
    return records


def _gold_problem(record: object) -> str | None:
    """What is wrong with one gold record, or None when the scorer can use it."""
    if not isinstance(record, dict):
        return f"expected a JSON object, got {_json_type(record)}"
    for key in ("id", "text", "gold_attributions"):
        if key not in record:
            return f'no "{key}"'
    text, attributions = record["text"], record["gold_attributions"]
    if not isinstance(text, str):
        return f'"text" must be a string, got {_json_type(text)}'
    if not isinstance(attributions, list):
        return f'"gold_attributions" must be a list, got {_json_type(attributions)}'
    for k, gold in enumerate(attributions):
        where = f"gold_attributions[{k}]"
        if not isinstance(gold, dict):
            return f"{where} must be an object, got {_json_type(gold)}"
        for key in ("content_spans", "direct"):
            if key not in gold:
                return f'{where} has no "{key}"'
        source = gold.get("source")
        if source is not None and not isinstance(source, str):
            return f"{where}.source must be a string or null, got {_json_type(source)}"
        if not isinstance(gold["direct"], bool):
            return f"{where}.direct must be true or false, got {_json_type(gold['direct'])}"
        spans = gold["content_spans"]
        if not isinstance(spans, list):
            return f"{where}.content_spans must be a list, got {_json_type(spans)}"
        for j, span in enumerate(spans):
            if not _is_span(span):
                return (
                    f"{where}.content_spans[{j}] must be [start, end], character offsets "
                    f"with 0 <= start <= end, got {_short(span)}"
                )
    return None


def _is_span(span: object) -> bool:
    return (
        isinstance(span, list)
        and len(span) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in span)
        and 0 <= span[0] <= span[1]
    )


def _json_type(value: object) -> str:
    """A value's type as JSON names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)


def _short(value: object, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def words(text: str) -> Counter[str]:
    """Lower-cased word counts: punctuation and quotation marks do not count."""
    return Counter(_WORD.findall(text.lower()))


def word_f1(a: Counter[str], b: Counter[str]) -> float:
    """Bag-of-words F1 between two contents."""
    common = sum((a & b).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def _span_text(text: str, spans: Iterable[Sequence[int]]) -> str:
    return " ".join(text[start:end] for start, end in spans)


def holds_quote(content: str) -> bool:
    """PolNeAR's `direct`: the content holds a quotation mark (“, ” or ")."""
    return any(ch in _GOLD_QUOTES for ch in content)


def gold_items(record: GoldRecord) -> list[Item]:
    """The scored form of an article's gold attributions."""
    text = record["text"]
    items = []
    for gold in record["gold_attributions"]:
        content = _span_text(text, gold.get("content_spans") or [])
        items.append(Item(words(content), gold.get("source"), bool(gold.get("direct"))))
    return items


def predicted_items(
    text: str, attributions: Iterable[Extracted], own_flag: bool = False
) -> list[Item]:
    """The scored form of extracted attributions (anything with spans or start/end, speaker).

    Direct by PolNeAR's rule on the content, or by the extractor's own `direct` flag.
    """
    items = []
    for attribution in attributions:
        spans = getattr(attribution, "spans", None) or [(attribution.start, attribution.end)]
        content = _span_text(text, spans)
        direct = attribution.direct if own_flag else holds_quote(content)
        mention = getattr(attribution, "mention", None) or None
        items.append(Item(words(content), attribution.speaker, direct, mention))
    return items


def match(predicted: Sequence[Item], gold: Sequence[Item]) -> list[tuple[int, int]]:
    """One-to-one (predicted, gold) index pairs with content F1 >= 0.5, best F1 first."""
    pairs = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            f1 = word_f1(p.words, g.words)
            if f1 >= MATCH_F1:
                pairs.append((f1, i, j))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_p, used_g, matched = set(), set(), []
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            matched.append((i, j))
    return matched


def _name_words(name: str) -> list[str]:
    return _WORD.findall(re.sub(r"(?:'s|’s)\b", "", name.lower()))


def is_pronoun(source: str | None) -> bool:
    """A gold source with no name to compare: missing, or only pronouns."""
    found = _name_words(source or "")
    return not found or all(w in PRONOUNS for w in found)


def same_speaker(predicted: str | None, gold: str) -> bool:
    """Right when the last word of one name is a word of the other."""
    p, g = _name_words(predicted or ""), _name_words(gold)
    if not p or not g:
        return False
    return p[-1] in g or g[-1] in p


class Tally:
    """Counts for one category (direct, all) summed over articles."""

    def __init__(self) -> None:
        self.n_pred = self.n_gold = self.tp = self.speaker_scored = self.speaker_right = 0

    def add(self, predicted: Sequence[Item], gold: Sequence[Item]) -> None:
        pairs = match(predicted, gold)
        self.n_pred += len(predicted)
        self.n_gold += len(gold)
        self.tp += len(pairs)
        for i, j in pairs:
            speaker = gold[j].speaker
            if speaker is None or is_pronoun(speaker):
                continue
            self.speaker_scored += 1
            said = predicted[i]
            self.speaker_right += same_speaker(said.speaker, speaker) or (
                said.mention is not None and same_speaker(said.mention, speaker)
            )

    def result(self) -> dict[str, float]:
        precision = self.tp / self.n_pred if self.n_pred else 0.0
        recall = self.tp / self.n_gold if self.n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        speaker = self.speaker_right / self.speaker_scored if self.speaker_scored else 0.0
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "matched": self.tp,
            "predicted": self.n_pred,
            "gold": self.n_gold,
            "speaker_accuracy": speaker,
            "speaker_scored": self.speaker_scored,
        }


def score(
    records: Sequence[GoldRecord],
    predictions: Sequence[Iterable[Extracted]],
    own_flag: bool = False,
) -> dict[str, dict[str, float]]:
    """Direct and all-attribution scores of predictions (one list per record, same order).

    own_flag: split predictions into direct or not by their `direct` flag instead of
    PolNeAR's rule (see the module docstring).
    """
    tallies = {"direct": Tally(), "all": Tally()}
    for record, found in zip(records, predictions, strict=True):
        predicted = predicted_items(record["text"], found, own_flag)
        gold = gold_items(record)
        tallies["all"].add(predicted, gold)
        tallies["direct"].add([p for p in predicted if p.direct], [g for g in gold if g.direct])
    return {name: tally.result() for name, tally in tallies.items()}


def evaluate_attributions(
    gold_path: str | Path,
    nlp_model: str | None = None,
    *,
    n_process: int = 1,
    docs: Sequence[Doc] | None = None,
) -> dict[str, Any]:
    """Parse the gold articles, extract attributions and score them (see the rules above).

    `docs` (parsed already, one per record, in order) skips the parse: the bench passes
    cached ones. Returns {"direct": {...}, "all": {...}, "articles", "model",
    "parse_seconds", "extract_seconds"}.
    """
    from ..language.attribution import extract_attributions
    from ..language.nlp import load_nlp, parse, pipeline_meta

    records = load_gold(gold_path)
    nlp = load_nlp(nlp_model)
    started = time.perf_counter()
    if docs is None:
        docs = list(parse((r["text"] for r in records), nlp, n_process=n_process))
    parsed = time.perf_counter()
    predictions = [extract_attributions(doc) for doc in docs]
    extracted = time.perf_counter()
    result: dict[str, Any] = score(records, predictions)
    result.update(
        articles=len(records),
        model=pipeline_meta(nlp),
        parse_seconds=parsed - started,
        extract_seconds=extracted - parsed,
    )
    return result


def format_scores(rows: dict[str, dict[str, Any]]) -> str:
    """A plain-text table: one row per system, direct and all P/R/F1 and speaker accuracy."""
    head = (
        f"{'system':<26} {'dir P':>6} {'dir R':>6} {'dir F1':>6} {'spk':>6}   "
        f"{'all P':>6} {'all R':>6} {'all F1':>6} {'spk':>6}"
    )
    lines = [head, "-" * len(head)]
    for name, result in rows.items():
        d, a = result["direct"], result["all"]
        lines.append(
            f"{name:<26} {d['precision']:6.3f} {d['recall']:6.3f} {d['f1']:6.3f} "
            f"{d['speaker_accuracy']:6.3f}   {a['precision']:6.3f} {a['recall']:6.3f} "
            f"{a['f1']:6.3f} {a['speaker_accuracy']:6.3f}"
        )
    return "\n".join(lines)
