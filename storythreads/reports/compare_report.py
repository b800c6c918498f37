"""The `compare` report: who covered which story, how much, first, in which words and voices.

``build_comparison`` runs the analysis functions over one Run whose threads span all
outlets; ``write_comparison`` writes ``compare.md``, ``compare.html`` (compare_html.py),
``compare.json`` and tidy tables (CSV,
and Parquet where pyarrow is installed) that load straight into pandas or R:
one row per (thread, outlet), per (thread, outlet, term), per speaker, per figure.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis.compare.groups import Grouping, regroup
from ..analysis.compare.outlets import MAX_LAG_DAYS, attention, coverage, framing, lead_times
from ..analysis.compare.pooled import pooled_comparison, pooled_voices
from ..analysis.compare.readings import parse_posts
from ..analysis.compare.voices import hedging, quotes, sources, voices
from ..analysis.language.figures import figures, revisions
from ..config import CompareSettings
from ..types import Run
from . import figures_html
from .compare_html import lag_text, median_lags, render_compare_html
from .comparison import (
    MAX_TABLE_ROWS,
    Comparison,
    busiest,
    correction,
    findings_markdown,
    not_speakers_text,
    terms_rule_text,
)
from .files import write_atomic
from .values import csv_text, jsonable, md_escape, names_md

if TYPE_CHECKING:
    from spacy.language import Language

    from ..analysis.compare.outlets import CoverageRow
    from ..analysis.compare.readings import Reading
    from ..analysis.compare.voices import SourceRow, VoiceRow
    from ..embeddings.base import Embedder
    from .comparison import ThreadRowT

SCHEMA = "storythreads.compare/1"
TABLES = (
    "coverage", "lead", "terms", "voices", "sources", "quotes", "hedges", "figures", "revisions",
    "attention", "framing", "agenda", "pairs", "quoted",
)  # fmt: skip
# compare.json holds these tables' listed rows only (agenda: q_value <= compare.q; framing
# and quoted: paired_q <= compare.q); the CSV files hold every tested row
SIGNIFICANT_ONLY = ("framing", "agenda", "quoted")


def build_comparison(
    run: Run,
    top_terms: int = 10,
    max_lag_days: float = MAX_LAG_DAYS,
    nlp: Language | None = None,
    readings: dict[str, Reading] | None = None,
    rules: CompareSettings | None = None,
    groupings: Sequence[Grouping] = (),
    embedder: Embedder | None = None,
) -> Comparison:
    """Every table of the comparison. Voices and figures read the posts' parses:
    ``readings`` (see ``parse_posts``) or, without it, a parse with ``nlp`` (default: the
    shipped spaCy pipeline). ``rules``: when a word is distinctive (``CompareSettings``).
    Each of ``groupings`` adds the same tables over its groups of outlets (``regroup``).
    ``embedder`` (with no ``readings``) tells speakers that are things from people."""
    rules = rules or CompareSettings()
    readings = readings if readings is not None else parse_posts(run, nlp, embedder=embedder)
    groups = tuple(
        (
            g,
            build_comparison(
                regroup(run, g), top_terms, max_lag_days, readings=readings, rules=rules
            ),
        )
        for g in groupings
    )
    lead = lead_times(run, max_lag_days=max_lag_days)
    pooled = pooled_comparison(run, rules)
    rows = figures(run, {pid: r.figures for pid, r in readings.items()})
    said = quotes(run, {pid: r.attributions for pid, r in readings.items()})
    return Comparison(
        run=run,
        coverage=tuple(coverage(run)),
        lead=tuple(lead.rows),
        median_lag=dict(lead.median_lag),
        median_lag_days=dict(lead.median_lag_days),
        lag_interval=dict(lead.lag_interval),
        lag_interval_days=dict(lead.lag_interval_days),
        single_outlet=tuple(lead.single_outlet),
        terms=tuple(framing(run, top_n=top_terms, rules=rules)),
        voices=tuple(voices(said)),
        hedges=tuple(hedging(run)),
        figures=tuple(rows),
        revisions=tuple(revisions(rows)),
        lead_window_days=max_lag_days,
        quotes=tuple(said),
        sources=tuple(sources(said)),
        rules=rules,
        groups=groups,
        attention=tuple(attention(run)),
        framing=pooled.terms,
        agenda=pooled.agenda,
        pairs=pooled.pairs,
        quoted=pooled_voices(said, rules),
    )


def _rows(items: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        is_row = dataclasses.is_dataclass(item) and not isinstance(item, type)
        row = dataclasses.asdict(item) if is_row else dict(item)
        out.append({k: jsonable(v) for k, v in row.items()})
    return out


def table_rows(c: Comparison) -> dict[str, list[dict[str, Any]]]:
    """Each tidy table as a list of flat rows (lists become JSON strings); the tables of
    each grouping as ``<table>-<grouping>`` (coverage-ideology: one row per thread and
    group)."""
    tables = {name: _rows(getattr(c, name)) for name in TABLES}
    for grouping, grouped in c.groups:
        tables.update({f"{name}-{grouping.name}": _rows(getattr(grouped, name)) for name in TABLES})
    for rows in tables.values():
        for row in rows:
            for key, value in row.items():
                if isinstance(value, (list, dict)):
                    row[key] = json.dumps(value, ensure_ascii=False)
    return tables


def comparison_dict(c: Comparison) -> dict[str, Any]:
    labels = {t.id: t.label for t in c.run.threads}
    outlets = sorted({p.source or "unknown" for p in c.run.posts})
    return {
        "schema": SCHEMA,
        "run": {
            "id": c.run.id,
            "settings_digest": c.run.settings_digest,
            "model": c.run.model,
            "counts": jsonable(c.run.counts),
            "provenance": jsonable(c.run.provenance),
        },
        "outlets": outlets,
        "threads": [
            {"id": t.id, "label": labels[t.id], "posts": list(t.post_ids)} for t in c.run.threads
        ],
        "median_lag_minutes": jsonable(c.median_lag),
        "median_lag_days": jsonable(c.median_lag_days),  # threads timed to the day
        # per outlet [low, high, threads]: a 95 % distribution-free interval of the median
        **c.intervals(),
        # each --groups file: the mapping used (with the file's sha256) and every table
        # over its groups; an outlet it does not name is in the group "(no group)"
        "groupings": [
            {
                "name": g.name,
                "file": g.path,
                "sha256": g.sha256,
                "mapping": dict(sorted(g.mapping.items())),
                "unmapped_outlets": sorted(set(outlets) - set(g.mapping)),
                "median_lag_minutes": jsonable(grouped.median_lag),
                "median_lag_days": jsonable(grouped.median_lag_days),
                **grouped.intervals(),
                **_json_tables(grouped),
            }
            for g, grouped in c.groups
        ],
        # a word is listed as distinctive only under these rules (config.CompareSettings)
        "term_rules": {**dataclasses.asdict(c.rules), "correction": correction(c.rules)},
        "single_outlet_threads": list(c.single_outlet),
        # attributions whose speaker is a thing, an abstraction or nobody (kind "other":
        # "the mask says", "no one said"): kept in quotes, not listed as voices
        "not_speakers": c.not_speakers(),
        **_json_tables(c),
    }


def _json_tables(c: Comparison) -> dict[str, object]:
    """Every table's rows for compare.json; the pooled framing and agenda with their
    significant rows only, and how many were tested (the CSV files hold them all)."""
    tables: dict[str, object] = {
        name: _rows(getattr(c, name)) for name in TABLES if name not in SIGNIFICANT_ONLY
    }
    for name in SIGNIFICANT_ONLY:
        rows = getattr(c, name)
        tables[name] = _rows(r for r in rows if r.passes(c.rules.q))
        tables[f"{name}_tested"] = len(rows)
    return tables


def _by_thread(rows: Iterable[ThreadRowT]) -> dict[str, list[ThreadRowT]]:
    grouped: dict[str, list[ThreadRowT]] = {}
    for row in rows:
        grouped.setdefault(row.thread_id, []).append(row)
    return grouped


TOP_SPEAKERS = 3  # per thread and outlet in compare.md (quotes.csv has them all)
TOP_DIFFERENCES = 10  # the summary's largest significant differences
TOP_TERMS_MD = 5  # distinctive words per outlet and thread in compare.md (terms.csv: all)


def _voices_markdown(rows: Sequence[VoiceRow], mix: Iterable[SourceRow]) -> list[str]:
    """One line per outlet: its share of anonymous sources and its top speakers with
    their counts (quotes.csv and compare.html have every attribution and an example)."""
    anonymous = {m.outlet: m for m in mix}
    lines = []
    said: dict[str, int] = {}
    for r in rows:
        said[r.outlet] = said.get(r.outlet, 0) + r.quotes + r.attributions
    shown = sorted(sorted(said, key=lambda o: -said[o])[:MAX_TABLE_ROWS])
    for outlet in shown:
        m = anonymous.get(outlet)
        share = f" ({m.anonymous_share:.0%} of {m.attributions} anonymous)" if m else ""
        top = [r for r in rows if r.outlet == outlet][:TOP_SPEAKERS]
        names = ", ".join(f"{md_escape(r.speaker)} ({r.quotes + r.attributions})" for r in top)
        lines.append(f"- voices, {md_escape(outlet)}{share}: {names}")
    more = len(said) - len(shown)
    return lines + ([f"- voices of {more} more outlets in voices.csv"] if more > 0 else [])


def _differences(c: Comparison, labels: dict[str, str]) -> list[str]:
    """The largest significant differences of a comparison, one line each, by z."""
    lines = []
    for r in sorted(c.terms, key=lambda r: (-r.z, r.thread_id, r.outlet, r.term))[:TOP_DIFFERENCES]:
        q = f", q {r.q_value:.2g}" if r.q_value is not None else ""
        lines.append(
            f"- {md_escape(r.outlet)} on *{md_escape(labels.get(r.thread_id, r.thread_id))}*: "
            f"“{md_escape(r.term)}” {r.count}× in its {r.words} words against {r.other_count}× "
            f"in the others' {r.other_words} (z {r.z:.1f}{q})"
        )
    return lines


def _first_text(row: CoverageRow) -> str:
    """A coverage row's first post: its date when the post gives a date only."""
    if row.first is None:
        return "—"
    when = row.first.astimezone(UTC)
    return when.strftime("%Y-%m-%d" if row.first_date_only else "%Y-%m-%dT%H:%M:%SZ")


def _lead_table(c: Comparison, who: str) -> list[str]:
    """The fastest ``MAX_TABLE_ROWS`` sides by median lag; the others counted (lead.csv
    lists them all), and the sides with no lag (one thread alone) counted, not listed."""
    lags = median_lags(c)
    if not lags:
        return []
    lines = [f"| {who} | median lag behind the first report |", "|---|---|"]
    lines += [f"| {md_escape(o)} | {text} |" for o, text in lags[:MAX_TABLE_ROWS]]
    more = len(lags) - MAX_TABLE_ROWS
    sides = {p.source or "unknown" for p in c.run.posts}
    none = len(sides) - len(lags)
    notes = [f"{more} more in lead.csv" if more > 0 else "",
             f"{none} with no thread shared with another, so no lag" if none > 0 else ""]  # fmt: skip
    said = "; ".join(n for n in notes if n)
    return lines + ([f"\n{said}."] if said else []) + [""]


def _grouping_markdown(
    grouping: Grouping, grouped: Comparison, labels: dict[str, str]
) -> list[str]:
    """A grouping's section: posts and threads per group, who reports first, and the
    largest significant differences between groups."""
    # a grouped run's posts all have their group as source (analysis.groups)
    groups = sorted({p.source for p in grouped.run.posts if p.source is not None})
    posts = {g: 0 for g in groups}
    threads: dict[str, set[str]] = {g: set() for g in groups}
    for r in grouped.coverage:
        posts[r.outlet] += r.posts
        threads[r.outlet].add(r.thread_id)
    mapping = "; ".join(
        f"{md_escape(g)}: {names_md(o for o, x in grouping.mapping.items() if x == g)}"
        for g in groups
        if g in grouping.mapping.values()
    )
    lines = [
        f"## By {md_escape(grouping.name)}",
        "",
        f"Groups ({md_escape(grouping.path)}): {mapping}.",
        "",
    ]
    lines += ["| group | posts | threads |", "|---|---|---|"]
    lines += [f"| {md_escape(g)} | {posts[g]} | {len(threads[g])} |" for g in groups]
    lines += [""] + _lead_table(grouped, "group")
    differences = _differences(grouped, labels)
    if differences:
        lines += ["Largest significant differences between groups:", "", *differences, ""]
    return lines


def render_compare_markdown(c: Comparison) -> str:
    """compare.md, a page a person reads: a summary first (outlets, groups, threads, the
    largest significant differences, who reports first), each grouping, then each thread
    in a few lines. The full tables are the CSV files and compare.html."""
    run = c.run
    labels = {t.id: t.label for t in run.threads}
    outlets = sorted({p.source or "unknown" for p in run.posts})
    shown = ", ".join(md_escape(o) for o in outlets[:12]) + (", …" if len(outlets) > 12 else "")
    groupings = "; ".join(
        f"{md_escape(g.name)} ({len(set(g.mapping.values()))} groups)" for g, _ in c.groups
    )
    lines = [
        "# Coverage compared",
        "",
        f"{len(run.posts)} posts from {len(outlets)} outlet(s) ({shown}) in "
        f"{len(run.threads)} threads" + (f"; groupings: {groupings}." if groupings else "."),
        "",
        f"A word is listed as distinctive when {terms_rule_text(c.rules)}.",
        "",
        *([not_speakers_text(c), ""] if c.not_speakers() else []),
        "## Findings",
        "",
    ]
    for grouping, grouped in c.groups:
        lines += findings_markdown(grouped, f"By {grouping.name}", "groups")
    lines += findings_markdown(c, "By outlet", "outlets")
    lines += ["## Summary", ""]
    differences = _differences(c, labels)
    lines += (
        ["Largest significant differences:", "", *differences, ""]
        if differences
        else [
            "No word passes the significance rule: no outlet's wording differs beyond chance.",
            "",
        ]
    )
    if c.median_lag or c.median_lag_days:
        lines += ["### Who reports first", "", *_lead_table(c, "outlet")]
    for grouping, grouped in c.groups:
        lines += _grouping_markdown(grouping, grouped, labels)
    cov, lead, terms = _by_thread(c.coverage), _by_thread(c.lead), _by_thread(c.terms)
    speak, revs, mix = _by_thread(c.voices), _by_thread(c.revisions), _by_thread(c.sources)
    for t in run.threads:
        if t.id not in cov:
            continue
        lines += [f"## {md_escape(t.label)} ({t.id})", ""]
        lines += [
            "| outlet | posts | words | share of outlet | first | lag |",
            "|---|---|---|---|---|---|",
        ]
        lags = {r.outlet: r for r in lead.get(t.id, [])}
        rows = cov[t.id]
        for r in busiest(rows):
            lag = lag_text(lags.get(r.outlet), c.lead_window_days)
            lines.append(
                f"| {md_escape(r.outlet)} | {r.posts} | {r.words} | {r.share_of_outlet:.0%} | "
                f"{_first_text(r)} | {lag} |"
            )
        more = len(rows) - MAX_TABLE_ROWS
        lines += ["", f"{more} more outlets in coverage.csv."] if more > 0 else []
        lines.append("")
        for o in sorted({r.outlet for r in terms.get(t.id, [])}):
            words = [f"{md_escape(r.term)} ({r.z:.1f})" for r in terms[t.id] if r.outlet == o]
            lines.append(f"- distinctive, {md_escape(o)}: {', '.join(words[:TOP_TERMS_MD])}")
        lines += _voices_markdown(speak.get(t.id, []), mix.get(t.id, []))
        lines += [f"- ⚠ figures differ: {md_escape(rev.note)}" for rev in revs.get(t.id, [])]
        if lines[-1] != "":
            lines.append("")
    if c.single_outlet:
        lines += ["## Covered by one outlet only", ""]
        lines += [f"- {md_escape(labels.get(tid, tid))} ({tid})"
                  for tid in c.single_outlet[:MAX_TABLE_ROWS]]  # fmt: skip
        more = len(c.single_outlet) - MAX_TABLE_ROWS
        lines += [f"- … {more} more in compare.json (`single_outlet_threads`)"] if more > 0 else []
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_comparison(c: Comparison, out_dir: str | Path, single_file: bool = True) -> list[Path]:
    """Render everything first, then replace each file atomically; return the paths.
    ``single_file=False``: compare.html loads plotly.js from ``assets/`` in ``out_dir``."""
    out = Path(out_dir)
    plotly_src = None if single_file else figures_html.plotly_asset(out)
    files: dict[str, bytes] = {
        "compare.md": render_compare_markdown(c).encode(),
        "compare.html": render_compare_html(c, plotly_src).encode(),
        "compare.json": (
            json.dumps(comparison_dict(c), indent=2, ensure_ascii=False) + "\n"
        ).encode(),
    }
    tables = table_rows(c)
    for name, rows in tables.items():
        files[f"{name}.csv"] = csv_text(rows).encode()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        pa = None
    if pa is not None:
        for name, rows in tables.items():
            sink = pa.BufferOutputStream()
            pq.write_table(pa.Table.from_pylist(rows), sink)
            files[f"{name}.parquet"] = sink.getvalue().to_pybytes()
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        write_atomic(out / name, data)
        paths.append(out / name)
    return paths
