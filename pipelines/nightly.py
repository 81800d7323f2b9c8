"""Nightly entry point: one incremental run (a thin shell over ``detector run``).

    python pipelines/nightly.py --config pipelines/config.example.toml [--db URL]

Safe to re-run: a second run on the same input adds nothing. Exit codes as the CLI's.
"""

from __future__ import annotations

import sys

from detector.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
