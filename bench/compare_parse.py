"""What the parse costs `compare` (issue 15): 1,000 news articles, parse vs the rest.

The articles are ECB+ dev, BASIL dev and PolNeAR dev together (1,006 articles of many
outlets), as one `compare` input. Stages are timed in one process, as the CLI runs them:
reading, threading (model load and embedding from an empty cache included, as a first
run pays them), parsing the threaded posts (spaCy, voices and figures read it), the
other tables, and writing the files. Peak memory is the process's ru_maxrss after each
stage (it only grows), so the parse's own cost shows as the step it adds.

    .venv/bin/python bench/compare_parse.py

Prints a table and writes bench/results-compare-parse.json. Target: parse <= 2x the rest.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
FILES = ["ecbplus-dev.jsonl", "basil-dev.jsonl", "polnear-dev.jsonl"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    stages: dict[str, dict] = {}
    clock = time.perf_counter()

    def done(name):
        nonlocal clock
        now = time.perf_counter()
        stages[name] = {"seconds": now - clock, "peak_mb": peak_mb()}
        clock = now

    from storythreads import Settings, read_posts
    from storythreads.analysis.compare.readings import parse_posts
    from storythreads.analysis.language.nlp import load_nlp
    from storythreads.embeddings import CachedEmbedder, make_embedder
    from storythreads.pipeline import analyze
    from storythreads.reports.compare_report import build_comparison, write_comparison

    done("import")
    result = read_posts([DATA / f for f in FILES], format="jsonl")
    done("read")
    settings = Settings()
    run = analyze(result.posts, settings, CachedEmbedder(make_embedder(settings.embedding)))
    done("thread (model load, embed, cluster, label)")
    nlp = load_nlp()
    done("load spaCy pipeline")
    readings = parse_posts(run, nlp)
    done("parse (spaCy) and read voices and figures")
    comparison = build_comparison(run, readings=readings)
    done("tables (voices, figures, coverage, lead, terms)")
    with tempfile.TemporaryDirectory() as out:
        write_comparison(comparison, out)
    done("write files")
    parse_s = (
        stages["parse (spaCy) and read voices and figures"]["seconds"]
        + stages["load spaCy pipeline"]["seconds"]
    )
    rest = sum(v["seconds"] for k, v in stages.items()) - parse_s
    print(
        f"{len(result.posts)} articles, {len(run.threads)} threads, "
        f"{len(comparison.quotes)} attributions, {len(comparison.figures)} figures"
    )
    print(f"{'stage':<48}{'seconds':>9}{'peak MB':>9}")
    for name, row in stages.items():
        print(f"{name:<48}{row['seconds']:>9.1f}{row['peak_mb']:>9.0f}")
    print(
        f"parse (with the pipeline's load) {parse_s:.1f} s vs the rest {rest:.1f} s: "
        f"{parse_s / rest:.2f}x (target <= 2x)"
    )
    out = HERE / "results-compare-parse.json"
    out.write_text(json.dumps({"articles": len(result.posts), "stages": stages,
                               "parse_seconds": parse_s, "rest_seconds": rest,
                               "ratio": parse_s / rest}, indent=2) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
