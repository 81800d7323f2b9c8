"""How right are the peace claims the scorer counts? Claim precision on the real stream.

    python -m models.stream_claims --db sqlite:///real.db
                                   [--models minilm-lora-v5 minilm-mpnet-cascade-v6]
    python -m models.stream_claims --db URL --draw OUT.jsonl [--per-model 50]

The dev and test sets (models/real_dev.py, models/real_test.py) are sampled for peace talk and
measure stance F1 per sentence. contradiction.v3 reads something else: the *confident* willing
claims (``stance_score`` >= the scoring config's ``willing_threshold``, 0.5) that a model
attributes to an actor, week by week, over everything a run ingested. This script measures
those: on a database built from the real sources by ``detector run --config
pipelines/real_data.toml`` (or the real-data test's database) and holding each compared
model's predictions (``detector reclassify --model VERSION`` adds a model's), it counts each
model's confident willing claims attributed to ``--actor`` between ``--since`` and ``--until``,
and reports, on the hand-labelled sample of those claims, the share that are willing by the
guideline (models/ANNOTATION.md), with a bootstrap 95% interval, and the estimated number of
right claims (count x precision).

Labels: ``models/data/real_stream_labels.jsonl``, one line per sampled sentence, keyed by
``source`` (the run's source name) and ``hash`` (sha256 of the whitespace-normalised sentence,
as models/real_dev.py); no text is stored (the real files' licences forbid copying them), so the
sentences are found again in the database. ``sampled_from`` names the models whose claims the
sentence was drawn from; ``stance_a`` and ``stance_b`` are two blind annotators' labels,
``stance`` the adjudicated one. Evaluation only: never train on them.

The sample: ``--draw`` takes ``--per-model`` claims of each model at random (seed 2026, claims
ordered by hash first, so the same database gives the same draw), writes them with their text
to OUT (outside the project: the text is the real files') for labelling.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
from pathlib import Path

import numpy as np

from models.real_dev import text_hash

ROOT = Path(__file__).resolve().parents[1]
LABELS_PATH = ROOT / "models" / "data" / "real_stream_labels.jsonl"
MODELS = ("minilm-lora-v5", "minilm-mpnet-cascade-v6")
SEED = 2026


def _sqlite_path(db: str) -> str:
    if not db.startswith("sqlite:///"):
        raise SystemExit(f"--db {db}: only a SQLite URL (sqlite:///PATH) is read here")
    path = db[len("sqlite:///") :]
    if not Path(path).is_file():
        raise SystemExit(
            f"--db {db}: no such database; build it with detector run --config "
            "pipelines/real_data.toml --db URL"
        )
    return path


def claims(
    db: str, model: str, actor: str, since: str, until: str, threshold: float = 0.5
) -> list[dict]:
    """The model's confident willing claims attributed to ``actor`` in [since, until)."""
    con = sqlite3.connect(f"file:{_sqlite_path(db)}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT d.source, s.text, date(d.published_at), p.stance_score "
            "FROM predictions p JOIN sentences s ON s.id = p.sentence_id "
            "JOIN documents d ON d.id = s.document_id "
            "WHERE p.model_version = ? AND p.stance = 'willing' AND p.stance_score >= ? "
            "AND p.speaker = ? AND d.published_at >= ? AND d.published_at < ?",
            (model, threshold, actor, since, until),
        ).fetchall()
    finally:
        con.close()
    out = {}
    for source, text, day, score in rows:
        key = (source, text_hash(text))
        out.setdefault(
            key, {"source": source, "hash": key[1], "text": text, "date": day, "score": score}
        )
    return sorted(out.values(), key=lambda r: (r["hash"], r["source"]))


def draw(
    per_model: dict[str, list[dict]], n: int, seed: int = SEED, exclude: frozenset = frozenset()
) -> list[dict]:
    """``n`` claims of each model at random (hash order first), each sentence once, with the
    models it was drawn from; the order shuffled so that annotators cannot tell the model.
    ``exclude``: (source, hash) keys already labelled (a further sample for validation)."""
    rng = random.Random(seed)
    picked: dict[tuple, dict] = {}
    for model, rows in per_model.items():
        rows = [r for r in rows if (r["source"], r["hash"]) not in exclude]
        for r in rng.sample(rows, min(n, len(rows))):
            key = (r["source"], r["hash"])
            picked.setdefault(key, {**r, "sampled_from": []})["sampled_from"].append(model)
    out = list(picked.values())
    rng.shuffle(out)
    return out


def load_labels(path: Path = LABELS_PATH) -> dict[tuple, dict]:
    if not Path(path).is_file():
        raise SystemExit(f"{path} is absent; label a sample first (--draw)")
    rows = [
        json.loads(line)
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r["source"], r["hash"])
        if key in out:
            raise SystemExit(
                f"{path}: sentence {key[1][:12]} of {key[0]} is labelled twice (batches "
                f"{out[key].get('batch')} and {r.get('batch')}); keep one line"
            )
        out[key] = r
    return out


def precision(labels: list[str], n_boot: int = 2000, seed: int = 15) -> dict:
    """Share of ``willing`` with a bootstrap 95% percentile interval."""
    return stratified_precision(labels, 1, [], n_boot, seed)


def stratified_precision(
    sample: list[str], n_sampled: int, census: list[str], n_boot: int = 2000, seed: int = 15
) -> dict:
    """Precision of a set of claims made of a sampled stratum (``n_sampled`` claims, of which
    ``sample`` are labelled at random) and a fully labelled one (``census``), with a bootstrap
    95% interval (the sample resampled; the census is exact); ``boots``: the resampled values."""
    y = np.array([lab == "willing" for lab in sample], dtype=float)
    right = sum(lab == "willing" for lab in census)
    n = n_sampled + len(census)
    if not len(y) and not census:
        return {"precision": None, "ci95": None, "n": 0, "boots": None}
    rng = np.random.default_rng(seed)
    if len(y):
        p1 = y.mean()
        b1 = y[rng.integers(0, len(y), size=(n_boot, len(y)))].mean(axis=1)
    else:  # no sampled stratum (n_sampled must be 0)
        p1, b1 = 0.0, np.zeros(n_boot)
    est = (n_sampled * p1 + right) / n
    boots = (n_sampled * b1 + right) / n
    return {
        "precision": round(float(est), 4),
        "n": int(len(y) + len(census)),
        "ci95": [
            round(float(np.percentile(boots, 2.5)), 4),
            round(float(np.percentile(boots, 97.5)), 4),
        ],
        "boots": boots,
    }


def model_sample(m: str, keys: dict[str, set], labels: dict[tuple, dict]) -> dict:
    """How model ``m``'s claims are measured: a stratum shared with another compared model
    (or all of them), measured on a uniform sample, and the rest, which must be labelled in
    full. The sample of the shared stratum is every labelled sentence in it drawn from ``m``
    or from a model whose claims include the whole stratum: a uniform sample of a set,
    restricted to a subset, is a uniform sample of the subset (v10's claims are a subset of
    v5's: same probabilities, one more rule). Of the candidate strata the largest is used."""
    sampled = {o for lab in labels.values() for o in lab.get("sampled_from", [])}
    best = None
    for o in keys:
        if o == m and m not in sampled:
            continue
        shared = keys[m] & keys[o] if o != m else set(keys[m])
        rest = keys[m] - shared
        if any(k not in labels for k in rest):
            continue
        via = [v for v in keys if v in sampled and keys[v] >= shared]
        if not via and shared:
            continue
        if best is None or len(shared) > len(best[0]):
            best = (shared, rest, via)
    if best is None:
        return {"shared": set(), "sample": [], "census": [], "via": []}
    shared, rest, via = best
    sample = [
        k
        for k in sorted(shared)
        if k in labels and set(labels[k].get("sampled_from", [])) & set(via)
    ]
    return {"shared": shared, "sample": sample, "census": sorted(rest), "via": via}


def report(
    db: str, models: list[str], actor: str, since: str, until: str, labels: dict[tuple, dict]
) -> dict:
    per_model = {m: claims(db, m, actor, since, until) for m in models}
    keys = {m: {(r["source"], r["hash"]) for r in rows} for m, rows in per_model.items()}
    out = {}
    right = sorted(k for k, lab in labels.items() if lab["stance"] == "willing")
    for m, rows in per_model.items():
        ms = model_sample(m, keys, labels)
        p = stratified_precision(
            [labels[k]["stance"] for k in ms["sample"]],
            len(ms["shared"]) if ms["sample"] else 0,
            [labels[k]["stance"] for k in ms["census"]],
        )
        p["sample_of"] = (
            "+".join(ms["via"])
            + (f" and {len(ms['census'])} labelled in full" if ms["census"] else "")
            if (ms["sample"] or ms["census"])
            else "-"
        )
        out[m] = {
            "claims": len(rows),
            **p,
            "est_right_claims": (
                round(len(rows) * p["precision"]) if p["precision"] is not None else None
            ),
            "labelled_willing_also_claimed": sum(k in keys[m] for k in right),
            "labelled_willing": len(right),
        }
    return out


def transfer_share(res: dict, base: str, share: float) -> dict[str, dict]:
    """The claim share for each model that asks as much of an actor's *right* claims as
    ``share`` asks of ``base``'s: share x precision(base) / precision(model). A confident-claim
    share R of a model with precision p holds about R x p right claims per statement, so the two
    thresholds pick the same weeks when the models find the same right claims (the labelled
    right claims each model makes say how far that holds). 95% interval: the two samples
    resampled independently (their bootstrap seeds differ per model only through their data)."""
    out = {}
    pb, bb = res[base]["precision"], res[base]["boots"]
    for m, r in res.items():
        if not r["precision"] or pb is None:
            out[m] = {"share": None, "ci95": None}
            continue
        bm = r["boots"] if m != base else bb
        # Pair the base's resamples with a shuffled copy of the model's: independent draws.
        bm = np.random.default_rng(7).permutation(bm) if m != base else bm
        boots = share * bb / np.maximum(bm, 1e-9)
        out[m] = {
            "share": round(share * pb / r["precision"], 4),
            "ci95": [round(float(np.percentile(boots, q)), 4) for q in (2.5, 97.5)],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="sqlite:///PATH of a run over the real sources")
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--actor", default="RUS")
    ap.add_argument("--since", default="2025-10-06")
    ap.add_argument("--until", default="2026-03-01")
    ap.add_argument("--labels", default=str(LABELS_PATH))
    ap.add_argument("--draw", metavar="OUT", help="write a fresh sample to label (with text)")
    ap.add_argument("--per-model", type=int, default=50)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument(
        "--batch",
        type=int,
        nargs="+",
        help="only the labels of these batches (e.g. the batches drawn after a rule was written)",
    )
    ap.add_argument(
        "--transfer",
        metavar="BASE=SHARE",
        help="the claim share per model equivalent to contradiction.v3's SHARE for model BASE "
        "(same share of right claims), e.g. minilm-lora-v5=0.06",
    )
    ap.add_argument(
        "--exclude-labelled",
        action="store_true",
        help="draw only sentences the labels file does not hold yet",
    )
    args = ap.parse_args(argv)
    if args.draw:
        per_model = {m: claims(args.db, m, args.actor, args.since, args.until) for m in args.models}
        exclude = (
            frozenset(load_labels(Path(args.labels))) if args.exclude_labelled else frozenset()
        )
        rows = draw(per_model, args.per_model, args.seed, exclude)
        with open(args.draw, "w", encoding="utf-8") as fh:
            for i, r in enumerate(rows):
                fh.write(json.dumps({"n": i, **r}) + "\n")
        print(
            f"wrote {len(rows)} sentences to {args.draw} "
            + ", ".join(f"{m}: {len(v)} claims" for m, v in per_model.items())
        )
        return 0
    labels = load_labels(Path(args.labels))
    if args.batch:
        labels = {k: v for k, v in labels.items() if v.get("batch") in args.batch}
    res = report(args.db, args.models, args.actor, args.since, args.until, labels)
    print(
        f"confident willing claims attributed to {args.actor}, {args.since} .. {args.until} "
        f"(score >= 0.5), and their precision on the labelled sample"
    )
    print(
        f"{'model':<28} {'claims':>6} {'sample':>6} {'precision':>9} {'95% CI':>15} "
        f"{'est. right':>10} {'labelled willing claimed':>25}  sample of"
    )
    for m, r in res.items():
        ci = f"[{r['ci95'][0]:.2f}, {r['ci95'][1]:.2f}]" if r["ci95"] else "-"
        prec = f"{r['precision']:.2f}" if r["precision"] is not None else "-"
        print(
            f"{m:<28} {r['claims']:>6} {r['n']:>6} {prec:>9} {ci:>15} "
            f"{r['est_right_claims'] if r['est_right_claims'] is not None else '-':>10} "
            f"{r['labelled_willing_also_claimed']:>12} of {r['labelled_willing']:<10}  "
            f"{r['sample_of']}"
        )
    if args.transfer:
        base, _, value = args.transfer.partition("=")
        if base not in res or not value:
            raise SystemExit(f"--transfer {args.transfer}: give BASE=SHARE with BASE in --models")
        print(f"\nclaim share asking as many right claims as {base} at {value}:")
        for m, t in transfer_share(res, base, float(value)).items():
            ci = f"[{t['ci95'][0]:.4f}, {t['ci95'][1]:.4f}]" if t["ci95"] else "-"
            print(f"{m:<28} {t['share'] if t['share'] is not None else '-'}  95% CI {ci}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
