"""The typed options of the source kinds: what a ``[[sources]]`` entry may say besides the keys
every source has (name, kind, url, path, speaker, home, actor, target_actor).

Each kind's parser module declares a frozen dataclass of its options on these bases; the
registry (``detector.ingest.registry``) names it, and ``detector.config`` checks a config's
entries against its fields: an unknown key, a value of the wrong type or a value that the
field's ``check`` refuses is a one-line ConfigError naming the source and the key.

A field's ``metadata["check"]`` (see ``checked``) takes the type-checked value and returns the
value to keep (normalised), or raises ValueError with what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError
from ..vocab import Target

if TYPE_CHECKING:
    from ..config import SourceConfig


def checked(default: Any, check: Callable[[Any], Any]) -> Any:
    """A dataclass field whose configured value also passes ``check`` (see the module doc)."""
    return field(default=default, metadata={"check": check})


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            'is not a known time zone; use an IANA name such as "Europe/Kyiv" or "UTC"'
        ) from None
    return value


def positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be above 0")
    return value


def not_negative(value: int) -> int:
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


@dataclass(frozen=True)
class SourceOptions:
    """Every kind: how the payload is fetched (HTTP sources; a file is read whole)."""

    timeout: float = checked(20.0, positive)  # seconds per HTTP attempt
    retries: int = checked(2, not_negative)  # extra attempts on timeouts and 5xx, with backoff


@dataclass(frozen=True)
class TextOptions(SourceOptions):
    """Kinds whose payload is text (CSV, JSON): its encoding."""

    encoding: str = "utf-8-sig"


@dataclass(frozen=True)
class StrikeOptions(TextOptions):
    """Strike datasets: the target type of a row that does not tell."""

    target_type: Target = "unspecified"


Options = TypeVar("Options", bound=SourceOptions)


def options_of(src: SourceConfig, cls: type[Options]) -> Options:
    """``src.options`` as ``cls``, the options its parser reads.

    ``SourceConfig`` turns a mapping (or None) into its kind's options, so these differ only
    when a library caller passed another kind's options object; that is refused here in one
    line rather than as an AttributeError deep in the parser.
    """
    opts = src.options
    if not isinstance(opts, cls):
        raise ConfigError(
            f"source {src.name!r} of kind {src.kind} has {type(opts).__name__} options; "
            f"give it {cls.__name__} or a mapping of its keys"
        )
    return opts
