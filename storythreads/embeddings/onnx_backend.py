"""ONNX Runtime backends (``embedding.backend = "onnx" | "onnx-int8"``): the same model, run
by onnxruntime instead of torch, with float32 (the default) or int8 weights.

Each ONNX file is exported once from the *local* model directory (never downloaded) into a
cache directory the user controls (``embedding.onnx_dir``, default
``~/.cache/storythreads/onnx``), when its backend is first used, and reused by every later
run. A file is written under a temporary name and renamed into place, so a killed export
leaves nothing half-written.

float32 is the default because it gives the same vectors on every CPU (issue 23): x86-64
with AVX2 only, with AVX-512 or VNNI, and arm64 differ in the last bits of a float, which
stay in the last bits. int8 does not: its activations are quantised per batch to a grid
set by the batch's own range, so a last-bit difference moves a value across a grid step
now and then, the step changes the next layer's inputs, and the difference grows layer by
layer. Measured against an AVX-512-VNNI machine, an emulated AVX2-only CPU gave int8
vectors at cosine 0.985 (onnxruntime's u8s8 kernels saturate there) and, with exact
integer kernels (``session.x64quantprecision``, used here), still 0.996 on some texts;
float32 gave 1.000000.

The float32 file is exported from the model with eager attention by torch's TorchScript
exporter: onnxruntime runs that graph 1.35x faster than the dynamo export of PyTorch's
fused attention (3.3 s against 4.5 s for 679 paragraphs on 2 cores, the same vectors to
1e-6), and only 1.4x slower than int8. A torch without that exporter gets the dynamo one.

sentence-transformers' own ``backend="onnx"`` needs ``optimum-onnx``, whose releases pin
``transformers<4.58`` while sentence-transformers 6 needs ``transformers>=5``; so this
module does the three steps that backend does itself: export with ``torch.onnx``, quantise
with ``onnxruntime.quantization.quantize_dynamic``, and pool/normalise the token vectors
as the model's ``1_Pooling`` config says.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from ..config import EmbeddingSettings
from ..errors import EmbeddingError
from .base import normalize_rows
from .identity import cpu_numerics
from .sentence import SentenceTransformerEmbedder, resolve_model_path

if TYPE_CHECKING:
    import torch
    from onnxruntime import InferenceSession

INSTALL_HINT = "reinstall storythreads, whose dependencies include them: pip install -e ."
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
EXPORT = "x2"  # how the files are made; a new value exports them afresh
QUANTIZATION = {
    False: "none (float32)",
    True: "int8 weights per output channel (MatMul), dynamic uint8 activations; "
    "u8u8 kernels where u8s8 would saturate (session.x64quantprecision)",
}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_SUPPORTED_MODULES = {"Transformer", "Pooling", "Normalize"}


def default_onnx_dir() -> Path:
    return Path.home() / ".cache" / "storythreads" / "onnx"


def _read_json(path: Path) -> Any:  # a JSON value: modules.json is a list, the rest objects
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EmbeddingError(f"cannot read {path}: {exc}") from exc


def _pooling_config(model_dir: Path) -> dict[str, Any]:
    """The model's 1_Pooling config (empty without a Pooling module)."""
    modules = _read_json(model_dir / "modules.json")
    pooling = next((m for m in modules if m["type"].endswith("Pooling")), None)
    return _read_json(model_dir / pooling["path"] / "config.json") if pooling else {}


def pooling_mode(model_dir: Path) -> str:
    """'mean' or 'cls' from the model's modules.json and 1_Pooling config, else an error."""
    modules = _read_json(model_dir / "modules.json")
    kinds = {m["type"].rsplit(".", 1)[-1] for m in modules}
    unsupported = kinds - _SUPPORTED_MODULES
    if unsupported:
        raise EmbeddingError(
            f"the onnx backends support Transformer + Pooling (+ Normalize) models; "
            f"{model_dir} also has {sorted(unsupported)}: use embedding.backend = 'torch'"
        )
    config = _pooling_config(model_dir)
    if config.get("pooling_mode_mean_tokens"):
        return "mean"
    if config.get("pooling_mode_cls_token"):
        return "cls"
    raise EmbeddingError(f"the onnx backends support mean or CLS pooling, not {config}")


def _last_hidden(inner: torch.nn.Module) -> torch.nn.Module:
    """The transformer as a module of three keyword inputs (transformers 5 changed their
    positional order) returning the token vectors."""
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden: torch.Tensor = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return hidden

    return Hidden()


def _export(model_dir: Path, target: Path, fast: bool) -> None:
    """torch.onnx export of the transformer, batch and sequence axes dynamic. ``fast``:
    eager attention through the TorchScript exporter (the float32 file); else PyTorch's
    fused attention through the dynamo exporter (the graph the int8 file was always
    quantised from, so its vectors stay as they were)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    attention: dict[str, Any] = {"attn_implementation": "eager"} if fast else {}
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, **attention)
    model = _last_hidden(model.eval())
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    sample = tokenizer(
        ["storythreads export", "a second, longer sample sentence for the export"],
        padding=True,
        return_tensors="pt",
    )
    inputs = tuple(sample[k] for k in _INPUTS)
    names: dict[str, Any] = {"input_names": list(_INPUTS), "output_names": ["last_hidden_state"]}
    with torch.no_grad():
        if fast:
            try:
                axes = {k: {0: "batch", 1: "sequence"} for k in (*_INPUTS, "last_hidden_state")}
                torch.onnx.export(
                    model, inputs, str(target), dynamic_axes=axes, opset_version=17,
                    dynamo=False, **names,
                )  # fmt: skip
                return
            except (TypeError, RuntimeError, AttributeError):  # a torch without it
                pass
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
        program = torch.onnx.export(
            model,
            inputs,
            dynamic_shapes={k: {0: batch, 1: seq} for k in _INPUTS},
            dynamo=True,
            verbose=False,
            **names,
        )
    assert program is not None  # the dynamo exporter returns the program
    program.save(str(target), external_data=False)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporter and quantiser log pages of advice; a one-off export needs none of it."""
    # torch sets its loggers' levels when imported: import it first, then quiet them all
    # (the exporter warns once per missing torchvision op)
    import torch.onnx  # noqa: F401

    named = ["", "torch", "torch.onnx", "onnxscript", "torch.onnx._internal.exporter._registration"]
    named += [n for n in logging.root.manager.loggerDict if n.startswith(("torch.onnx", "onnx"))]
    loggers = [logging.getLogger(n) for n in dict.fromkeys(named)]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _build(model_dir: Path, target: Path, quantized: bool) -> None:
    """Write ``target`` (the float32 or the int8 file) through a temporary file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        exported = work / FP32_FILE
        _export(model_dir, exported, fast=not quantized)
        if quantized:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # int8 weights per output channel, MatMuls only (as optimum's avx512_vnni
            # preset): mean cosine to float32 0.993 on ECB+ texts, against 0.949 per tensor
            quantize_dynamic(
                str(exported),
                str(work / INT8_FILE),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
            exported = work / INT8_FILE
        os.replace(exported, target)  # another process finishing first wrote the same file
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_onnx_file(model_dir: Path, cache_dir: Path, fingerprint: str, quantized: bool) -> Path:
    """The float32 or int8 ONNX file of this exact model, exported on first use. The
    fingerprint (the model's content digest) and ``EXPORT`` name its directory, so a
    changed model or a changed export gets a fresh one."""
    target = cache_dir / f"{model_dir.name}-{fingerprint}-{EXPORT}"
    target = target / (INT8_FILE if quantized else FP32_FILE)
    if target.is_file():
        return target
    try:
        with _quiet():
            _build(model_dir, target, quantized)
    except EmbeddingError:
        raise
    except OSError as exc:
        raise EmbeddingError(
            f"cannot write the ONNX export to {cache_dir} ({exc}); "
            "set embedding.onnx_dir to a writable directory"
        ) from exc
    except Exception as exc:  # the exporter raises many kinds of errors
        raise EmbeddingError(f"ONNX export of {model_dir} failed: {exc}") from exc
    return target


def _tokenizer(model_dir: Path, max_len: int) -> Callable[[list[str]], dict[str, np.ndarray]]:
    """texts -> the model's int64 inputs, padded to the longest and cut at ``max_len``.

    The model's ``tokenizer.json`` read by the ``tokenizers`` library directly (the same
    fast tokenizer transformers would wrap, a 0.1 s import against transformers' several
    seconds); a model without one goes through transformers' AutoTokenizer.
    """
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        from transformers import AutoTokenizer

        auto = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)

        def encode_auto(texts: list[str]) -> dict[str, np.ndarray]:
            enc = auto(
                texts, padding=True, truncation=True, max_length=max_len, return_tensors="np"
            )
            feed = {k: enc[k].astype(np.int64) for k in _INPUTS if k in enc}
            feed.setdefault("token_type_ids", np.zeros_like(feed["input_ids"]))
            return feed

        return encode_auto
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    special = model_dir / "special_tokens_map.json"
    pad = _read_json(special).get("pad_token", "[PAD]") if special.is_file() else "[PAD]"
    pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
    # the file may carry its own truncation and fixed-length padding: the model's limit
    # and padding to the longest text of the batch, as transformers is asked for above
    tokenizer.enable_truncation(max_length=max_len)
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad) or 0, pad_token=pad)

    def encode(texts: list[str]) -> dict[str, np.ndarray]:
        rows = tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([r.ids for r in rows], dtype=np.int64),
            "attention_mask": np.array([r.attention_mask for r in rows], dtype=np.int64),
            "token_type_ids": np.array([r.type_ids for r in rows], dtype=np.int64),
        }

    return encode


# Up to this many texts in one call (a scheduled run's new paragraphs), onnxruntime's
# threads do not spin while they wait for work: the same 67 paragraphs in the same time
# for 1.5 s of CPU instead of 1.8 s, left to the rest of a run on 2 cores; the vectors
# are the same. Larger calls (a first run, where the cores have nothing else to do) keep
# spinning, which is a few per cent faster there. (One thread: 0.4 s less CPU, but the
# new paragraphs were then no longer embedded by the time the pipeline needed them.)
SMALL_CALL = 256


class OnnxEmbedder:
    """Embed with onnxruntime: float32 (``onnx``) or int8 weights (``onnx-int8``)."""

    def __init__(self, settings: EmbeddingSettings | None = None, quantized: bool = False):
        self.settings = settings or EmbeddingSettings()
        self.quantized = quantized
        self.backend = "onnx-int8" if quantized else "onnx"
        self.name = self.settings.model
        self._path: Path | None = None
        self._sessions: dict[bool, InferenceSession] = {}  # small call or not -> session
        self._dim: int | None = None

    def fingerprint(self) -> str:
        """The model's fingerprint plus the backend: vectors of backends never mix. int8
        vectors depend on the CPU's kernels (see above), so theirs names the CPU class."""
        tag = f"-{cpu_numerics()}" if self.quantized else ""
        return f"{SentenceTransformerEmbedder(self.settings).fingerprint()}+{self.backend}{tag}"

    def describe(self) -> dict[str, Any]:
        """The model and the numerics its vectors come from (storythreads.provenance)."""
        return {
            **SentenceTransformerEmbedder(self.settings).describe(),
            "backend": self.backend,
            "quantization": QUANTIZATION[self.quantized],
            "onnx_export": EXPORT,
        }

    def _load(self) -> None:
        """Everything but the session: onnxruntime, the exported files (made on first use),
        the tokenizer, the pooling and the dimension the model's pooling config states."""
        if self._path is not None:
            return
        try:
            import onnxruntime  # noqa: F401
            from onnxruntime import quantization  # noqa: F401  (needs the onnx package too)
        except ImportError as exc:
            raise EmbeddingError(
                f"embedding.backend = {self.backend!r} needs onnxruntime and onnx ({exc}); "
                + INSTALL_HINT
            ) from exc
        model_dir = Path(resolve_model_path(self.settings.model))
        self._pooling = pooling_mode(model_dir)
        cache = Path(self.settings.onnx_dir).expanduser() if self.settings.onnx_dir else None
        path = ensure_onnx_file(
            model_dir,
            cache or default_onnx_dir(),
            SentenceTransformerEmbedder(self.settings).weights_fingerprint(),
            self.quantized,
        )
        config = _read_json(model_dir / "sentence_bert_config.json")
        self._max_len = self.settings.max_seq_length or int(config.get("max_seq_length", 256))
        self._tokenizer = _tokenizer(model_dir, self._max_len)
        width = _pooling_config(model_dir).get("word_embedding_dimension")
        self._dim = int(width) if isinstance(width, int) else None
        self._path = path  # loaded

    def _session(self, small: bool = False) -> InferenceSession:
        """The onnxruntime session for a call of few texts (``SMALL_CALL``) or of many."""
        self._load()
        if small not in self._sessions:
            import onnxruntime as ort

            # Every batch has its own shape (texts padded to the batch's longest). The
            # memory pattern plans buffers per shape and, for each new shape, costs more
            # than it saves: off, 67 new paragraphs embed in 0.9 s instead of 1.0-2.9 s,
            # 1,260 in 8.3 instead of 9.7 s (same vectors: it only changes where buffers
            # live).
            options = ort.SessionOptions()
            options.enable_mem_pattern = False
            if small:
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # int8 on x86 without VNNI: u8u8 kernels instead of u8s8 ones, whose 16-bit
            # pair sums saturate (onnxruntime's documented overflow; cosine 0.985 to the
            # VNNI vectors on an emulated AVX2 CPU without it); no effect elsewhere
            options.add_session_config_entry("session.x64quantprecision", "1")
            try:
                self._sessions[small] = ort.InferenceSession(
                    str(self._path), options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:
                raise EmbeddingError(f"cannot load {self._path}: {exc}") from exc
        return self._sessions[small]

    @property
    def dim(self) -> int:
        self._load()
        if self._dim is None:
            width = self._session().get_outputs()[0].shape[-1]
            self._dim = width if isinstance(width, int) else int(self._run(["dim"]).shape[1])
        return self._dim

    def _run(self, texts: list[str], session: InferenceSession | None = None) -> np.ndarray:
        feed = self._tokenizer(texts)
        hidden: NDArray[np.float32] = (session or self._session()).run(None, feed)[0]
        if self._pooling == "cls":
            return hidden[:, 0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        return cast("np.ndarray", (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = self._session(small=len(texts) <= SMALL_CALL)
        # longest first, as sentence-transformers does: batches of alike lengths pad little
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[np.ndarray] = [None] * len(texts)  # type: ignore[list-item]  # every slot set below
        size = self.settings.batch_size
        try:
            for start in range(0, len(order), size):
                rows = order[start : start + size]
                for i, vec in zip(rows, self._run([texts[i] for i in rows], session), strict=True):
                    out[i] = vec
        except Exception as exc:
            raise EmbeddingError(f"embedding failed: {exc}") from exc
        return normalize_rows(np.stack(out))
