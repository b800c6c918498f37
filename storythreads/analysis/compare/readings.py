"""What voices and figures read from each post's parse, parsed once for a comparison.

The spaCy parse is the comparison's one expensive step, so it is made once per post (in
batches, each Doc read and dropped as it comes) and the tables of every grouping read the
same readings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...types import Run
from ..language.detect import UNDETERMINED, post_language
from .voices import post_text

if TYPE_CHECKING:
    from spacy.language import Language

    from ...embeddings.base import Embedder
    from ..language.attribution import Attribution
    from ..language.figures import Figure


@dataclasses.dataclass(frozen=True)
class Reading:
    """What voices and figures take from one post's parse (the Doc itself is not kept: a
    spaCy Doc holds its tensors, ~0.8 MB a post)."""

    figures: list[Figure]
    attributions: list[Attribution]


def parse_posts(
    run: Run,
    nlp: Language | None = None,
    progress: Callable[[int], object] | None = None,
    embedder: Embedder | None = None,
) -> dict[str, Reading]:
    """Post id -> the figures and attributions of its text (``voices.post_text``), for every
    primary post of a thread in the pipeline's language (``language.detect``): parsed
    once, in batches, each Doc read and dropped as it comes. ``progress`` is called with
    the number of posts read so far. With ``embedder``, a speaker that is a common noun
    is judged a person or a thing (``animacy.judge_speakers``); without it, a person."""
    from ..language.attribution import extract_attributions
    from ..language.figures import doc_figures
    from ..language.nlp import load_nlp, parse

    ids = sorted({a.post_id for a in run.assignments if a.role == "primary"})
    by_id = {p.id: p for p in run.posts}
    nlp = nlp if nlp is not None else load_nlp()
    # a post in a language the pipeline does not read gives no voices or figures (a parse
    # in the wrong language finds speakers and amounts that are not there); "und" is read
    ids = [i for i in ids if i in by_id and post_language(by_id[i]) in (nlp.lang, UNDETERMINED)]
    readings = {}
    n_process = 2 if len(ids) >= 2000 else 1  # worker start-up costs more on small input
    parsed = parse((post_text(by_id[i]) for i in ids), nlp, n_process=n_process)
    for n, (post_id, doc) in enumerate(zip(ids, parsed, strict=True), start=1):
        readings[post_id] = Reading(doc_figures(doc), extract_attributions(doc))
        if progress is not None:
            progress(n)
    if embedder is not None:
        from ..language.animacy import judge_speakers

        judged, _ = judge_speakers([r.attributions for r in readings.values()], embedder)
        readings = {
            post_id: dataclasses.replace(r, attributions=attributions)
            for (post_id, r), attributions in zip(readings.items(), judged, strict=True)
        }
    return readings
