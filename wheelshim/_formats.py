"""``--only-binary`` / ``--no-binary`` exactly as pip's ``FormatControl`` applies them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from wheelshim._exceptions import InputError

__all__ = ["FormatControl"]

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
    def from_options(cls, options: Iterable[tuple[str, str]]) -> FormatControl:
        """Replay ``("only-binary" | "no-binary", value)`` pairs in order.

        >>> FormatControl.from_options([("only-binary", ":all:"), ("no-binary", "numpy")])
        FormatControl(no_binary=frozenset({'numpy'}), only_binary=frozenset({':all:'}))
        """
        no_binary: set[str] = set()
        only_binary: set[str] = set()
        for option, value in options:
            if option == "no-binary":
                _handle_mutual_excludes(value, no_binary, only_binary, option)
            elif option == "only-binary":
                _handle_mutual_excludes(value, only_binary, no_binary, option)
            else:
                raise ValueError(f"unknown format option {option!r}")
        return cls(frozenset(no_binary), frozenset(only_binary))

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


def _handle_mutual_excludes(value: str, target: set[str], other: set[str], option: str) -> None:
    if value.startswith("-"):
        raise InputError(f"--{option} needs a value: :all:, :none: or package names")
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
