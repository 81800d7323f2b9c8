"""A nightly run with no new input, on the demo data: the wall time of the second `detector run`.

    python pipelines/benchmarks/bench_nightly.py [--db URL] [--repeat N]

Builds the demo database with `detector demo` in a temporary folder (or uses --db), then times
`detector run --config <demo config>` as a user or cron would start it: a fresh process, imports,
migration check, run lock, ingest (every payload unchanged), split and classify (nothing new),
rescore, run record. Target: under 10 s. Figures, not assertions: the machines are shared.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from detector.demo import demo_config_path

DETECTOR = [sys.executable, "-m", "detector"]


def timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, metavar="URL",
                    help="a database the demo was already run into (default: a new one)")
    ap.add_argument("--repeat", type=int, default=3, metavar="N", help="timed runs (default 3)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'demo.db'}"
        if args.db is None:
            print(f"first run (detector demo, real classifier): "
                  f"{timed([*DETECTOR, '-q', 'demo', '--db', url, '--no-report'], folder):.2f} s")
        cmd = [*DETECTOR, "-q", "run", "--config", str(demo_config_path()), "--db", url,
               "--no-report"]
        times = [timed(cmd, folder) for _ in range(args.repeat)]
        runs = subprocess.run([*DETECTOR, "runs", "--db", url, "--limit", "1", "--format",
                               "json"], cwd=folder, check=True, capture_output=True, text=True)
        last = json.loads(runs.stdout)[0]
    print(f"nightly run with no new input (wall, fresh process): best {min(times):.2f} s, "
          f"median {sorted(times)[len(times) // 2]:.2f} s over {len(times)} runs "
          f"(target < 10 s)")
    print(f"  of which inside the run: {last['counts']['seconds']:.2f} s, stages "
          + ", ".join(f"{k} {v:.2f} s" for k, v in last["counts"]["stage_seconds"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
