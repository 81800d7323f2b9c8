"""One bad item never stops a batch: the split and classify stages run a batch through
``guarded``, in this process or on a dask worker, and quarantine what it reports as failed."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .errors import DetectorError

log = logging.getLogger(__name__)


def guarded(fn: Callable[[list], list], items: list, stage: str) -> tuple[list, list[tuple]]:
    """``fn`` over ``items`` (a batch); when the batch fails, item by item, so that one bad
    document cannot stop the stage: (results, with None for a failed item;
    [(index in ``items``, reason)]). Indices, not the items, so that a worker's report reads
    the same after it crossed a process boundary. The project's own errors (a missing model, a
    lost lock) are not about one document: they propagate."""
    try:
        return fn(items), []
    except DetectorError:
        raise
    except Exception:
        log.warning("%s: a batch of %d failed; retrying one by one", stage, len(items))
    out: list = []
    failed: list[tuple] = []
    for i, item in enumerate(items):
        try:
            out.append(fn([item])[0])
        except DetectorError:
            raise
        except Exception as exc:  # anything a library raises on one strange input
            out.append(None)
            failed.append((i, f"{type(exc).__name__}: {exc}"[:500]))
    return out, failed
