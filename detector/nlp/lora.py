"""Low-rank adapters (LoRA) for the sentence encoder, merged into its weights at load time.

A fine-tuned encoder would be a 90 MB artifact; its low-rank updates are about 1 MB. At load the
update ``scale * B @ A`` is added to each adapted ``nn.Linear`` weight, so inference costs exactly
what the frozen encoder costs. Training lives in ``models/train_lora.py``
(``python -m models.train_lora``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError

# Linear layers of each transformer block that get an adapter (attention and feed-forward):
# BERT's names (MiniLM) and MPNet's (all-mpnet-base-v2, the cascade's stance stage).
TARGET_SUFFIXES = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "attention.attn.q",
    "attention.attn.k",
    "attention.attn.v",
    "attention.attn.o",
    "intermediate.dense",
    "output.dense",
)


def adapted_linears(model) -> dict:
    """{module name: nn.Linear} of the encoder's layers that take an adapter."""
    import torch

    return {
        name: mod
        for name, mod in model.named_modules()
        if isinstance(mod, torch.nn.Linear)
        and name.startswith("encoder.layer.")
        and name.endswith(TARGET_SUFFIXES)
    }


def merge_lora(model, path: Path, scale: float) -> int:
    """Add ``scale * B @ A`` from ``path`` (npz: ``<name>.A``, ``<name>.B``) to the weights."""
    import torch

    try:
        arrays = np.load(path)
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"adapter file {path} is unreadable ({exc}); retrain with python -m models.train_lora"
        ) from exc
    linears = adapted_linears(model)
    names = {k.rsplit(".", 1)[0] for k in arrays.files}
    missing = names - set(linears)
    if missing:
        raise ModelError(
            f"adapter file {path} names layers the encoder lacks "
            f"({sorted(missing)[:3]}); it was trained for another encoder"
        )
    with torch.no_grad():
        for name in names:
            a = torch.from_numpy(arrays[f"{name}.A"].astype(np.float32))
            b = torch.from_numpy(arrays[f"{name}.B"].astype(np.float32))
            linears[name].weight += scale * (b @ a)
    return len(names)
