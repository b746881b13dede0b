"""The exceptions wheelshim raises, all rooted in :class:`WheelshimError`.

::

    WheelshimError                      exit status 1 unless a subclass says otherwise
    ├── InputError (also ValueError)    exit status 2: the user's input cannot be used
    │   ├── InvalidTarget               an unknown platform, Python version, libc ...
    │   ├── InvalidRequirement          a requirement or version that does not parse
    │   ├── InvalidRequirementsFile     a requirements/pyproject/pylock file that cannot be read
    │   └── ConfigurationError          index settings that cannot be used (no index URL ...)
    ├── IndexUnreachable                exit status 3: the index failed after retries
    │   └── OfflineCacheMiss            --offline and the answer is not in the cache
    └── ArchiveError                    a downloaded archive that cannot be read safely

Each exception's ``str()`` is one line a user can act on: what was wrong, what to do.
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "ConfigurationError",
    "IndexUnreachable",
    "InputError",
    "InvalidRequirement",
    "InvalidRequirementsFile",
    "InvalidTarget",
    "OfflineCacheMiss",
    "WheelshimError",
]


class WheelshimError(Exception):
    """Root of every error wheelshim raises on purpose."""

    #: The process exit status the command line uses for this error.
    exit_code: int = 1


class InputError(WheelshimError, ValueError):
    """The input (arguments, files, settings) cannot be used as given."""

    exit_code = 2


class InvalidTarget(InputError):
    """A target description (platform, Python version, libc, image) is not understood."""


class InvalidRequirement(InputError):
    """A requirement string or version specifier does not parse."""


class InvalidRequirementsFile(InputError):
    """A requirements, ``pyproject.toml`` or ``pylock.toml`` file cannot be read."""


class ConfigurationError(InputError):
    """Index settings from the command line, ``PIP_*`` variables or pip's files are unusable."""


class IndexUnreachable(WheelshimError):
    """The package index could not be reached, or kept answering garbage, after retries.

    ``url`` is the redacted address that failed.
    """

    exit_code = 3

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class OfflineCacheMiss(IndexUnreachable):
    """``--offline`` was given and the page or file is not in the local cache."""


class ArchiveError(WheelshimError):
    """A downloaded wheel or sdist is malformed, too large or hostile; it was not read."""
