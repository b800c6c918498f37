"""The Comparison value: what ``compare`` computed over one Run, before it is written.

Its own module so that compare_report.py (which builds and writes it) and compare_html.py
(which renders it) both import it, and neither imports the other in a cycle.
"""

from __future__ import annotations

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
    # per grouping of outlets (--groups): (Grouping, the same comparison over its groups)
    groups: tuple = ()
    # per (thread, outlet, day): the outlet's posts on the story and its share that day
    attention: tuple = ()


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
