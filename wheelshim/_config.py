"""Index settings resolved the way ``pip install`` resolves them.

pip builds its option defaults from its configuration files and ``PIP_*`` environment
variables, then lets the command line override (or, for list options, append to) those
defaults. :func:`load_index_settings` replays that for the options that decide which
files pip would see (pip's ``cli/parser.py`` and ``configuration.py``):

1. Configuration files, in pip's override order: the global files, the user files
   (legacy then new location; skipped under ``--isolated`` or when ``PIP_CONFIG_FILE``
   names an existing file), the site file, then ``PIP_CONFIG_FILE``. A later file
   overrides an earlier one key by key. ``PIP_CONFIG_FILE=os.devnull`` skips every file.
2. ``PIP_*`` environment variables (skipped under ``--isolated``).
3. Keys are then applied by section: ``[global]``, then ``[install]``, then the
   environment, so ``[install]`` in any file beats ``[global]`` in any file and the
   environment beats both. A list option (``extra-index-url``, ``find-links`` ...) set
   by a later source *replaces* the earlier list; its value is split on whitespace.
4. The command line overrides scalars and *appends* to list options.
5. The index URL falls back to the default of the installed pip.
"""

from __future__ import annotations

import configparser
import importlib
import locale
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import platformdirs

from wheelshim._exceptions import ConfigurationError
from wheelshim._formats import FormatControl
from wheelshim._redact import redact_text

__all__ = [
    "ConfigFiles",
    "IndexOptions",
    "IndexSettings",
    "default_config_files",
    "load_index_settings",
    "pip_default_index_url",
]

_CONFIG_BASENAME = "pip.ini" if sys.platform == "win32" else "pip.conf"
# pip never turns these two variables into options (configuration.ENV_NAMES_IGNORED).
_ENV_NAMES_IGNORED = frozenset({"version", "help"})
# The sections pip applies to the ``install`` command, lowest priority first.
_SECTION_ORDER = ("global", "install", ":env:")
_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})

DEFAULT_TIMEOUT = 15.0
DEFAULT_RETRIES = 5

_NO_INDEX_MESSAGE = "no package index is configured: pass --index-url URL or set PIP_INDEX_URL"


@dataclass(frozen=True)
class IndexOptions:
    """The index options given on the command line; empty means "not given".

    ``pre`` and ``prefer_binary`` are ``None`` when not given. ``isolated`` is pip's
    ``--isolated``: ignore ``PIP_*`` variables and the user configuration files.
    ``only_binary`` / ``no_binary`` hold the raw option values (``":all:"``,
    ``":none:"`` or comma-separated names); they are applied after the configured
    ones, all ``--no-binary`` values first, then all ``--only-binary`` values.
    """

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    trusted_hosts: tuple[str, ...] = ()
    cert: str | None = None
    client_cert: str | None = None
    timeout: float | None = None
    retries: int | None = None
    isolated: bool = False
    constraints: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    pre: bool | None = None
    prefer_binary: bool | None = None


@dataclass(frozen=True)
class IndexSettings:
    """Index settings as pip would use them for ``pip install``.

    ``index_url`` is ``None`` (and ``extra_index_urls`` empty) only when ``no_index`` is
    set: pip then ignores every index and reads only ``find_links``. ``only_binary`` and
    ``no_binary`` are canonical project names or ``":all:"``, as pip's ``FormatControl``
    holds them. ``sources_description`` says, one line per setting that is not a
    built-in default, where it came from (URLs redacted), e.g.
    ``"index-url from PIP_INDEX_URL"``.
    """

    index_url: str | None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    trusted_hosts: tuple[str, ...] = ()
    cert: str | None = None
    client_cert: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    constraints: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    pre: bool = False
    prefer_binary: bool = False
    sources_description: tuple[str, ...] = field(default=(), compare=False)

    def index_urls(self) -> tuple[str, ...]:
        """The index URLs pip searches, in order: the index URL, then each extra one."""
        if self.no_index or self.index_url is None:
            return ()
        return (self.index_url, *self.extra_index_urls)


@dataclass(frozen=True)
class ConfigFiles:
    """pip's configuration files by kind, each tuple in pip's loading order.

    Later files override earlier ones; the kinds override in the order global, user,
    site (then ``PIP_CONFIG_FILE``, which is read from the environment).
    """

    global_files: tuple[str, ...] = ()
    user_files: tuple[str, ...] = ()
    site_files: tuple[str, ...] = ()


def default_config_files() -> ConfigFiles:
    """The files pip itself would read on this machine (pip's ``get_configuration_files``).

    Like pip, this follows ``XDG_CONFIG_DIRS`` / ``XDG_CONFIG_HOME`` of the running
    process, and the site file lives in ``sys.prefix``.
    """
    if sys.platform == "darwin":
        site_dirs = [platformdirs.site_data_dir("pip", appauthor=False, multipath=True)]
    elif sys.platform == "win32":
        site_dirs = [platformdirs.site_config_dir("pip", appauthor=False, multipath=True)]
    else:
        multipath = platformdirs.site_config_dir("pip", appauthor=False, multipath=True)
        site_dirs = [*multipath.split(os.pathsep), "/etc"]
    legacy = os.path.join(
        os.path.expanduser("~"), "pip" if sys.platform == "win32" else ".pip", _CONFIG_BASENAME
    )
    new = os.path.join(_user_config_dir(), _CONFIG_BASENAME)
    return ConfigFiles(
        global_files=tuple(os.path.join(path, _CONFIG_BASENAME) for path in site_dirs),
        user_files=(legacy, new),
        site_files=(os.path.join(sys.prefix, _CONFIG_BASENAME),),
    )


def _user_config_dir() -> str:
    if sys.platform == "darwin":
        # pip prefers ~/Library/Application Support/pip only when it already exists.
        path = platformdirs.user_data_dir("pip", appauthor=False, roaming=True)
        return path if os.path.isdir(path) else os.path.expanduser("~/.config/pip")
    return platformdirs.user_config_dir("pip", appauthor=False, roaming=True)


def pip_default_index_url() -> str | None:
    """The default index URL of the importable pip, or ``None`` when pip is absent."""
    try:
        module = importlib.import_module("pip._internal.models.index")
    except ImportError:
        return None
    url = getattr(getattr(module, "PyPI", None), "simple_url", None)
    return url if isinstance(url, str) and url else None


# --- raw configuration --------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One configured value: ``key`` is pip's normalised option name."""

    key: str
    value: str
    origin: str


def _normalize_name(name: str) -> str:
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


def _read_config_file(path: str) -> list[tuple[str, str, str]]:
    """``(section, normalised name, value)`` triples of one file; none if it is absent."""
    if not os.path.exists(path):
        return []
    parser = configparser.RawConfigParser()
    encoding = locale.getpreferredencoding(False)
    try:
        parser.read(path, encoding=encoding)
    except UnicodeDecodeError:
        raise ConfigurationError(
            f"pip configuration file {path} contains invalid {encoding} characters: "
            "fix the file or set PIP_CONFIG_FILE to another one"
        ) from None
    except configparser.Error as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigurationError(
            f"pip configuration file {path} cannot be parsed ({redact_text(first_line)}): "
            "fix the file or set PIP_CONFIG_FILE to another one"
        ) from None
    return [
        (section, _normalize_name(name), value)
        for section in parser.sections()
        for name, value in parser.items(section)
    ]


def _files_to_read(files: ConfigFiles, environ: Mapping[str, str], isolated: bool) -> list[str]:
    """The files pip reads, lowest priority first (``Configuration._load_config_files``)."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    # pip skips the user files when PIP_CONFIG_FILE names a file that exists.
    load_user = not isolated and not (env_file and os.path.exists(env_file))
    ordered = [*files.global_files, *(files.user_files if load_user else ()), *files.site_files]
    if env_file is not None:
        ordered.append(env_file)
    return ordered


def _configured_items(
    files: ConfigFiles, environ: Mapping[str, str], isolated: bool
) -> list[_Item]:
    """Configured values in the order pip applies them to the option defaults.

    Mirrors ``Configuration._dictionary`` (one value per ``section.key``, a later
    source overriding an earlier one in place) followed by
    ``ConfigOptionParser._get_ordered_configuration_items`` (grouped by section).
    """
    merged: dict[tuple[str, str], tuple[str, str]] = {}
    for path in _files_to_read(files, environ, isolated):
        for section, name, value in _read_config_file(path):
            merged[(section, name)] = (value, f"{path} [{section}]")
    if not isolated:
        for variable, value in environ.items():
            if not variable.startswith("PIP_"):
                continue
            name = variable[4:].lower()
            if name not in _ENV_NAMES_IGNORED:
                merged[(":env:", _normalize_name(name))] = (value, variable)
    return [
        _Item(key=name, value=value, origin=origin)
        for wanted in _SECTION_ORDER
        for (section, name), (value, origin) in merged.items()
        # pip ignores empty values wherever they come from.
        if section == wanted and value
    ]


# --- applying values ----------------------------------------------------------------


@dataclass
class _State:
    """The option values being built up, with where each came from."""

    values: dict[str, object]
    origins: dict[str, list[str]]

    def set(self, dest: str, value: object, origin: str) -> None:
        self.values[dest] = value
        self.origins[dest] = [origin]

    def extend(self, dest: str, items: Iterable[str], origin: str) -> None:
        items = list(items)
        if not items:
            return
        current = self.values.get(dest)
        assert isinstance(current, list)
        current.extend(items)
        self.origins.setdefault(dest, []).append(origin)


# Option kinds, as pip declares them in cli/cmdoptions.py.
_STR, _PATH, _FLOAT, _INT, _BOOL, _LIST, _ONLY_BINARY, _NO_BINARY = range(8)

# Long option name (as written in config files and PIP_* names) -> (dest, kind).
_OPTIONS: Mapping[str, tuple[str, int]] = {
    "index-url": ("index_url", _STR),
    "pypi-url": ("index_url", _STR),
    "extra-index-url": ("extra_index_urls", _LIST),
    "no-index": ("no_index", _BOOL),
    "find-links": ("find_links", _LIST),
    "trusted-host": ("trusted_hosts", _LIST),
    "cert": ("cert", _PATH),
    "client-cert": ("client_cert", _PATH),
    "timeout": ("timeout", _FLOAT),
    "default-timeout": ("timeout", _FLOAT),
    "retries": ("retries", _INT),
    "constraint": ("constraints", _LIST),
    "only-binary": ("format_control", _ONLY_BINARY),
    "no-binary": ("format_control", _NO_BINARY),
    "pre": ("pre", _BOOL),
    "prefer-binary": ("prefer_binary", _BOOL),
}

# Names used in sources_description, one per destination.
_DISPLAY = {
    "index_url": "index-url",
    "extra_index_urls": "extra-index-url",
    "no_index": "no-index",
    "find_links": "find-links",
    "trusted_hosts": "trusted-host",
    "cert": "cert",
    "client_cert": "client-cert",
    "timeout": "timeout",
    "retries": "retries",
    "constraints": "constraint",
    "format_control": "only-binary/no-binary",
    "pre": "pre",
    "prefer_binary": "prefer-binary",
}


@dataclass
class _FormatChanges:
    """``--only-binary``/``--no-binary`` values in the order pip applies them."""

    control: FormatControl = field(default_factory=FormatControl)

    def apply(self, value: str, *, only: bool, origin: str) -> None:
        if value.startswith("-"):
            raise ConfigurationError(
                f"--no-binary / --only-binary from {origin} requires a value, got {value!r}"
            )
        self.control = self.control.handle("only-binary" if only else "no-binary", value)


def _parse_bool(value: str, key: str, origin: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(
        f"{value!r} from {origin} is not a valid value for {key}: "
        "use a boolean like yes/no, true/false or 1/0"
    )


def _parse_number(value: str, key: str, origin: str, kind: int) -> float | int:
    try:
        return float(value) if kind == _FLOAT else int(value)
    except ValueError:
        what = "a number of seconds" if kind == _FLOAT else "an integer"
        raise ConfigurationError(
            f"{value!r} from {origin} is not a valid value for {key}: use {what}"
        ) from None


def _apply_configured(state: _State, item: _Item, formats: _FormatChanges) -> None:
    """Apply one configured value as ``ConfigOptionParser._update_defaults`` does."""
    option = _OPTIONS.get(item.key)
    if option is None:
        return
    dest, kind = option
    shown = item.origin
    if kind == _LIST:
        # A list from a later source replaces the earlier list; it is never merged.
        state.set(dest, item.value.split(), shown)
    elif kind == _BOOL:
        state.set(dest, _parse_bool(item.value, item.key, shown), shown)
    elif kind in (_FLOAT, _INT):
        state.set(dest, _parse_number(item.value, item.key, shown, kind), shown)
    elif kind == _PATH:
        state.set(dest, os.path.expanduser(item.value), shown)
    elif kind in (_ONLY_BINARY, _NO_BINARY):
        formats.apply(item.value, only=kind == _ONLY_BINARY, origin=shown)
        state.origins.setdefault(dest, []).append(shown)
    else:
        state.set(dest, item.value, shown)


def _apply_command_line(state: _State, options: IndexOptions, formats: _FormatChanges) -> None:
    """Let the command line override scalars and append to list options (optparse)."""
    cli = "the command line"
    if options.index_url is not None:
        state.set("index_url", options.index_url, cli)
    state.extend("extra_index_urls", options.extra_index_urls, cli)
    state.extend("find_links", options.find_links, cli)
    state.extend("trusted_hosts", options.trusted_hosts, cli)
    state.extend("constraints", options.constraints, cli)
    if options.no_index:
        state.set("no_index", True, cli)
    if options.cert is not None:
        state.set("cert", os.path.expanduser(options.cert), cli)
    if options.client_cert is not None:
        state.set("client_cert", os.path.expanduser(options.client_cert), cli)
    if options.timeout is not None:
        state.set("timeout", float(options.timeout), cli)
    if options.retries is not None:
        state.set("retries", int(options.retries), cli)
    if options.pre is not None:
        state.set("pre", options.pre, cli)
    if options.prefer_binary is not None:
        state.set("prefer_binary", options.prefer_binary, cli)
    for value in options.no_binary:
        formats.apply(value, only=False, origin=cli)
    for value in options.only_binary:
        formats.apply(value, only=True, origin=cli)
    if options.no_binary or options.only_binary:
        state.origins.setdefault("format_control", []).append(cli)


def _describe(origins: Mapping[str, list[str]]) -> tuple[str, ...]:
    lines = []
    for dest, display in _DISPLAY.items():
        sources = origins.get(dest)
        if sources:
            unique = list(dict.fromkeys(sources))
            lines.append(f"{display} from {' and '.join(unique)}")
    return tuple(lines)


def _str_list(values: Mapping[str, object], dest: str) -> tuple[str, ...]:
    value = values[dest]
    assert isinstance(value, list)
    return tuple(str(item) for item in value)


def load_index_settings(
    options: IndexOptions,
    environ: Mapping[str, str],
    *,
    config_files: ConfigFiles | None = None,
    pip_default: Callable[[], str | None] = pip_default_index_url,
) -> IndexSettings:
    """Resolve index settings exactly as ``pip install`` would (see the module docstring).

    ``environ`` supplies ``PIP_*`` variables and ``PIP_CONFIG_FILE``; ``config_files``
    defaults to :func:`default_config_files`; ``pip_default`` gives the fallback index
    URL (``None`` when pip is absent). ``PIP_ISOLATED`` does not isolate: like pip, only
    the command line's ``--isolated`` is seen before the configuration is read.

    Raises :class:`ConfigurationError` (one line) for a file or value that cannot be
    used, or when no index is configured, ``--no-index`` is not set and pip is absent.
    """
    files = default_config_files() if config_files is None else config_files
    state = _State(
        values={
            "index_url": None,
            "extra_index_urls": [],
            "no_index": False,
            "find_links": [],
            "trusted_hosts": [],
            "cert": None,
            "client_cert": None,
            "timeout": DEFAULT_TIMEOUT,
            "retries": DEFAULT_RETRIES,
            "constraints": [],
            "pre": False,
            "prefer_binary": False,
        },
        origins={},
    )
    formats = _FormatChanges()
    for item in _configured_items(files, environ, options.isolated):
        _apply_configured(state, item, formats)
    _apply_command_line(state, options, formats)

    values = state.values
    no_index = bool(values["no_index"])
    index_url = values["index_url"]
    extra = _str_list(values, "extra_index_urls")
    if no_index:
        index_url, extra = None, ()
    elif index_url is None:
        index_url = pip_default()
        if index_url is None:
            raise ConfigurationError(_NO_INDEX_MESSAGE)
        state.origins["index_url"] = ["the installed pip's default"]
    assert index_url is None or isinstance(index_url, str)

    description = _describe(state.origins)
    if no_index:
        description += ("every index is ignored because of no-index",)
    cert, client_cert = values["cert"], values["client_cert"]
    timeout, retries = values["timeout"], values["retries"]
    assert cert is None or isinstance(cert, str)
    assert client_cert is None or isinstance(client_cert, str)
    assert isinstance(timeout, float)
    assert isinstance(retries, int)
    return IndexSettings(
        index_url=index_url,
        extra_index_urls=extra,
        find_links=_str_list(values, "find_links"),
        no_index=no_index,
        trusted_hosts=_str_list(values, "trusted_hosts"),
        cert=cert,
        client_cert=client_cert,
        timeout=timeout,
        retries=retries,
        constraints=_str_list(values, "constraints"),
        only_binary=tuple(sorted(formats.control.only_binary)),
        no_binary=tuple(sorted(formats.control.no_binary)),
        pre=bool(values["pre"]),
        prefer_binary=bool(values["prefer_binary"]),
        sources_description=tuple(redact_text(line) for line in description),
    )
