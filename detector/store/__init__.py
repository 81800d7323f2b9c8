"""The database: ``Store`` (store.py) is the one handle; schema, migrations, reads, writes, lock."""


def __getattr__(name: str):
    # Lazy, so that importing detector.store.schema does not pull pandas and alembic in.
    if name in ("Store", "Transaction"):
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
