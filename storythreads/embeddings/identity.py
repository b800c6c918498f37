"""What makes two vectors comparable: the model's exact files and the CPU's numerics.

``model_digest`` is the sha256 of a model directory's file contents (names included), so
a fine-tuned copy with files of the same sizes is another model. Hashing 90 MB takes a
few tenths of a second; the digest is remembered in ``~/.cache/storythreads`` against
each file's size and modification time, and recomputed when any of them changes.

``cpu_numerics`` names the instruction set class that decides how onnxruntime's int8
kernels round (``onnx-int8`` only: float32 gives the same vectors on every CPU).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from functools import lru_cache
from pathlib import Path

MEMO_FILE = "model-digests.json"


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "storythreads"


def _signature(root: Path) -> list[tuple[str, int, int]]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return [(p.relative_to(root).as_posix(), *_size_and_time(p)) for p in files]


def _size_and_time(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _hash_files(root: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode("utf-8") + b"\0")
        with open(root / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def model_digest(model_dir: str | Path, cache_dir: Path | None = None) -> str:
    """sha256 (hex) over the model directory's files, in name order: path, then content."""
    root = Path(model_dir).resolve()
    signature = _signature(root)
    key = hashlib.sha256(json.dumps([str(root), signature]).encode()).hexdigest()
    memo_path = (cache_dir or default_cache_dir()) / MEMO_FILE
    memo = _read_memo(memo_path)
    if key in memo:
        return memo[key]
    digest = _hash_files(root, [name for name, _, _ in signature])
    memo[key] = digest
    _write_memo(memo_path, memo)
    return digest


def _read_memo(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_memo(path: Path, memo: dict[str, str]) -> None:
    """Atomically; a cache that cannot be written is only slower next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".digests-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(memo, handle)
        os.replace(tmp, path)
    except OSError:
        pass


@lru_cache(maxsize=1)
def cpu_numerics() -> str:
    """``x86_64-avx512``, ``x86_64-avx2``, ``x86_64-sse`` or the machine name (``arm64``,
    ``aarch64``): onnxruntime picks its int8 kernels by this class."""
    machine = platform.machine().lower() or "unknown"
    if machine not in ("x86_64", "amd64"):
        return machine
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "x86_64"
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.startswith("flags")), [])  # fmt: skip
    for wanted, name in (("avx512_vnni", "avx512vnni"), ("avx_vnni", "avxvnni"),
                         ("avx512bw", "avx512"), ("avx2", "avx2")):  # fmt: skip
        if wanted in flags:
            return f"x86_64-{name}"
    return "x86_64-sse"
