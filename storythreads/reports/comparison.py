"""The Comparison value: what ``compare`` computed over one Run, before it is written,
and the sentences compare.md and compare.html both say about it (the terms rule, the
pooled findings).

Its own module so that compare_report.py (which builds and writes it) and compare_html.py
(which renders it) both import it, and neither imports the other in a cycle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypedDict, TypeVar

from ..analysis.compare.outlets import MAX_LAG_DAYS
from ..config import CompareSettings
from ..types import Run

if TYPE_CHECKING:
    from ..analysis.compare.groups import Grouping
    from ..analysis.compare.outlets import AttentionRow, CoverageRow, LeadRow, TermRow
    from ..analysis.compare.pooled import AgendaRow, PairRow, PooledTermRow
    from ..analysis.compare.voices import HedgeRow, QuoteRow, SourceRow, VoiceRow
    from ..analysis.language.figures import FigureRow, Revision

    class ThreadRow(Protocol):
        """A row of a comparison's table: every table's rows name their thread."""

        @property
        def thread_id(self) -> str: ...

    ThreadRowT = TypeVar("ThreadRowT", bound=ThreadRow)


class NotSpeaker(TypedDict):
    """A speaker judged a thing or nobody, and its attributions (compare.json)."""

    speaker: str
    attributions: int


@dataclass(frozen=True)
class Comparison:
    run: Run
    coverage: tuple[CoverageRow, ...]
    lead: tuple[LeadRow, ...]
    median_lag: dict[str, float]  # outlet -> median lag in minutes (threads timed to the minute)
    single_outlet: tuple[str, ...]
    terms: tuple[TermRow, ...]
    voices: tuple[VoiceRow, ...]
    hedges: tuple[HedgeRow, ...]
    figures: tuple[FigureRow, ...]
    revisions: tuple[Revision, ...]
    lead_window_days: float = MAX_LAG_DAYS  # lags are read only this far after a thread starts
    quotes: tuple[QuoteRow, ...] = ()  # one row per attribution (analysis.voices.QuoteRow)
    sources: tuple[SourceRow, ...] = ()  # per (thread, outlet): attributions, anonymous share
    # when a word is listed as distinctive (z, false discovery rate, floors)
    rules: CompareSettings = field(default_factory=CompareSettings)
    median_lag_days: dict[str, float] = field(default_factory=dict)  # outlet -> days (dates only)
    # outlet -> (low, high, threads): a 95 % interval of its median lag, in minutes and in
    # days (analysis.compare.outlets.median_interval)
    lag_interval: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    lag_interval_days: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    # per grouping of outlets (--groups): (Grouping, the same comparison over its groups)
    groups: tuple[tuple[Grouping, Comparison], ...] = ()
    # per (thread, outlet, day): the outlet's posts on the story and its share that day
    attention: tuple[AttentionRow, ...] = ()
    # the pooled comparison of the sides (outlets, or the groups of a grouped run) over the
    # threads each pair both covered (analysis.compare.pooled): every tested term, each
    # (thread, side)'s agenda test, and each pair with its shared threads
    framing: tuple[PooledTermRow, ...] = ()
    agenda: tuple[AgendaRow, ...] = ()
    pairs: tuple[PairRow, ...] = ()
    # whom each side quotes more over the threads each pair both covered (pooled_voices):
    # every tested speaker, its row shaped as a framing row with the speaker as the term
    quoted: tuple[PooledTermRow, ...] = ()

    def intervals(self) -> dict[str, dict[str, list[float]]]:
        """compare.json's 95 % intervals of each side's median lag, [low, high, threads]."""
        return {
            "median_lag_interval_minutes": {o: list(v) for o, v in self.lag_interval.items()},
            "median_lag_interval_days": {o: list(v) for o, v in self.lag_interval_days.items()},
        }

    def not_speakers(self) -> list[NotSpeaker]:
        """Each speaker judged a thing, an abstraction or nobody (kind "other"), with its
        attributions: kept in quotes, not listed as a voice."""
        from ..analysis.language.animacy import NOT_A_SPEAKER

        counts = Counter(r.speaker for r in self.quotes if r.speaker_kind == NOT_A_SPEAKER)
        return [{"speaker": s, "attributions": n} for s, n in sorted(counts.items())]


def not_speakers_text(c: Comparison) -> str:
    """How many speakers the voices leave out as things or nobody (both pages say it)."""
    return (
        f"Voices are people, organisations and groups: {len(c.not_speakers())} speaker(s) "
        "judged a thing or nobody are not listed (compare.json not_speakers; quotes.csv, "
        "kind other)."
    )


def correction(rules: CompareSettings) -> str:
    if rules.fdr == "bh":
        return f"Benjamini-Hochberg over every test of the comparison, q <= {rules.q}"
    return "none"


def terms_rule_text(rules: CompareSettings) -> str:
    """One sentence that says when a word is listed (compare.md and compare.html)."""
    return (
        f"log-odds z >= {rules.z_min} against the other outlets in the thread "
        f"(Monroe et al.'s informative Dirichlet prior: the run's word shares, weighing as "
        f"much as the thread's own words); "
        f"correction: {correction(rules)}; a word in >= {rules.min_docs} posts of the "
        f"comparison, >= {rules.min_words} words on each side"
    )


MAX_TABLE_ROWS = 20  # rows of a table in compare.md and compare.html; the CSV files: all


def busiest(rows: list[CoverageRow], limit: int = MAX_TABLE_ROWS) -> list[CoverageRow]:
    """The ``limit`` coverage rows with the most posts, in their own order (all of them
    when there are no more)."""
    if len(rows) <= limit:
        return rows
    keep = set(sorted(range(len(rows)), key=lambda i: (-rows[i].posts, rows[i].outlet))[:limit])
    return [row for i, row in enumerate(rows) if i in keep]


# with more outlets than this the charts draw the first grouping's groups, or, with no
# grouping, the busiest outlets (coverage.csv and attention.csv hold every outlet)
MANY_OUTLETS = 12


def drawn_sides(c: Comparison) -> tuple[Comparison, list[str], dict[str, str]]:
    """What the charts draw: every outlet, or with more than ``MANY_OUTLETS`` the first
    grouping's groups (its comparison), else the busiest outlets by posts; and the words
    that say so (``by``: the columns' name, ``note``: what is left out)."""
    outlets = sorted({p.source or "unknown" for p in c.run.posts})
    if len(outlets) <= MANY_OUTLETS:
        return c, outlets, {"by": "outlet", "note": ""}
    if c.groups:
        grouping, grouped = c.groups[0]
        groups = sorted({p.source or "unknown" for p in grouped.run.posts})
        note = f"{len(outlets)} outlets, drawn by their groups in {grouping.name}"
        return grouped, groups, {"by": "group", "note": note}
    posts: dict[str, int] = {}
    for r in c.coverage:
        posts[r.outlet] = posts.get(r.outlet, 0) + r.posts
    busiest = sorted(sorted(posts), key=lambda o: -posts[o])[:MANY_OUTLETS]
    note = (f"the {len(busiest)} outlets with the most posts of {len(outlets)}; "
            "coverage.csv and attention.csv have every outlet")  # fmt: skip
    return c, sorted(busiest), {"by": "outlet", "note": note}


TOP_FINDINGS = 8  # significant terms per side in the findings (framing*.csv: every test)
TOP_AGENDA = 5  # threads a side covered more than its share, in the findings
MAX_TIMING_LINES = 20  # sides in the findings' timing (lead.csv and compare.json: all)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the findings, as plain text (each page escapes it): a sentence,
    then items that each name a side (bold on both pages) and say something of it."""

    lead: str
    items: tuple[tuple[str, str], ...] = ()


def findings(c: Comparison, sides: str) -> list[Paragraph]:
    """The pooled findings of one comparison (its sides: outlets, or a grouping's groups):
    the terms each side uses more over the threads each pair both covered, whom it quotes
    more, the threads it covered more than its share predicts, and its median lag with an
    interval; or a plain sentence that none passes, with the number of tests."""
    from ..analysis.compare.pooled import top_terms

    q = c.rules.q
    compared = [p for p in c.pairs if p.tested_terms]
    out = []
    if not compared:
        out.append(Paragraph(f"No two {sides} share enough threads to be compared (at least 3, "
                             f"and {c.rules.min_words} words a side)."))  # fmt: skip
    else:
        pools = "; ".join(f"{p.group}–{p.other} {p.shared_threads}" for p in compared[:6])
        pools += "; …" if len(compared) > 6 else ""
        tops = top_terms(c.framing, q, TOP_FINDINGS)
        lead = f"Over the threads each pair of {sides} both covered (threads shared: {pools}):"
        out.append(Paragraph(lead, tuple(
            (side, "words more: " + ", ".join(
                f"“{r.term}” (vs {r.other}: z {r.paired_z:.1f}, q {r.paired_q:.2g}; {r.threads} vs "
                f"{r.other_threads} threads)" for r in rows))
            for side, rows in tops.items())))  # fmt: skip
        if not tops:
            out.append(Paragraph(f"No term passes q ≤ {q:g}: {len(c.framing):,} terms tested "
                                 f"over {len(compared)} pair(s) of {sides}; their wording "
                                 "differs no more than chance."))  # fmt: skip
    quoted = top_terms(c.quoted, q, TOP_FINDINGS)
    out.append(Paragraph(
        "Quoted more, over the same threads:" if quoted else
        f"No speaker is quoted by one of the {sides} more than chance allows (q ≤ {q:g}; "
        f"{len(c.quoted):,} speakers tested).",
        tuple((side, "quotes more: " + ", ".join(
            f"{r.term} (vs {r.other}: {r.threads} vs {r.other_threads} threads, q {r.paired_q:.2g})"
            for r in rows)) for side, rows in quoted.items())))  # fmt: skip
    labels = {t.id: t.label for t in c.run.threads}
    more = sorted((r for r in c.agenda if r.q_value <= q), key=lambda r: (r.q_value, r.thread_id))
    out.append(Paragraph(
        f"Covered more than their share of posts predicts (q ≤ {q:g}):" if more else
        f"No thread is covered by one of the {sides} more than its share of posts predicts "
        f"(q ≤ {q:g}; {len(c.agenda):,} tests).",
        tuple((r.group, f"{labels.get(r.thread_id, r.thread_id)} ({r.posts} posts, "
               f"{r.expected:.1f} expected, q {r.q_value:.2g})") for r in more[:TOP_AGENDA])))  # fmt: skip
    timing = lag_intervals(c)
    if timing:
        rest = len(timing) - MAX_TIMING_LINES
        tail = (("", f"… {rest} more in compare.json"),) if rest > 0 else ()
        shown = tuple((side, f"median: {text}") for side, text in timing[:MAX_TIMING_LINES])
        out.append(Paragraph("Lag behind the first report:", shown + tail))
    return out


def findings_markdown(c: Comparison, title: str, sides: str) -> list[str]:
    """``findings`` as compare.md's lines, under a third-level heading."""
    from .values import md_escape

    lines = [f"### {md_escape(title)}", ""]
    for paragraph in findings(c, sides):
        lines += [md_escape(paragraph.lead), ""] if paragraph.lead else []
        for side, text in paragraph.items:
            lines.append(
                f"- **{md_escape(side)}** {md_escape(text)}" if side else f"- {md_escape(text)}"
            )
        lines += [""] if paragraph.items else []
    return lines


def lag_intervals(c: Comparison) -> list[tuple[str, str]]:
    """(side, its median lag with a 95 % interval and its threads), the fastest first,
    where enough threads give one: in minutes, else in whole days."""
    from ..timefmt import duration

    rows = [(lo, o, f"{duration(m)} (95 % interval {duration(lo)} to {duration(hi)}, {n} "
             "threads)") for o, (lo, hi, n) in c.lag_interval.items()
            for m in (c.median_lag[o],)]  # fmt: skip
    rows += [(lo * 1440, o, f"{day_lag(m)} (95 % interval {day_lag(lo)} to {day_lag(hi)}, "
              f"{n} threads)") for o, (lo, hi, n) in c.lag_interval_days.items()
             if o not in c.lag_interval for m in (c.median_lag_days[o],)]  # fmt: skip
    return [(o, text) for _, o, text in sorted(rows)]


def day_lag(days: float) -> str:
    """A lag of whole days: 'same day', '+1 day', '+3 days' (a median may be '+1.5 days')."""
    if days == 0:
        return "same day"
    shown = f"{days:g}"
    return f"+{shown} day" if days == 1 else f"+{shown} days"
