"""Throughput and peak memory of `detector classify`, per input shape and encoder backend.

    python pipelines/benchmarks/bench_classify.py [--sentences 3000]
                                                  [--backends auto onnx-q8 torch onnx-int8]
                                                  [--shapes headline paragraph] [--repeat 1]
                                                  [--source tass|corpus]
                                                  [--model VERSION [VERSION ...]]

Builds two JSON Lines inputs: "headline", one sentence per line, and "paragraph", five
sentences per line, from real TASS headlines (``--source tass``, the default: the first
--sentences headlines "t" of ../shared/data/real/russian-state-channels/tass_headlines_2025.json,
read in place; skipped, saying so, when the file is absent) or from the project's own corpus
(``--source corpus``: models/data/sentences*.jsonl, repeated when it has fewer lines than
--sentences). Each is classified by the real `detector classify`
command in a subprocess; the load time (the same command on a one-line input, a peace claim
that a cascade's gate passes, so its second stage is loaded too) is measured separately. Several --model versions (e.g. a teacher and its distilled student) run in
the same invocation, each on every backend. Prints, per shape, model and backend: wall time, sentences/s including and excluding the
load, CPU seconds per 1,000 sentences after the load (steadier than wall time when other
processes share the cores), the share of sentences whose labels (stance, action, target)
equal those of the first model and backend's output (the agreement of a quantised backend), and the
child's peak RSS (``ru_maxrss`` of that child, read with ``os.wait4``, the per
child form of ``getrusage(RUSAGE_CHILDREN)``). Figures, not assertions: shared machines are
noisy, so run it when the machine is quiet and compare backends within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PER_PARAGRAPH = 5
# The one-line input that measures the load: a peace claim, so that a cascade loads its second
# stage there too and "after the load" means after every model is loaded.
LOAD_TEXT = "Russia is ready to resume peace talks with Ukraine, the Kremlin said."
TASS = ROOT.parent / "shared" / "data" / "real" / "russian-state-channels" / "tass_headlines_2025.json"


def tass_texts() -> list[str]:
    """The TASS headlines (field "t"), in file order, read in place."""
    rows = json.loads(TASS.read_text(encoding="utf-8"))
    return [r["t"] for r in rows if isinstance(r, dict) and isinstance(r.get("t"), str) and r["t"].strip()]


def corpus_texts() -> list[str]:
    texts = []
    for p in sorted((ROOT / "models" / "data").glob("sentences*.jsonl")):
        texts += [json.loads(line)["text"] for line in p.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    return texts


def write_inputs(folder: Path, n: int, source: str = "corpus") -> dict[str, tuple[Path, int]]:
    texts = tass_texts() if source == "tass" else corpus_texts()
    if not texts:
        raise SystemExit("no corpus in models/data; nothing to benchmark")
    picked = [texts[i % len(texts)] for i in range(n)]
    shapes = {}
    head = folder / "headline.jsonl"
    head.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(picked)),
                    encoding="utf-8")
    shapes["headline"] = (head, n)
    para = folder / "paragraph.jsonl"
    para.write_text("".join(json.dumps({"id": i, "text": " ".join(picked[i:i + PER_PARAGRAPH])}) + "\n"
                            for i in range(0, n, PER_PARAGRAPH)), encoding="utf-8")
    shapes["paragraph"] = (para, n)
    one = folder / "one.jsonl"
    one.write_text(json.dumps({"id": 0, "text": LOAD_TEXT}) + "\n", encoding="utf-8")
    shapes["load"] = (one, 1)
    return shapes


def run_classify(inp: Path, out: Path, backend: str, model: str | None = None
                 ) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS MiB, sentences written, CPU seconds) of one `detector classify`
    process."""
    exe = Path(sys.executable).with_name("detector")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "detector.cli"]),
           "-q", "classify", "--input", str(inp), "--output", str(out), "--encoder", backend,
           *(["--model", model] if model else [])]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"detector classify --encoder {backend} failed ({proc.returncode}): {err}")
    n_sent = sum(len(json.loads(line)["sentences"]) for line in out.read_text(encoding="utf-8").splitlines())
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024.0, n_sent, cpu  # ru_maxrss is in KiB on Linux


def sentence_labels(out: Path) -> list[tuple]:
    """(stance, action, target) of every sentence of a classify output, in order."""
    return [(s["stance"], s["action"], s["target"])
            for line in out.read_text(encoding="utf-8").splitlines()
            for s in json.loads(line)["sentences"]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=3000)
    ap.add_argument("--backends", nargs="+", default=["auto", "onnx-q8", "torch", "onnx-int8"])
    ap.add_argument("--shapes", nargs="+", default=["headline", "paragraph"])
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the fastest is shown")
    ap.add_argument("--model", nargs="+", default=[None],
                    help="model versions (default: the default model); the first is the reference")
    ap.add_argument("--source", choices=["tass", "corpus"], default="tass",
                    help="real TASS headlines (default) or the project's corpus")
    args = ap.parse_args()
    if args.source == "tass" and not TASS.is_file():
        print(f"skipped: {TASS} is absent (use --source corpus)")
        return 0
    print(f"source: {args.source}")
    print(f"cpus usable: {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shapes = write_inputs(folder, args.sentences, args.source)
        print(f"{'shape':<10} {'model':<22} {'backend':<10} {'sentences':>9} {'load s':>7} {'wall s':>7} "
              f"{'sent/s incl':>11} {'sent/s excl':>11} {'cpu s/1k':>8} {'agree':>7} "
              f"{'peak RSS MiB':>12}")
        reference: dict[str, list] = {}
        for model, backend in [(m, b) for m in args.model for b in args.backends]:
            run_classify(shapes["load"][0], folder / "warm.jsonl", backend, model)  # export / disk cache
            loads = [run_classify(shapes["load"][0], folder / "o.jsonl", backend, model)
                     for _ in range(args.repeat)]
            load, load_cpu = min(x[0] for x in loads), min(x[3] for x in loads)
            for shape in args.shapes:
                inp, _ = shapes[shape]
                runs = [run_classify(inp, folder / "o.jsonl", backend, model) for _ in range(args.repeat)]
                wall, rss, n, cpu = min(runs)
                excl = n / max(wall - load, 1e-9)
                cpu_k = 1000 * (min(r[3] for r in runs) - load_cpu) / n
                labels = sentence_labels(folder / "o.jsonl")
                ref = reference.setdefault(shape, labels)
                agree = sum(a == b for a, b in zip(labels, ref)) / max(len(ref), 1)
                print(f"{shape:<10} {model or 'default':<22} {backend:<10} {n:>9d} {load:>7.2f} {wall:>7.2f} {n / wall:>11.0f} "
                      f"{excl:>11.0f} {cpu_k:>8.2f} {agree:>7.2%} {max(r[1] for r in runs):>12.0f}",
                      flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
