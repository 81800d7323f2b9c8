"""detector: flags periods where an actor's stated willingness for peace contradicts its strikes.

The library does the work; the CLI (`detector.cli`), the nightly pipeline (`pipelines/`) and the
notebooks are thin shells over it. Importing this package has no side effects: models are loaded
and databases opened only when a function asks for them.
"""

__version__ = "0.1.0"

LABEL_SCHEMA_VERSION = "labels.v1"
# The speaker and strike-actor rules (detector.nlp.attribution, the gazetteer files): stored with
# every prediction, since a rule change changes who is scored. NULL on rows from before 0004
# means attribution.v1. v2: nationality titles, bare titles (source home), headline subjects,
# the world country table. v3: strike actors from the parse (agents, interceptions, "the enemy"
# of the channel's side, the adversary of the side hit; detector/nlp/strike_attribution.py).
ATTRIBUTION_VERSION = "attribution.v3"
