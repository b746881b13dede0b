"""Read every input form wheelshim accepts into one typed :class:`InputSet`.

Forms read here:

* requirement strings as ``pip install`` takes them on its command line (PEP 508
  requirements, direct references, VCS URLs, local paths and archives, ``-e``);
* requirements and constraints files, parsed with the grammar of pip 23.2's
  ``pip/_internal/req/req_file.py`` (line joining, comments, ``${VAR}``, option lines,
  per-requirement options, nested ``-r``/``-c``) and the requirement-line rules of
  ``pip/_internal/req/constructors.py``; pip-compile and uv output is such a file;
* ``pyproject.toml``: ``[project]`` dependencies and extras, PEP 735 dependency groups
  and ``[build-system].requires``;
* ``pylock.toml`` (PEP 751).

Requirements that do not name an index project (URLs, VCS, paths, editables) become
:class:`DirectRequirement` entries: wheelshim reports them as
:data:`NOT_ON_INDEX`, never as errors. Every user error raises
:class:`~wheelshim._exceptions.InvalidRequirement` (a string) or
:class:`~wheelshim._exceptions.InvalidRequirementsFile` (a file) whose message is one
line: where, what was wrong, what to do.
"""

from __future__ import annotations

import codecs
import locale
import optparse
import os
import posixpath
import re
import shlex
import sys
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, NoReturn

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement as _PackagingInvalidRequirement
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from wheelshim._exceptions import InvalidRequirement, InvalidRequirementsFile
from wheelshim._formats import FormatControl, FormatKind
from wheelshim._redact import redact_text

__all__ = [
    "ALL",
    "NOT_ON_INDEX",
    "DirectKind",
    "DirectRequirement",
    "FileOptions",
    "FormatControl",
    "FormatKind",
    "InputRequirement",
    "InputSet",
    "LockedFile",
    "LogicalLine",
    "Origin",
    "constraint_problem",
    "entry_text",
    "logical_lines",
    "parse_requirement_string",
    "read_inputs",
    "read_pylock",
    "read_pyproject",
    "read_requirements_file",
]

#: The outcome wheelshim reports for every :class:`DirectRequirement`.
NOT_ON_INDEX: Final = "not on an index: cannot be predicted without a build"

#: Pass inside ``extras`` or ``groups`` of :func:`read_pyproject` to select every one.
ALL: Final = ":all:"

DirectKind = Literal["url", "vcs", "editable", "path"]

# ---------------------------------------------------------------------------------------
# Constants mirrored from pip 23.2 (the module each comes from is named).
# ---------------------------------------------------------------------------------------

# req_file.py
_SCHEME_RE: Final = re.compile(r"^(http|https|file):", re.I)
_COMMENT_RE: Final = re.compile(r"(^|\s+)#.*$")
_ENV_VAR_RE: Final = re.compile(r"(?P<var>\$\{(?P<name>[A-Z0-9_]+)\})")

# vcs/*.py, in pip's registration order (bazaar, git, mercurial, subversion).
_VCS_NAMES: Final = ("bzr", "git", "hg", "svn")
_VCS_SCHEMES: Final = (
    "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file",
    "git+http", "git+https", "git+ssh", "git+git", "git+file",
    "hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http",
    "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
)  # fmt: skip
_URL_SCHEMES: Final = ("http", "https", "file", "ftp", *_VCS_SCHEMES)

# utils/filetypes.py
_ARCHIVE_EXTENSIONS: Final = (
    ".zip", ".whl", ".tar.bz2", ".tbz", ".tar.gz", ".tgz", ".tar",
    ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma",
)  # fmt: skip

# models/wheel.py: pip's own (lenient) wheel file name pattern, not packaging's.
_WHEEL_RE: Final = re.compile(
    r"""^(?P<namever>(?P<name>[^\s-]+?)-(?P<ver>[^\s-]*?))
    ((-(?P<build>\d[^-]*?))?-(?P<pyver>[^\s-]+?)-(?P<abi>[^\s-]+?)-(?P<plat>[^\s-]+?)
    \.whl|\.dist-info)$""",
    re.VERBOSE,
)
# models/link.py
_EGG_FRAGMENT_RE: Final = re.compile(r"[#&]egg=([^&]*)")
# utils/hashes.py
_STRONG_HASHES: Final = ("sha256", "sha384", "sha512")
# packaging's Specifier._operators, used by pip for the "= is not ==" hint.
_OPERATORS: Final = ("~=", "==", "!=", "<=", ">=", "<", ">", "===")
# cli/cmdoptions.py, --use-feature choices.
_FEATURES: Final = ("fast-deps", "truststore", "no-binary-enable-wheel-cache")
# utils/encoding.py
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF32, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
)
_ENCODING_RE: Final = re.compile(rb"coding[:=]\s*([-\w.]+)")
# pyproject.py: what pip 23.2 assumes when pyproject.toml has no [build-system].
_DEFAULT_BUILD_REQUIRES: Final = ("setuptools>=40.8.0", "wheel")

_PYLOCK_NAME_RE: Final = re.compile(r"^pylock\.([^.]+\.)?toml$")
_PROJECT_NAME_RE: Final = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.I)


# ---------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where an entry was read.

    ``path`` is the file as pip would name it (nested files joined onto the including
    file's directory, not made absolute). ``line`` is the first physical line (1-based)
    in a requirements file and ``None`` for TOML files, whose entries carry ``field``
    (for example ``project.dependencies[2]``) instead.
    """

    path: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.field is not None:
            return f"{self.path} ({self.field})"
        return self.path


@dataclass(frozen=True)
class DirectRequirement:
    """A requirement that names a location instead of an index project.

    ``kind`` is ``"vcs"`` for VCS URLs (``git+https://...``), ``"url"`` for other URLs
    (including ``name @ file:///...``), ``"path"`` for local directories and archives
    and ``"editable"`` for ``-e``. ``location`` is the text as written (after
    ``${VAR}`` expansion, without extras and marker); ``url`` is the link pip would use
    (local paths become ``file:`` URLs). ``name`` comes from ``name @``, ``#egg=`` or
    a wheel file name and is ``None`` when only a build could tell it; ``version`` is
    set only for wheel files, whose name carries it. wheelshim never looks these up:
    their outcome is always :data:`NOT_ON_INDEX`.
    """

    kind: DirectKind
    location: str
    url: str
    name: str | None = None
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None
    version: str | None = None

    @property
    def outcome(self) -> str:
        """The fixed outcome reported for every direct requirement."""
        return NOT_ON_INDEX


@dataclass(frozen=True)
class LockedFile:
    """One ``wheels``/``sdist``/``archive`` entry of a ``pylock.toml`` package.

    ``hashes`` are ``"algorithm:digest"`` strings, the form pip's ``--hash`` takes.
    """

    kind: Literal["wheel", "sdist", "archive"]
    filename: str | None
    url: str | None
    path: str | None
    hashes: tuple[str, ...]
    size: int | None = None


@dataclass(frozen=True)
class InputRequirement:
    """One requirement (or constraint) read from any input.

    Exactly one of ``requirement`` (an index project, its marker attached) and
    ``direct`` is set. ``raw`` is the original text of every physical line of the
    entry joined with ``"\\n"`` (for TOML files: the requirement string).
    ``specifier_span`` is a ``(start, end)`` slice of ``raw``'s first line holding the
    version specifier (inside the parentheses of ``name (>=1)``); it is zero-width at
    the insertion point when there is no specifier and ``None`` when the specifier
    cannot be rewritten in place (it uses ``${VAR}``, crosses a line continuation, or
    the entry is direct). ``hashes`` are ``"algorithm:digest"`` strings in file order;
    ``config_settings`` (``KEY=VALUE``) and ``global_options`` are kept raw.
    ``origin`` is ``None`` for command-line strings.
    """

    requirement: Requirement | None
    direct: DirectRequirement | None
    origin: Origin | None = None
    hashes: tuple[str, ...] = ()
    raw: str = ""
    specifier_span: tuple[int, int] | None = None
    is_constraint: bool = False
    config_settings: tuple[str, ...] = ()
    global_options: tuple[str, ...] = ()
    locked_files: tuple[LockedFile, ...] = ()

    def __post_init__(self) -> None:
        # A programming error, not a user one: the two kinds must stay exclusive so
        # that consumers can dispatch on ``direct is None``.
        if (self.requirement is None) == (self.direct is None):
            raise ValueError("InputRequirement needs exactly one of requirement and direct")

    @property
    def name(self) -> NormalizedName | None:
        """The canonical project name, or ``None`` for an unnamed direct requirement."""
        if self.requirement is not None:
            return canonicalize_name(self.requirement.name)
        assert self.direct is not None
        return None if self.direct.name is None else canonicalize_name(self.direct.name)

    @property
    def marker(self) -> Marker | None:
        """The environment marker of the entry, if any."""
        if self.requirement is not None:
            return self.requirement.marker
        assert self.direct is not None
        return self.direct.marker


@dataclass(frozen=True)
class FileOptions:
    """The option lines of the requirements files read, as pip's finder ends up.

    ``index_url`` is the last ``--index-url`` seen before any ``--no-index``; when set
    it *replaces* every index URL given before it (command line included), and
    ``extra_index_urls`` holds only the extras seen after it, exactly as pip 23.2
    updates its finder; :meth:`effective_index_urls` applies that. ``find_links``
    entries relative to a file and existing there are made absolute (pip does too).
    ``no_binary``/``only_binary`` are the sorted sets the files alone produce;
    ``format_changes`` keeps every ``--no-binary``/``--only-binary`` value in order
    (as ``("no-binary" | "only-binary", value)`` pairs) so :meth:`format_control`
    can replay them onto the command line's control.
    ``require_hashes`` is the ``--require-hashes`` line only; see
    :attr:`InputSet.hash_checking` for pip's full rule.
    """

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    pre: bool = False
    prefer_binary: bool = False
    trusted_hosts: tuple[str, ...] = ()
    require_hashes: bool = False
    format_changes: tuple[tuple[FormatKind, str], ...] = ()
    features_enabled: tuple[str, ...] = ()

    def format_control(self, start: FormatControl | None = None) -> FormatControl:
        """Replay the files' format changes onto ``start`` (the command line's)."""
        control = start if start is not None else FormatControl()
        for kind, value in self.format_changes:
            control = control.handle(kind, value)
        return control

    def effective_index_urls(
        self, cli_index_urls: Sequence[str], *, cli_no_index: bool = False
    ) -> tuple[str, ...]:
        """The index URLs pip searches given the command line's index URL list."""
        if cli_no_index or self.no_index:
            return ()
        base = (self.index_url,) if self.index_url is not None else tuple(cli_index_urls)
        return (*base, *self.extra_index_urls)


@dataclass(frozen=True)
class InputSet:
    """Everything read from the inputs, in input order.

    ``requirements`` and ``constraints`` keep file order (nested files spliced in at
    their ``-r``/``-c`` line). ``build_requirements`` is ``[build-system].requires``
    of a ``pyproject.toml``. ``warnings`` are one-line notes about input pip would
    silently ignore or that cannot be read without a build.
    """

    requirements: tuple[InputRequirement, ...] = ()
    constraints: tuple[InputRequirement, ...] = ()
    options: FileOptions = field(default_factory=FileOptions)
    build_requirements: tuple[InputRequirement, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def hash_checking(self) -> bool:
        """pip's hash-checking mode: ``--require-hashes`` or any entry with a hash."""
        return self.options.require_hashes or any(
            entry.hashes for entry in (*self.requirements, *self.constraints)
        )


def constraint_problem(entry: InputRequirement) -> str | None:
    """pip's ``check_invalid_constraint_type``: why ``entry`` cannot be a constraint.

    pip only raises this for constraints whose marker matches the target, so callers
    evaluate markers first. Returns ``None`` for a usable constraint.
    """
    if entry.name is None:
        return "Unnamed requirements are not allowed as constraints"
    if entry.direct is not None:
        if entry.direct.kind == "editable":
            return "Editable requirements are not allowed as constraints"
        extras: frozenset[str] | set[str] = entry.direct.extras
    else:
        assert entry.requirement is not None
        extras = entry.requirement.extras
    if extras:
        return "Constraints cannot have extras"
    return None


# ---------------------------------------------------------------------------------------
# Error helpers: every user error is one line, credentials redacted.
# ---------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    # packaging's messages draw a caret under the text on extra lines; keep the first.
    first = text.strip().splitlines()[0] if text.strip() else text.strip()
    return redact_text(first)


def _flat(text: str) -> str:
    # User text shown inside a message must not break the one-line contract.
    return redact_text(" ".join(text.splitlines()))


def _message(where: object, what: str, todo: str) -> str:
    # "where: what was wrong; what to do", on one line, credentials hidden.
    prefix = f"{where}: " if where is not None else ""
    return _flat(f"{prefix}{what}; {todo}")


def _file_error(where: object, what: str, todo: str) -> InvalidRequirementsFile:
    return InvalidRequirementsFile(_message(where, what, todo))


class _ReqError(Exception):
    """A requirement that cannot be parsed; the caller adds where it came from."""

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo


# ---------------------------------------------------------------------------------------
# Requirements-file preprocessing (req_file.preprocess)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogicalLine:
    """One logical line of a requirements file, as pip's ``preprocess`` yields it.

    ``first_line``..``last_line`` are the physical lines (1-based, inclusive) it was
    joined from; ``text`` is joined, stripped of comments and surrounding whitespace
    and ``${VAR}``-expanded; ``unexpanded`` is the same before expansion (safe to show:
    it holds no secret from the environment).
    """

    first_line: int
    last_line: int
    text: str
    unexpanded: str


def _join_lines(lines: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    # pip's join_lines, also tracking the last physical line of each joined line. A
    # comment line ends a continuation (and is joined, then stripped with it); "\"
    # is stripped from both ends of a continued line, as pip's strip("\\") does.
    primary = 0
    parts: list[str] = []
    for number, line in enumerate(lines, start=1):
        is_comment = _COMMENT_RE.match(line) is not None
        if not line.endswith("\\") or is_comment:
            if is_comment:
                # Keeps the comment matchable once glued onto the previous text.
                line = " " + line
            if parts:
                parts.append(line)
                yield primary, number, "".join(parts)
                parts = []
            else:
                yield number, number, line
        else:
            if not parts:
                primary = number
            parts.append(line.strip("\\"))
    if parts:
        yield primary, len(lines), "".join(parts)


def _expand_env(line: str, environ: Mapping[str, str]) -> str:
    # Only ${NAME} with NAME in [A-Z0-9_]; unset or empty variables stay literal.
    for env_var, var_name in _ENV_VAR_RE.findall(line):
        value = environ.get(var_name)
        if not value:
            continue
        line = line.replace(env_var, value)
    return line


def logical_lines(content: str, environ: Mapping[str, str]) -> Iterator[LogicalLine]:
    """Split ``content`` into pip's logical lines: join, drop comments, expand.

    Physical lines are split with :meth:`str.splitlines`, as pip does; blank and
    comment-only logical lines are dropped. ``environ`` replaces ``os.environ``.
    """
    for first, last, joined in _join_lines(content.splitlines()):
        stripped = _COMMENT_RE.sub("", joined).strip()
        if stripped:
            yield LogicalLine(first, last, _expand_env(stripped, environ), stripped)


def _break_args_options(line: str) -> tuple[str, str]:
    # pip splits on single spaces only and stops at the first token starting with
    # "-"; the args part is not shlex-split because markers contain quotes.
    tokens = line.split(" ")
    args: list[str] = []
    options = tokens[:]
    for token in tokens:
        if token.startswith("-"):
            break
        args.append(token)
        options.pop(0)
    return " ".join(args), " ".join(options)


# ---------------------------------------------------------------------------------------
# The option parser of a requirements-file line (req_file.build_parser)
# ---------------------------------------------------------------------------------------


class _OptionError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _LineParser(optparse.OptionParser):
    # optparse prints usage and exits on errors; a requirements file must raise.
    def error(self, msg: str) -> NoReturn:
        raise _OptionError(msg)

    def exit(self, status: int = 0, msg: str | None = None) -> NoReturn:
        raise _OptionError((msg or "").strip())


def _values(parser: optparse.OptionParser) -> optparse.Values:
    # optparse sets ``values`` for the duration of parse_args, when callbacks run.
    assert parser.values is not None
    return parser.values


def _on_format(
    option: optparse.Option, opt_str: str, value: str, parser: optparse.OptionParser,
    kind: FormatKind,
) -> None:  # fmt: skip
    if value.startswith("-"):
        # pip raises this from FormatControl (e.g. "--no-binary --pre" took "--pre").
        raise _OptionError("--no-binary / --only-binary option requires 1 argument.")
    _values(parser).ensure_value("format_changes", []).append((kind, value))


def _on_hash(
    option: optparse.Option, opt_str: str, value: str, parser: optparse.OptionParser
) -> None:
    algo, sep, digest = value.partition(":")
    if not sep:
        parser.error(
            f"Arguments to {opt_str} must be a hash name followed by a value, "
            "like --hash=sha256:abcde..."
        )
    if algo not in _STRONG_HASHES:
        parser.error(f"Allowed hash algorithms for {opt_str} are {', '.join(_STRONG_HASHES)}.")
    _values(parser).ensure_value("hashes", []).append(f"{algo}:{digest}")


def _on_config_settings(
    option: optparse.Option, opt_str: str, value: str, parser: optparse.OptionParser
) -> None:
    _key, sep, _val = value.partition("=")
    if sep != "=":
        parser.error(f"Arguments to {opt_str} must be of the form KEY=VAL")
    _values(parser).ensure_value("config_settings", []).append(value)


def _build_line_parser() -> _LineParser:
    # The options of pip's SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ, same spellings
    # (optparse also accepts unambiguous prefixes of long options, as pip does).
    # Append options default to None so a parser can be reused across lines.
    parser = _LineParser(add_help_option=False)
    opt = optparse.make_option
    parser.add_options([
        # "--pypi-url" is pip's old alias of --index-url (an option name, not a host).
        opt("-i", "--index-url", "--pypi-url", dest="index_url", default=None),
        opt("--extra-index-url", dest="extra_index_urls", action="append"),
        opt("--no-index", dest="no_index", action="store_true", default=False),
        opt("-c", "--constraint", dest="constraints", action="append"),
        opt("-r", "--requirement", dest="requirements", action="append"),
        opt("-e", "--editable", dest="editables", action="append"),
        opt("-f", "--find-links", dest="find_links", action="append"),
        opt("--no-binary", dest="format_changes", action="callback", type="string",
            callback=_on_format, callback_kwargs={"kind": "no-binary"}),
        opt("--only-binary", dest="format_changes", action="callback", type="string",
            callback=_on_format, callback_kwargs={"kind": "only-binary"}),
        opt("--prefer-binary", dest="prefer_binary", action="store_true", default=False),
        opt("--require-hashes", dest="require_hashes", action="store_true", default=False),
        opt("--pre", dest="pre", action="store_true", default=False),
        opt("--trusted-host", dest="trusted_hosts", action="append"),
        opt("--use-feature", dest="features_enabled", action="append", type="choice",
            choices=list(_FEATURES)),
        opt("--global-option", dest="global_options", action="append"),
        opt("--hash", dest="hashes", action="callback", type="string", callback=_on_hash),
        opt("-C", "--config-settings", dest="config_settings", action="callback",
            type="string", callback=_on_config_settings),
    ])  # fmt: skip
    return parser


def _strings(opts: optparse.Values, dest: str) -> list[str]:
    value: list[str] | None = getattr(opts, dest, None)
    return list(value) if value else []


# ---------------------------------------------------------------------------------------
# Requirement lines (req/constructors.py)
# ---------------------------------------------------------------------------------------


def _url_scheme(text: str) -> str | None:
    # utils/urls.get_url_scheme: anything before the first ":", lowercased.
    if ":" not in text:
        return None
    return text.split(":", 1)[0].lower()


def _is_url(text: str) -> bool:
    return _url_scheme(text) in _URL_SCHEMES


def _splitext(path: str) -> tuple[str, str]:
    # utils/misc.splitext: like posixpath.splitext but keeps ".tar" with the suffix.
    base, ext = posixpath.splitext(path)
    if base.lower().endswith(".tar"):
        ext = base[-4:] + ext
        base = base[:-4]
    return base, ext


def _is_archive_file(name: str) -> bool:
    return _splitext(name)[1].lower() in _ARCHIVE_EXTENSIONS


def _looks_like_path(name: str) -> bool:
    if os.path.sep in name:
        return True
    if os.path.altsep is not None and os.path.altsep in name:
        return True
    return name.startswith(".")


def _is_installable_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyproject.toml")) or os.path.isfile(
        os.path.join(path, "setup.py")
    )


def _path_to_url(path: str) -> str:
    return urllib.parse.urljoin("file:", urllib.request.pathname2url(os.path.normpath(path)))


def _url_path(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path)


def _url_filename(url: str) -> str:
    # models/link.Link.filename: the last path segment, or the host for "https://h/".
    name = posixpath.basename(_url_path(url).rstrip("/"))
    return name or urllib.parse.urlsplit(url).netloc.rpartition("@")[2]


def _egg_fragment(url: str) -> str | None:
    match = _EGG_FRAGMENT_RE.search(url)
    return match.group(1) if match else None


def _strip_extras(path: str) -> tuple[str, str | None]:
    match = re.match(r"^(.+)(\[[^\]]+\])$", path)
    if match:
        return match.group(1), match.group(2)
    return path, None


def _convert_extras(extras: str | None) -> frozenset[str]:
    if not extras:
        return frozenset()
    try:
        return frozenset(Requirement("placeholder" + extras.lower()).extras)
    except _PackagingInvalidRequirement as exc:
        raise _ReqError(f"invalid extras {extras!r}: {_one_line(str(exc))}", "fix them") from exc


def _parse_marker(text: str) -> Marker:
    try:
        return Marker(text)
    except InvalidMarker as exc:
        raise _ReqError(
            f"invalid environment marker {text!r}: {_one_line(str(exc))}",
            "fix the marker after ';' (PEP 508)",
        ) from exc


def _parse_name(text: str) -> Requirement:
    # A name (with extras) from #egg= or a wheel file name.
    try:
        return Requirement(text)
    except _PackagingInvalidRequirement as exc:
        raise _ReqError(
            f"invalid requirement {text!r}: {_one_line(str(exc))}", "fix the project name"
        ) from exc


def _parse_req_string(text: str, cwd: str) -> Requirement:
    # constructors._parse_req_string, with pip's two hints.
    try:
        return Requirement(text)
    except _PackagingInvalidRequirement as exc:
        reason = _one_line(str(exc))
        if os.path.sep in text:
            target = os.path.join(cwd, text)
            if not os.path.exists(target):
                todo = f"it looks like a path, but {text!r} does not exist (relative to {cwd})"
            else:
                todo = f"it looks like a path; if {text!r} is a requirements file use -r {text}"
        elif "=" in text and not any(op in text for op in _OPERATORS):
            todo = "= is not a valid operator: did you mean == ?"
        else:
            todo = "write it as PEP 508 'name[extras] specifier ; marker'"
        raise _ReqError(f"invalid requirement {_flat(text)!r}: {reason}", todo) from exc


def _url_from_path(path: str, name: str) -> str | None:
    # constructors._get_url_from_path: directories and archives become file: URLs.
    if _looks_like_path(name) and os.path.isdir(path):
        if _is_installable_dir(path):
            return _path_to_url(path)
        raise _ReqError(
            f"directory {name!r} is not installable",
            "it needs a 'setup.py' or 'pyproject.toml'",
        )
    if not _is_archive_file(path):
        return None
    if os.path.isfile(path):
        return _path_to_url(path)
    before_at = name.split("@", 1)
    if len(before_at) >= 2 and not _looks_like_path(before_at[0]):
        # "name @ https://host/x.whl" is a PEP 508 URL requirement, not a file name.
        return None
    # pip warns that the file does not exist but still treats it as a local archive.
    return _path_to_url(path)


def _direct_kind(url: str, written_as_url: bool) -> DirectKind:
    if urllib.parse.urlsplit(url).scheme in _VCS_SCHEMES:
        return "vcs"
    return "url" if written_as_url else "path"


def _parse_req_from_line(text: str, cwd: str) -> Requirement | DirectRequirement:
    """constructors.parse_req_from_line: a requirement, URL, path or archive."""
    name = text
    # A URL may contain ";", so only "; " starts its marker.
    marker_sep = "; " if _is_url(name) else ";"
    marker: Marker | None = None
    if marker_sep in name:
        name, marker_text = name.split(marker_sep, 1)
        marker_text = marker_text.strip()
        if marker_text:
            marker = _parse_marker(marker_text)
    name = name.strip()
    path = os.path.normpath(os.path.join(cwd, name))
    extras_text: str | None = None
    link: str | None
    if _is_url(name):
        link = name
    else:
        stripped, extras_text = _strip_extras(path)
        link = _url_from_path(stripped, name)
    extras = _convert_extras(extras_text)

    if link is None:
        req = _parse_req_string(name, cwd)
        if req.url:
            return DirectRequirement(
                kind=_direct_kind(req.url, True),
                location=req.url,
                url=req.url,
                name=req.name,
                extras=frozenset(req.extras),
                marker=marker,
            )
        # pip keeps the marker next to the requirement; attach it for one object.
        req.marker = marker
        return req

    if link.lower().startswith("file:") and re.search(r"\.\./", link):
        # pip normalises relative file: URLs against the working directory.
        link = _path_to_url(os.path.normpath(os.path.join(cwd, _url_path(link))))
    filename = _url_filename(link)
    version: str | None = None
    named: Requirement | None = None
    if _splitext(filename)[1] == ".whl":
        wheel = _WHEEL_RE.match(filename)
        if wheel is None:
            raise _ReqError(
                f"{filename} is not a valid wheel filename", "rename it as PEP 427 describes"
            )
        version = wheel.group("ver").replace("_", "-")
        named = _parse_name(f"{wheel.group('name').replace('_', '-')}=={version}")
    else:
        egg = _egg_fragment(link)
        named = _parse_name(egg) if egg else None
    return DirectRequirement(
        kind=_direct_kind(link, _is_url(name)),
        location=name,
        url=link,
        name=named.name if named else None,
        # Extras written after a path win over the #egg= ones, as in pip.
        extras=extras or (frozenset(named.extras) if named else frozenset()),
        marker=marker,
        version=version,
    )


def _parse_editable(text: str, cwd: str) -> DirectRequirement:
    """constructors.parse_editable: a local project directory or a VCS URL."""
    url = text
    url_no_extras, extras = _strip_extras(url)
    local = os.path.join(cwd, url_no_extras)
    if os.path.isdir(local):
        url_no_extras = _path_to_url(os.path.normpath(local))
    if url_no_extras.lower().startswith("file:"):
        egg = _egg_fragment(url_no_extras)
        named = _parse_name(egg) if egg else None
        return DirectRequirement(
            kind="editable",
            location=text,
            url=url_no_extras,
            name=named.name if named else None,
            extras=_convert_extras(extras) or (frozenset(named.extras) if named else frozenset()),
        )
    for vcs_name in _VCS_NAMES:
        if url.lower().startswith(f"{vcs_name}:"):
            url = f"{vcs_name}+{url}"
            break
    if urllib.parse.urlsplit(url).scheme not in _VCS_SCHEMES:
        raise _ReqError(
            f"{text!r} is not a valid editable requirement",
            "give a path to a local project directory or a VCS URL "
            f"(beginning with {', '.join(_VCS_SCHEMES)})",
        )
    egg = _egg_fragment(url)
    if not egg:
        raise _ReqError(
            f"could not detect the requirement name of {text!r}",
            "add one with #egg=your_package_name",
        )
    named = _parse_name(egg)
    return DirectRequirement(
        kind="editable", location=text, url=url, name=named.name, extras=frozenset(named.extras)
    )


_HEAD_RE: Final = re.compile(
    r"[ \t]*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:[ \t]*\[[^\]]*\])?"
)


def _specifier_end(line: str, start: int) -> int:
    # The specifier runs until a marker, a comment, an option token or a "\".
    index = start
    while index < len(line):
        char = line[index]
        if char in ";\\@":
            break
        if char.isspace() and line[index:].lstrip()[:1] in ("#", "-"):
            break
        index += 1
    return index


def _specifier_span(first_line: str, req: Requirement) -> tuple[int, int] | None:
    """Where ``req``'s specifier is written in ``first_line``, or ``None``.

    The span is verified: its text must parse to ``req``'s exact specifier.
    """
    head = _HEAD_RE.match(first_line)
    if head is None or canonicalize_name(head["name"]) != canonicalize_name(req.name):
        return None
    insert_at = head.end()
    after = insert_at + len(first_line[insert_at:]) - len(first_line[insert_at:].lstrip(" \t"))
    if first_line.startswith("(", after):
        close = first_line.find(")", after)
        if close < 0:
            return None
        start, end = after + 1, close
        insert_at = start
    else:
        start, end = insert_at, _specifier_end(first_line, insert_at)
    text = first_line[start:end]
    start += len(text) - len(text.lstrip())
    end -= len(text) - len(text.rstrip())
    if start >= end:
        return (insert_at, insert_at) if not req.specifier else None
    try:
        written = SpecifierSet(first_line[start:end])
    except InvalidSpecifier:
        return None
    return (start, end) if written == req.specifier else None


def _cwd(cwd: str | os.PathLike[str] | None) -> str:
    return os.path.abspath(os.fspath(cwd)) if cwd is not None else os.getcwd()


def _strip_editable_flag(text: str) -> str | None:
    # Command-line style "-e X", "-eX", "--editable X", "--editable=X".
    stripped = text.strip()
    for flag in ("--editable=", "--editable ", "-e ", "-e"):
        if stripped.startswith(flag) and stripped != "--editable":
            value = stripped[len(flag) :].strip()
            return value or None
    return None


_ENTRY_OPTION = re.compile(r"\s+--[A-Za-z][\w-]*(?:[= ]\S+)?")


def entry_text(entry: InputRequirement) -> str:
    """How an entry is named in reports: its first line without comment, per-requirement
    options (``--hash`` ...) and line continuation; the requirement itself as fallback.

    >>> entry_text(parse_requirement_string("six==1.16.0 ; python_version >= '3'"))
    "six==1.16.0 ; python_version >= '3'"
    """
    first = entry.raw.split("\n", 1)[0]
    first = re.split(r"(?:^|\s)#", first, maxsplit=1)[0].rstrip().removesuffix("\\").rstrip()
    first = _ENTRY_OPTION.sub("", " " + first).strip()
    if first:
        return first
    return str(entry.requirement) if entry.requirement is not None else entry.raw.strip()


def parse_requirement_string(
    text: str,
    origin: Origin | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
) -> InputRequirement:
    """Parse one requirement as ``pip install TEXT`` (or ``pip install -e X``) would.

    Accepts PEP 508 requirements, ``name @ url``, bare URLs (VCS with ``#egg=``),
    local directories and archives (relative to ``cwd``, default the working
    directory, as pip resolves them) and ``-e``/``--editable`` values. Raises
    :class:`InvalidRequirement` with a one-line message.
    """
    base = _cwd(cwd)
    try:
        if text.lstrip().startswith("-"):
            editable = _strip_editable_flag(text)
            if editable is None:
                raise _ReqError(
                    f"{_flat(text)!r} is an option, not a requirement",
                    "give a requirement, or -e with a path or VCS URL",
                )
            parsed: Requirement | DirectRequirement = _parse_editable(editable, base)
        else:
            parsed = _parse_req_from_line(text, base)
    except _ReqError as exc:
        raise InvalidRequirement(_message(origin, exc.what, exc.todo)) from None
    return _entry(parsed, origin=origin, raw=text, first_line=text.splitlines()[0] if text else "")


def _entry(
    parsed: Requirement | DirectRequirement,
    *,
    origin: Origin | None,
    raw: str,
    first_line: str,
    is_constraint: bool = False,
    hashes: tuple[str, ...] = (),
    config_settings: tuple[str, ...] = (),
    global_options: tuple[str, ...] = (),
    locked_files: tuple[LockedFile, ...] = (),
) -> InputRequirement:
    if isinstance(parsed, DirectRequirement):
        return InputRequirement(
            requirement=None, direct=parsed, origin=origin, hashes=hashes, raw=raw,
            specifier_span=None, is_constraint=is_constraint,
            config_settings=config_settings, global_options=global_options,
            locked_files=locked_files,
        )  # fmt: skip
    return InputRequirement(
        requirement=parsed, direct=None, origin=origin, hashes=hashes, raw=raw,
        specifier_span=_specifier_span(first_line, parsed), is_constraint=is_constraint,
        config_settings=config_settings, global_options=global_options,
        locked_files=locked_files,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------
# Requirements files (req_file.RequirementsFileParser)
# ---------------------------------------------------------------------------------------


def _decode(data: bytes, where: str) -> str:
    # utils/encoding.auto_decode: a BOM, else a PEP 263 coding line in the first two
    # lines, else the locale's encoding (as open() would).
    encoding = locale.getpreferredencoding(False) or sys.getdefaultencoding()
    body = data
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            encoding, body = bom_encoding, data[len(bom) :]
            break
    else:
        for line in data.split(b"\n")[:2]:
            found = _ENCODING_RE.search(line)
            if line[0:1] == b"#" and found:
                encoding = found.group(1).decode("ascii")
                break
    try:
        return body.decode(encoding)
    except LookupError:
        raise _file_error(
            where, f"unknown encoding {encoding!r} in its coding line", "fix the declaration"
        ) from None
    except UnicodeDecodeError as exc:
        raise _file_error(
            where, f"cannot be decoded as {encoding}: {exc.reason}", "save it as UTF-8"
        ) from None


def _file_url_to_path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    path = urllib.request.url2pathname(parts.path)
    if parts.netloc and parts.netloc != "localhost":
        path = f"//{parts.netloc}{path}"
    return path


class _OptionState:
    """pip's finder and options as option lines update them, across files."""

    def __init__(self) -> None:
        self.index_url: str | None = None
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.no_index = False
        self.pre = False
        self.prefer_binary = False
        self.trusted_hosts: list[str] = []
        self.require_hashes = False
        self.features: list[str] = []
        self.format_changes: list[tuple[FormatKind, str]] = []
        self.format_control = FormatControl()

    def add_format_change(self, kind: FormatKind, value: str) -> None:
        self.format_changes.append((kind, value))
        self.format_control = self.format_control.handle(kind, value)

    def apply(self, opts: optparse.Values, file_abspath: str) -> None:
        # req_file.handle_option_line, in pip's order of checks.
        if opts.require_hashes:
            self.require_hashes = True
        for feature in _strings(opts, "features_enabled"):
            if feature not in self.features:
                self.features.append(feature)
        if opts.no_index:
            self.no_index = True
            self.index_url = None
            self.extra_index_urls = []
        if opts.index_url and not self.no_index:
            # pip replaces the whole index list, dropping earlier extra indexes too.
            self.index_url = opts.index_url
            self.extra_index_urls = []
        if not self.no_index:
            self.extra_index_urls.extend(_strings(opts, "extra_index_urls"))
        find_links = _strings(opts, "find_links")
        if find_links:
            # pip only takes the first -f of a line, resolved against the file's
            # directory when something exists there.
            value = find_links[0]
            relative = os.path.join(os.path.dirname(file_abspath), value)
            if os.path.exists(relative):
                value = relative
            self.find_links.append(value)
        if opts.pre:
            self.pre = True
        if opts.prefer_binary:
            self.prefer_binary = True
        self.trusted_hosts.extend(_strings(opts, "trusted_hosts"))

    def freeze(self) -> FileOptions:
        return FileOptions(
            index_url=self.index_url,
            extra_index_urls=tuple(self.extra_index_urls),
            find_links=tuple(self.find_links),
            no_index=self.no_index,
            only_binary=tuple(sorted(self.format_control.only_binary)),
            no_binary=tuple(sorted(self.format_control.no_binary)),
            pre=self.pre,
            prefer_binary=self.prefer_binary,
            trusted_hosts=tuple(self.trusted_hosts),
            require_hashes=self.require_hashes,
            format_changes=tuple(self.format_changes),
            features_enabled=tuple(self.features),
        )


class _RequirementsReader:
    """Reads requirements/constraints files into shared lists, pip's way."""

    def __init__(self, environ: Mapping[str, str], cwd: str) -> None:
        self.environ = environ
        self.cwd = cwd
        self.state = _OptionState()
        self.requirements: list[InputRequirement] = []
        self.constraints: list[InputRequirement] = []
        self.warnings: list[str] = []
        self._parser = _build_line_parser()

    def _abspath(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.cwd, path))

    def read_top(self, filename: str, constraint: bool) -> None:
        if _SCHEME_RE.search(filename):
            if _url_scheme(filename) != "file":
                kind = "constraints" if constraint else "requirements"
                raise _file_error(
                    filename,
                    f"wheelshim does not download {kind} files",
                    "download it and pass the local copy",
                )
            filename = _file_url_to_path(filename)
        self._read(filename, constraint, chain=(), included_at=None)

    def _read(
        self, filename: str, constraint: bool, chain: tuple[str, ...], included_at: str | None
    ) -> None:
        absolute = self._abspath(filename)
        chain = (*chain, absolute)
        try:
            data = Path(absolute).read_bytes()
        except OSError as exc:
            kind = "constraints" if constraint else "requirements"
            reason = exc.strerror or str(exc)
            if included_at is None:
                raise _file_error(
                    filename, f"cannot open {kind} file: {reason}", "check the path"
                ) from None
            raise _file_error(
                included_at,
                f"cannot open {kind} file {filename!r}: {reason}",
                "check the path, which is relative to the including file",
            ) from None
        content = _decode(data, filename)
        physical = content.splitlines()
        for line in logical_lines(content, self.environ):
            self._handle(filename, absolute, constraint, chain, line, physical)

    def _handle(
        self,
        filename: str,
        absolute: str,
        constraint: bool,
        chain: tuple[str, ...],
        line: LogicalLine,
        physical: Sequence[str],
    ) -> None:
        origin = Origin(filename, line.first_line)
        args_str, options_str = _break_args_options(line.text)
        try:
            try:
                tokens = shlex.split(options_str)
            except ValueError:
                raise _OptionError("could not split the options (unbalanced quotes?)") from None
            opts, leftover = self._parser.parse_args(tokens)
        except _OptionError as exc:
            raise _file_error(
                origin,
                f"{exc.message} in {_flat(line.unexpanded)!r}",
                "fix the option (see 'pip install --help' for requirements-file options)",
            ) from None
        # pip's FormatControl is shared with the finder, so --no-binary/--only-binary
        # apply even on requirement, -e and -r lines.
        for kind, value in getattr(opts, "format_changes", None) or []:
            self.state.add_format_change(kind, value)

        if args_str or _strings(opts, "editables"):
            self._requirement(origin, constraint, line, physical, args_str, opts)
        elif _strings(opts, "requirements") or _strings(opts, "constraints"):
            self._nested(filename, constraint, chain, origin, opts)
        else:
            if _strings(opts, "hashes"):
                self.warnings.append(
                    f"{origin}: --hash on a line without a requirement is ignored, as pip "
                    "ignores it; put it on the requirement's line"
                )
            self.state.apply(opts, absolute)
        if leftover:
            self.warnings.append(
                f"{origin}: {_flat(' '.join(leftover))!r} after the options is ignored, as pip "
                "ignores it; put each requirement at the start of its own line"
            )

    def _requirement(
        self,
        origin: Origin,
        constraint: bool,
        line: LogicalLine,
        physical: Sequence[str],
        args_str: str,
        opts: optparse.Values,
    ) -> None:
        raw_lines = physical[line.first_line - 1 : line.last_line]
        try:
            if args_str:
                parsed: Requirement | DirectRequirement = _parse_req_from_line(args_str, self.cwd)
                hashes = tuple(_strings(opts, "hashes"))
                config_settings = tuple(_strings(opts, "config_settings"))
                global_options = tuple(_strings(opts, "global_options"))
            else:
                # pip takes the first -e of a line; it has no per-requirement options.
                parsed = _parse_editable(_strings(opts, "editables")[0], self.cwd)
                hashes = config_settings = global_options = ()
        except _ReqError as exc:
            raise _file_error(origin, exc.what, exc.todo) from None
        entry = _entry(
            parsed,
            origin=origin,
            raw="\n".join(raw_lines),
            first_line=raw_lines[0] if raw_lines else "",
            is_constraint=constraint,
            hashes=hashes,
            config_settings=config_settings,
            global_options=global_options,
        )
        (self.constraints if constraint else self.requirements).append(entry)

    def _nested(
        self,
        filename: str,
        constraint: bool,
        chain: tuple[str, ...],
        origin: Origin,
        opts: optparse.Values,
    ) -> None:
        # A -r line nests requirements even inside a constraints file and -c nests
        # constraints; only the first -r (else -c) of the line counts, as in pip.
        requirements = _strings(opts, "requirements")
        if requirements:
            directive, req_path, nested_constraint = "-r", requirements[0], False
        else:
            directive, req_path, nested_constraint = "-c", _strings(opts, "constraints")[0], True
        if _SCHEME_RE.search(req_path):
            if _url_scheme(req_path) != "file":
                raise _file_error(
                    origin,
                    f"'{directive} {_flat(req_path)}' names a URL, and wheelshim does not "
                    "download requirements files",
                    "download it and include the local copy instead",
                )
            req_path = _file_url_to_path(req_path)
        else:
            req_path = os.path.join(os.path.dirname(filename), req_path)
        target = self._abspath(req_path)
        if target in chain:
            cycle = " -> ".join(os.path.relpath(p, self.cwd) for p in (*chain, target))
            raise _file_error(
                origin,
                f"'{directive}' includes {req_path}, which is already being read (cycle: {cycle})",
                "remove one of the includes",
            )
        self._read(req_path, nested_constraint, chain, included_at=str(origin))

    def input_set(self) -> InputSet:
        return InputSet(
            requirements=tuple(self.requirements),
            constraints=tuple(self.constraints),
            options=self.state.freeze(),
            warnings=tuple(self.warnings),
        )


def read_requirements_file(
    path: str | os.PathLike[str],
    environ: Mapping[str, str],
    *,
    constraint: bool = False,
    cwd: str | os.PathLike[str] | None = None,
) -> InputSet:
    """Read a requirements file (or, with ``constraint=True``, a constraints file).

    Follows pip 23.2's grammar exactly: ``\\`` continuations, ``#`` comments,
    ``${VAR}`` from ``environ`` (never from ``os.environ``), option lines, per-line
    ``--hash``/``--config-settings``/``--global-option``, nested ``-r``/``-c`` relative
    to the including file. Relative paths (the file itself, local projects, ``-e``)
    are resolved against ``cwd`` (default: the working directory), as pip resolves
    them against its own. ``file:`` URLs are read; other URLs raise. Include cycles,
    unreadable files, bad options and bad requirements raise
    :class:`InvalidRequirementsFile`.
    """
    reader = _RequirementsReader(environ, _cwd(cwd))
    reader.read_top(os.fspath(path), constraint)
    return reader.input_set()


# ---------------------------------------------------------------------------------------
# TOML inputs
# ---------------------------------------------------------------------------------------


def _load_toml(path: str, cwd: str) -> dict[str, Any]:
    try:
        data = Path(os.path.join(cwd, path)).read_bytes()
    except OSError as exc:
        raise _file_error(path, f"cannot open: {exc.strerror or exc}", "check the path") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _file_error(
            path, f"not UTF-8: {exc.reason}", "save it as UTF-8 (TOML requires it)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise _file_error(
            path, f"not valid TOML: {_one_line(str(exc))}", "fix the syntax"
        ) from None


def _toml_entry(text: object, origin: Origin, *, hashes: tuple[str, ...] = ()) -> InputRequirement:
    # TOML files hold strict PEP 508 strings, not pip's requirement-line grammar.
    if not isinstance(text, str):
        raise _file_error(origin, f"expected a requirement string, found {text!r}", "quote it")
    try:
        req = Requirement(text)
    except _PackagingInvalidRequirement as exc:
        raise _file_error(
            origin,
            f"{_flat(text)!r} is not a valid requirement: {_one_line(str(exc))}",
            "write it as PEP 508 'name[extras] specifier ; marker'",
        ) from None
    parsed: Requirement | DirectRequirement = req
    if req.url:
        parsed = DirectRequirement(
            kind=_direct_kind(req.url, True),
            location=req.url,
            url=req.url,
            name=req.name,
            extras=frozenset(req.extras),
            marker=req.marker,
        )
    return _entry(
        parsed,
        origin=origin,
        raw=text,
        first_line=text.splitlines()[0] if text else "",
        hashes=hashes,
    )


def _table(value: object, where: Origin, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _file_error(where, f"{what} must be a table", "fix its type")
    return value


def _array(value: object, where: Origin, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _file_error(where, f"{what} must be an array", "fix its type")
    return value


def _and_markers(outer: Marker | None, inner: Marker | None) -> Marker | None:
    if outer is None or inner is None:
        return outer or inner
    return Marker(f"({outer}) and ({inner})")


def _with_marker(entry: InputRequirement, marker: Marker | None) -> InputRequirement:
    # Entries reached through a self-referencing extra with a marker only apply where
    # both markers hold.
    if marker is None:
        return entry
    if entry.requirement is not None:
        req = Requirement(str(entry.requirement))
        req.marker = _and_markers(marker, req.marker)
        return replace(entry, requirement=req)
    assert entry.direct is not None
    return replace(
        entry, direct=replace(entry.direct, marker=_and_markers(marker, entry.direct.marker))
    )


class _PyProject:
    def __init__(self, path: str, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self.warnings: list[str] = []
        self.where = Origin(path)

    def project(self) -> dict[str, Any]:
        return _table(self.data.get("project", {}), self.where, "[project]")

    def dynamic(self) -> list[Any]:
        return _array(self.project().get("dynamic", []), self.where, "[project].dynamic")

    def dependencies(self) -> list[InputRequirement]:
        project = self.project()
        if "dependencies" in self.dynamic():
            self.warnings.append(
                f"{self.path}: [project].dependencies is dynamic, so only a build of the "
                "project knows it; list the requirements another way to check them"
            )
        items = _array(project.get("dependencies", []), self.where, "[project].dependencies")
        return [
            _toml_entry(text, Origin(self.path, field=f"project.dependencies[{i}]"))
            for i, text in enumerate(items)
        ]

    def extras(self, requested: Sequence[str]) -> list[InputRequirement]:
        if not requested:
            return []
        project = self.project()
        table = _table(
            project.get("optional-dependencies", {}),
            self.where,
            "[project.optional-dependencies]",
        )
        by_name: dict[str, str] = {}
        for key in table:
            # PEP 685: extra names compare normalised.
            normal = canonicalize_name(key)
            if normal in by_name:
                raise _file_error(
                    self.where,
                    f"extras {by_name[normal]!r} and {key!r} have the same normalised name",
                    "rename or merge one of them",
                )
            by_name[normal] = key
        if "optional-dependencies" in self.dynamic():
            self.warnings.append(
                f"{self.path}: [project].optional-dependencies is dynamic, so only a build "
                "knows the extras; list the requirements another way to check them"
            )
            return []
        selected = self._select(
            requested, table, by_name, "extra", "[project.optional-dependencies]"
        )
        own = project.get("name")
        own_name = canonicalize_name(own) if isinstance(own, str) else None
        result: list[InputRequirement] = []
        seen: set[tuple[str, str]] = set()
        for key in selected:
            self._expand_extra(key, table, by_name, own_name, None, seen, result)
        return result

    def _select(
        self,
        requested: Sequence[str],
        table: Mapping[str, Any],
        by_name: Mapping[str, str],
        what: str,
        section: str,
    ) -> list[str]:
        """The table keys ``requested`` names (normalised; ``:all:`` for every key)."""
        if ALL in requested:
            return list(table)
        selected = []
        for name in requested:
            found = by_name.get(canonicalize_name(name))
            if found is None:
                raise _file_error(
                    self.where,
                    f"no {what} named {name!r} in {section}",
                    f"choose one of: {', '.join(table) or 'none'}",
                )
            selected.append(found)
        return selected

    def _expand_extra(
        self,
        key: str,
        table: dict[str, Any],
        by_name: dict[str, str],
        own_name: str | None,
        marker: Marker | None,
        seen: set[tuple[str, str]],
        result: list[InputRequirement],
    ) -> None:
        # An extra may name the project itself ("all = ['me[a,b]']"); pip resolves that
        # to the project being installed, so its extras are expanded here, not looked
        # up on an index. ``seen`` stops self-reference loops.
        token = (key, str(marker))
        if token in seen:
            return
        seen.add(token)
        items = _array(table[key], self.where, f"[project.optional-dependencies].{key}")
        for i, text in enumerate(items):
            entry = _toml_entry(
                text, Origin(self.path, field=f"project.optional-dependencies.{key}[{i}]")
            )
            req = entry.requirement
            if req is not None and own_name is not None and canonicalize_name(req.name) == own_name:
                for extra in sorted(req.extras):
                    inner = by_name.get(canonicalize_name(extra))
                    if inner is None:
                        self.warnings.append(
                            f"{entry.origin}: the project has no extra {extra!r}, so pip "
                            "installs nothing for it; fix the name"
                        )
                        continue
                    self._expand_extra(
                        inner,
                        table,
                        by_name,
                        own_name,
                        _and_markers(marker, req.marker),
                        seen,
                        result,
                    )
                continue
            result.append(_with_marker(entry, marker))

    def groups(self, requested: Sequence[str]) -> list[InputRequirement]:
        if not requested:
            return []
        table = _table(self.data.get("dependency-groups", {}), self.where, "[dependency-groups]")
        by_name: dict[str, str] = {}
        for key in table:
            if not _PROJECT_NAME_RE.match(key):
                raise _file_error(
                    self.where,
                    f"{key!r} is not a valid dependency group name",
                    "use letters, digits, '.', '_' and '-' (PEP 735)",
                )
            normal = canonicalize_name(key)
            if normal in by_name:
                raise _file_error(
                    self.where,
                    f"dependency groups {by_name[normal]!r} and {key!r} have the same "
                    "normalised name",
                    "rename or merge one of them",
                )
            by_name[normal] = key
        selected = self._select(
            requested, table, by_name, "dependency group", "[dependency-groups]"
        )
        result: list[InputRequirement] = []
        for key in selected:
            result.extend(self._resolve_group(key, table, by_name, ()))
        return result

    def _resolve_group(
        self, key: str, table: dict[str, Any], by_name: dict[str, str], stack: tuple[str, ...]
    ) -> list[InputRequirement]:
        if key in stack:
            cycle = " -> ".join((*stack[stack.index(key) :], key))
            raise _file_error(
                self.where,
                f"dependency group {key!r} includes itself ({cycle})",
                "remove one of these include-group entries",
            )
        items = _array(table[key], self.where, f"[dependency-groups].{key}")
        result: list[InputRequirement] = []
        for i, item in enumerate(items):
            origin = Origin(self.path, field=f"dependency-groups.{key}[{i}]")
            if isinstance(item, str):
                result.append(_toml_entry(item, origin))
                continue
            if not (isinstance(item, dict) and set(item) == {"include-group"}
                    and isinstance(item["include-group"], str)):  # fmt: skip
                raise _file_error(
                    origin,
                    f"{item!r} is neither a requirement string nor an include-group table",
                    'write a PEP 508 string or {include-group = "name"}',
                )
            included = by_name.get(canonicalize_name(item["include-group"]))
            if included is None:
                raise _file_error(
                    origin,
                    f"includes unknown dependency group {item['include-group']!r}",
                    f"choose one of: {', '.join(table)}",
                )
            result.extend(self._resolve_group(included, table, by_name, (*stack, key)))
        return result

    def build_requirements(self) -> list[InputRequirement]:
        # pip 23.2's load_pyproject_toml: a default when [build-system] is missing, an
        # error when it lacks "requires" or that is not a list of PEP 508 strings.
        if "build-system" not in self.data:
            return [
                _toml_entry(text, Origin(self.path, field="build-system.requires (pip's default)"))
                for text in _DEFAULT_BUILD_REQUIRES
            ]
        build = _table(self.data["build-system"], self.where, "[build-system]")
        if "requires" not in build:
            raise _file_error(
                self.where,
                "[build-system] has no 'requires' key, which PEP 518 makes mandatory",
                "add requires = [...] listing the build dependencies",
            )
        requires = build["requires"]
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            raise _file_error(
                self.where,
                "[build-system].requires is not a list of strings",
                "list PEP 508 requirement strings",
            )
        return [
            _toml_entry(text, Origin(self.path, field=f"build-system.requires[{i}]"))
            for i, text in enumerate(requires)
        ]


def _names(value: Sequence[str]) -> tuple[str, ...]:
    # A bare string is a Sequence[str] too; "dev" must not select "d", "e", "v".
    return (value,) if isinstance(value, str) else tuple(value)


def read_pyproject(
    path: str | os.PathLike[str],
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    *,
    cwd: str | os.PathLike[str] | None = None,
) -> InputSet:
    """Read a ``pyproject.toml``'s requirements (not the project itself).

    ``requirements`` holds ``[project].dependencies``, then each selected extra of
    ``[project.optional-dependencies]`` (names compared PEP 685-normalised; a
    self-reference ``me[a]`` is expanded in place), then each selected PEP 735
    ``[dependency-groups]`` group with ``{include-group = ...}`` resolved. Put
    :data:`ALL` in ``extras``/``groups`` to select all. ``build_requirements`` holds
    ``[build-system].requires`` (pip's default when the table is missing). Dynamic
    metadata yields a warning. Unknown names, cycles, bad types and bad strings
    raise :class:`InvalidRequirementsFile`.
    """
    name = os.fspath(path)
    project = _PyProject(name, _load_toml(name, _cwd(cwd)))
    requirements = [
        *project.dependencies(),
        *project.extras(_names(extras)),
        *project.groups(_names(groups)),
    ]
    build = project.build_requirements()
    return InputSet(
        requirements=tuple(requirements),
        build_requirements=tuple(build),
        warnings=tuple(project.warnings),
    )


def _pylock_hashes(value: object, where: Origin, what: str) -> tuple[str, ...]:
    if (
        not isinstance(value, dict)
        or not value
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    ):
        raise _file_error(
            where,
            f"{what} needs a non-empty 'hashes' table of algorithm = \"digest\"",
            "regenerate the lock file (PEP 751 requires hashes)",
        )
    return tuple(f"{algo}:{digest}" for algo, digest in value.items())


def _pylock_file(
    kind: Literal["wheel", "sdist", "archive"], value: object, where: Origin, what: str
) -> LockedFile:
    table = _table(value, where, what)
    url, path = table.get("url"), table.get("path")
    if (
        not isinstance(url, str | None)
        or not isinstance(path, str | None)
        or (url is None and path is None)
    ):
        raise _file_error(
            where, f"{what} needs a 'url' or 'path' string", "regenerate the lock file"
        )
    filename = table.get("name")
    if not isinstance(filename, str):
        filename = _url_filename(url) if url is not None else posixpath.basename(path or "") or None
    size = table.get("size")
    return LockedFile(
        kind=kind,
        filename=filename,
        url=url,
        path=path,
        hashes=_pylock_hashes(table.get("hashes"), where, what),
        size=size if isinstance(size, int) else None,
    )


def _pylock_package(
    index: int, package: dict[str, Any], path: str, lock_dir: str
) -> InputRequirement:
    where = Origin(path, field=f"packages[{index}]")
    name = package.get("name")
    if not isinstance(name, str) or not _PROJECT_NAME_RE.match(name):
        raise _file_error(where, f"'name' must be a project name, found {name!r}", "fix the entry")
    marker: Marker | None = None
    if "marker" in package:
        try:
            marker = Marker(str(package["marker"]))
        except InvalidMarker as exc:
            raise _file_error(
                where, f"invalid marker of {name!r}: {_one_line(str(exc))}", "fix the marker"
            ) from None
    version = package.get("version")
    if version is not None:
        try:
            Version(str(version))
        except InvalidVersion:
            raise _file_error(
                where, f"invalid version {version!r} of {name!r}", "fix the version"
            ) from None
    sources: list[str] = [key for key in ("vcs", "directory", "archive") if key in package]
    if "sdist" in package or "wheels" in package:
        sources.append("sdist/wheels")
    if len(sources) != 1:
        found = ", ".join(sources) or "none"
        raise _file_error(
            where,
            f"package {name!r} must have exactly one source (vcs, directory, archive or "
            f"sdist/wheels), found {found}",
            "regenerate the lock file",
        )
    source = sources[0]
    raw = f"{name}=={version}" if version is not None else name
    if marker is not None:
        raw += f" ; {marker}"
    if source == "vcs":
        vcs = _table(package["vcs"], where, f"{name!r} vcs")
        location = vcs.get("url") or vcs.get("path")
        if not isinstance(location, str) or not isinstance(vcs.get("type"), str):
            raise _file_error(
                where,
                f"vcs of {name!r} needs 'type' and 'url' or 'path'",
                "regenerate the lock file",
            )
        commit = vcs.get("commit-id")
        url = f"{vcs['type']}+{location}" + (f"@{commit}" if isinstance(commit, str) else "")
        direct = DirectRequirement("vcs", location, url, name, frozenset(), marker, None)
        return _entry(direct, origin=where, raw=raw, first_line=raw)
    if source == "directory":
        directory = _table(package["directory"], where, f"{name!r} directory")
        location = directory.get("path")
        if not isinstance(location, str):
            raise _file_error(
                where, f"directory of {name!r} needs a 'path'", "regenerate the lock file"
            )
        kind: DirectKind = "editable" if directory.get("editable") is True else "path"
        url = _path_to_url(os.path.join(lock_dir, location))
        return _entry(DirectRequirement(kind, location, url, name, frozenset(), marker, None),
                      origin=where, raw=raw, first_line=raw)  # fmt: skip
    if source == "archive":
        archive = _pylock_file("archive", package["archive"], where, f"archive of {name!r}")
        if archive.url is not None:
            direct = DirectRequirement(
                "url", archive.url, archive.url, name, frozenset(), marker, None
            )
        else:
            assert archive.path is not None
            url = _path_to_url(os.path.join(lock_dir, archive.path))
            direct = DirectRequirement("path", archive.path, url, name, frozenset(), marker, None)
        return _entry(direct, origin=where, raw=raw, first_line=raw, hashes=archive.hashes,
                      locked_files=(archive,))  # fmt: skip
    files: list[LockedFile] = []
    if "sdist" in package:
        files.append(_pylock_file("sdist", package["sdist"], where, f"sdist of {name!r}"))
    for i, wheel in enumerate(_array(package.get("wheels", []), where, f"wheels of {name!r}")):
        files.append(_pylock_file("wheel", wheel, where, f"wheel {i} of {name!r}"))
    if version is None:
        # PEP 751 lets version be omitted; a wheel's file name still carries it.
        for locked in files:
            match = _WHEEL_RE.match(locked.filename or "") if locked.kind == "wheel" else None
            if match:
                version = match.group("ver").replace("_", "-")
                break
        else:
            raise _file_error(where, f"package {name!r} has no version", "regenerate the lock file")
        raw = f"{name}=={version}" + (f" ; {marker}" if marker is not None else "")
    req = Requirement(f"{name}=={version}")
    req.marker = marker
    hashes = tuple(h for locked in files for h in locked.hashes)
    return _entry(
        req, origin=where, raw=raw, first_line=raw, hashes=hashes, locked_files=tuple(files)
    )


def read_pylock(
    path: str | os.PathLike[str], *, cwd: str | os.PathLike[str] | None = None
) -> InputSet:
    """Read a PEP 751 ``pylock.toml`` into pinned ``name==version`` requirements.

    Each ``[[packages]]`` entry from wheels/sdist becomes ``name==version`` with its
    marker, the hashes of all its files and :class:`LockedFile` records; ``vcs``,
    ``directory`` and ``archive`` entries become :class:`DirectRequirement`. An
    unsupported ``lock-version`` major or malformed entries raise
    :class:`InvalidRequirementsFile`.
    """
    name = os.fspath(path)
    base = _cwd(cwd)
    data = _load_toml(name, base)
    where = Origin(name)
    lock_version = data.get("lock-version")
    try:
        major = Version(str(lock_version)).major if lock_version is not None else None
    except InvalidVersion:
        major = None
    if major != 1:
        raise _file_error(
            where,
            f"unsupported or missing lock-version {lock_version!r}",
            "wheelshim reads PEP 751 lock-version 1.x files",
        )
    lock_dir = os.path.dirname(os.path.join(base, name))
    packages = _array(data.get("packages", []), where, "packages")
    entries = [
        _pylock_package(i, _table(p, where, f"packages[{i}]"), name, lock_dir)
        for i, p in enumerate(packages)
    ]
    return InputSet(requirements=tuple(entries))


def _is_pylock(path: str) -> bool:
    return _PYLOCK_NAME_RE.match(os.path.basename(path)) is not None


def read_inputs(
    requirement_strings: Sequence[str],
    requirement_files: Sequence[str | os.PathLike[str]],
    constraint_files: Sequence[str | os.PathLike[str]],
    project_file: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    cwd: str | os.PathLike[str] | None = None,
) -> InputSet:
    """Read and merge every input, as ``pip install`` combines them.

    Files are read in pip's order (constraint files, then requirement files) through
    one option state, so later option lines win as they do in pip. ``requirements``
    are: the strings, then the files' requirements, then ``project_file``'s (a
    ``pylock.toml``/``pylock.*.toml`` is read as a lock file, anything else as a
    ``pyproject.toml`` with ``extras``/``groups``). ``constraints`` come from the
    constraint files and nested ``-c`` lines. Raises like the single readers.
    """
    base = _cwd(cwd)
    strings = [parse_requirement_string(text, cwd=base) for text in requirement_strings]
    reader = _RequirementsReader(environ, base)
    for constraint_file in constraint_files:
        reader.read_top(os.fspath(constraint_file), constraint=True)
    for requirement_file in requirement_files:
        reader.read_top(os.fspath(requirement_file), constraint=False)
    files = reader.input_set()
    project = InputSet()
    if project_file is not None:
        name = os.fspath(project_file)
        if _is_pylock(name):
            project = read_pylock(name, cwd=base)
        else:
            project = read_pyproject(name, extras, groups, cwd=base)
    return InputSet(
        requirements=(*strings, *files.requirements, *project.requirements),
        constraints=files.constraints,
        options=files.options,
        build_requirements=project.build_requirements,
        warnings=(*files.warnings, *project.warnings),
    )
