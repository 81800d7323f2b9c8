"""The embedded demo: its config ships inside the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .config import Config, load_config


def demo_config_path() -> Path:
    return Path(str(resources.files("detector") / "demo_data" / "demo.toml"))


def demo_config() -> Config:
    return load_config(demo_config_path())
