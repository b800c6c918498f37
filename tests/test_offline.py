"""Nothing is downloaded at run time: the packaged model loads, and a whole CLI run with the
real model completes, while every network connection fails (and is recorded).

The proof does not lean on environment variables: the Hugging Face offline switches are
removed from the environment and switched off in huggingface_hub, so only
``local_files_only`` and the packaged model keep the run off the network.
"""

from __future__ import annotations

import json
import socket
import urllib.request

import numpy as np
import pytest
from click.testing import CliRunner

from storythreads.cli import commands as cli
from storythreads.embeddings import SentenceTransformerEmbedder

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


class NetworkBlocked(OSError):
    """Raised by every connection attempt in this module."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch) -> list:
    """Every way to reach another machine raises; returns the list of attempts made."""
    attempts: list = []

    def blocked(name):
        def refuse(*args, **kwargs):
            attempts.append((name, args[1:] if name.startswith("socket.") else args))
            raise NetworkBlocked(f"network access in an offline test: {name}{args!r}")

        return refuse

    monkeypatch.setattr(socket.socket, "connect", blocked("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", blocked("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", blocked("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", blocked("getaddrinfo"))
    for name in OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    try:
        import huggingface_hub.constants as hub_constants
    except ImportError:
        pass
    else:  # read from the environment at import: switch it off for this test
        monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    return attempts


def test_the_guard_blocks_connections(no_network):
    with pytest.raises(OSError):
        socket.create_connection(("huggingface.co", 443), timeout=1)
    with pytest.raises(OSError):
        urllib.request.urlopen("https://huggingface.co/api/models", timeout=1)
    assert len(no_network) >= 2


def test_packaged_model_loads_and_embeds_without_network(no_network):
    vectors = SentenceTransformerEmbedder().embed(["a test"])
    assert vectors.shape == (1, 384)
    assert np.all(np.isfinite(vectors))
    assert abs(float(np.linalg.norm(vectors[0])) - 1.0) < 1e-4
    assert no_network == []  # not even a failed attempt


def test_cli_run_with_the_real_model_without_network(no_network, seed_path, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli.main, ["run", str(seed_path), "--out", str(out), "--store", str(tmp_path / "s.db")]
    )
    assert result.exit_code == 0, result.output
    assert no_network == []
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["model"] == "all-MiniLM-L6-v2"
    assert len(report["posts"]) == 9
    assert report["threads"]
    assert report["run"]["counts"]["segments_embedded"] > 0
