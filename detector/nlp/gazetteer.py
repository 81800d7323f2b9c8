"""The actor gazetteer, for the NLP stages: it lives in ``detector.actors`` (ingest uses it too)."""

from ..actors import (
    Gazetteer,
    Mention,
    actor_code,
    actor_gazetteer,
    data_file,
    load_gazetteer,
    strike_gazetteer,
)

__all__ = [
    "Gazetteer",
    "Mention",
    "actor_code",
    "actor_gazetteer",
    "data_file",
    "load_gazetteer",
    "strike_gazetteer",
]
