"""The actor gazetteer, for the NLP stages: it lives in ``detector.actors`` (ingest uses it too)."""

from ..actors import Gazetteer, Mention, actor_code, load_gazetteer

__all__ = ["Gazetteer", "Mention", "actor_code", "load_gazetteer"]
