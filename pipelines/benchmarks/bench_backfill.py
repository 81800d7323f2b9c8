"""The real corpus backfilled into a fresh database: wall time, rows/s, peak RSS, per stage; one
process, or the split and classify stages on a dask cluster; and a scaling estimate.

    nice python pipelines/benchmarks/bench_backfill.py [--db URL | --postgres]
        [--cluster local:2] [--no-single] [--sources PREFIX ...] [--real ../shared/data/real]
        [--encoder auto|torch-bf16|onnx-q8|...]

The sources are those of pipelines/real_data.toml plus the state channels' other files (Channel
One 2025-26, MFA Telegram snippets 2022-26, MoD Telegram snippets 2025-26), read in place from
``--real`` (nothing is copied). Each case is one `detector run` process on a fresh database
(SQLite in a temporary folder unless ``--db`` names an empty PostgreSQL database, or
``--postgres`` starts a throwaway server from /usr/lib/postgresql/*/bin, as the tests do).
Prints per case: documents, sentences, predictions, wall seconds, stage seconds, rows/s and
the peak RSS of the coordinating process (``ru_maxrss`` of the child; a cluster's worker
processes are its grandchildren, reported with it when they were waited for).

The scaling estimate (Amdahl, from the measured costs): T(N) = serial + parallel / N +
overhead, where serial is what the coordinator does alone (ingest, the database writes, deeds,
score: the run's seconds minus its split and classify stages), parallel the worker seconds of
the split and classify batches, and overhead the part of the cluster run's split and classify
stages not explained by parallel / workers (transfers, scheduling). Figures, not assertions:
the machine is shared; run it once, with ``nice``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = "russian-state-channels"

# (name, kind, file relative to --real, options): the state channels' files that
# pipelines/real_data.toml does not list.
EXTRA = [
    *[(f"1tv-{y}", "statements_jsonl", f"{CHANNELS}/1tv_headlines_en_{y}.json",
       dict(home="RUS", text_column="t", date_column="d", url_column="u", id_column="u"))
      for y in (2025, 2026)],
    *[(f"mfa-snippets-{y}", "statements_jsonl", f"{CHANNELS}/mfa_telegram_snippets_{y}.json",
       dict(speaker="RUS", text_column="t", date_column="d"))
      for y in (2022, 2023, 2024, 2025, 2026)],
    *[(f"mod-snippets-{y}", "statements_jsonl", f"{CHANNELS}/mod_telegram_snippets_{y}.json",
       dict(speaker="RUS", text_column="t", date_column="d"))
      for y in (2025, 2026)],
]


def _toml_value(v) -> str:
    return json.dumps(v) if not isinstance(v, list) else "[" + ", ".join(map(json.dumps, v)) + "]"


def write_config(real: Path, out: Path, only: list[str] | None) -> int:
    """A config of every real source with absolute paths; returns the number of sources."""
    import tomllib

    base = tomllib.loads((ROOT / "pipelines" / "real_data.toml").read_text(encoding="utf-8"))
    sources = []
    for s in base["sources"]:
        s = dict(s)
        s["path"] = str((ROOT / "pipelines" / s["path"]).resolve())
        sources.append(s)
    for name, kind, rel, opts in EXTRA:
        sources.append(dict(name=name, kind=kind, path=str(real / rel), **opts))
    if only:
        sources = [s for s in sources if any(s["name"].startswith(p) for p in only)]
    sources = [s for s in sources if Path(s["path"]).exists()]
    lines = [f'[model]\nversion = "{base["model"]["version"]}"\n',
             "[scoring]", *(f"{k} = {_toml_value(v)}" for k, v in base["scoring"].items()), ""]
    for s in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in s.items()]
        lines.append("")
    out.write_text("\n".join(lines), encoding="utf-8")
    return len(sources)


def run_case(config: Path, db: str, cluster: str | None, encoder: str | None = None) -> dict:
    exe = Path(sys.executable).with_name("detector")
    cmd = [str(exe) if exe.exists() else sys.executable,
           *([] if exe.exists() else ["-m", "detector.cli"]),
           "-q", "run", "--config", str(config), "--db", db, "--no-report",
           *(["--cluster", cluster] if cluster else [])]
    env = {**os.environ, **({"DETECTOR_ENCODER": encoder} if encoder else {})}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"detector run failed ({code}): {err.strip()[-2000:]}")
    from detector.store.store import Store

    with Store.open_readonly(db) as store:
        rows = store.table_counts()
        run = store.recent_runs(1)[0]
    counts = run["counts"] if isinstance(run["counts"], dict) else json.loads(run["counts"])
    return dict(wall=wall, rss_mib=usage.ru_maxrss / 1024, rows=rows, counts=counts,
                cpu=usage.ru_utime + usage.ru_stime, out=out.strip(), code=code)


def report(name: str, r: dict) -> None:
    rows, c = r["rows"], r["counts"]
    n_rows = rows.get("documents", 0) + rows.get("strike_events", 0)
    stages = " ".join(f"{k} {v:.1f}s" for k, v in c.get("stage_seconds", {}).items())
    sent_s = c.get("stage_seconds", {}).get("classify") or 0
    print(f"{name}: wall {r['wall']:.1f}s  documents {rows.get('documents', 0)}  strike rows "
          f"{rows.get('strike_events', 0)}  sentences {rows.get('sentences', 0)}  predictions "
          f"{rows.get('predictions', 0)}  ingested rows/s {n_rows / r['wall']:.0f}  "
          f"classify {rows.get('predictions', 0) / max(sent_s, 1e-9):.0f} sentences/s  "
          f"peak RSS {r['rss_mib']:.0f} MiB  cpu {r['cpu']:.0f}s", flush=True)
    print(f"    stages: {stages}" + (f"  cluster: {c['cluster']}" if c.get("cluster") else ""))


def estimate(single: dict, clustered: dict | None) -> None:
    st = single["counts"].get("stage_seconds", {})
    par = st.get("split", 0) + st.get("classify", 0)
    serial = single["counts"].get("seconds", single["wall"]) - par
    overhead = 0.0
    if clustered and clustered["counts"].get("cluster"):
        cl = clustered["counts"]["cluster"]
        cst = clustered["counts"].get("stage_seconds", {})
        par = cl["worker_seconds"]  # measured per-batch costs, summed
        overhead = max(0.0, cst.get("split", 0) + cst.get("classify", 0) - par / cl["workers"])
        print(f"measured: {cl['batches']} batches, {cl['worker_seconds']:.1f} worker-seconds "
              f"({cl['worker_seconds'] / max(cl['batches'], 1):.2f}s per batch), overhead "
              f"{overhead:.1f}s on {cl['workers']} workers")
    print(f"estimate T(N) = {serial:.1f}s serial + {par:.1f}s / N + overhead "
          "(one worker per free core):")
    for n in (1, 2, 4, 8, 16, 32):
        print(f"    N={n:<3d} {serial + par / n + overhead:7.1f}s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", default=str(ROOT.parent / "shared" / "data" / "real"))
    ap.add_argument("--db", default=None, help="a PostgreSQL URL of an empty database "
                    "(default: a SQLite file in a temporary folder)")
    ap.add_argument("--postgres", action="store_true",
                    help="a throwaway PostgreSQL server (tests/conftest.py's) for the database")
    ap.add_argument("--cluster", default=None, help="also run with --cluster (e.g. local:2)")
    ap.add_argument("--no-single", action="store_true", help="only the cluster case")
    ap.add_argument("--sources", nargs="*", default=None,
                    help="name prefixes of the sources to load (default: all)")
    ap.add_argument("--encoder", default=None,
                    help="encoder backend of the runs (DETECTOR_ENCODER; default: the setting)")
    args = ap.parse_args()
    real = Path(args.real)
    if not (real / CHANNELS).is_dir():
        print(f"skipped: {real / CHANNELS} is absent")
        return 0
    print(f"cpus usable: {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.2f}")
    print(f"encoder: {args.encoder or os.environ.get('DETECTOR_ENCODER') or 'auto'}")
    server = None
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from tests.conftest import PostgresServer, _pg_bindir

        bindir = _pg_bindir()
        if bindir is None:
            print("skipped: no PostgreSQL server binaries (initdb, pg_ctl)")
            return 0
        server = PostgresServer(bindir).start()
        args.db = server.url(server.create_database())
        print(f"PostgreSQL {bindir}")
    try:
        return _cases(args, real)
    finally:
        if server is not None:
            server.stop()


def _cases(args, real: Path) -> int:
    if args.db and args.cluster and not args.no_single:
        raise SystemExit("--db/--postgres with --cluster: give --no-single too (one case per "
                         "database)")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "backfill.toml"
        n = write_config(real, config, args.sources)
        print(f"{n} sources")
        single = clustered = None
        if not args.no_single:
            db = args.db or f"sqlite:///{tmp}/single.db"
            single = run_case(config, db, None, args.encoder)
            report("single process", single)
        if args.cluster:
            db = f"sqlite:///{tmp}/cluster.db" if not args.db else args.db
            clustered = run_case(config, db, args.cluster, args.encoder)
            report(f"--cluster {args.cluster}", clustered)
            if single:
                same = sqlite3_same(f"{tmp}/single.db", f"{tmp}/cluster.db") if not args.db else None
                if same is not None:
                    print(f"cluster rows identical to single-process rows: {same}")
        if single:
            estimate(single, clustered)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


def sqlite3_same(a: str, b: str) -> bool:
    q = ("select sentence_id, model_version, stance, stance_score, action, action_score, target, "
         "target_score, speaker, actor, target_actor, details from predictions order by 1, 2")
    f = "select id, kind, actor, start, \"end\", score, p_value from flags order by id"
    out = []
    for p in (a, b):
        con = sqlite3.connect(p)
        out.append((con.execute(q).fetchall(), con.execute(f).fetchall()))
        con.close()
    return out[0] == out[1]


if __name__ == "__main__":
    sys.exit(main())
