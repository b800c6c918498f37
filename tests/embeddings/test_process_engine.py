"""The local engine: embedding in a child process gives this process's vectors, and its
failures come back as EmbeddingError. The FakeEmbedder stands in for the model; the
packaged model through the CLI is in test_cli_default_engine_leaves_torch_to_the_child."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder

from storythreads.cli import commands as cli
from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder, process_engine
from storythreads.embeddings.process_engine import ProcessEmbedder
from storythreads.errors import EmbeddingError

TEXTS = ["alpha beta gamma", "delta", "alpha beta", "epsilon zeta eta theta", "delta kappa"]


class RecordingFake(FakeEmbedder):
    """Puts the id of the process that embedded in column 0 of its vectors."""

    def embed(self, texts):
        out = super().embed(texts)
        out[:, 0] = os.getpid()  # smuggle the process id out in the vectors
        return out


class DyingEmbedder(FakeEmbedder):
    def embed(self, texts):
        os._exit(3)  # as the kernel's OOM killer would leave it: no exception, no result


class FailingEmbedder(FakeEmbedder):
    def embed(self, texts):
        raise EmbeddingError("cannot load embedding model from /nowhere: gone")


@pytest.fixture(params=["fork", "spawn"])
def start(request, monkeypatch):
    if request.param not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip(f"no {request.param} start method here")
    monkeypatch.setattr(process_engine, "start_method", lambda: request.param)
    return request.param


def test_vectors_equal_the_same_embedder_in_this_process(start):
    here = FakeEmbedder().embed(TEXTS)
    child = ProcessEmbedder(FakeEmbedder).embed(TEXTS)
    assert child.dtype == np.float32
    assert np.array_equal(child, here)


def test_the_model_runs_in_another_process_and_chunks_keep_the_order(start):
    embedder = ProcessEmbedder(RecordingFake, chunk=2)
    vectors = embedder.embed(TEXTS)
    pids = set(vectors[:, 0].astype(int).tolist())
    assert len(pids) == 1 and os.getpid() not in pids
    expected = FakeEmbedder().embed(TEXTS)
    assert np.array_equal(vectors[:, 1:], expected[:, 1:])  # three chunks, back in order
    assert embedder._local.calls == []  # the local copy only lends its name


def test_name_fingerprint_and_dim_are_the_embedders():
    embedder = ProcessEmbedder(FakeEmbedder)
    assert embedder.name == "fake"
    assert embedder.dim == FakeEmbedder.dim
    assert embedder._child is None  # a child started only to ask the dimension is stopped
    assert embedder.embed([]).shape == (0, FakeEmbedder.dim)
    cached = CachedEmbedder(embedder)
    assert cached.key == "fake"  # the same cache key as the embedder in this process


def test_a_child_that_dies_is_an_embedding_error(start):
    with pytest.raises(EmbeddingError, match="embedding process died"):
        ProcessEmbedder(DyingEmbedder).embed(TEXTS)


def test_an_error_in_the_child_comes_back_as_it_was(start):
    with pytest.raises(EmbeddingError, match="cannot load embedding model from /nowhere"):
        ProcessEmbedder(FailingEmbedder).embed(TEXTS)


def test_cli_local_engine_is_the_process_engine_and_inline_is_not():
    local = cli.engines.engine_embedder(Settings(), "local", None)
    inline = cli.engines.engine_embedder(Settings(), "inline", None)
    assert isinstance(local.inner, ProcessEmbedder)
    assert not isinstance(inline.inner, ProcessEmbedder)
    assert local.key == inline.key  # vectors of either are reused by the other


def test_cli_default_engine_leaves_torch_to_the_child(tmp_path, seed_path):
    """The real packaged model through `storythreads run`: the report is written, and the
    main process never imported torch (the child did the embedding)."""
    probe = (
        "import sys\n"
        "from storythreads import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:], prog_name='storythreads')\n"
        "finally:\n"
        "    print('torch imported here:', 'torch' in sys.modules)\n"
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", probe, "run", str(seed_path), "--out", str(out), "--no-store"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "9 posts -> 5 threads" in result.stdout, result.stderr
    assert "torch imported here: False" in result.stdout
    assert (out / "report.json").exists()


def test_the_child_dies_with_its_parent(tmp_path):
    """kill -9 of the run takes the embedding child with it (Linux: PR_SET_PDEATHSIG)."""
    helper = Path(__file__).parents[1] / "helpers" / "embed_forever.py"
    pidfile = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, str(helper), str(pidfile)])
    try:
        deadline = time.monotonic() + 60
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline, "the child never started embedding"
            assert parent.poll() is None, "the parent ended early"
            time.sleep(0.1)
        child = int(pidfile.read_text())
        assert child != parent.pid
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(child):
            assert time.monotonic() < deadline, "the child outlived its parent"
            time.sleep(0.1)
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its reaping is left


def test_a_child_started_early_is_the_one_that_embeds_and_it_stops_after():
    embedder = ProcessEmbedder(RecordingFake)
    embedder.start()  # loads the model (here: the fake's dim) while we go on
    child = embedder._child.pid
    vectors = embedder.embed(TEXTS)
    assert set(vectors[:, 0].astype(int).tolist()) == {child}
    assert embedder._child is None and not _alive(child)
    assert embedder.dim == FakeEmbedder.dim  # known from the child's answer


def test_a_child_started_early_and_not_needed_is_stopped_by_the_cache():
    cached = CachedEmbedder(ProcessEmbedder(FakeEmbedder))
    cached.inner.start()
    first = cached.inner._child.pid
    cached.embed(TEXTS)  # needs the child (it is stopped after)
    cached.inner.start()  # as the next run would, early
    second = cached.inner._child.pid
    assert second != first and _alive(second)
    cached.embed(TEXTS)  # every text is cached: the early child is not needed
    assert cached.inner._child is None and not _alive(second)
    assert cached.embedded == len(set(TEXTS))


class CountingFake(FakeEmbedder):
    """Records the size of every batch it is asked for in a file (the child's calls are
    not this process's to count)."""

    def __init__(self, log: Path):
        super().__init__()
        self.log = log

    def embed(self, texts):
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write(f"{len(texts)}\n")
        return super().embed(texts)


def _counting(tmp_path):
    return functools.partial(CountingFake, tmp_path / "calls")


def test_submitted_texts_are_embedded_once_and_collected(start, tmp_path):
    embedder = ProcessEmbedder(_counting(tmp_path), chunk=2)
    embedder.submit(TEXTS)
    assert embedder._child is not None  # working already, before anyone asks
    vectors = embedder.embed(TEXTS)
    assert np.array_equal(vectors, FakeEmbedder().embed(TEXTS))
    assert (tmp_path / "calls").read_text().split() == ["2", "2", "1"]  # chunks, no repeat
    assert embedder._child is None


def test_other_texts_than_submitted_are_embedded_as_asked(start, tmp_path):
    embedder = ProcessEmbedder(_counting(tmp_path))
    embedder.submit(TEXTS[:2])
    vectors = embedder.embed(TEXTS)
    assert np.array_equal(vectors, FakeEmbedder().embed(TEXTS))
    assert (tmp_path / "calls").read_text().split() == ["2", "5"]  # the submitted wasted


def test_a_closed_engine_forgets_what_was_submitted(tmp_path):
    embedder = ProcessEmbedder(_counting(tmp_path))
    embedder.submit(TEXTS)
    embedder.close()
    assert np.array_equal(embedder.embed(TEXTS[:1]), FakeEmbedder().embed(TEXTS[:1]))


def test_prefetch_submits_what_is_not_cached_in_the_order_embed_sends_it(tmp_path):
    class Submitting(FakeEmbedder):
        def __init__(self):
            super().__init__()
            self.submitted = []

        def submit(self, texts):
            self.submitted.append(list(texts))

    inner = Submitting()
    cached = CachedEmbedder(inner)
    cached.embed(TEXTS[:2])  # cached now
    cached.prefetch(TEXTS + TEXTS[3:])
    rest = TEXTS[2:]
    from storythreads.types import sha256_text

    assert inner.submitted == [sorted(rest, key=sha256_text)]
    inner.calls.clear()
    cached.embed(TEXTS)
    assert inner.calls == [sorted(rest, key=sha256_text)]  # what embed sends: the same list
    CachedEmbedder(FakeEmbedder()).prefetch(TEXTS)  # an engine without submit: nothing
