"""A child process's wall time and peak memory, for the bench scripts."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from pathlib import Path


def measured(cmd: list[str], name: str, work: Path | None = None) -> dict:
    """Run ``cmd``; wall seconds, the child's peak RSS (MiB), its stdout and stderr (kept
    in ``work``, default bench/.cache/scale, as NAME.out and NAME.err).

    ``peak_mb`` is ``ru_maxrss``: the peak of the largest single process of the tree.
    ``tree_peak_mb`` is the peak of the sum of PSS over the process and its descendants
    (sampled every 0.2 s), so a child process cannot hide memory in it.
    """
    work = work or Path(__file__).resolve().parent / ".cache" / "scale"
    start = time.perf_counter()
    out_path, err_path = work / f"{name}.out", work / f"{name}.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak = {"kb": 0}
        sampler = threading.Thread(target=_sample_tree, args=(proc, peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.join()
    wall = time.perf_counter() - start
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed:\n{stderr[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_mb": round(usage.ru_maxrss / 1024),
            "tree_peak_mb": round(peak["kb"] / 1024), "out": stdout, "err": stderr}  # fmt: skip


def _tree_pss_kb(pid: int) -> int:
    """Sum of PSS (kB) of ``pid`` and its descendants, from /proc; 0 once they are gone."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += sum(int(ln.split()[1]) for ln in f if ln.startswith("Pss:"))
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue  # exited between the reads
    return total


def _sample_tree(proc: subprocess.Popen, peak: dict) -> None:
    while proc.returncode is None:
        peak["kb"] = max(peak["kb"], _tree_pss_kb(proc.pid))
        time.sleep(0.2)


def stage_seconds(profile_text: str) -> dict[str, float]:
    """The `--profile` table back into {stage: seconds}."""
    found = {}
    for line in profile_text.splitlines():
        m = re.match(r"^([a-z]+)\s+(\d+\.\d+)\s+[\d.]+%", line)
        if m and m.group(1) != "total":
            found[m.group(1)] = float(m.group(2))
    return found
