"""Distil a MiniLM-LoRA model into a shallower encoder (fewer layers, same heads).

    python -m models.distill --teacher minilm-lora-v5 --layers 4 [--version minilm-lora-v5-l4]
                             [--rank 16] [--epochs 2] [--open-sentences 20000]

The student is the teacher's own encoder (base weights with the teacher's adapters merged)
cut to some of its layers (``--layers 4``: the first four; ``--layers 0,1,2,5``: those), with
fresh rank-r LoRA adapters on every linear layer of the kept blocks. Only the adapters train:
the loss is (1 - cosine) between the student's and the teacher's pooled, L2-normalised
embeddings plus the KL divergence of the teacher's head distributions (stance, action,
target; at the teacher's temperatures) from the student's, through the teacher's heads,
which the student shares unchanged. No labels are used: the teacher is the target.

Training text (never ../shared/data/real's evaluation files): the project's own sentences
(models/data/sentences*.jsonl, train families only, so the project dev split stays unseen)
and open-licensed official text read in place (models/open_corpus.py): White House briefings
(CC0 1.0) and Kremlin, en.kremlin.ru (putin.csv and the Atom feed; CC BY 4.0), split into
sentences by spaCy's rule-based sentencizer and sampled with a fixed seed. The sha256 of the
sentence list goes into model.json.

The artifact (detector/artifacts/<version>/) loads like any other: model.json gets
``encoder_layers``, and lora.npz holds the teacher's and the student's adapters of the kept
layers side by side (rank r_teacher + r, scale 1, the teacher's scale folded into B), so
``merge_lora`` adds both in one step. Works for any MiniLM-LoRA teacher (a model.json with a
LoRA ``adapter``); seeded and single-threaded where it matters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from detector.errors import ModelError
from detector.nlp.classifier import HeadClassifier, Preprocessing, models_dirs
from detector.nlp.encoder import Encoder, layer_subset, mean_pool, truncate_layers
from detector.nlp.lora import merge_lora
from models.metrics import classification_report
from models.open_corpus import SOURCES, available, load_documents, source_paths
from models.train_head import is_dev
from models.train_lora import attach_adapters, load_corpus

ROOT = Path(__file__).resolve().parents[1]
SEED = 18
HEADS = ("stance", "action", "target")
_MIN_WORDS, _MAX_WORDS = 3, 60


def teacher_folder(version: str) -> Path:
    for d in models_dirs():
        if (d / version / "model.json").is_file():
            return d / version
    raise ModelError(f"teacher {version!r} not found in detector/artifacts; pick another --teacher")


def open_sentences(n: int, seed: int = SEED) -> tuple[list[str], dict[str, int]]:
    """Up to ``n`` distinct sentences of the open-licensed sources, about half Kremlin and half
    White House (the Kremlin file is smaller; its headlines and summaries are headline-like)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    rng = random.Random(seed)
    per_source: dict[str, list[str]] = {}
    for source, path in sorted(available(source_paths()).items()):
        docs = load_documents(source, path)
        keys = sorted(docs)
        rng.shuffle(keys)
        # Enough documents for the quota without splitting all of the White House archive.
        blocks = [b for k in keys[: 400 if source == "whitehouse" else None]
                  for b, turn in docs[k] if b and turn != "Q"]
        sents = [s.text.strip() for doc in nlp.pipe(blocks, batch_size=256) for s in doc.sents]
        per_source[source] = [s for s in sents if _MIN_WORDS <= len(s.split()) <= _MAX_WORDS]
    out: list[str] = []
    counts: dict[str, int] = {}
    quota = {"kremlin": n // 2, "kremlin_feed": n // 20, "whitehouse": n}
    seen: set[str] = set()
    for source in sorted(per_source):
        pool = sorted(set(per_source[source]))
        rng.shuffle(pool)
        took = [s for s in pool if s not in seen][: quota.get(source, 0)]
        took = took[: max(0, n - len(out))]
        seen.update(took)
        out += took
        counts[source] = len(took)
    return out, counts


def embed_all(model, tok, texts: list[str], max_length: int, batch: int = 64) -> np.ndarray:
    """Embeddings in input order, batched by token count (little padding)."""
    lengths = [len(x) for x in tok(texts, truncation=True, max_length=max_length)["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    out = np.zeros((len(texts), 384), dtype=np.float32)
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            idx = order[i:i + batch]
            b = tok([texts[j] for j in idx], padding=True, truncation=True,
                    max_length=max_length, return_tensors="pt")
            out[idx] = mean_pool(model(**b).last_hidden_state, b["attention_mask"]).numpy()
    return out


def teacher_model(folder: Path, meta: dict, threads: int, max_length: int):
    """The teacher's torch encoder, its adapter merged."""
    enc = Encoder(threads=threads, max_length=max_length)
    merge_lora(enc.model, folder / meta["adapter"]["file"], float(meta["adapter"]["scale"]))
    return enc


def head_logits(heads: dict, temps: dict, X):
    return {n: (X @ heads[n][0].T + heads[n][1]) / float(temps.get(n, 1.0)) for n in HEADS}


def labels_of(logits: dict) -> np.ndarray:
    return np.stack([np.asarray(logits[n]).argmax(1) for n in HEADS], 1)


def agreement(lt: np.ndarray, ls: np.ndarray) -> dict[str, float]:
    """Share of sentences with the same stance, action, target (target only counts where the
    teacher or the student says strike, as in the classifier's output) and all three."""
    strike = 0  # ACTIONS.index("strike")
    t_tgt = np.where(lt[:, 1] == strike, lt[:, 2], -1)
    s_tgt = np.where(ls[:, 1] == strike, ls[:, 2], -1)
    same = np.stack([lt[:, 0] == ls[:, 0], lt[:, 1] == ls[:, 1], t_tgt == s_tgt], 1)
    return {"stance": float(same[:, 0].mean()), "action": float(same[:, 1].mean()),
            "target": float(same[:, 2].mean()), "all": float(same.all(1).mean())}


def combined_adapter(teacher_file: Path, teacher_scale: float, adapters: dict,
                     layers: list[int]) -> dict[str, np.ndarray]:
    """One adapter per kept linear: the teacher's (renamed to the kept layer's new index,
    its scale folded into B) beside the student's, for ``merge_lora`` at scale 1."""
    t = np.load(teacher_file)
    out = {}
    for name, a in adapters.items():  # "encoder.layer.<new>.<rest>"
        _, _, new, rest = name.split(".", 3)
        old = f"encoder.layer.{layers[int(new)]}.{rest}"
        A_s = a.A.detach().numpy()
        B_s = a.B.detach().numpy() * a.scale
        if f"{old}.A" in t.files:
            A = np.concatenate([t[f"{old}.A"].astype(np.float32), A_s])
            B = np.concatenate([t[f"{old}.B"].astype(np.float32) * teacher_scale, B_s], 1)
        else:
            A, B = A_s, B_s
        out[f"{name}.A"], out[f"{name}.B"] = A.astype(np.float16), B.astype(np.float16)
    return out


def parse_layers(text: str) -> list[int]:
    spec = int(text) if text.isdigit() else [int(x) for x in text.split(",")]
    layers = layer_subset(spec)
    if layers is None:
        raise SystemExit(f"--layers {text} keeps every layer; a student needs fewer (e.g. 4)")
    return layers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="minilm-lora-v5")
    ap.add_argument("--layers", default="4", help="K (the first K layers) or a list: 0,1,2,5")
    ap.add_argument("--version", default=None, help="default: <teacher>-l<K>")
    ap.add_argument("--out", default=str(ROOT / "detector" / "artifacts"))
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--kl-weight", type=float, default=1.0)
    ap.add_argument("--open-sentences", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=None,
                    help="folder to keep the texts and teacher embeddings in between runs")
    args = ap.parse_args(argv)

    layers = parse_layers(args.layers)
    tag = str(len(layers)) if layers == list(range(len(layers))) else "".join(map(str, layers))
    version = args.version or f"{args.teacher}-l{tag}"
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    torch.set_num_threads(args.threads)
    t0 = time.time()

    tfolder = teacher_folder(args.teacher)
    tmeta = json.loads((tfolder / "model.json").read_text())
    if not tmeta.get("adapter") or tmeta.get("encoder_layers") is not None:
        raise SystemExit(f"teacher {args.teacher} is not a full-depth MiniLM-LoRA model; "
                         "pick one with a LoRA adapter and all six layers")
    tw = np.load(tfolder / "heads.npz")
    heads_np = {n: (tw[f"{n}_W"], tw[f"{n}_b"]) for n in HEADS}
    temps = tmeta.get("temperature", {})

    rows, corpus_hash, files = load_corpus(ROOT / "models" / "data")
    project = sorted({r["text"] for r in rows if not is_dev(r["family"])})
    dev_rows = [r for r in rows if is_dev(r["family"])]
    opened, counts = open_sentences(args.open_sentences)
    texts = list(dict.fromkeys(project + opened))
    data_hash = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    print(f"{len(texts)} training sentences: {len(project)} project (train families), "
          f"open {counts} ({time.time() - t0:.0f}s)", flush=True)

    teacher = teacher_model(tfolder, tmeta, args.threads, args.max_length)
    cache = Path(args.cache) / f"{args.teacher}-{data_hash[:12]}-{args.max_length}.npy" \
        if args.cache else None
    if cache and cache.is_file():
        T = np.load(cache)
    else:
        T = embed_all(teacher.model.eval(), teacher.tokenizer, texts, args.max_length)
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, T)
    print(f"teacher embeddings {T.shape} ({time.time() - t0:.0f}s)", flush=True)
    dev_texts = [r["text"] for r in dev_rows]
    T_dev = embed_all(teacher.model, teacher.tokenizer, dev_texts, args.max_length)

    # The student: the teacher's merged encoder, cut to the kept layers, fresh adapters.
    student = teacher_model(tfolder, tmeta, args.threads, args.max_length)
    model, tok = student.model, student.tokenizer
    truncate_layers(model, layers)
    for p in model.parameters():
        p.requires_grad_(False)
    scale = args.alpha / args.rank
    adapters = attach_adapters(model, args.rank, scale)
    heads_t = {n: (torch.from_numpy(W), torch.from_numpy(b)) for n, (W, b) in heads_np.items()}
    T_probs = {n: torch.softmax(torch.from_numpy(v), 1)
               for n, v in head_logits(heads_np, temps, T).items()}
    T_t = torch.from_numpy(T)

    def check(tag: str) -> dict:
        model.eval()
        S = embed_all(model, tok, dev_texts, args.max_length)
        model.train()
        cos = (S * T_dev).sum(1)
        agree = agreement(labels_of(head_logits(heads_np, temps, T_dev)),
                          labels_of(head_logits(heads_np, temps, S)))
        print(f"{tag}: project dev cosine mean {cos.mean():.4f} min {cos.min():.4f}; "
              f"agreement {json.dumps({k: round(v, 4) for k, v in agree.items()})} "
              f"({time.time() - t0:.0f}s)", flush=True)
        return {"cosine_mean": float(cos.mean()), "cosine_min": float(cos.min()), **agree}

    check("untrained")
    params = [p for a in adapters.values() for p in (a.A, a.B)]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    steps = args.epochs * math.ceil(len(texts) / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps,
                                                pct_start=0.05)
    model.train()
    for epoch in range(args.epochs):
        order = rng.permutation(len(texts))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            b = tok([texts[j] for j in idx], padding=True, truncation=True,
                    max_length=args.max_length, return_tensors="pt")
            S = mean_pool(model(**b).last_hidden_state, b["attention_mask"])
            loss = (1 - (S * T_t[idx]).sum(1)).mean()
            for n in HEADS:
                W, bias = heads_t[n]
                logp = torch.log_softmax((S @ W.T + bias) / float(temps.get(n, 1.0)), 1)
                p_t = T_probs[n][idx]
                loss = loss + args.kl_weight * (p_t * (torch.log(p_t + 1e-12) - logp)).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            if (i // args.batch_size) % 100 == 99:  # an epoch is many minutes on 2 shared cores
                print(f"  step {i // args.batch_size + 1}: loss {float(loss.detach()):.4f} "
                      f"({time.time() - t0:.0f}s)", flush=True)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(texts):.5f} "
              f"({time.time() - t0:.0f}s)", flush=True)
    fidelity = check("trained")

    # Project dev metrics of the student against the gold labels (as train_lora reports).
    model.eval()
    S_dev = embed_all(model, tok, dev_texts, args.max_length)
    logits = head_logits(heads_np, temps, S_dev)
    from detector.nlp.classifier import ACTIONS, STANCES, TARGETS

    metrics = {}
    for n, labs, key in (("stance", STANCES, "stance"), ("action", ACTIONS, "action"),
                         ("target", TARGETS, "target")):
        keep = [i for i, r in enumerate(dev_rows) if n != "target" or r["action"] == "strike"]
        gold = [dev_rows[i][key] for i in keep]
        pred = [labs[int(logits[n][i].argmax())] for i in keep]
        metrics[n] = classification_report(gold, pred, list(labs))
    print("project dev (gold): " + ", ".join(
        f"{n} acc {m['accuracy']:.4f} macro-F1 {m['macro_f1']:.4f}" for n, m in metrics.items()))

    folder = Path(args.out) / version
    adapter = combined_adapter(tfolder / tmeta["adapter"]["file"],
                               float(tmeta["adapter"]["scale"]), adapters, layers)
    meta = {k: tmeta[k] for k in ("label_schema", "encoder", "encoder_package", "labels")}
    meta.update({
        "version": version,
        "encoder_layers": len(layers) if layers == list(range(len(layers))) else layers,
        "temperature": temps,
        "distilled_from": {"version": args.teacher,
                           "adapter_sha256": hashlib.sha256(
                               (tfolder / tmeta["adapter"]["file"]).read_bytes()).hexdigest()},
        "training_data": {"project_files": files, "project_sha256": corpus_hash,
                          "project_sentences": len(project),
                          "open_sentences": counts,
                          "open_licences": {s: SOURCES[s]["licence"] for s in counts},
                          "sentences": len(texts), "sha256": data_hash,
                          "labels": "none: the teacher's embeddings and head outputs"},
        "training": {"seed": SEED, "epochs": args.epochs, "lr": args.lr, "rank": args.rank,
                     "alpha": args.alpha, "batch_size": args.batch_size,
                     "max_length": args.max_length, "kl_weight": args.kl_weight,
                     "loss": "1 - cosine(embedding) + kl_weight * sum of head KL(teacher||student)",
                     "torch": torch.__version__},
        "fidelity_project_dev": fidelity,
        "dev_metrics": metrics,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    pre = Preprocessing.from_meta(tmeta)
    HeadClassifier.save(folder, meta, {f"{n}_{p}": v for n, (W, b) in heads_np.items()
                                       for p, v in (("W", W), ("b", b))}, pre,
                        adapter=adapter,
                        adapter_meta={"kind": "lora", "file": "lora.npz",
                                      "rank": int(tmeta["adapter"]["rank"]) + args.rank,
                                      "alpha": float(tmeta["adapter"]["rank"]) + args.rank,
                                      "scale": 1.0, "layers": len(adapters),
                                      "composition": "teacher's adapter (scale folded into B) "
                                                     "beside the student's"})
    print(f"saved {folder} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
