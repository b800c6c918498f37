"""Embedding backends (issue 7): torch vs onnx vs onnx-int8, speed and thread quality.

Speed: segments/s embedding the first N distinct segments (default 2,000) of the live-blog
bench posts, as the pipeline segments them; each backend's model is loaded (and the ONNX
file exported, once, into bench/.cache/onnx) before the clock starts, and the backends take
turns, --chunk segments each, so that a busy spell of a shared machine hits them alike.
Agreement: cosine of each backend's vectors to torch's on the same segments.
Quality: `storythreads eval ECB+ dev --gold-field gold_story_id --backend B` for each
backend (run at the same time), BCubed F1. Prints a table and writes
bench/results-backends.json. Needs the `onnx` extra.

    .venv/bin/python bench/backends.py [--segments 2000] [--chunk 100] [--part speed|eval]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from storythreads import read_posts
from storythreads.analysis.threading.segment import segment_posts
from storythreads.config import EMBEDDING_BACKENDS, EmbeddingSettings, SegmentSettings
from storythreads.embeddings import make_embedder

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
ONNX_DIR = HERE / ".cache" / "onnx"
RESULTS = HERE / "results-backends.json"


def bench_segments(path: Path, n: int) -> list[str]:
    """The first n distinct segment texts of the posts, in file order."""
    posts = read_posts([str(path)], format="jsonl").posts[: max(n, 50)]
    seen: dict[str, None] = {}
    for seg in segment_posts(posts, SegmentSettings()):
        seen.setdefault(seg.text)
        if len(seen) == n:
            break
    return list(seen)


def speed(texts: list[str], chunk: int) -> dict[str, dict]:
    """Backends take turns chunk by chunk, so a busy spell of the machine hits them alike."""
    embedders = {}
    for backend in EMBEDDING_BACKENDS:
        started = time.perf_counter()
        embedder = make_embedder(EmbeddingSettings(backend=backend, onnx_dir=str(ONNX_DIR)))
        embedder.embed(texts[:8])  # load (and export once) outside the clock
        embedders[backend] = (embedder, round(time.perf_counter() - started, 1))
    seconds = dict.fromkeys(embedders, 0.0)
    parts: dict[str, list[np.ndarray]] = {b: [] for b in embedders}
    for start in range(0, len(texts), chunk):
        for backend, (embedder, _) in embedders.items():
            began = time.perf_counter()
            parts[backend].append(embedder.embed(texts[start : start + chunk]))
            seconds[backend] += time.perf_counter() - began
        done = min(start + chunk, len(texts))
        rates = "  ".join(f"{b} {done / s:.1f}/s" for b, s in seconds.items())
        print(f"  {done:>5} segments: {rates}", flush=True)
    vectors = {b: np.concatenate(p) for b, p in parts.items()}
    out = {}
    for backend, (_, load_s) in embedders.items():
        cos = (vectors[backend] * vectors["torch"]).sum(1)
        out[backend] = {
            "segments_per_s": round(len(texts) / seconds[backend], 1),
            "seconds": round(seconds[backend], 2),
            "first_load_s": load_s,
            "cosine_to_torch_mean": round(float(cos.mean()), 5),
            "cosine_to_torch_min": round(float(cos.min()), 5),
        }
    return out


def quality(data: Path) -> dict[str, dict]:
    """`storythreads eval` once per backend, the three at once (their wall times overlap,
    so they are not a speed comparison: the segments/s above is)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp, "settings.toml")
        config.write_text(f'[embedding]\nonnx_dir = "{ONNX_DIR}"\n', encoding="utf-8")
        jobs = {}
        for backend in EMBEDDING_BACKENDS:
            command = [
                str(Path(sys.executable).with_name("storythreads")),
                "eval",
                str(data),
                "--gold-field",
                "gold_story_id",
                "--backend",
                backend,
                "--config",
                str(config),
                "--out",
                str(Path(tmp, backend)),
            ]
            print("  " + " ".join(command[1:]), flush=True)
            jobs[backend] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        out = {}
        keys = ("bcubed_precision", "bcubed_recall", "bcubed_f1", "ari", "n_predicted", "n_gold")
        for backend, job in jobs.items():
            if job.wait() != 0:
                raise SystemExit(f"eval --backend {backend} failed with exit code {job.returncode}")
            scores = json.loads(Path(tmp, backend, "scores.json").read_text(encoding="utf-8"))
            out[backend] = {k: scores[k] for k in keys}
    return out


def print_table(results: dict) -> None:
    rows = results.get("speed", {})
    evals = results.get("ecb_dev", {})
    torch_rate = rows.get("torch", {}).get("segments_per_s")
    print(f"\n{'backend':<10} {'segments/s':>10} {'x torch':>8} {'cos mean':>9} {'cos min':>8}"
          f" {'ECB+ dev BCubed F1':>19}")  # fmt: skip
    for backend in EMBEDDING_BACKENDS:
        row, ecb = rows.get(backend), evals.get(backend)
        speed_cells = (
            f"{row['segments_per_s']:>10.1f} {row['segments_per_s'] / torch_rate:>8.2f} "
            f"{row['cosine_to_torch_mean']:>9.4f} {row['cosine_to_torch_min']:>8.4f}"
            if row
            else f"{'-':>10} {'-':>8} {'-':>9} {'-':>8}"
        )
        f1 = f"{ecb['bcubed_f1']:.4f}" if ecb else "-"
        print(f"{backend:<10} {speed_cells} {f1:>19}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=Path, default=DATA / "liveblogs-bench-posts.jsonl")
    parser.add_argument("--ecb", type=Path, default=DATA / "ecbplus-dev.jsonl")
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=100, help="segments per turn")
    parser.add_argument(
        "--part",
        choices=["all", "speed", "eval"],
        default="all",
        help="run one part only; its figures replace that part in the results file",
    )
    args = parser.parse_args()

    import torch

    results = {}
    if args.part in ("all", "speed"):
        texts = bench_segments(args.posts, args.segments)
        print(f"{len(texts)} distinct segments from {args.posts.name}", flush=True)
        results["machine"] = (
            f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}"
        )
        results["segments"] = len(texts)
        results["speed"] = speed(texts, args.chunk)
    if args.part in ("all", "eval"):
        results["ecb_dev"] = quality(args.ecb)
    # the other part's figures are kept (read just now: the parts may run at the same time)
    earlier = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    results = {**earlier, **results}
    print_table(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
