"""What an sdist build needs in the target's image, and the fixes for results that are not
wheels: each fix is checked against the index, not guessed.

The fixes, in the order they are offered:

1. ``upgrade``: the nearest release with a compatible wheel for *every* requested target
   (newer first, the smallest step; older only when no newer one helps);
2. ``build-deps``: the lines that add the compilers and ``-dev`` packages to the image
   (and pin the build backend where today's setuptools breaks the build);
3. ``emulate``: build for ``linux/amd64`` under emulation, when a wheel exists there;
4. ``wheelhouse``: build the wheel once on a machine of the target platform;
5. ``conda-forge``: conda-forge builds for linux-aarch64 and others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from wheelshim._archive import open_archive
from wheelshim._buildneeds import (
    BuildNeeds,
    BuildPrediction,
    analyze_sdist,
    build_json,
    dockerfile_lines,
    predict_build,
)
from wheelshim._coverage import file_version
from wheelshim._exceptions import ArchiveError, IndexUnreachable
from wheelshim._finder import FinderPolicy, find_best
from wheelshim._http import HttpClient
from wheelshim._images import ImageFacts, image_facts, multi_stage_dockerfile
from wheelshim._models import DistributionFile, FileSource, ProjectFiles, filenames_of
from wheelshim._outcome import Outcome, Result
from wheelshim._target import Target

__all__ = [
    "Advisor",
    "BuildReport",
    "Fix",
    "FixKind",
    "default_image",
    "releases_nearest_first",
]

#: sdists larger than this are not downloaded for analysis (the prediction is unknown).
MAX_SDIST_BYTES = 64 * 1024 * 1024
_EMULATION_PLATFORM = "linux/amd64"


class FixKind(StrEnum):
    """The kinds of fix, in the order they are offered."""

    UPGRADE = "upgrade"
    BUILD_DEPS = "build-deps"
    EMULATE = "emulate"
    WHEELHOUSE = "wheelhouse"
    CONDA_FORGE = "conda-forge"


@dataclass(frozen=True)
class Fix:
    """One way to make a requirement install on a target.

    ``checked`` says the fix was verified against the index (an upgrade's wheels exist
    for every target; an emulated target has a wheel). ``requirement`` is the new
    requirement of an upgrade; ``lines`` are Dockerfile or shell lines to add.
    """

    kind: FixKind
    summary: str
    checked: bool = False
    requirement: str | None = None
    lines: tuple[str, ...] = ()
    data: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def as_json(self) -> dict[str, object]:
        """The JSON form of a fix (``kind`` and the fields that apply)."""
        shown: dict[str, object] = {"kind": str(self.kind), "summary": self.summary}
        shown["checked"] = self.checked
        if self.requirement is not None:
            shown["requirement"] = self.requirement
        if self.lines:
            shown["lines"] = list(self.lines)
        shown.update(self.data)
        return shown


@dataclass(frozen=True)
class BuildReport:
    """What building an sdist needs, and whether it builds in the target's image."""

    sdist: str
    needs: BuildNeeds | None
    prediction: BuildPrediction | None
    image: str
    #: The same sdist in the full ``python:X`` image (compilers and common -dev packages).
    full_image: BuildPrediction | None = None
    problem: str | None = None

    def as_json(self) -> dict[str, object]:
        """The ``"build"`` object of an sdist result."""
        if self.needs is None or self.prediction is None:
            return {
                "compiler_needed": None,
                "languages": [],
                "system_libraries": [],
                "evidence": [],
                "result": "unknown",
                "image": self.image,
                "problem": self.problem,
            }
        shown = build_json(self.needs, self.prediction)
        shown["image"] = self.image
        shown["breakages"] = [
            {
                "kind": b.kind.value,
                "file": b.evidence.file,
                "why": b.evidence.describe(),
                "constraint": b.fix.constraint,
            }
            for b in self.needs.breakages
        ]
        if self.full_image is not None:
            shown["result_in_full_image"] = self.full_image.result.value
        return shown


def default_image(target: Target) -> str:
    """The image a target stands for: its own, else the official slim image.

    >>> default_image(Target.from_docker("linux/arm64", python="3.9"))
    'python:3.9-slim'
    """
    if target.image:
        return target.image
    minor = f"{target.python.minor[0]}.{target.python.minor[1]}"
    if target.implementation == "pp":
        return f"pypy:{minor}-slim"
    if target.libc is not None and target.libc.kind == "musl":
        return f"python:{minor}-alpine"
    return f"python:{minor}-slim"


def _full_image(image: str) -> str:
    repository, _, tag = image.partition(":")
    return f"{repository}:{tag.split('-', 1)[0]}"


class Advisor:
    """Adds build reports and fixes to results; shares pages and downloads across them."""

    def __init__(
        self,
        source: FileSource,
        client: HttpClient | None,
        targets: Sequence[Target],
        policy: FinderPolicy,
        *,
        still_resolves: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.source = source
        self.client = client
        self.targets = tuple(targets)
        self.policy = policy
        self.still_resolves = still_resolves
        self._needs: dict[str, tuple[BuildNeeds | None, str | None]] = {}

    def advise(self, results: Iterable[Result]) -> list[Result]:
        """Each result, with a build report (sdists) and fixes (anything not a wheel)."""
        return [self._advise_one(result) for result in results]

    def _advise_one(self, result: Result) -> Result:
        if result.outcome not in (Outcome.SDIST, Outcome.NO_MATCH):
            return result
        try:
            files = self.source.project_files(result.project)
        except IndexUnreachable:
            return result
        build = self.build_report(result) if result.outcome is Outcome.SDIST else None
        fixes = self.fixes(result, files, build)
        return replace(result, build=build, fixes=fixes)

    # -- builds ------------------------------------------------------------------------

    def build_report(self, result: Result) -> BuildReport | None:
        """Download (cached) and read the sdist; predict the build in the target's image."""
        if result.file is None:
            return None
        image = default_image(result.target)
        needs, problem = self._analyze(result.file, result.target.python.minor)
        if needs is None:
            return BuildReport(result.file.filename, None, None, image, problem=problem)
        prediction = predict_build(needs, image_facts(image))
        full = predict_build(needs, image_facts(_full_image(image)))
        return BuildReport(result.file.filename, needs, prediction, image, full)

    def _analyze(
        self, file: DistributionFile, python: tuple[int, int]
    ) -> tuple[BuildNeeds | None, str | None]:
        key = f"{file.url}|{python}"
        if key not in self._needs:
            self._needs[key] = self._read_sdist(file, python)
        return self._needs[key]

    def _read_sdist(
        self, file: DistributionFile, python: tuple[int, int]
    ) -> tuple[BuildNeeds | None, str | None]:
        if self.client is None:
            return None, "no index client to download the sdist"
        if file.size is not None and file.size > MAX_SDIST_BYTES:
            return None, f"{file.filename} is larger than {MAX_SDIST_BYTES // 2**20} MiB"
        try:
            response = self.client.get(file.url, immutable=True)
            if response.status != 200:
                return None, f"{file.filename}: HTTP {response.status}"
            with open_archive(response.content, file.filename) as reader:
                return analyze_sdist(reader, python_version=python), None
        except (ArchiveError, IndexUnreachable) as error:
            return None, str(error)

    # -- fixes -------------------------------------------------------------------------

    def fixes(
        self, result: Result, files: ProjectFiles, build: BuildReport | None
    ) -> tuple[Fix, ...]:
        """Every fix that applies, each checked as far as the index allows."""
        found = [
            self._upgrade(result, files),
            self._build_deps(result, build),
            self._emulate(result, files),
            _wheelhouse(result),
            _conda_forge(result),
        ]
        return tuple(fix for fix in found if fix is not None)

    def has_wheel_everywhere(self, files: ProjectFiles, version: Version) -> bool:
        """Whether pip takes a wheel of ``version`` on every target."""
        specifier = SpecifierSet(f"=={version}")
        for target in self.targets:
            best = find_best(files.project, files.files, specifier, target, self.policy).best
            if best is None or not best.is_wheel:
                return False
        return True

    def _upgrade(self, result: Result, files: ProjectFiles) -> Fix | None:
        current = _current_version(result)
        for version in releases_nearest_first(files, current):
            if not self.has_wheel_everywhere(files, version):
                continue
            requirement = f"{files.project}=={version}"
            resolves = (
                self.still_resolves(files.project, str(version)) if (self.still_resolves) else None
            )
            if resolves is False:
                continue
            direction = "newer" if current is None or version > current else "older"
            return Fix(
                FixKind.UPGRADE,
                f"{requirement} is the nearest {direction} release with a compatible wheel "
                "for every target"
                + (" and still resolves with the rest of the set" if resolves else ""),
                checked=True,
                requirement=requirement,
                data=MappingProxyType(
                    {"version": str(version), "direction": direction, "resolved": bool(resolves)}
                ),
            )
        return None

    def _build_deps(self, result: Result, build: BuildReport | None) -> Fix | None:
        if build is None or build.needs is None or build.prediction is None:
            return None
        lines = dockerfile_lines(build.needs, build.prediction)
        if not lines:
            return None
        packages = build.prediction.packages_to_install
        facts: ImageFacts = build.prediction.image
        stage = multi_stage_dockerfile(
            build.image,
            result.requirement,
            packages,
            family=facts.family,
            constraints=build.needs.build_constraints,
        )
        return Fix(
            FixKind.BUILD_DEPS,
            f"add these lines to the Dockerfile ({build.image}), or build the wheel in a "
            "separate stage so the compilers stay out of the final image",
            lines=lines,
            data=MappingProxyType({"packages": list(packages), "multi_stage": stage}),
        )

    def _emulate(self, result: Result, files: ProjectFiles) -> Fix | None:
        target = result.target
        if target.docker_platform in (None, _EMULATION_PLATFORM):
            return None
        amd64 = replace_platform(target, _EMULATION_PLATFORM)
        specifier = _specifier_of(result)
        best = find_best(files.project, files.files, specifier, amd64, self.policy).best
        if best is None or not best.is_wheel:
            return None
        image = default_image(target)
        lines = (
            f"FROM --platform={_EMULATION_PLATFORM} {image}",
            f"docker build --platform {_EMULATION_PLATFORM} .",
            f"export DOCKER_DEFAULT_PLATFORM={_EMULATION_PLATFORM}",
            f"platform: {_EMULATION_PLATFORM}   # in the Compose service",
        )
        return Fix(
            FixKind.EMULATE,
            f"run the image as {_EMULATION_PLATFORM} under emulation: {best.file.filename} "
            "installs there; prefer the per-image FROM --platform= setting, and expect the "
            "emulated code to run much slower",
            checked=True,
            lines=lines,
            data=MappingProxyType({"file": best.file.filename}),
        )


def replace_platform(target: Target, docker_platform: str) -> Target:
    """The same Python and libc on another Docker platform."""
    return Target.from_docker(
        docker_platform,
        python=target.python,
        implementation=target.implementation,
        libc=target.libc,
        image=target.image,
        libc_note=target.libc_note,
    )


def _current_version(result: Result) -> Version | None:
    if result.version is not None:
        return Version(result.version)
    pins = [s for s in _specifier_of(result) if s.operator in ("==", "===")]
    try:
        return Version(pins[0].version) if pins else None
    except ValueError:
        return None


def _specifier_of(result: Result) -> SpecifierSet:
    """The version the result is about (its chosen release), else its requirement's range."""
    if result.finder is not None and result.finder.applicable:
        return SpecifierSet(f"=={result.finder.applicable[-1].version}")
    text = result.via[-1] if result.via else result.requirement
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return SpecifierSet()
    if canonicalize_name(requirement.name) != canonicalize_name(result.project):
        return SpecifierSet()
    return requirement.specifier


def releases_nearest_first(files: ProjectFiles, current: Version | None) -> list[Version]:
    """Final releases, newer ones first (smallest step first), then older ones (nearest
    first). Without a current version: newest first."""
    versions = {
        v
        for name in filenames_of(files.files)
        if (v := file_version(name, files.project)) is not None and not v.is_prerelease
    }
    if current is None:
        return sorted(versions, reverse=True)
    newer = sorted(v for v in versions if v > current)
    older = sorted((v for v in versions if v < current), reverse=True)
    return newer + older


def _wheelhouse(result: Result) -> Fix:
    requirement = result.requirement.split(";", 1)[0].strip()
    platform = result.target.docker_platform or "the target platform"
    lines = (
        f"pip wheel --no-deps -w wheelhouse '{requirement}'   # on a {platform} machine",
        f"pip install --no-index --find-links wheelhouse '{requirement}'",
    )
    return Fix(
        FixKind.WHEELHOUSE,
        f"build the wheel once on a {platform} machine (or CI runner) and install it from a "
        "wheelhouse with --find-links",
        lines=lines,
    )


def _conda_forge(result: Result) -> Fix:
    return Fix(
        FixKind.CONDA_FORGE,
        "conda-forge builds linux-aarch64 (and ppc64le) packages for many projects: "
        f"`mamba install -c conda-forge {result.project}` if it is packaged there (not checked)",
        lines=(f"mamba install -c conda-forge {result.project}",),
    )
