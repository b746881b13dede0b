"""``wheelshim install``: check what pip would do on this machine, then hand over to pip.

The check is an ``explain`` for the running interpreter (the host target). It stops
before pip when pip would find no distribution, or would build an sdist that needs a
compiler this machine does not have; otherwise, or with ``--force``, it runs
``python -m pip install`` with the same arguments.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from wheelshim._outcome import Outcome, Report, Result

__all__ = ["InstallVerdict", "judge_install", "missing_toolchains"]

# Which commands provide each compiled language of a build.
_TOOLCHAIN_COMMANDS = {
    "c": ("cc", "gcc", "clang"),
    "c++": ("c++", "g++", "clang++"),
    "cython": ("cc", "gcc", "clang"),
    "fortran": ("gfortran",),
    "rust": ("cargo",),
    "go": ("go",),
}


def missing_toolchains(languages: Sequence[str]) -> tuple[str, ...]:
    """The languages whose compiler is not on this machine's PATH."""
    return tuple(
        language
        for language in languages
        if not any(shutil.which(command) for command in _TOOLCHAIN_COMMANDS.get(language, ()))
    )


@dataclass(frozen=True)
class InstallVerdict:
    """Whether to hand over to pip, and the results that stand in the way."""

    proceed: bool
    blocking: tuple[Result, ...]
    builds: tuple[Result, ...]

    def lines(self) -> list[str]:
        """One line per result that blocks or will be built, for stderr."""
        shown = [f"wheelshim: blocks: {_describe(result)}" for result in self.blocking]
        shown += [f"wheelshim: will build: {_describe(result)}" for result in self.builds]
        return shown


def _describe(result: Result) -> str:
    if result.outcome is Outcome.NO_MATCH:
        return f"{result.project}: no matching distribution ({' -> '.join(result.via)})"
    build = result.build
    languages = (
        [language.value for language in build.needs.languages]
        if (build is not None and build.needs is not None)
        else []
    )
    missing = missing_toolchains(languages)
    need = f"; no {', '.join(missing)} compiler on this machine" if missing else ""
    name = result.file.filename if result.file else result.project
    return f"{name} ({'/'.join(languages) or 'pure Python'}{need})"


def judge_install(report: Report) -> InstallVerdict:
    """Block on "no matching distribution" and on builds whose compiler is missing here."""
    blocking: list[Result] = []
    builds: list[Result] = []
    for result in report.results:
        if result.outcome is Outcome.NO_MATCH:
            blocking.append(result)
        elif result.outcome is Outcome.SDIST:
            build = result.build
            needs = build.needs if build is not None else None
            languages = [language.value for language in needs.languages] if needs else []
            if needs is not None and needs.compiler_needed and missing_toolchains(languages):
                blocking.append(result)
            else:
                builds.append(result)
    return InstallVerdict(not blocking, tuple(blocking), tuple(builds))
