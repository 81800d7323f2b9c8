"""The project's exception tree.

Every error a user can cause or meet carries a one-line message that names the input and says
what to do. Lower-level exceptions are translated at the boundary with ``raise ... from``.
"""

import re


class DetectorError(Exception):
    """Base class: anything the CLI turns into one clear line on stderr."""

    exit_code = 1

    def __init__(self, message: str = "", *args):
        # Messages quote user data (a header, a feed title); a newline in it would break the
        # one-line promise, so any run of whitespace becomes one space.
        super().__init__(re.sub(r"\s+", " ", str(message)).strip(), *args)


class UsageError(DetectorError):
    """Bad input or bad arguments (CLI exit code 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A config file that cannot be read or is invalid."""


class InputError(UsageError):
    """Bad input data given directly to a command (e.g. malformed JSON Lines)."""


class SourceError(DetectorError):
    """A source could not be fetched or parsed. The run goes on with the other sources."""

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(f"source {source!r}: {message}")


class FetchError(SourceError):
    """The source's bytes could not be obtained (file missing, HTTP error, timeout)."""


class ParseError(SourceError):
    """The source's bytes were obtained but are not in the expected format."""


class StorageError(DetectorError):
    """The database could not be opened, migrated or written."""


class ModelError(DetectorError):
    """A classifier model could not be found or loaded."""


class NotFoundError(UsageError):
    """A requested item (e.g. a flag id) does not exist."""
