"""The real-text TEST set: a held-out, seeded, stratified sample of sentences from
../shared/data/real, disjoint from the real dev set (models/real_dev.py).

    python -m models.real_test [--real DIR] [--labels FILE] [--dump FILE]

The dev set has been used to tune models, so its figures are not held out. This set is drawn
with another seed from the candidates the dev selection did not take (compared on source plus
the loose text, since the real files repeat sentences that differ only in invisible characters),
and labelled by hand with the same schema and conventions. Like the dev set, only the labels are
stored (models/data/real_test_labels.jsonl, keyed by ``source`` and ``hash``, plus the
``stratum`` the sentence was drawn from); the texts are reconstructed by re-running the
deterministic selection and joining on the hash.

Use it to report held-out figures only: never tune thresholds, prompts or models on it.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path


from detector.errors import NotFoundError
from models.real_dev import (
    REAL_DIR,
    STRATA,
    _loose,
    candidates,
    load_real_dev,
    official_peace,
    party_stance,
    report_selection,
    select,
    stance_cue,
    stratum,
    text_hash,
)

ROOT = Path(__file__).resolve().parents[1]

TEST_LABELS_PATH = ROOT / "models" / "data" / "real_test_labels.jsonl"
TEST_SEED = "test-2026"

# The dev selection took most sentences where a party speaks on talks, so those strata are drawn
# first here. Stage 1: a party to the war on talks with a rejection / readiness cue
# (real_dev.party_stance; few are left: tass 9 party_reject, mfa_telegram 31 and 1tv 1
# party_talks).
TEST_PARTY: dict[str, dict[str, int]] = {
    "tass": {"party_reject": 9, "party_talks": 60},
    "mfa_telegram": {"party_reject": 0, "party_talks": 25},
    "1tv": {"party_reject": 0, "party_talks": 1},
}
# Stage 2: TASS headlines quoting an official (real_dev.official_peace), from what stage 1 left.
TEST_OFFICIAL = {"tass": 30}
# Stage 3: per (source, stratum of real_dev.stratum), from what stages 1-2 left. A source
# without a "peace_ready" quota pools those sentences with "peace".
TEST_QUOTAS: dict[str, dict[str, int]] = {
    "tass": {"peace_ready": 18, "peace": 14, "strike_energy": 10, "strike": 16, "other": 13},
    "mfa_telegram": {"peace": 30, "strike_energy": 10, "strike": 22, "other": 23},
    "1tv": {"peace": 12, "strike_energy": 4, "strike": 6, "other": 7},
    "mod_telegram": {"peace_ready": 1, "peace": 3, "strike_energy": 8, "strike": 17, "other": 6},
    "acled": {"peace": 2, "strike": 20, "other": 8},
    "cir": {"strike_energy": 6, "strike": 12, "other": 7},
}

# Stage 4, a top-up appended later to raise the number of stance items (the first 400 held only
# 19 willing and 8 unwilling): drawn after stages 1-3 and disjoint from them, so their items and
# labels are unchanged. TASS headlines quoting an official (real_dev.official_peace), then the
# 1tv / mfa_telegram sentences where a party speaks on talks or peace with a cue
# (real_dev.party_stance or real_dev.stance_cue). Quotas above the pool take the whole pool
# (at the time of drawing: 171 official TASS headlines left; 15 mfa_telegram and 0 1tv).
TOPUP_OFFICIAL = {"tass": 130}
TOPUP_PARTY = {"1tv": 40, "mfa_telegram": 40}


def dev_keys(cands: dict[str, list[str]]) -> set[tuple[str, str]]:
    """(source, loose text) of every sentence in the real dev selection."""
    return {(it["source"], _loose(it["text"])) for it in select(cands)}


def select_test(cands: dict[str, list[str]], seed: str = TEST_SEED,
                quotas: dict[str, dict[str, int]] = TEST_QUOTAS,
                official: dict[str, int] = TEST_OFFICIAL,
                party: dict[str, dict[str, int]] = TEST_PARTY,
                topup_official: dict[str, int] = TOPUP_OFFICIAL,
                topup_party: dict[str, int] = TOPUP_PARTY) -> list[dict]:
    """The test sample: seeded draws from hash-sorted pools, never a dev sentence, each loose
    text once."""
    taken = dev_keys(cands)
    items: list[dict] = []

    def take(source: str, name: str, pool: list[str], n: int, rng_key: str | None = None) -> None:
        pool = sorted(pool, key=text_hash)
        rng = random.Random(f"{seed}:{source}:{rng_key or name}")
        for text in rng.sample(pool, min(n, len(pool))):
            items.append({"source": source, "hash": text_hash(text), "stratum": name,
                          "text": text})
            taken.add((source, _loose(text)))

    def free(source: str) -> list[str]:
        """The source's candidates not taken yet, loose duplicates counted once."""
        seen: set[str] = set()
        out = []
        for t in cands.get(source, []):
            key = _loose(t)
            if (source, key) in taken or key in seen:
                continue
            seen.add(key)
            out.append(t)
        return out

    for source, per in party.items():
        pools = {name: [] for name in per}
        for t in free(source):
            name = party_stance(t)
            if name in pools:
                pools[name].append(t)
        for name, n in per.items():
            take(source, name, pools[name], n)
    for source, n in official.items():
        take(source, "official_peace", [t for t in free(source) if official_peace(t)], n)
    for source, per in quotas.items():
        pools: dict[str, list[str]] = {s: [] for s in STRATA}
        for text in free(source):
            name = stratum(text)
            if name == "peace_ready" and "peace_ready" not in per:
                name = "peace"
            pools[name].append(text)
        for name in STRATA:
            take(source, name, pools[name], per.get(name, 0))
    # Stage 4 (top-up), strictly after stages 1-3: ``free`` excludes all they took.
    for source, n in topup_official.items():
        take(source, "topup_official", [t for t in free(source) if official_peace(t)], n,
             "topup")
    for source, n in topup_party.items():
        take(source, "topup_party",
             [t for t in free(source) if party_stance(t) or stance_cue(t)], n, "topup")
    return items


def load_real_test(real_dir: Path = REAL_DIR, labels_path: Path = TEST_LABELS_PATH,
                   cands: dict[str, list[str]] | None = None) -> tuple[list[dict], list[dict]]:
    """(labelled items with their text, default speaker and home, labels whose text was not
    found), shaped as ``real_dev.load_real_dev`` gives them: the same join, on this set's labels.
    ``cands``: the output of ``candidates(real_dir)`` when the caller has it already."""
    return load_real_dev(real_dir, labels_path, cands)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", default=str(REAL_DIR))
    ap.add_argument("--labels", default=str(TEST_LABELS_PATH))
    ap.add_argument("--dump", default=None,
                    help="write the selected sentences (with text) to this JSONL file for "
                         "labelling; keep it outside the project")
    args = ap.parse_args(argv)
    try:
        cands = candidates(Path(args.real))
    except NotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    items = select_test(cands)
    per: dict[str, dict[str, int]] = {}
    for it in items:
        d = per.setdefault(it["source"], {})
        d[it["stratum"]] = d.get(it["stratum"], 0) + 1
    for source, d in per.items():
        print(f"{source:13s} {sum(d.values()):4d} selected {d}")
    return report_selection(items, cands, Path(args.real), Path(args.labels), args.dump,
                            fields=("stance", "action", "target", "speaker_explicit"))

if __name__ == "__main__":
    raise SystemExit(main())
