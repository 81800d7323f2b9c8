"""A veto cascade: a base model labels every sentence; a stance head on mpnet turns the base's
willing / unwilling labels to ``none`` where it is sure of ``none`` (``stance_head.mode =
"veto"`` in ``detector/nlp/cascade.py``). The veto's one number, the head's minimum P(none),
is chosen on the real dev set; the real test set is not read here.

    python -m models.train_veto [--base minilm-lora-v10] [--head-from minilm-mpnet-cascade-v6]
                                [--version minilm-mpnet-veto-v11] [--save]

The head is the one of ``--head-from`` (a "decide" cascade, e.g. v6: trained on the project
corpus and the open-licensed sentences, see its card), copied unchanged; only how it is used
changes. Choice: the largest sum of the parties' willing and unwilling F1 (speaker right) on the
real dev set; of equal sums, the larger minimum (fewer vetoes). ``1.01`` in the table is the
base alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from detector.errors import ModelError
from detector.nlp.annotate import Annotator
from detector.nlp.cascade import CascadeClassifier, save_cascade
from detector.nlp.classifier import load_classifier, shipped_artifacts
from detector.settings import Settings
from models.evaluate import bootstrap_f1, party_stance, predict_model
from models.real_dev import REAL_DIR, load_real_dev

MINS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1.01)
VETOED = ("willing", "unwilling")


def veto_predictions(base_pred: list[dict], p_none: dict[int, float], min_prob: float):
    """The base's predictions with the vetoed stances turned to none."""
    out = []
    for i, row in enumerate(base_pred):
        if i in p_none and p_none[i] >= min_prob:
            row = dict(row, stance="none", stance_score=p_none[i])
        out.append(row)
    return out


def head_p_none(items: list[dict], base_pred: list[dict], head_from: str, settings) -> dict:
    """P(none) of ``head_from``'s stance head for the sentences the base labels willing or
    unwilling, by item index."""
    folder = shipped_artifacts() / head_from
    casc = CascadeClassifier(
        folder,
        load_classifier("minilm-lora-v5"),
        threads=settings.threads,
        cache_dir=settings.cache_dir,
    )
    idx = [i for i, r in enumerate(base_pred) if r["stance"] in VETOED]
    if not idx:
        return {}
    probs = casc.head.probs(casc.stage2.encode([items[i]["text"] for i in idx]))
    k = casc.head.labels.index("none")
    return {i: float(p[k]) for i, p in zip(idx, probs)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="minilm-lora-v10")
    ap.add_argument("--head-from", default="minilm-mpnet-cascade-v6")
    ap.add_argument("--version", default="minilm-mpnet-veto-v11")
    ap.add_argument("--real", default=str(REAL_DIR))
    ap.add_argument("--out", default=str(shipped_artifacts()))
    ap.add_argument("--save", action="store_true", help="write the chosen model's artifact")
    args = ap.parse_args(argv)
    if not Path(args.real).is_dir():
        print(f"train_veto: {args.real} is absent; the veto is chosen on the real dev set")
        return 0
    settings = Settings.from_env()
    items, missing = load_real_dev(Path(args.real))
    base = Annotator.load(args.base, settings)
    base_pred = predict_model(items, base)
    p_none = head_p_none(items, base_pred, args.head_from, settings)
    print(
        f"real dev: {len(items)} sentences ({len(missing)} without text); the base labels "
        f"{len(p_none)} willing or unwilling (the gate)"
    )
    results = []
    for m in MINS:
        pred = veto_predictions(base_pred, p_none, m)
        party = party_stance(items, pred)
        boot = bootstrap_f1(items, pred)
        r = {
            "min": m,
            "vetoed": sum(v >= m for v in p_none.values()),
            "party_willing_f1": party["willing"]["f1"],
            "party_unwilling_f1": party["unwilling"]["f1"],
            "willing_f1": boot["willing_f1"]["f1"],
            "unwilling_f1": boot["unwilling_f1"]["f1"],
            "boot": boot,
        }
        results.append(r)
        print(
            f"veto at P(none) >= {m:<5} vetoed {r['vetoed']:>3}  parties willing "
            f"{r['party_willing_f1']:.3f} unwilling {r['party_unwilling_f1']:.3f}  all "
            f"willing {r['willing_f1']:.3f} unwilling {r['unwilling_f1']:.3f}"
        )
    best = max(
        results, key=lambda r: (round(r["party_willing_f1"] + r["party_unwilling_f1"], 4), r["min"])
    )
    print("chosen:", {k: v for k, v in best.items() if k != "boot"})
    if not args.save:
        return 0
    if best["min"] > 1:
        raise ModelError("no veto beats the base alone on the real dev set; nothing saved")
    src = shipped_artifacts() / args.head_from
    src_meta = json.loads((src / "model.json").read_text())
    head = dict(src_meta["stance_head"], mode="veto", veto_min_prob=best["min"])
    head.pop("file", None)
    meta = {
        "version": args.version,
        "label_schema": src_meta.get("label_schema", "labels.v1"),
        "base": args.base,
        "gate": {
            "threshold": 0.0,
            "keywords": False,
            "labels": list(VETOED),
            "rule": "the base labels the sentence willing or unwilling",
        },
        "stance_head": head,
        "head_from": {
            "version": args.head_from,
            "training_data": src_meta.get("training_data"),
            "training": src_meta.get("training"),
        },
        "selection": {
            "set": "real dev set (models/real_dev.py); never trained on",
            "rule": "max parties' willing + unwilling F1 (speaker right); ties: the larger minimum",
            "table": [{k: v for k, v in r.items() if k != "boot"} for r in results],
        },
        "dev_metrics": {"real_dev": best["boot"]},
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    w = np.load(src / src_meta["stance_head"]["file"])
    folder = save_cascade(Path(args.out) / args.version, meta, w["W"], w["b"])
    if (src / "lora.npz").exists():
        shutil.copyfile(src / "lora.npz", folder / "lora.npz")
    print(f"saved {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
