"""Data and cached embeddings for the cascade's stance head (models/train_cascade.py).

    python -m models.cascade_data [--cache /tmp/stance-cache] [--open /tmp/open_train.jsonl]

Rows: the project corpus (train / dev split by family, ``is_dev``), the open-licensed set (built
by ``python models/open_corpus.py --build FILE``; all of it trains) and the real dev and test sets
(evaluation only: real dev for model choice, real test read once at the end). Their v5 stance
probabilities and their mpnet embeddings are computed once and kept in the cache folder, keyed
by the sha256 of the text; mpnet (about 26 sentences/s on 2 cores) embeds only the sentences
the training or evaluation of the cascade needs: gold willing/unwilling and everything the
broad keyword gate or v5 lets through (``needs_mpnet``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from detector.nlp.cascade import KEYWORD_RE
from models.evaluate import project_dev_items
from models.real_dev import REAL_DIR, candidates, load_real_dev
from models.real_test import load_real_test
from models.train_head import is_dev

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "models" / "data"
V5 = "minilm-lora-v5"
# Sentences v5 gives at least this much P(willing)+P(unwilling) get mpnet embeddings too (the
# cascade's gate threshold is tuned above it).
EMBED_MIN_P = 0.02


def key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def corpus_rows(data_dir: Path = DATA_DIR) -> tuple[list[dict], str]:
    """Every corpus line with ``split`` (train/dev) and the sha256 of the files read."""
    h = hashlib.sha256()
    rows = []
    for path in sorted(Path(data_dir).glob("sentences*.jsonl")):
        raw = path.read_bytes()
        h.update(raw)
        for line in raw.decode("utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rows.append({**r, "split": "dev" if is_dev(r["family"]) else "train",
                             "set": "corpus"})
    return rows, h.hexdigest()


def open_rows(path: Path) -> tuple[list[dict], str]:
    raw = Path(path).read_bytes()
    rows = [{**json.loads(line), "split": "train", "set": "open"}
            for line in raw.decode("utf-8").splitlines() if line.strip()]
    # The hash of the labels file (the texts are rebuilt from the sources, not committed).
    labels = (DATA_DIR / "open_labels.jsonl").read_bytes()
    return rows, hashlib.sha256(labels).hexdigest()


def real_rows(real_dir: Path = REAL_DIR) -> dict[str, list[dict]]:
    if not Path(real_dir).is_dir():
        return {}
    cands = candidates(Path(real_dir))
    dev = load_real_dev(Path(real_dir), cands=cands)[0]
    test = load_real_test(Path(real_dir), cands=cands)[0]
    return {"real_dev": [{**r, "set": "real_dev"} for r in dev],
            "real_test": [{**r, "set": "real_test"} for r in test]}


class EmbeddingCache:
    """text -> vector, in one .npz per name in ``folder``; saved as it grows."""

    def __init__(self, folder: Path, name: str):
        self.file = Path(folder) / f"{name}.npz"
        self.data: dict[str, np.ndarray] = {}
        if self.file.is_file():
            z = np.load(self.file)
            self.data = dict(zip(z["keys"].tolist(), z["values"]))

    def missing(self, texts: list[str]) -> list[str]:
        seen, out = set(), []
        for t in texts:
            k = key(t)
            if k not in self.data and k not in seen:
                seen.add(k)
                out.append(t)
        return out

    def fill(self, texts: list[str], fn, chunk: int = 256, log: str = "") -> None:
        todo = self.missing(texts)
        t0 = time.time()
        for i in range(0, len(todo), chunk):
            part = todo[i:i + chunk]
            vals = fn(part)
            for t, v in zip(part, vals):
                self.data[key(t)] = np.asarray(v, dtype=np.float32)
            self.save()
            done = i + len(part)
            print(f"{log}{self.file.name}: {done}/{len(todo)} "
                  f"({done / max(time.time() - t0, 1e-9):.1f}/s)", flush=True)

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.data)
        tmp = self.file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), values=np.stack([self.data[k] for k in keys]))
        tmp.replace(self.file)

    def get(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.data[key(t)] for t in texts])

    def has(self, text: str) -> bool:
        return key(text) in self.data


def needs_mpnet(row: dict, p_stance: float) -> bool:
    return (row.get("stance") in ("willing", "unwilling") or p_stance >= EMBED_MIN_P
            or bool(KEYWORD_RE.search(row["text"])))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default="/tmp/stance-cache")
    ap.add_argument("--open", default="/tmp/open_train.jsonl")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    from detector.nlp.classifier import load_classifier
    from detector.nlp.mpnet import MpnetEncoder

    corpus, _ = corpus_rows()
    opened, _ = open_rows(Path(args.open))
    real = real_rows()
    # Order of need (a run cut short keeps what came first): the real sets (model choice and
    # the final report), the open set (real text), then the corpus, positives and sentences v5
    # is unsure about first.
    sets = [real.get("real_dev", []), real.get("real_test", []), opened, corpus]
    v5 = load_classifier(V5, "auto", threads=args.threads, cache_dir=Path(args.cache))
    probs = EmbeddingCache(Path(args.cache), "v5_stance_probs")

    def v5_fn(texts):
        return [[o.stance_probs[s] for s in ("willing", "unwilling", "none")]
                for o in v5.predict(texts)]

    for rows in sets:
        probs.fill([r["text"] for r in rows], v5_fn, chunk=2048, log="v5 ")
    mp = EmbeddingCache(Path(args.cache), "mpnet")
    enc = MpnetEncoder(threads=args.threads, cache_dir=Path(args.cache))
    for rows in sets:
        p = probs.get([r["text"] for r in rows])
        chosen = [(r, float(q[0] + q[1])) for r, q in zip(rows, p)
                  if needs_mpnet(r, float(q[0] + q[1]))]
        chosen.sort(key=lambda rq: (rq[0].get("stance") == "none", -rq[1]))
        texts = [r["text"] for r, _ in chosen]
        mp.fill(texts, enc.encode, chunk=128, log="mpnet ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
