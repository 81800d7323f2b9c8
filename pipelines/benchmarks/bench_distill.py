"""A distilled (shallower) model against its teacher on real TASS headlines: label agreement,
embedding cosine and encoder CPU time.

    python pipelines/benchmarks/bench_distill.py --student minilm-lora-v5-l0245
                                                 [--teacher minilm-lora-v5] [--sentences 3000]
                                                 [--backends torch onnx] [--models-dir DIR]

Takes the first --sentences distinct headlines (field "t") of
../shared/data/real/russian-state-channels/tass_headlines_2025.json (read in place; evaluation
only, never training data) and runs teacher and student on each backend: the share of
headlines whose stance, action, target (target where either says strike) and all three agree,
the lowest and mean cosine of the two embeddings, and the process CPU seconds of encoding
(after a warm-up; 1 thread). Figures, not assertions: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from detector.nlp.classifier import load_classifier  # noqa: E402
from models.distill import agreement, head_logits, labels_of  # noqa: E402
from pipelines.benchmarks.bench_classify import TASS, tass_texts  # noqa: E402


def headlines(n: int) -> list[str]:
    """The first ``n`` distinct TASS headlines (bench_classify's reader)."""
    return list(dict.fromkeys(t.strip() for t in tass_texts()))[:n]


def encode_timed(clf, texts: list[str]) -> tuple[np.ndarray, float]:
    clf.encoder.encode(texts[:64])  # load, export and warm up outside the timing
    c0 = time.process_time()
    X = clf.encoder.encode(texts)
    return X, time.process_time() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="minilm-lora-v5")
    ap.add_argument("--student", required=True)
    ap.add_argument("--sentences", type=int, default=3000)
    ap.add_argument("--backends", nargs="+", default=["torch", "onnx"])
    ap.add_argument("--models-dir", default=None, help="searched before detector/artifacts")
    args = ap.parse_args()
    if not TASS.is_file():
        print(f"skipped: {TASS} is absent")
        return 0
    texts = headlines(args.sentences)
    print(f"{len(texts)} distinct TASS headlines")
    for backend in args.backends:
        out = {}
        for role, version in (("teacher", args.teacher), ("student", args.student)):
            clf = load_classifier(version, backend, models_dir=args.models_dir, threads=1)
            X, cpu = encode_timed(clf, texts)
            out[role] = (clf, X, cpu)
        (tc, T, tcpu), (sc, S, scpu) = out["teacher"], out["student"]
        lt = labels_of(head_logits(tc.heads, tc.temperature, T))
        ls = labels_of(head_logits(sc.heads, sc.temperature, S))
        agree = agreement(lt, ls)
        cos = (T * S).sum(1)
        print(f"{backend}: agreement " + ", ".join(f"{k} {v:.2%}" for k, v in agree.items())
              + f" ({int(round((1 - agree['all']) * len(texts)))} differ); cosine min "
              f"{cos.min():.4f} mean {cos.mean():.4f}; encoder CPU s per 1k: teacher "
              f"{1000 * tcpu / len(texts):.2f}, student {1000 * scpu / len(texts):.2f} "
              f"(x{tcpu / max(scpu, 1e-9):.2f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
