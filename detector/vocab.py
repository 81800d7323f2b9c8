"""The label schema's and the scorer's vocabularies, written once.

The bottom of the import graph: it imports nothing from the project, so every layer (ingest,
nlp, score, store, query, CLI, web) can take its value sets and types from here.
"""

from __future__ import annotations

from typing import Literal, get_args

Stance = Literal["willing", "unwilling", "none"]
Action = Literal["strike", "none"]
Target = Literal["energy", "civilian", "military", "unspecified"]
FlagKind = Literal["contradiction", "violation"]
CommitmentScope = Literal["energy", "civilian", "all"]
Period = Literal["week", "day"]

STANCES: tuple[str, ...] = get_args(Stance)
ACTIONS: tuple[str, ...] = get_args(Action)
TARGETS: tuple[str, ...] = get_args(Target)
FLAG_KINDS: tuple[str, ...] = get_args(FlagKind)
COMMITMENT_SCOPES: tuple[str, ...] = get_args(CommitmentScope)
PERIODS: tuple[str, ...] = get_args(Period)

# The targets a commitment's scope covers: "civilian" protects energy too (energy
# infrastructure is civilian), "all" is every strike.
SCOPE_TARGETS: dict[str, frozenset[str]] = {
    "energy": frozenset({"energy"}),
    "civilian": frozenset({"energy", "civilian"}),
    "all": frozenset(TARGETS),
}

# Order of gravity of a strike's target: a document's or a day's headline target is the gravest.
TARGET_SEVERITY: dict[str, int] = {"energy": 3, "civilian": 2, "unspecified": 1, "military": 0}
