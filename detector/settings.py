"""Program settings, resolved once where the program is entered.

The CLI, the web view, a notebook or a library caller builds one ``Settings`` (usually
``Settings.from_env()`` plus explicit overrides from flags) and passes it down. Nothing below the
entry points reads the environment: modules take the values they need as arguments.

Environment variables (all optional):

* ``DETECTOR_DB_URL``: the database (SQLAlchemy URL); default ``sqlite:///detector.db``.
* ``DETECTOR_ENCODER``: sentence encoder backend (auto | torch | torch-bf16 | onnx |
  onnx-int8 | onnx-q8); default auto.
* ``DETECTOR_THREADS``: encoder threads; default the cores this process may use.
* ``DETECTOR_CACHE_DIR``: where exported ONNX encoders and the unzipped mpnet encoder are
  kept; default ``$XDG_CACHE_HOME/detector``, else ``~/.cache/detector``.
* ``DETECTOR_MODELS_DIR``: an extra folder of model artifacts, searched before the shipped ones.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import ConfigError

DEFAULT_DB_URL = "sqlite:///detector.db"
ENCODER_BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8", "onnx-q8")


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    encoder: str = "auto"
    threads: int = 1
    cache_dir: Path = Path.home() / ".cache" / "detector"
    models_dir: Path | None = None  # searched before the artifacts shipped in the package

    def __post_init__(self) -> None:
        if self.encoder not in ENCODER_BACKENDS:
            raise ConfigError(
                f"encoder {self.encoder!r} is not an encoder backend; use one of "
                f"{', '.join(ENCODER_BACKENDS)}"
            )
        if not isinstance(self.threads, int) or self.threads < 1:
            raise ConfigError(f"threads {self.threads!r} must be a positive whole number")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Settings from the environment (``env``, default ``os.environ``), then ``overrides``
        (None values are ignored, so CLI flags that were not given leave the default)."""
        env = os.environ if env is None else env
        values: dict = {}
        if env.get("DETECTOR_DB_URL"):
            values["db_url"] = env["DETECTOR_DB_URL"]
        if env.get("DETECTOR_ENCODER"):
            if env["DETECTOR_ENCODER"] not in ENCODER_BACKENDS:
                raise ConfigError(
                    f"DETECTOR_ENCODER {env['DETECTOR_ENCODER']!r} is not an "
                    f"encoder backend; use one of {', '.join(ENCODER_BACKENDS)}"
                )
            values["encoder"] = env["DETECTOR_ENCODER"]
        if env.get("DETECTOR_THREADS"):
            try:
                values["threads"] = max(1, int(env["DETECTOR_THREADS"]))
            except ValueError:
                raise ConfigError(
                    f"DETECTOR_THREADS {env['DETECTOR_THREADS']!r} is not a "
                    "number; set it to a thread count or unset it"
                ) from None
        else:
            values["threads"] = _available_cores()
        if env.get("DETECTOR_CACHE_DIR"):
            values["cache_dir"] = Path(env["DETECTOR_CACHE_DIR"])
        else:
            base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            values["cache_dir"] = Path(base) / "detector"
        if env.get("DETECTOR_MODELS_DIR"):
            values["models_dir"] = Path(env["DETECTOR_MODELS_DIR"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes) -> Settings:
        """A copy with ``changes`` (None values ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
