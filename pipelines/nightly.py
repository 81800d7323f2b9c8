"""Nightly entry point: one incremental run (a thin shell over ``detector run``).

    python pipelines/nightly.py --config pipelines/config.example.toml [--db URL]

Safe to re-run: a second run on the same input adds nothing, and a run killed part-way is
completed by the next one. Only one run at a time per database: while another holds the run
lock, this one exits 1 with one line naming the holder. Exit codes as the CLI's; deployment
examples (cron, systemd, PostgreSQL) are in pipelines/deploy/.
"""

from __future__ import annotations

import sys

from detector.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
