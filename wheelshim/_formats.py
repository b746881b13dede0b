"""``--only-binary`` / ``--no-binary`` exactly as pip's ``FormatControl`` applies them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from packaging.utils import canonicalize_name

from wheelshim._exceptions import ConfigurationError

__all__ = ["BINARY", "SOURCE", "FormatControl", "FormatKind"]

FormatKind = Literal["no-binary", "only-binary"]

BINARY = "binary"
SOURCE = "source"


@dataclass(frozen=True)
class FormatControl:
    """Which archive formats pip may use per project.

    Build it with :meth:`from_options`, which replays the options in command-line order
    with pip's ``handle_mutual_excludes`` rules (``:all:`` resets both sets, ``:none:``
    clears one, a later option for a name overrides an earlier one).
    """

    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()

    @classmethod
    def from_options(
        cls, options: Iterable[tuple[str, str]], start: FormatControl | None = None
    ) -> FormatControl:
        """Replay ``("only-binary" | "no-binary", value)`` pairs in order onto ``start``.

        >>> FormatControl.from_options([("only-binary", ":all:"), ("no-binary", "numpy")])
        FormatControl(no_binary=frozenset({'numpy'}), only_binary=frozenset({':all:'}))
        """
        control = start if start is not None else cls()
        for option, value in options:
            if option not in ("no-binary", "only-binary"):
                raise ValueError(f"unknown format option {option!r}")
            control = control.handle("no-binary" if option == "no-binary" else "only-binary", value)
        return control

    def handle(self, kind: FormatKind, value: str) -> FormatControl:
        """The control after ``--{kind} value``: ``:all:``, ``:none:`` or names.

        Raises :class:`ConfigurationError` for a value starting with ``-`` (pip's
        "requires 1 argument": the option swallowed the next option).
        """
        no_binary, only_binary = set(self.no_binary), set(self.only_binary)
        if kind == "no-binary":
            _handle_mutual_excludes(value, no_binary, only_binary)
        else:
            _handle_mutual_excludes(value, only_binary, no_binary)
        return FormatControl(frozenset(no_binary), frozenset(only_binary))

    def allowed_formats(self, project: str) -> frozenset[str]:
        """pip's ``get_allowed_formats``: a subset of ``{"binary", "source"}``."""
        name = canonicalize_name(project)
        result = {BINARY, SOURCE}
        if name in self.only_binary:
            result.discard(SOURCE)
        elif name in self.no_binary:
            result.discard(BINARY)
        elif ":all:" in self.only_binary:
            result.discard(SOURCE)
        elif ":all:" in self.no_binary:
            result.discard(BINARY)
        return frozenset(result)

    @property
    def is_only_binary_all(self) -> bool:
        """True for ``--only-binary=:all:`` with nothing in ``--no-binary``."""
        return self.only_binary == {":all:"} and not self.no_binary


def _handle_mutual_excludes(value: str, target: set[str], other: set[str]) -> None:
    # pip's FormatControl.handle_mutual_excludes, line for line.
    if value.startswith("-"):
        raise ConfigurationError("--no-binary / --only-binary option requires 1 argument.")
    new = value.split(",")
    while ":all:" in new:
        other.clear()
        target.clear()
        target.add(":all:")
        del new[: new.index(":all:") + 1]
        if ":none:" not in new:
            return
    for name in new:
        if name == ":none:":
            target.clear()
            continue
        canonical = canonicalize_name(name)
        other.discard(canonical)
        target.add(canonical)
