"""Agreement of the int8 ONNX encoder with torch on the whole corpus (the figures quoted in
detector/nlp/encoder.py), and of the fixed sample the unit test checks.

    python pipelines/benchmarks/bench_int8_agreement.py [--classifier minilm-head-v1]

Encodes every sentence of models/data/sentences*.jsonl with the torch encoder and with the
int8 ONNX encoder (batch size 32, as the classifier runs them), then prints, for the whole
corpus and for tests/unit/test_encoder_backends.py's sample: the lowest and the mean cosine
between the two embeddings and the share of sentences whose stance, action and target labels
(from the classifier's heads) are the same. Figures, not assertions; several minutes on 2
cores (the test takes the sample only, so that the suite stays fast).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from test_encoder_backends import corpus_sample, corpus_texts  # noqa: E402

from detector.nlp import encoder as enc_mod  # noqa: E402
from detector.nlp.classifier import load_classifier  # noqa: E402


def agreement(name: str, a: np.ndarray, b: np.ndarray, clf) -> None:
    cos = (a * b).sum(axis=1)  # both L2-normalised
    la, lb = clf.predict_embeddings(a), clf.predict_embeddings(b)
    same = [(x.stance, x.action, x.target) == (y.stance, y.action, y.target)
            for x, y in zip(la, lb, strict=True)]
    print(f"{name:<10} {len(a):>6} sentences  cosine min {cos.min():.4f} mean {cos.mean():.4f}  "
          f"labels the same on {np.mean(same):.2%} ({len(same) - sum(same)} differ)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--classifier", default="minilm-head-v1",
                    help="the model whose heads label both embeddings (default minilm-head-v1)")
    args = ap.parse_args(argv)
    texts = corpus_texts()
    clf = load_classifier(args.classifier, encoder_backend="torch")
    t0 = time.perf_counter()
    a = enc_mod.load_encoder("torch").encode(texts)
    t1 = time.perf_counter()
    b = enc_mod.load_encoder("onnx-int8").encode(texts)
    t2 = time.perf_counter()
    print(f"encoded {len(texts)} sentences: torch {t1 - t0:.1f} s, onnx-int8 {t2 - t1:.1f} s "
          "(int8 time includes the export at first use)")
    agreement("corpus", a, b, clf)
    # The sample encoded on its own: int8 scales activations per batch, so its embeddings
    # differ slightly from the same sentences' within the whole corpus.
    sample = corpus_sample()
    agreement("sample", enc_mod.load_encoder("torch").encode(sample),
              enc_mod.load_encoder("onnx-int8").encode(sample), clf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
