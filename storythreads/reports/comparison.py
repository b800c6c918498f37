"""The Comparison value: what ``compare`` computed over one Run, before it is written,
and the sentences compare.md and compare.html both say about it (the terms rule, the
pooled findings).

Its own module so that compare_report.py (which builds and writes it) and compare_html.py
(which renders it) both import it, and neither imports the other in a cycle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..analysis.compare.outlets import MAX_LAG_DAYS
from ..config import CompareSettings
from ..types import Run


@dataclass(frozen=True)
class Comparison:
    run: Run
    coverage: tuple
    lead: tuple
    median_lag: dict  # outlet -> median lag in minutes (threads timed to the minute)
    single_outlet: tuple
    terms: tuple
    voices: tuple
    hedges: tuple
    figures: tuple
    revisions: tuple
    lead_window_days: float = MAX_LAG_DAYS  # lags are read only this far after a thread starts
    quotes: tuple = ()  # one row per attribution (analysis.voices.QuoteRow)
    sources: tuple = ()  # per (thread, outlet): attributions and the anonymous share
    # when a word is listed as distinctive (z, false discovery rate, floors)
    rules: CompareSettings = field(default_factory=CompareSettings)
    median_lag_days: dict = field(default_factory=dict)  # outlet -> days (dates only)
    # outlet -> (low, high, threads): a 95 % interval of its median lag, in minutes and in
    # days (analysis.compare.outlets.median_interval)
    lag_interval: dict = field(default_factory=dict)
    lag_interval_days: dict = field(default_factory=dict)
    # per grouping of outlets (--groups): (Grouping, the same comparison over its groups)
    groups: tuple = ()
    # per (thread, outlet, day): the outlet's posts on the story and its share that day
    attention: tuple = ()
    # the pooled comparison of the sides (outlets, or the groups of a grouped run) over the
    # threads each pair both covered (analysis.compare.pooled): every tested term, each
    # (thread, side)'s agenda test, and each pair with its shared threads
    framing: tuple = ()
    agenda: tuple = ()
    pairs: tuple = ()
    # whom each side quotes more over the threads each pair both covered (pooled_voices):
    # every tested speaker, its row shaped as a framing row with the speaker as the term
    quoted: tuple = ()

    def not_speakers(self) -> list[dict]:
        """Each speaker judged a thing, an abstraction or nobody (kind "other"), with its
        attributions: kept in quotes, not listed as a voice."""
        from ..analysis.language.animacy import NOT_A_SPEAKER

        counts = Counter(r.speaker for r in self.quotes if r.speaker_kind == NOT_A_SPEAKER)
        return [{"speaker": s, "attributions": n} for s, n in sorted(counts.items())]


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


TOP_FINDINGS = 8  # significant terms per side in the findings (framing*.csv: every test)
TOP_AGENDA = 5  # threads a side covered more than its share, in the findings


def findings_markdown(c: Comparison, title: str, sides: str) -> list[str]:
    """The pooled findings of one comparison (its sides: outlets, or a grouping's groups):
    the terms each side uses more over the threads each pair both covered, and the threads
    a side covered more than its share predicts; or a plain sentence that none passes,
    with the number of tests."""
    from ..analysis.compare.pooled import top_terms
    from .values import md_escape

    q = c.rules.q
    compared = [p for p in c.pairs if p.tested_terms]
    lines = [f"### {title}", ""]
    if not compared:
        lines += [f"No two {sides} share enough threads to be compared (at least 3, and "
                  f"{c.rules.min_words} words a side).", ""]  # fmt: skip
    else:
        pools = "; ".join(f"{md_escape(p.group)}–{md_escape(p.other)} {p.shared_threads}"
                          for p in compared[:6])  # fmt: skip
        pools += "; …" if len(compared) > 6 else ""
        tops = top_terms(c.framing, q, TOP_FINDINGS)
        lines += [
            f"Over the threads each pair of {sides} both covered (threads shared: {pools}):",
            "",
        ]
        for side, rows in tops.items():
            words = ", ".join(
                f"“{md_escape(r.term)}” (vs {md_escape(r.other)}: z {r.z:.1f}, "
                f"q {r.q_value:.2g}; {r.threads} vs {r.other_threads} threads)"
                for r in rows
            )
            lines.append(f"- **{md_escape(side)}** words more: {words}")
        if not tops:
            lines.append(f"No term passes q ≤ {q:g}: {len(c.framing):,} terms tested over "
                         f"{len(compared)} pair(s) of {sides}; their wording differs no more "
                         "than chance.")  # fmt: skip
        lines.append("")
    lines += _quoted_lines(c, sides)
    labels = {t.id: t.label for t in c.run.threads}
    more = sorted((r for r in c.agenda if r.q_value <= q), key=lambda r: (r.q_value, r.thread_id))
    if more:
        lines.append(f"Covered more than their share of posts predicts (q ≤ {q:g}):")
        lines.append("")
        lines += [f"- **{md_escape(r.group)}**: {md_escape(labels.get(r.thread_id, r.thread_id))} "
                  f"({r.posts} posts, {r.expected:.1f} expected, q {r.q_value:.2g})"
                  for r in more[:TOP_AGENDA]]  # fmt: skip
    else:
        lines.append(f"No thread is covered by one of the {sides} more than its share of "
                     f"posts predicts (q ≤ {q:g}; {len(c.agenda):,} tests).")  # fmt: skip
    return lines + [""]


def _quoted_lines(c: Comparison, sides: str) -> list[str]:
    """Whom each side quotes more (pooled over shared threads), or that no one passes."""
    from ..analysis.compare.pooled import top_terms
    from .values import md_escape

    q = c.rules.q
    tops = top_terms(c.quoted, q, TOP_FINDINGS)
    if not tops:
        return [f"No speaker is quoted by one of the {sides} more than chance allows (q ≤ "
                f"{q:g}; {len(c.quoted):,} speakers tested).", ""]  # fmt: skip
    lines = []
    for side, rows in tops.items():
        who = ", ".join(f"{md_escape(r.term)} (vs {md_escape(r.other)}: {r.threads} vs "
                        f"{r.other_threads} threads, q {r.q_value:.2g})" for r in rows)  # fmt: skip
        lines.append(f"- **{md_escape(side)}** quotes more: {who}")
    return [*lines, ""]
