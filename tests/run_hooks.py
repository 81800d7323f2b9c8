"""Test-only run hooks (``detector.pipeline.RunHooks``) driven by environment variables, for the
crash-safety and lock tests that run the pipeline in a subprocess.

``TRACE_ENV`` (=FILE) appends every checkpoint reached (NAME#N, the N-th time in this process) to
FILE; ``PAUSE_ENV`` (=NAME#N) stops there, prints "PAUSED NAME#N" on stderr and waits to be
killed (or, with ``RESUME_ENV`` (=FILE), until FILE exists).

Run as a script (``python tests/run_hooks.py ARGS...``) it is ``detector ARGS...`` with these
hooks installed in every pipeline run.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run as a script: this checkout's detector
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detector.pipeline import RunHooks  # noqa: E402

TRACE_ENV, PAUSE_ENV, RESUME_ENV = (
    "DETECTOR_TEST_TRACE",
    "DETECTOR_TEST_PAUSE_AT",
    "DETECTOR_TEST_RESUME_FILE",
)


class EnvHooks(RunHooks):
    def __init__(
        self, trace: str | None = None, pause: str | None = None, resume: str | None = None
    ):
        self.trace, self.pause, self.resume = trace, pause, resume
        self.hits: dict[str, int] = {}

    @classmethod
    def from_env(cls) -> EnvHooks:
        return cls(os.environ.get(TRACE_ENV), os.environ.get(PAUSE_ENV), os.environ.get(RESUME_ENV))

    def checkpoint(self, name: str) -> None:
        if not (self.trace or self.pause):
            return
        self.hits[name] = self.hits.get(name, 0) + 1
        point = f"{name}#{self.hits[name]}"
        if self.trace:
            with open(self.trace, "a", encoding="utf-8") as f:
                f.write(point + "\n")
        if self.pause == point:
            print(f"PAUSED {point}", file=sys.stderr, flush=True)
            while not (self.resume and Path(self.resume).exists()):
                time.sleep(0.05)


def main(argv: list[str]) -> int:
    from detector import cli, pipeline

    pipeline.run_pipeline = functools.partial(pipeline.run_pipeline, hooks=EnvHooks.from_env())
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
