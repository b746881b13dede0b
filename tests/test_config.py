"""Index settings resolve as ``pip install`` resolves them (wheelshim._config)."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from wheelshim._config import (
    ConfigFiles,
    IndexOptions,
    IndexSettings,
    default_config_files,
    load_index_settings,
    pip_default_index_url,
)
from wheelshim._exceptions import ConfigurationError

DEFAULT = "https://default.index.test/simple"
NO_FILES = ConfigFiles()


def _default() -> str:
    return DEFAULT


def _no_pip() -> None:
    return None


def load(
    options: IndexOptions | None = None,
    environ: Mapping[str, str] | None = None,
    files: ConfigFiles = NO_FILES,
    pip_default: Callable[[], str | None] = _default,
) -> IndexSettings:
    """Load with an explicit environment, explicit files and a fake pip default."""
    return load_index_settings(
        options or IndexOptions(),
        environ or {},
        config_files=files,
        pip_default=pip_default,
    )


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], str]:
    """Write a config file under tmp_path and return its path."""

    def _write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return _write


def test_pip_default_used_when_nothing_is_configured() -> None:
    settings = load()
    assert settings.index_urls() == (DEFAULT,)
    assert settings.timeout == 15.0
    assert settings.retries == 5
    assert "index-url from the installed pip's default" in settings.sources_description


def test_command_line_beats_environment_beats_files(write: Callable[[str, str], str]) -> None:
    conf = write("g.conf", "[global]\nindex-url = https://file.index.test/simple\n")
    files = ConfigFiles(global_files=(conf,))
    env = {"PIP_INDEX_URL": "https://env.index.test/simple"}

    assert load(files=files).index_url == "https://file.index.test/simple"
    from_env = load(environ=env, files=files)
    assert from_env.index_url == "https://env.index.test/simple"
    assert "index-url from PIP_INDEX_URL" in from_env.sources_description
    cli = load(IndexOptions(index_url="https://cli.index.test/simple"), env, files)
    assert cli.index_url == "https://cli.index.test/simple"
    assert "index-url from the command line" in cli.sources_description


def test_install_section_beats_global_section_in_any_file(
    write: Callable[[str, str], str],
) -> None:
    # [install] of the lowest-priority file still beats [global] of the highest one.
    low = write("low.conf", "[install]\nindex-url = https://install.index.test/simple\n")
    high = write("high.conf", "[global]\nindex-url = https://global.index.test/simple\n")
    settings = load(files=ConfigFiles(global_files=(low,), site_files=(high,)))
    assert settings.index_url == "https://install.index.test/simple"
    assert f"index-url from {low} [install]" in settings.sources_description


def test_file_kinds_override_in_pip_order(write: Callable[[str, str], str]) -> None:
    def conf(name: str) -> str:
        return write(f"{name}.conf", f"[global]\nindex-url = https://{name}.index.test/\n")

    glob1, glob2, user, site, env_file = (conf(n) for n in ("g1", "g2", "user", "site", "env"))
    both_globals = ConfigFiles(global_files=(glob1, glob2))
    assert load(files=both_globals).index_url == "https://g2.index.test/"
    with_user = ConfigFiles(global_files=(glob1,), user_files=(user,))
    assert load(files=with_user).index_url == "https://user.index.test/"
    with_site = ConfigFiles(global_files=(glob1,), user_files=(user,), site_files=(site,))
    assert load(files=with_site).index_url == "https://site.index.test/"
    # PIP_CONFIG_FILE is read last of all files.
    env = {"PIP_CONFIG_FILE": env_file}
    assert load(environ=env, files=with_site).index_url == "https://env.index.test/"


def test_pip_config_file_devnull_ignores_every_file(write: Callable[[str, str], str]) -> None:
    conf = write("g.conf", "[global]\nindex-url = https://file.index.test/simple\n")
    files = ConfigFiles(global_files=(conf,), user_files=(conf,), site_files=(conf,))
    settings = load(environ={"PIP_CONFIG_FILE": os.devnull}, files=files)
    assert settings.index_url == DEFAULT


def test_existing_pip_config_file_skips_user_files_only(
    write: Callable[[str, str], str],
) -> None:
    glob = write("g.conf", "[global]\nfind-links = /from-global\ntimeout = 3\n")
    user = write("u.conf", "[global]\nfind-links = /from-user\n")
    env_file = write("e.conf", "[global]\nretries = 2\n")
    files = ConfigFiles(global_files=(glob,), user_files=(user,))
    settings = load(environ={"PIP_CONFIG_FILE": env_file}, files=files)
    assert settings.find_links == ("/from-global",)
    assert (settings.timeout, settings.retries) == (3.0, 2)
    # A PIP_CONFIG_FILE that does not exist does not hide the user files.
    missing = load(environ={"PIP_CONFIG_FILE": "/nonexistent/pip.conf"}, files=files)
    assert missing.find_links == ("/from-user",)


def test_list_options_replace_across_sources_and_append_from_command_line(
    write: Callable[[str, str], str],
) -> None:
    glob = write("g.conf", "[global]\nextra-index-url = https://g1.test/ https://g2.test/\n")
    user = write(
        "u.conf", "[global]\nextra-index-url =\n    https://u1.test/\n    https://u2.test/\n"
    )
    files = ConfigFiles(global_files=(glob,), user_files=(user,))
    assert load(files=files).extra_index_urls == ("https://u1.test/", "https://u2.test/")

    env = {"PIP_EXTRA_INDEX_URL": "https://e1.test/  https://e2.test/"}
    assert load(environ=env, files=files).extra_index_urls == (
        "https://e1.test/",
        "https://e2.test/",
    )
    cli = IndexOptions(extra_index_urls=("https://c1.test/",), find_links=("/c",))
    settings = load(cli, env, files)
    assert settings.extra_index_urls == ("https://e1.test/", "https://e2.test/", "https://c1.test/")
    assert settings.index_urls() == (DEFAULT, *settings.extra_index_urls)
    assert settings.find_links == ("/c",)
    assert "extra-index-url from PIP_EXTRA_INDEX_URL and the command line" in (
        settings.sources_description
    )


def test_isolated_ignores_environment_and_user_files(write: Callable[[str, str], str]) -> None:
    glob = write("g.conf", "[global]\ntrusted-host = global.test\n")
    user = write("u.conf", "[global]\nindex-url = https://user.index.test/\n")
    env_file = write("e.conf", "[global]\nretries = 1\n")
    files = ConfigFiles(global_files=(glob,), user_files=(user,))
    env = {"PIP_INDEX_URL": "https://env.index.test/", "PIP_CONFIG_FILE": env_file}
    settings = load(IndexOptions(isolated=True), env, files)
    assert settings.index_url == DEFAULT
    assert settings.trusted_hosts == ("global.test",)
    # pip still reads PIP_CONFIG_FILE under --isolated.
    assert settings.retries == 1


def test_pip_isolated_variable_does_not_isolate(write: Callable[[str, str], str]) -> None:
    # pip decides isolation from the command line before it reads any variable.
    settings = load(environ={"PIP_ISOLATED": "1", "PIP_INDEX_URL": "https://env.test/"})
    assert settings.index_url == "https://env.test/"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PIP_TIMEOUT": "7"}, 7.0),
        ({"PIP_DEFAULT_TIMEOUT": "2.5"}, 2.5),
        ({"PIP_TIMEOUT": ""}, 15.0),
    ],
)
def test_timeout_aliases_and_empty_values(environ: dict[str, str], expected: float) -> None:
    assert load(environ=environ).timeout == expected


def test_boolean_variables_follow_strtobool() -> None:
    assert load(environ={"PIP_NO_INDEX": "no"}).no_index is False
    settings = load(environ={"PIP_NO_INDEX": "yes", "PIP_PRE": "on", "PIP_PREFER_BINARY": "1"})
    assert settings.no_index is True
    assert settings.index_url is None
    assert settings.index_urls() == ()
    assert (settings.pre, settings.prefer_binary) == (True, True)


def test_command_line_false_overrides_configured_true() -> None:
    settings = load(IndexOptions(pre=False), {"PIP_PRE": "true"})
    assert settings.pre is False


def test_no_index_keeps_find_links_and_ignores_indexes() -> None:
    options = IndexOptions(
        no_index=True, extra_index_urls=("https://extra.test/",), find_links=("/w",)
    )
    settings = load(options, pip_default=_no_pip)
    assert (settings.index_url, settings.extra_index_urls) == (None, ())
    assert settings.find_links == ("/w",)


@pytest.mark.parametrize(
    ("environ", "needle"),
    [
        ({"PIP_NO_INDEX": "maybe"}, "'maybe' from PIP_NO_INDEX is not a valid value for no-index"),
        ({"PIP_TIMEOUT": "soon"}, "'soon' from PIP_TIMEOUT is not a valid value for timeout"),
        ({"PIP_RETRIES": "2.5"}, "'2.5' from PIP_RETRIES is not a valid value for retries"),
    ],
)
def test_invalid_values_raise_one_line(environ: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load(environ=environ)
    assert needle in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_index_without_pip_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load(pip_default=_no_pip)
    assert str(raised.value) == (
        "no package index is configured: pass --index-url URL or set PIP_INDEX_URL"
    )


def test_unparsable_config_file_names_the_file(write: Callable[[str, str], str]) -> None:
    broken = write("broken.conf", "index-url = https://user:secret@index.test/\n")
    with pytest.raises(ConfigurationError) as raised:
        load(files=ConfigFiles(global_files=(broken,)))
    message = str(raised.value)
    assert broken in message
    assert "secret" not in message
    assert "\n" not in message


def test_format_control_mutual_excludes_in_pip_order(write: Callable[[str, str], str]) -> None:
    conf = write("g.conf", "[global]\nno-binary = Foo_Bar,baz\n[install]\nonly-binary = :all:\n")
    files = ConfigFiles(global_files=(conf,))
    # [install]'s :all: clears the no-binary names configured in [global].
    assert (load(files=files).only_binary, load(files=files).no_binary) == ((":all:",), ())

    settings = load(IndexOptions(only_binary=("baz",)), {"PIP_NO_BINARY": "foo-bar,baz"})
    assert settings.no_binary == ("foo-bar",)
    assert settings.only_binary == ("baz",)
    cleared = load(IndexOptions(no_binary=(":none:",)), {"PIP_NO_BINARY": "foo"})
    assert cleared.no_binary == ()


def test_paths_expand_user_and_constraints_are_kept_in_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"PIP_CERT": "~/ca.pem", "PIP_CONSTRAINT": "a.txt b.txt"}
    settings = load(IndexOptions(constraints=("c.txt",), client_cert="~/me.pem"), env)
    assert settings.cert == str(tmp_path / "ca.pem")
    assert settings.client_cert == str(tmp_path / "me.pem")
    assert settings.constraints == ("a.txt", "b.txt", "c.txt")


def test_unrelated_variables_and_sections_are_ignored(write: Callable[[str, str], str]) -> None:
    conf = write("g.conf", "[freeze]\nindex-url = https://freeze.test/\n[global]\nverbose = 3\n")
    env = {"PIP_VERSION": "1", "PIP_HELP": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    assert load(environ=env, files=ConfigFiles(global_files=(conf,))).index_url == DEFAULT


def test_descriptions_do_not_carry_credentials() -> None:
    env = {"PIP_INDEX_URL": "https://user:secret@index.test/simple"}
    settings = load(environ=env)
    assert settings.index_url == "https://user:secret@index.test/simple"
    assert not any("secret" in line for line in settings.sources_description)


@pytest.mark.skipif(sys.platform != "linux", reason="pip's Linux file locations")
def test_default_config_files_follow_pip_locations(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_DIRS", "/first:/second")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    files = default_config_files()
    assert files.global_files == ("/first/pip/pip.conf", "/second/pip/pip.conf", "/etc/pip.conf")
    assert files.user_files == (
        str(tmp_path / ".pip" / "pip.conf"),
        str(tmp_path / "config" / "pip" / "pip.conf"),
    )
    assert files.site_files == (os.path.join(sys.prefix, "pip.conf"),)


def test_pip_default_index_url_comes_from_the_installed_pip() -> None:
    pytest.importorskip("pip")
    url = pip_default_index_url()
    assert url is not None
    assert url.startswith("https://")
    assert url.rstrip("/").endswith("/simple")


# --- the same answers as pip's own option parser --------------------------------------


def _pip_options(args: list[str], environ: dict[str, str], files: ConfigFiles) -> Any:
    commands = pytest.importorskip("pip._internal.commands")
    configuration = pytest.importorskip("pip._internal.configuration")
    kinds = configuration.kinds
    table = {
        kinds.GLOBAL: list(files.global_files),
        kinds.USER: list(files.user_files),
        kinds.SITE: list(files.site_files),
    }
    mp = pytest.MonkeyPatch()
    try:
        for name in [n for n in os.environ if n.startswith("PIP_")]:
            mp.delenv(name)
        for name, value in environ.items():
            mp.setenv(name, value)
        mp.setattr(configuration, "get_configuration_files", lambda: table)
        command = commands.create_command("install", isolated="--isolated" in args)
        options, _ = command.parse_args(args)
    finally:
        mp.undo()
    return options


def _cli_options(args: list[str]) -> IndexOptions:
    pairs = list(itertools.pairwise(args))

    def values(flag: str) -> tuple[str, ...]:
        return tuple(value for name, value in pairs if name == flag)

    return IndexOptions(
        index_url=(values("-i") or (None,))[-1],
        extra_index_urls=values("--extra-index-url"),
        find_links=values("-f"),
        trusted_hosts=values("--trusted-host"),
        no_binary=values("--no-binary"),
        only_binary=values("--only-binary"),
        timeout=float(values("--timeout")[-1]) if values("--timeout") else None,
        pre=True if "--pre" in args else None,
        isolated="--isolated" in args,
    )


def test_matches_pips_own_parser(write: Callable[[str, str], str]) -> None:
    glob = write(
        "g.conf",
        "[global]\nindex-url = https://g.test/simple\nextra-index-url = https://g1.test\n"
        "find-links = /g\n  /g2\ntimeout = 7\n[install]\nretries = 9\nno-binary = foo\n",
    )
    user = write(
        "u.conf",
        "[global]\nextra-index-url = https://u1.test\ntrusted-host = u.test\n"
        "only-binary = :all:\n[install]\nindex-url = https://ui.test/simple\n",
    )
    site = write("s.conf", "[global]\nindex-url = https://s.test/simple\npre = yes\n")
    env_file = write("e.conf", "[install]\nfind-links = /e\nprefer-binary = true\n")
    files = ConfigFiles((glob,), (user,), (site,))
    environments: list[dict[str, str]] = [
        {},
        {"PIP_CONFIG_FILE": env_file},
        {"PIP_CONFIG_FILE": os.devnull},
        {
            "PIP_INDEX_URL": "https://env.test/simple",
            "PIP_EXTRA_INDEX_URL": "https://e1 https://e2",
        },
        {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "/x /y", "PIP_NO_BINARY": ":none:"},
        {"PIP_ONLY_BINARY": "bar,Baz_x", "PIP_PRE": "off", "PIP_DEFAULT_TIMEOUT": "3"},
    ]
    command_lines: list[list[str]] = [
        [],
        ["--isolated"],
        ["--extra-index-url", "https://c1.test", "-f", "/c"],
        ["-i", "https://cli.test/simple", "--no-binary", ":all:", "--trusted-host", "c.test"],
        ["--only-binary", "foo", "--timeout", "2", "--pre"],
    ]
    for environ, args in itertools.product(environments, command_lines):
        pip = _pip_options(args, environ, files)
        ours = load(_cli_options(args), environ, files, pip_default_index_url)
        no_index = bool(pip.no_index)
        formats = pip.format_control
        expected = (
            None if no_index else pip.index_url,
            () if no_index else tuple(pip.extra_index_urls),
            tuple(pip.find_links),
            tuple(pip.trusted_hosts),
            float(pip.timeout),
            pip.retries,
            tuple(sorted(formats.only_binary)),
            tuple(sorted(formats.no_binary)),
            pip.pre,
            pip.prefer_binary,
        )
        actual = (
            ours.index_url,
            ours.extra_index_urls,
            ours.find_links,
            ours.trusted_hosts,
            ours.timeout,
            ours.retries,
            ours.only_binary,
            ours.no_binary,
            ours.pre,
            ours.prefer_binary,
        )
        assert actual == expected, (environ, args)
