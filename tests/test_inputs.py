"""Tests for :mod:`wheelshim._inputs`: every input form, every user error.

All files live under ``tmp_path``; no ``PIP_*`` variable and no network are used. Where
pip itself is importable, differential tests compare with its own parser.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from wheelshim._exceptions import (
    ConfigurationError,
    InputError,
    InvalidRequirement,
    InvalidRequirementsFile,
)
from wheelshim._inputs import (
    ALL,
    NOT_ON_INDEX,
    DirectRequirement,
    FileOptions,
    FormatControl,
    InputRequirement,
    InputSet,
    LogicalLine,
    Origin,
    _break_args_options,
    constraint_problem,
    logical_lines,
    parse_requirement_string,
    read_inputs,
    read_pylock,
    read_pyproject,
    read_requirements_file,
)

NO_ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _no_pip_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``PIP_*`` variable leaks in, and relative paths resolve inside ``tmp_path``."""
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` to ``path`` (creating parents) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def read(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> InputSet:
    """Read ``text`` as ``tmp_path/requirements.txt``."""
    write(tmp_path / "requirements.txt", text)
    return read_requirements_file("requirements.txt", environ or NO_ENV)


def error_of(exc_info: pytest.ExceptionInfo[InputError]) -> str:
    """The message of a raised user error, checked to be a single line."""
    message = str(exc_info.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def project(tmp_path: Path, name: str = "proj") -> Path:
    """An installable local project directory."""
    directory = tmp_path / name
    directory.mkdir()
    (directory / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return directory


# ---------------------------------------------------------------------------------------
# Line joining, comments, environment variables
# ---------------------------------------------------------------------------------------


def lines_of(content: str, environ: dict[str, str] | None = None) -> list[tuple[int, int, str]]:
    return [(ln.first_line, ln.last_line, ln.text) for ln in logical_lines(content, environ or {})]


def test_comments_need_line_start_or_whitespace() -> None:
    content = "# whole line\nfoo  # trailing\nbar#not-a-comment\n   \n\t# indented\n"
    assert lines_of(content) == [(2, 2, "foo"), (3, 3, "bar#not-a-comment")]


def test_continuation_joins_and_keeps_first_line_number() -> None:
    content = "a\nfoo==1 \\\n  --hash=sha256:x \\\n  --hash=sha256:y\nb\n"
    assert lines_of(content) == [
        (1, 1, "a"),
        (2, 4, "foo==1   --hash=sha256:x   --hash=sha256:y"),
        (5, 5, "b"),
    ]


def test_continuation_at_end_of_file() -> None:
    assert lines_of("foo\\\n") == [(1, 1, "foo")]
    assert lines_of("foo \\\nbar \\") == [(1, 2, "foo bar")]


def test_comment_line_ends_a_continuation() -> None:
    # pip glues the comment line on, then strips it as a comment.
    assert lines_of("foo \\\n# note\nbar\n") == [(1, 2, "foo"), (3, 3, "bar")]


def test_comment_line_ending_in_backslash_is_not_continued() -> None:
    assert lines_of("# note \\\nfoo\n") == [(2, 2, "foo")]


def test_trailing_comment_with_backslash_swallows_next_line() -> None:
    # "foo # c \" is continued (pip only checks for comments at the line start) and
    # the joined text is then cut at the comment: "bar" disappears, as in pip.
    assert lines_of("foo # c \\\nbar\nbaz\n") == [(1, 2, "foo"), (3, 3, "baz")]


def test_env_vars_only_braced_uppercase_form() -> None:
    environ = {"VER": "1.0", "lower": "x", "EMPTY": "", "PLAIN": "p"}
    content = "a==${VER}\nb==${lower}\nc==$PLAIN\nd==${EMPTY}\ne==${UNSET}\n"
    assert [text for _, _, text in lines_of(content, environ)] == [
        "a==1.0",
        "b==${lower}",
        "c==$PLAIN",
        "d==${EMPTY}",
        "e==${UNSET}",
    ]


def test_env_vars_expand_after_comment_stripping() -> None:
    # A value holding " #" must not turn the rest of the line into a comment.
    assert lines_of("foo${X}bar # c ${X}\n", {"X": " # "}) == [(1, 1, "foo # bar")]


def test_env_vars_come_from_the_mapping_not_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOST", "os.test")
    line = "-i https://${HOST}/simple\n"
    assert read(tmp_path, line, environ={}).options.index_url == "https://${HOST}/simple"
    expanded = read(tmp_path, line, environ={"HOST": "index.test"})
    assert expanded.options.index_url == "https://index.test/simple"


def test_unexpanded_variable_is_an_error_with_location(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "ok\npkg==${VER}\n")
    message = error_of(exc_info)
    assert message.startswith("requirements.txt:2: invalid requirement 'pkg==${VER}'")


def test_logical_line_records_unexpanded_text() -> None:
    (line,) = logical_lines("x @ https://${TOKEN}@index.test/x.whl", {"TOKEN": "secret"})
    assert line == LogicalLine(
        1, 1, "x @ https://secret@index.test/x.whl", "x @ https://${TOKEN}@index.test/x.whl"
    )


def test_splitlines_semantics_match_pip() -> None:
    # str.splitlines also splits on form feed and other separators, as pip does.
    assert lines_of("a\x0cb\r\nc\rd") == [(1, 1, "a"), (2, 2, "b"), (3, 3, "c"), (4, 4, "d")]


LINE_ALPHABET = st.sampled_from(
    ["a", "b", "1", " ", "\t", "#", "\\", "\n", "\r", "$", "{", "}", "=", "-", ";", "\x0c"]
)


@given(st.text(LINE_ALPHABET, max_size=60))
@settings(max_examples=400, deadline=None)
def test_logical_lines_match_pip_preprocess(content: str) -> None:
    req_file = pytest.importorskip("pip._internal.req.req_file")
    # The alphabet has no uppercase letters, so no ${NAME} can name a set variable.
    expected = list(req_file.preprocess(content))
    assert [(ln.first_line, ln.text) for ln in logical_lines(content, {})] == expected


@given(st.text(LINE_ALPHABET, max_size=60))
@settings(max_examples=200, deadline=None)
def test_logical_lines_are_ordered_and_disjoint(content: str) -> None:
    last = 0
    physical = content.splitlines()
    for line in logical_lines(content, {}):
        assert last < line.first_line <= line.last_line <= max(len(physical), 1)
        assert line.text == line.text.strip()
        assert line.text
        last = line.last_line


@given(st.lists(st.sampled_from(["a", "-", " ", "b", "--x", "=", '"']), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_break_args_options_matches_pip(line: str) -> None:
    req_file = pytest.importorskip("pip._internal.req.req_file")
    assert _break_args_options(line) == req_file.break_args_options(line)


# ---------------------------------------------------------------------------------------
# Requirement lines and strings
# ---------------------------------------------------------------------------------------


def test_requirement_with_extras_specifier_marker(tmp_path: Path) -> None:
    result = read(tmp_path, 'requests[socks,security] >=2.0, <3 ; python_version >= "3.8"\n')
    (entry,) = result.requirements
    assert entry.requirement is not None
    assert entry.direct is None
    assert entry.name == "requests"
    assert entry.requirement.extras == {"socks", "security"}
    assert entry.requirement.specifier == SpecifierSet(">=2.0,<3")
    assert entry.marker == Marker('python_version >= "3.8"')
    assert entry.origin == Origin("requirements.txt", 1)
    assert not entry.is_constraint


def test_marker_without_space_after_semicolon(tmp_path: Path) -> None:
    (entry,) = read(tmp_path, 'foo==1;sys_platform=="linux"\n').requirements
    assert str(entry.requirement) == 'foo==1; sys_platform == "linux"'


def test_per_requirement_options_are_kept(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """\
        foo==1.0 \\
            --hash=sha256:aaa \\
            --hash sha512:bbb
        bar --config-settings="--build-option=--x" -C k=v --global-option="--quiet"
        """,
    )
    foo, bar = result.requirements
    assert foo.hashes == ("sha256:aaa", "sha512:bbb")
    assert foo.raw == "foo==1.0 \\\n    --hash=sha256:aaa \\\n    --hash sha512:bbb"
    assert bar.config_settings == ("--build-option=--x", "k=v")
    assert bar.global_options == ("--quiet",)
    assert result.hash_checking
    assert not result.options.require_hashes


def test_options_other_than_per_requirement_ones_are_ignored_on_requirement_lines(
    tmp_path: Path,
) -> None:
    result = read(tmp_path, "foo --index-url https://index.test/simple --pre\n")
    assert result.options.index_url is None
    assert not result.options.pre
    assert result.requirements[0].name == "foo"


@pytest.mark.parametrize(
    ("line", "kind", "name", "url"),
    [
        (
            "foo @ https://index.test/foo-1.0.tar.gz",
            "url",
            "foo",
            "https://index.test/foo-1.0.tar.gz",
        ),
        ("foo @ git+https://git.test/foo.git@v1", "vcs", "foo", "git+https://git.test/foo.git@v1"),
        ("foo @ file:///srv/foo", "url", "foo", "file:///srv/foo"),
        (
            "git+https://git.test/x.git#egg=xpkg",
            "vcs",
            "xpkg",
            "git+https://git.test/x.git#egg=xpkg",
        ),
        ("hg+https://hg.test/x", "vcs", None, "hg+https://hg.test/x"),
        ("https://index.test/pkg-1.0.tar.gz", "url", None, "https://index.test/pkg-1.0.tar.gz"),
        (
            "https://index.test/a_b-2.0-py3-none-any.whl",
            "url",
            "a-b",
            "https://index.test/a_b-2.0-py3-none-any.whl",
        ),
    ],
)
def test_direct_references(
    tmp_path: Path, line: str, kind: str, name: str | None, url: str
) -> None:
    (entry,) = read(tmp_path, line + "\n").requirements
    assert entry.requirement is None
    assert isinstance(entry.direct, DirectRequirement)
    assert (entry.direct.kind, entry.direct.name, entry.direct.url) == (kind, name, url)
    assert entry.direct.outcome == NOT_ON_INDEX
    assert entry.specifier_span is None


def test_wheel_url_carries_its_version() -> None:
    entry = parse_requirement_string("https://index.test/a_b-2.0-py3-none-any.whl")
    assert entry.direct is not None
    assert entry.direct.version == "2.0"


def test_url_marker_needs_semicolon_space() -> None:
    entry = parse_requirement_string('https://index.test/p-1.tar.gz; sys_platform == "linux"')
    assert entry.direct is not None
    assert entry.direct.url == "https://index.test/p-1.tar.gz"
    assert entry.marker == Marker('sys_platform == "linux"')
    # Without the space the ";" belongs to the URL, exactly as in pip.
    glued = parse_requirement_string("https://index.test/p-1.tar.gz;x")
    assert glued.direct is not None
    assert glued.direct.url.endswith(";x")


def test_local_project_directory_and_archive(tmp_path: Path) -> None:
    directory = project(tmp_path)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "bar-2.0.tar.gz").write_bytes(b"")
    result = read(tmp_path, "./proj[extra]\ndist/bar-2.0.tar.gz\n./missing-1.0.zip\n")
    local, archive, missing = (entry.direct for entry in result.requirements)
    assert local is not None
    assert archive is not None
    assert missing is not None
    assert (local.kind, local.url, local.extras) == (
        "path",
        directory.as_uri(),
        frozenset({"extra"}),
    )
    assert (archive.kind, archive.name) == ("path", None)
    # pip warns that the archive does not exist, but still treats it as a path.
    assert missing.kind == "path"


def test_paths_resolve_against_cwd_argument(tmp_path: Path) -> None:
    # pip resolves local paths against its working directory, not the file's.
    (tmp_path / "elsewhere").mkdir()
    directory = project(tmp_path / "elsewhere")
    write(tmp_path / "elsewhere" / "reqs" / "r.txt", "./proj\n")
    result = read_requirements_file("reqs/r.txt", NO_ENV, cwd=tmp_path / "elsewhere")
    assert result.requirements[0].origin == Origin("reqs/r.txt", 1)
    assert result.requirements[0].direct is not None
    assert result.requirements[0].direct.url == directory.as_uri()


def test_directory_that_is_not_a_project_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notproj").mkdir()
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "./notproj\n")
    assert error_of(exc_info) == (
        "requirements.txt:1: directory './notproj' is not installable; "
        "it needs a 'setup.py' or 'pyproject.toml'"
    )


def test_editables(tmp_path: Path) -> None:
    directory = project(tmp_path)
    result = read(
        tmp_path,
        """\
        -e ./proj[dev]
        --editable=git+https://git.test/x.git#egg=xpkg[a]
        -e git://git.test/y.git#egg=ypkg
        -e ./proj --hash=sha256:ignored
        """,
    )
    local, vcs, bare_git, hashed = (entry.direct for entry in result.requirements)
    assert local == DirectRequirement(
        "editable", "./proj[dev]", directory.as_uri(), None, frozenset({"dev"})
    )
    assert vcs is not None
    assert (vcs.kind, vcs.name, vcs.extras) == ("editable", "xpkg", frozenset({"a"}))
    # pip prefixes a bare "git:" URL with "git+".
    assert bare_git is not None
    assert bare_git.url == "git+git://git.test/y.git#egg=ypkg"
    assert result.requirements[3].hashes == ()
    assert hashed is not None


def test_editable_strings() -> None:
    for text in (
        "-e git+https://g.test/x#egg=x",
        "-egit+https://g.test/x#egg=x",
        "--editable git+https://g.test/x#egg=x",
        "--editable=git+https://g.test/x#egg=x",
    ):
        direct = parse_requirement_string(text).direct
        assert direct is not None, text
        assert direct.kind == "editable", text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "-e https://index.test/x.tar.gz",
            "'https://index.test/x.tar.gz' is not a valid editable requirement; give a path to "
            "a local project directory or a VCS URL (beginning with bzr+http,",
        ),
        (
            "-e git+https://git.test/x.git",
            "could not detect the requirement name of 'git+https://git.test/x.git'; "
            "add one with #egg=your_package_name",
        ),
        ("-e", "'-e' is an option, not a requirement; give a requirement, or -e with a path"),
        ("-r other.txt", "'-r other.txt' is an option, not a requirement"),
    ],
)
def test_bad_editable_strings(text: str, message: str) -> None:
    with pytest.raises(InvalidRequirement) as exc_info:
        parse_requirement_string(text)
    assert error_of(exc_info).startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo=1.0", "invalid requirement 'foo=1.0': "),
        ("foo ==", "invalid requirement 'foo ==': Expected"),
        ("foo; python_version >>> '3'", "invalid environment marker \"python_version >>> '3'\""),
        ("https://index.test/bad-name.whl", "bad-name.whl is not a valid wheel filename"),
        ("sub/missing", "invalid requirement 'sub/missing'"),
    ],
)
def test_invalid_requirement_strings(text: str, message: str) -> None:
    with pytest.raises(InvalidRequirement) as exc_info:
        parse_requirement_string(text)
    assert error_of(exc_info).startswith(message)


def test_invalid_requirement_hints() -> None:
    with pytest.raises(InvalidRequirement, match=r"= is not a valid operator: did you mean == \?$"):
        parse_requirement_string("foo=1.0")
    with pytest.raises(
        InvalidRequirement, match=r"it looks like a path, but 'sub/missing' does not exist"
    ):
        parse_requirement_string("sub/missing")


def test_existing_file_hint_suggests_dash_r(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "reqs.txt", "foo\n")
    with pytest.raises(InvalidRequirement, match=r"use -r sub/reqs.txt$"):
        parse_requirement_string("sub/reqs.txt")


def test_string_origin_is_prefixed() -> None:
    with pytest.raises(InvalidRequirement) as exc_info:
        parse_requirement_string("foo ==", Origin("cli", 3))
    assert error_of(exc_info).startswith("cli:3: invalid requirement")
    assert parse_requirement_string("foo").origin is None


def test_input_requirement_needs_exactly_one_kind() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        InputRequirement(requirement=None, direct=None)
    direct = DirectRequirement("url", "https://index.test/x", "https://index.test/x")
    with pytest.raises(ValueError, match="exactly one"):
        InputRequirement(requirement=Requirement("x"), direct=direct)


def test_constraint_problem_mirrors_pip() -> None:
    named = parse_requirement_string("foo<2")
    assert constraint_problem(named) is None
    assert (
        constraint_problem(parse_requirement_string("foo[x]<2")) == "Constraints cannot have extras"
    )
    assert constraint_problem(parse_requirement_string("https://index.test/p.tar.gz")) == (
        "Unnamed requirements are not allowed as constraints"
    )
    editable = parse_requirement_string("-e git+https://g.test/x#egg=x")
    assert constraint_problem(editable) == "Editable requirements are not allowed as constraints"
    assert constraint_problem(parse_requirement_string("x @ https://index.test/x.tar.gz")) is None


# ---------------------------------------------------------------------------------------
# Specifier spans
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "spec"),
    [
        ("foo==1.0", "==1.0"),
        ("  Foo_Bar [x, y]>=1,<2 ; python_version<'4'", ">=1,<2"),
        ("foo >= 1.0 , < 2 ", ">= 1.0 , < 2"),
        ("foo ( >=1.0 )", ">=1.0"),
        ("foo[x]", ""),
    ],
)
def test_specifier_span_of_strings(line: str, spec: str) -> None:
    span = parse_requirement_string(line).specifier_span
    assert span is not None
    assert line[span[0] : span[1]] == spec


@pytest.mark.parametrize(
    ("line", "spec"),
    [
        ("foo==1.0 \\", "==1.0"),
        ("foo~=1.4 --hash=sha256:x", "~=1.4"),
        ("foo >=1 # c", ">=1"),
        ("foo>=1;os_name=='nt'", ">=1"),
    ],
)
def test_specifier_span_of_file_lines(tmp_path: Path, line: str, spec: str) -> None:
    continuation = "  --hash=sha256:x\n" if line.endswith("\\") else ""
    (entry,) = read(tmp_path, f"{line}\n{continuation}").requirements
    assert entry.specifier_span is not None
    start, end = entry.specifier_span
    assert entry.raw.splitlines()[0][start:end] == spec


def test_specifier_span_in_files_allows_rewriting(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """\
        # pinned
        requests[socks] >=2.0,<3 ; python_version >= "3.8"  # keep me
        numpy==1.26.0 \\
            --hash=sha256:abc
        six
        attrs (>=20)
        pkg==${VER}
        """,
        environ={"VER": "1.0"},
    )
    spans = [entry.specifier_span for entry in result.requirements]
    first_lines = [entry.raw.splitlines()[0] for entry in result.requirements]
    written = []
    for line, span in zip(first_lines[:4], spans[:4], strict=True):
        assert span is not None
        written.append(line[span[0] : span[1]])
    assert written == [">=2.0,<3", "==1.26.0", "", ">=20"]
    assert spans[2] == (3, 3)  # insertion point right after the name
    assert spans[4] is None  # the specifier uses ${VER}
    start, end = spans[0] or (0, 0)
    rewritten = first_lines[0][:start] + "==2.31.0" + first_lines[0][end:]
    assert rewritten == 'requests[socks] ==2.31.0 ; python_version >= "3.8"  # keep me'


def test_specifier_split_across_lines_has_no_span(tmp_path: Path) -> None:
    (entry,) = read(tmp_path, "foo>=1,\\\n<2\n").requirements
    assert entry.requirement is not None
    assert entry.requirement.specifier == SpecifierSet(">=1,<2")
    assert entry.specifier_span is None


NAMES = st.sampled_from(["foo", "Foo_Bar", "a.b-c", "x1"])
SPECS = st.sampled_from(["", "==1.0", ">=1,<2", " >= 1.0 , != 1.5", "~=2.1", "===weird", "(>=3)"])
MARKERS = st.sampled_from(["", "; python_version < '4'", ' ;os_name=="nt"'])
EXTRAS = st.sampled_from(["", "[a]", " [a, b]"])
COMMENTS = st.sampled_from(["", "  # note", " #x"])


@given(NAMES, EXTRAS, SPECS, MARKERS)
@settings(max_examples=300, deadline=None)
def test_span_rewrite_keeps_everything_else(name: str, extras: str, spec: str, marker: str) -> None:
    line = f"{name}{extras}{spec}{marker}"
    entry = parse_requirement_string(line)
    assert entry.specifier_span is not None
    start, end = entry.specifier_span
    new_line = line[:start] + "==9.9" + line[end:]
    rewritten = parse_requirement_string(new_line).requirement
    assert rewritten is not None
    assert entry.requirement is not None
    assert rewritten.specifier == SpecifierSet("==9.9")
    assert rewritten.name == entry.requirement.name
    assert rewritten.extras == entry.requirement.extras
    assert rewritten.marker == entry.requirement.marker


@given(NAMES, EXTRAS, SPECS, MARKERS, COMMENTS)
@settings(max_examples=200, deadline=None)
def test_span_rewrite_in_a_file(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    extras: str,
    spec: str,
    marker: str,
    comment: str,
) -> None:
    path = tmp_path_factory.mktemp("span") / "r.txt"
    line = f"{name}{extras}{spec}{marker}{comment}"
    path.write_text(f"# header\n{line}\n", encoding="utf-8")
    (entry,) = read_requirements_file(path, NO_ENV).requirements
    assert entry.raw == line
    assert entry.specifier_span is not None
    start, end = entry.specifier_span
    path.write_text(f"# header\n{line[:start]}<5{line[end:]}\n", encoding="utf-8")
    (again,) = read_requirements_file(path, NO_ENV).requirements
    assert again.requirement is not None
    assert entry.requirement is not None
    assert again.requirement.specifier == SpecifierSet("<5")
    assert again.marker == entry.marker
    assert again.raw.endswith(comment)


# ---------------------------------------------------------------------------------------
# Option lines
# ---------------------------------------------------------------------------------------


def test_all_option_lines(tmp_path: Path) -> None:
    (tmp_path / "links").mkdir()
    result = read(
        tmp_path,
        """\
        --index-url https://index.test/simple
        --extra-index-url https://extra.test/simple
        --extra-index-url=https://extra2.test/simple
        -f ./links
        --find-links https://links.test/ -f ./ignored-second
        --find-links ./not-there
        --only-binary :all:
        --no-binary foo,Bar_Baz
        --pre
        --prefer-binary
        --trusted-host a.test --trusted-host b.test:8080
        --require-hashes
        --use-feature truststore
        foo
        """,
    )
    options = result.options
    assert options.index_url == "https://index.test/simple"
    assert options.extra_index_urls == ("https://extra.test/simple", "https://extra2.test/simple")
    # pip joins a -f onto the file's directory (unnormalised) when it exists there.
    here = os.path.join(str(tmp_path), "./links")
    assert options.find_links == (here, "https://links.test/", "./not-there")
    assert options.only_binary == (":all:",)
    assert options.no_binary == ("bar-baz", "foo")
    assert options.pre
    assert options.prefer_binary
    assert options.require_hashes
    assert options.trusted_hosts == ("a.test", "b.test:8080")
    assert options.features_enabled == ("truststore",)
    assert result.hash_checking


def test_short_and_abbreviated_option_spellings(tmp_path: Path) -> None:
    # optparse, and so pip, accepts unambiguous prefixes of long options.
    result = read(tmp_path, "-ihttps://a.test/simple\n--extra https://b.test/simple\n--prefer\n")
    assert result.options.index_url == "https://a.test/simple"
    assert result.options.extra_index_urls == ("https://b.test/simple",)
    assert result.options.prefer_binary


def test_index_url_replaces_earlier_extra_index_urls(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        "--extra-index-url https://e1.test\n-i https://a.test\n--extra-index-url https://e2.test\n",
    )
    assert result.options.index_url == "https://a.test"
    assert result.options.extra_index_urls == ("https://e2.test",)
    assert result.options.effective_index_urls(["https://cli.test"]) == (
        "https://a.test",
        "https://e2.test",
    )


def test_extra_index_urls_add_to_the_command_line_index(tmp_path: Path) -> None:
    options = read(tmp_path, "--extra-index-url https://e.test\n").options
    assert options.effective_index_urls(["https://cli.test"]) == (
        "https://cli.test",
        "https://e.test",
    )
    assert options.effective_index_urls(["https://cli.test"], cli_no_index=True) == ()


def test_no_index_clears_and_ignores_later_indexes(tmp_path: Path) -> None:
    options = read(
        tmp_path,
        "-i https://a.test\n--no-index\n-i https://b.test\n--extra-index-url https://c.test\n",
    ).options
    assert options.no_index
    assert (options.index_url, options.extra_index_urls) == (None, ())
    assert options.effective_index_urls(["https://cli.test"]) == ()


def test_format_options_apply_on_every_kind_of_line(tmp_path: Path) -> None:
    # pip's FormatControl is shared with its finder, so even requirement lines change it.
    write(tmp_path / "sub.txt", "x\n")
    result = read(tmp_path, "foo --no-binary foo\n-r sub.txt --only-binary bar\n")
    assert result.options.no_binary == ("foo",)
    assert result.options.only_binary == ("bar",)
    assert result.options.format_changes == (("no-binary", "foo"), ("only-binary", "bar"))


def test_format_changes_replay_on_the_command_line_control(tmp_path: Path) -> None:
    options = read(tmp_path, "--no-binary :none:\n--no-binary pkg\n").options
    cli = FormatControl().handle("no-binary", "a,b").handle("only-binary", "c")
    replayed = options.format_control(cli)
    assert replayed == FormatControl(no_binary=frozenset({"pkg"}), only_binary=frozenset({"c"}))


def test_dash_r_line_ignores_its_other_options(tmp_path: Path) -> None:
    # pip yields the nested file's lines in place of the -r line, so --pre is lost.
    write(tmp_path / "a.txt", "x\n")
    write(tmp_path / "b.txt", "y\n")
    result = read(tmp_path, "-r a.txt -r b.txt --pre\n")
    assert [entry.name for entry in result.requirements] == ["x"]
    assert not result.options.pre


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--bogus", "no such option: --bogus in '--bogus'"),
        ("-i", "-i option requires 1 argument in '-i'"),
        ("--re x", "ambiguous option: --re (--require-hashes, --requirement?) in '--re x'"),
        ("foo --hash=abc", "Arguments to --hash must be a hash name followed by a value"),
        ("foo --hash=md5:abc", "Allowed hash algorithms for --hash are sha256, sha384, sha512."),
        ("foo -C novalue", "Arguments to -C must be of the form KEY=VAL"),
        ("foo --global-option 'unbalanced", "could not split the options (unbalanced quotes?)"),
        ("--no-binary --pre", "--no-binary / --only-binary option requires 1 argument."),
        ("--use-feature nope", "option --use-feature: invalid choice: 'nope'"),
        ("--pre=yes", "--pre option does not take a value"),
    ],
)
def test_option_errors(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "ok\n" + line + "\n")
    text = error_of(exc_info)
    assert text.startswith("requirements.txt:2: " + message)
    assert text.endswith(
        "; fix the option (see 'pip install --help' for requirements-file options)"
    )


def test_error_messages_redact_credentials(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "--index-url https://user:secret@index.test/simple --bogus\n")
    assert "secret" not in error_of(exc_info)
    assert "user:****@index.test" in str(exc_info.value)


def test_error_messages_do_not_show_expanded_variables(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "-i ${TOKEN} --bogus\n", environ={"TOKEN": "hunter2"})
    assert "hunter2" not in error_of(exc_info)
    assert "${TOKEN}" in str(exc_info.value)


def test_silently_ignored_input_becomes_a_warning(tmp_path: Path) -> None:
    result = read(tmp_path, "--hash=sha256:abc\n--pre foo\n")
    assert result.warnings == (
        "requirements.txt:1: --hash on a line without a requirement is ignored, as pip "
        "ignores it; put it on the requirement's line",
        "requirements.txt:2: 'foo' after the options is ignored, as pip ignores it; "
        "put each requirement at the start of its own line",
    )
    assert result.requirements == ()
    assert result.options.pre


# ---------------------------------------------------------------------------------------
# FormatControl
# ---------------------------------------------------------------------------------------


def test_format_control_semantics() -> None:
    control = FormatControl().handle("only-binary", ":all:").handle("no-binary", "numpy,Pillow")
    assert control.only_binary == {":all:"}
    assert control.no_binary == {"numpy", "pillow"}
    assert control.allowed_formats("NumPy") == {"source"}
    assert control.allowed_formats("other") == {"binary"}
    assert FormatControl().allowed_formats("x") == {"binary", "source"}
    # ":all:" clears both sets; a later name moves from one set to the other.
    later = control.handle("no-binary", ":all:").handle("only-binary", "numpy")
    assert later == FormatControl(frozenset({":all:"}), frozenset({"numpy"}))
    assert later.handle("no-binary", ":none:") == FormatControl(frozenset(), frozenset({"numpy"}))
    assert FormatControl().handle("no-binary", ":all:,:none:,a") == FormatControl(frozenset({"a"}))


def test_format_control_missing_value() -> None:
    with pytest.raises(ConfigurationError, match="requires 1 argument"):
        FormatControl().handle("only-binary", "--pre")


FORMAT_VALUES = st.sampled_from(
    [":all:", ":none:", "a", "B_b", "a,b", "a,:all:", ":all:,:none:,c", "c,:none:,a", ":all:,b"]
)


@given(
    st.lists(st.tuples(st.sampled_from(["no-binary", "only-binary"]), FORMAT_VALUES), max_size=8)
)
@settings(max_examples=300, deadline=None)
def test_format_control_matches_pip(ops: list[tuple[str, str]]) -> None:
    format_control = pytest.importorskip("pip._internal.models.format_control")
    theirs = format_control.FormatControl(set(), set())
    ours = FormatControl()
    for kind, value in ops:
        if kind == "no-binary":
            theirs.handle_mutual_excludes(value, theirs.no_binary, theirs.only_binary)
            ours = ours.handle("no-binary", value)
        else:
            theirs.handle_mutual_excludes(value, theirs.only_binary, theirs.no_binary)
            ours = ours.handle("only-binary", value)
    assert (ours.no_binary, ours.only_binary) == (theirs.no_binary, theirs.only_binary)
    for name in ("a", "b-b", "c", "z"):
        assert ours.allowed_formats(name) == theirs.get_allowed_formats(name)


# ---------------------------------------------------------------------------------------
# Nested files
# ---------------------------------------------------------------------------------------


def test_nested_files_are_relative_to_the_including_file(tmp_path: Path) -> None:
    write(tmp_path / "reqs" / "base.txt", "-r common/deps.txt\n-c ../constraints.txt\nbase\n")
    write(tmp_path / "reqs" / "common" / "deps.txt", "# c\n\ndeep==1\n")
    write(tmp_path / "constraints.txt", "deep<2\n-r reqs/extra.txt\n")
    write(tmp_path / "reqs" / "extra.txt", "extra\n")
    result = read(tmp_path, "top\n-r reqs/base.txt\nlast\n")
    assert [(e.name, e.origin) for e in result.requirements] == [
        ("top", Origin("requirements.txt", 1)),
        ("deep", Origin("reqs/common/deps.txt", 3)),
        # A -r inside a constraints file nests requirements, as in pip.
        ("extra", Origin("reqs/../reqs/extra.txt", 1)),
        ("base", Origin("reqs/base.txt", 3)),
        ("last", Origin("requirements.txt", 3)),
    ]
    (constraint,) = result.constraints
    assert constraint.is_constraint
    assert constraint.name == "deep"
    assert constraint.origin == Origin("reqs/../constraints.txt", 1)


def test_read_as_constraints_file(tmp_path: Path) -> None:
    write(tmp_path / "c.txt", "foo<2\n")
    result = read_requirements_file("c.txt", NO_ENV, constraint=True)
    assert result.requirements == ()
    assert [c.is_constraint for c in result.constraints] == [True]


def test_same_file_twice_is_not_a_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r common.txt\n")
    write(tmp_path / "b.txt", "-r common.txt\n")
    write(tmp_path / "common.txt", "x\n")
    result = read(tmp_path, "-r a.txt\n-r b.txt\n")
    assert [e.name for e in result.requirements] == ["x", "x"]


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "b.txt", "-c ../requirements.txt\n")
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "foo\n-r sub/b.txt\n")
    assert error_of(exc_info) == (
        "sub/b.txt:1: '-c' includes sub/../requirements.txt, which is already being read "
        "(cycle: requirements.txt -> sub/b.txt -> requirements.txt); remove one of the includes"
    )


def test_self_include_cycle(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequirementsFile, match=r"^requirements.txt:1: '-r' includes "):
        read(tmp_path, "-r requirements.txt\n")


def test_missing_nested_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "foo\n-c nope.txt\n")
    assert error_of(exc_info) == (
        "requirements.txt:2: cannot open constraints file 'nope.txt': No such file or directory; "
        "check the path, which is relative to the including file"
    )


def test_missing_top_level_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read_requirements_file("nope.txt", NO_ENV)
    assert error_of(exc_info) == (
        "nope.txt: cannot open requirements file: No such file or directory; check the path"
    )


def test_nested_url_is_not_fetched(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read(tmp_path, "-r https://user:pw@index.test/reqs.txt\n")
    assert error_of(exc_info) == (
        "requirements.txt:1: '-r https://user:****@index.test/reqs.txt' names a URL, and "
        "wheelshim does not download requirements files; download it and include the local "
        "copy instead"
    )


def test_top_level_url_is_not_fetched() -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read_requirements_file("https://index.test/r.txt", NO_ENV, constraint=True)
    assert error_of(exc_info) == (
        "https://index.test/r.txt: wheelshim does not download constraints files; "
        "download it and pass the local copy"
    )


def test_file_urls_are_read(tmp_path: Path) -> None:
    nested = write(tmp_path / "n.txt", "nested\n")
    top = write(tmp_path / "t.txt", f"-r {nested.as_uri()}\n")
    result = read_requirements_file(top.as_uri(), NO_ENV)
    assert [e.name for e in result.requirements] == ["nested"]


# ---------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------


def test_bom_and_coding_line(tmp_path: Path) -> None:
    (tmp_path / "u16.txt").write_bytes("foo==1 # ünï\n".encode("utf-16"))
    (tmp_path / "latin.txt").write_bytes(
        "# -*- coding: latin-1 -*-\nbar # \xe9\n".encode("latin-1")
    )
    assert read_requirements_file("u16.txt", NO_ENV).requirements[0].name == "foo"
    assert read_requirements_file("latin.txt", NO_ENV).requirements[0].raw == "bar # \xe9"


def test_undecodable_file(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"# coding: ascii\nfoo # \xff\n")
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read_requirements_file("bad.txt", NO_ENV)
    assert error_of(exc_info) == (
        "bad.txt: cannot be decoded as ascii: ordinal not in range(128); save it as UTF-8"
    )
    (tmp_path / "unknown.txt").write_bytes(b"# coding: klingon\nfoo\n")
    with pytest.raises(InvalidRequirementsFile, match="unknown encoding 'klingon'"):
        read_requirements_file("unknown.txt", NO_ENV)


# ---------------------------------------------------------------------------------------
# pip-compile / uv output and a differential test against pip itself
# ---------------------------------------------------------------------------------------


def test_pip_compile_output(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """\
        #
        # This file is autogenerated by pip-compile with Python 3.11
        #
        --index-url https://index.test/simple

        certifi==2024.2.2 \\
            --hash=sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f \\
            --hash=sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1
            # via requests
        requests==2.31.0 ; python_version >= "3.8" \\
            --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f
            # via -r requirements.in
        """,
    )
    certifi, requests = result.requirements
    assert certifi.origin == Origin("requirements.txt", 6)
    assert len(certifi.hashes) == 2
    assert certifi.specifier_span == (7, 17)
    assert requests.marker == Marker('python_version >= "3.8"')
    assert requests.raw.count("\n") == 1
    assert result.options.index_url == "https://index.test/simple"
    assert result.hash_checking


DIFFERENTIAL_FILES = [
    """\
    --index-url https://user:pw@index.test/simple
    --extra-index-url https://extra.test/simple
    requests[socks]>=2.0,<3 ; python_version >= "3.8"  # trailing
    numpy==1.26.0 \\
        --hash=sha256:abc \\
        --hash=sha512:def
    -e ./proj
    -r sub/more.txt
    -c sub/cons.txt
    git+https://git.test/x.git#egg=xpkg
    foo @ https://index.test/foo-1.0.tar.gz
    ./dist/bar-2.0-py3-none-any.whl
    pkg==${VER}
    --no-binary :all: --only-binary numpy
    --pre
    """,
    """\
    --extra-index-url https://a.test/simple
    -i https://b.test/simple
    --extra-index-url=https://c.test/simple
    -f ./links
    -f https://links.test/ -f ./second
    --prefer-binary
    --only-binary=:all: --no-binary foo,bar
    --only-binary :none:
    --require-hashes
    baz --no-binary baz
    qux[a,b] (>=1.0)
    """,
    """\
    -i https://a.test/simple
    --no-index
    --extra-index-url https://late.test
    foo \\
    # comment ends it
    bar==1.0 # c \\
    ignored==2
    baz>=1;python_version<"4"
    https://host.test/pkg-1.0.tar.gz; sys_platform == "linux"
    -e git+https://git.test/e.git#egg=epkg[x]
    """,
]


def _pip(module: str) -> Any:
    """Import one of pip's internal modules, or skip the test without pip."""
    return pytest.importorskip(f"pip._internal.{module}")


def _pip_view(path: str, environ: dict[str, str]) -> Any:
    """Parse ``path`` with pip's own code and return comparable facts.

    pip reads ``${VAR}`` from ``os.environ``, so ``environ`` is patched in meanwhile.
    """
    import optparse
    from unittest import mock

    req_file = _pip("req.req_file")
    session = _pip("network.session").PipSession()
    scope = _pip("models.search_scope").SearchScope.create(
        find_links=[], index_urls=["https://cli.test/simple"], no_index=False
    )
    finder = _pip("index.package_finder").PackageFinder.create(
        link_collector=_pip("index.collector").LinkCollector(session=session, search_scope=scope),
        selection_prefs=_pip("models.selection_prefs").SelectionPreferences(
            allow_yanked=True,
            format_control=_pip("models.format_control").FormatControl(set(), set()),
        ),
    )
    from_parsed = _pip("req.constructors").install_req_from_parsed_requirement
    options = optparse.Values({"require_hashes": False, "features_enabled": []})
    entries = []
    with mock.patch.dict(os.environ, environ):
        parsed_lines = list(
            req_file.parse_requirements(path, session, finder=finder, options=options)
        )
    for parsed in parsed_lines:
        ireq = from_parsed(parsed)
        entries.append(
            (
                parsed.comes_from,
                canonicalize_name(ireq.name) if ireq.name else None,
                ireq.editable,
                ireq.link.url if ireq.link else None,
                str(ireq.markers) if ireq.markers else None,
                {k: list(v) for k, v in ireq.hash_options.items()},
                tuple(sorted(ireq.extras)),
            )
        )
    state = (
        list(finder.index_urls),
        list(finder.find_links),
        finder.format_control.no_binary,
        finder.format_control.only_binary,
        finder._candidate_prefs.allow_all_prereleases,
        finder._candidate_prefs.prefer_binary,
        bool(options.require_hashes),
    )
    return entries, state


def _our_view(result: InputSet) -> Any:
    entries = []
    for entry in (*result.requirements, *result.constraints):
        hashes: dict[str, list[str]] = {}
        for item in entry.hashes:
            algo, _, digest = item.partition(":")
            hashes.setdefault(algo, []).append(digest)
        assert entry.origin is not None
        extras = entry.requirement.extras if entry.requirement else entry.direct.extras  # type: ignore[union-attr]
        directive = "-c" if entry.is_constraint else "-r"
        entries.append(
            (
                f"{directive} {entry.origin.path} (line {entry.origin.line})",
                entry.name,
                entry.direct is not None and entry.direct.kind == "editable",
                entry.direct.url if entry.direct else None,
                str(entry.marker) if entry.marker else None,
                hashes,
                tuple(sorted(extras)),
            )
        )
    options = result.options
    control = options.format_control()
    state = (
        list(options.effective_index_urls(["https://cli.test/simple"])),
        list(options.find_links),
        set(control.no_binary),
        set(control.only_binary),
        options.pre,
        options.prefer_binary,
        options.require_hashes,
    )
    return entries, state


@pytest.mark.parametrize("content", DIFFERENTIAL_FILES)
def test_same_result_as_pip(tmp_path: Path, content: str) -> None:
    project(tmp_path)
    (tmp_path / "links").mkdir()
    write(tmp_path / "sub" / "more.txt", "six\n")
    write(tmp_path / "sub" / "cons.txt", "urllib3<2\n")
    write(tmp_path / "requirements.txt", content)
    environ = {"VER": "1.2"}
    ours = read_requirements_file("requirements.txt", environ)
    theirs_entries, theirs_state = _pip_view("requirements.txt", environ)
    our_entries, our_state = _our_view(ours)
    # pip yields constraints interleaved; compare as multisets of facts, then state.
    assert sorted(map(repr, our_entries)) == sorted(map(repr, theirs_entries))
    assert our_state == theirs_state


DIFFERENTIAL_LINES = [
    "foo", "foo==1.0", "Foo_Bar[x]>=1,<2 ; python_version>'3'", "foo \\", "  --hash=sha256:abc",
    "# c", "", "bar # c \\", "baz==${VER}", "-e ./proj", "-e ./proj[dev]",
    "-e git+https://g.test/x#egg=x", "./proj", "git+https://g.test/y#egg=y",
    "https://h.test/z-1.0-py3-none-any.whl", "https://h.test/a.tar.gz; os_name=='nt'",
    "-r sub/more.txt", "-c sub/cons.txt", "--pre", "--prefer-binary", "-i https://i.test",
    "--index-url=https://j.test", "--extra-index-url https://e.test", "--no-index", "-f ./links",
    "-f https://f.test -f ./links", "--no-binary :all:", "--only-binary a,b", "--no-binary :none:",
    "--only-binary=:all:,:none:,c", "qux --no-binary qux", "--require-hashes",
    "x --hash=sha384:q --hash sha512:r", "y -C a=b --global-option=g", "--trusted-host t.test",
    "   ", "\\", "z @ file:///srv/z", "w[a] (>=1)", "foo=1", "--bogus", "--hash=md5:x",
    "--pre extra", "v;sys_platform=='linux'", "-i", "#-r nope.txt", "--extra https://abbr.test",
    "-e", "t ; ", "u==1 #", "pkg\\", "more",
]  # fmt: skip


@given(st.lists(st.sampled_from(DIFFERENTIAL_LINES), min_size=1, max_size=8))
@settings(max_examples=80, deadline=None)
def test_random_files_same_result_as_pip(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    # Same entries, same finder state, and an error exactly when pip fails too.
    base = tmp_path_factory.mktemp("differential")
    os.chdir(base)
    project(base)
    (base / "links").mkdir()
    write(base / "sub" / "more.txt", "six\n--pre\n")
    write(base / "sub" / "cons.txt", "urllib3<2\n-r more.txt\n")
    (base / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    environ = {"VER": "1.2"}
    try:
        ours: Any = _our_view(read_requirements_file("requirements.txt", environ))
    except InvalidRequirementsFile:
        ours = None
    try:
        theirs: Any = _pip_view("requirements.txt", environ)
    except Exception:  # pip's own InstallationError, optparse errors ...
        theirs = None
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert sorted(map(repr, ours[0])) == sorted(map(repr, theirs[0]))
        assert ours[1] == theirs[1]


# ---------------------------------------------------------------------------------------
# pyproject.toml
# ---------------------------------------------------------------------------------------

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "Me"
dependencies = ["requests>=2", "tomli; python_version < '3.11'", "lib @ git+https://git.test/lib"]

[project.optional-dependencies]
Socks = ["pysocks"]
test = ["pytest>=8"]
all = ["me[socks,test]", "me[missing]; os_name == 'nt'"]
win = ["me[test]; sys_platform == 'win32'"]

[dependency-groups]
lint = ["ruff"]
typing = ["mypy", {include-group = "lint"}]
Dev = [{include-group = "typing"}, "pre-commit"]
"""


def test_pyproject_dependencies(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    result = read_pyproject("pyproject.toml")
    requests, tomli, lib = result.requirements
    assert requests.origin == Origin("pyproject.toml", None, "project.dependencies[0]")
    assert requests.raw == "requests>=2"
    assert requests.specifier_span == (8, 11)
    assert tomli.marker == Marker("python_version < '3.11'")
    assert lib.direct is not None
    assert (lib.direct.kind, lib.direct.name) == ("vcs", "lib")
    assert [str(b.requirement) for b in result.build_requirements] == ["setuptools>=69", "wheel"]
    assert result.options == FileOptions()


def test_pyproject_extras_by_normalised_name(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    result = read_pyproject("pyproject.toml", extras=["socks"])
    assert [e.name for e in result.requirements] == ["requests", "tomli", "lib", "pysocks"]
    assert result.requirements[3].origin == Origin(
        "pyproject.toml", None, "project.optional-dependencies.Socks[0]"
    )


def test_pyproject_self_referencing_extras_expand(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    result = read_pyproject("pyproject.toml", extras=["all", "win"])
    names = [e.name for e in result.requirements[3:]]
    assert names == ["pysocks", "pytest", "pytest"]
    assert result.requirements[4].marker is None
    assert result.requirements[5].marker == Marker("sys_platform == 'win32'")
    assert result.warnings == (
        "pyproject.toml (project.optional-dependencies.all[1]): the project has no extra "
        "'missing', so pip installs nothing for it; fix the name",
    )


def test_pyproject_all_extras_and_groups(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    result = read_pyproject("pyproject.toml", extras=[ALL], groups=[ALL])
    # "all" adds nothing new (its extras were already expanded); "win" adds pytest again
    # under its marker; groups are resolved one by one, repeats kept, as PEP 735 does.
    assert [e.name for e in result.requirements] == [
        "requests", "tomli", "lib", "pysocks", "pytest", "pytest",
        "ruff", "mypy", "ruff", "mypy", "ruff", "pre-commit",
    ]  # fmt: skip


def test_pyproject_dependency_groups(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    assert read_pyproject("pyproject.toml", groups="dev") == read_pyproject(
        "pyproject.toml", groups=["dev"]
    )
    result = read_pyproject("pyproject.toml", groups=["dev"])
    assert [e.name for e in result.requirements][3:] == ["mypy", "ruff", "pre-commit"]
    assert result.requirements[4].origin == Origin(
        "pyproject.toml", None, "dependency-groups.lint[0]"
    )


def test_dependency_groups_match_reference_implementation(tmp_path: Path) -> None:
    dependency_groups = pytest.importorskip("dependency_groups")
    import tomllib

    write(tmp_path / "pyproject.toml", PYPROJECT)
    table = tomllib.loads(PYPROJECT)["dependency-groups"]
    for group in ("lint", "typing", "Dev"):
        expected = [str(r) for r in dependency_groups.resolve(table, group)]
        ours = read_pyproject("pyproject.toml", groups=[group]).requirements[3:]
        assert [str(e.requirement) for e in ours] == expected


@pytest.mark.parametrize(
    ("toml", "kwargs", "message"),
    [
        ("[project]\nname='x'\n", {"extras": ["nope"]},
         "pyproject.toml: no extra named 'nope' in [project.optional-dependencies]; "
         "choose one of: none"),
        ("[dependency-groups]\na=['x']\n", {"groups": ["b"]},
         "pyproject.toml: no dependency group named 'b' in [dependency-groups]; choose one of: a"),
        ("[dependency-groups]\na=[{include-group='b'}]\nb=[{include-group='A'}]\n",
         {"groups": ["a"]},
         "pyproject.toml: dependency group 'a' includes itself (a -> b -> a); "
         "remove one of these include-group entries"),
        ("[dependency-groups]\na=[{include-group='zz'}]\n", {"groups": ["a"]},
         "pyproject.toml (dependency-groups.a[0]): includes unknown dependency group 'zz'; "
         "choose one of: a"),
        ("[dependency-groups]\na=[{include='b'}]\n", {"groups": ["a"]},
         "pyproject.toml (dependency-groups.a[0]): {'include': 'b'} is neither a requirement "
         "string nor an include-group table"),
        ("[dependency-groups]\nA_b=['x']\na-b=['y']\n", {"groups": ["a-b"]},
         "pyproject.toml: dependency groups 'A_b' and 'a-b' have the same normalised name"),
        ("[dependency-groups]\n'bad name'=['x']\n", {"groups": ["x"]},
         "pyproject.toml: 'bad name' is not a valid dependency group name"),
        ("[project]\ndependencies=['ok', 'bad ==']\n", {},
         "pyproject.toml (project.dependencies[1]): 'bad ==' is not a valid requirement: "
         "Expected"),
        ("[project]\ndependencies=[1]\n", {},
         "pyproject.toml (project.dependencies[0]): expected a requirement string, found 1"),
        ("[project]\ndependencies='x'\n", {},
         "pyproject.toml: [project].dependencies must be an array"),
        ("[project\n", {}, "pyproject.toml: not valid TOML: "),
        ("[build-system]\nbuild-backend='x'\n", {},
         "pyproject.toml: [build-system] has no 'requires' key, which PEP 518 makes "
         "mandatory; add requires = [...]"),
        ("[build-system]\nrequires='x'\n", {},
         "pyproject.toml: [build-system].requires is not a list of strings"),
        ("[build-system]\nrequires=['x ==']\n", {},
         "pyproject.toml (build-system.requires[0]): 'x ==' is not a valid requirement"),
        ("[project.optional-dependencies]\nA_b=['x']\na-b=['y']\n", {"extras": ["a-b"]},
         "pyproject.toml: extras 'A_b' and 'a-b' have the same normalised name"),
    ],
)  # fmt: skip
def test_pyproject_errors(tmp_path: Path, toml: str, kwargs: dict[str, Any], message: str) -> None:
    write(tmp_path / "pyproject.toml", toml)
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read_pyproject("pyproject.toml", **kwargs)
    assert error_of(exc_info).startswith(message)


def test_pyproject_missing_file() -> None:
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read_pyproject("nope/pyproject.toml")
    assert error_of(exc_info) == (
        "nope/pyproject.toml: cannot open: No such file or directory; check the path"
    )


def test_pyproject_without_build_system_uses_pips_default(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    result = read_pyproject("pyproject.toml")
    assert [str(b.requirement) for b in result.build_requirements] == [
        "setuptools>=40.8.0",
        "wheel",
    ]
    assert result.requirements == ()


def test_pyproject_dynamic_dependencies_warn(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        "[project]\nname='x'\ndynamic=['dependencies', 'optional-dependencies']\n",
    )
    result = read_pyproject("pyproject.toml", extras=["x"])
    assert result.requirements == ()
    assert len(result.warnings) == 2
    assert result.warnings[0].startswith("pyproject.toml: [project].dependencies is dynamic")


# ---------------------------------------------------------------------------------------
# pylock.toml
# ---------------------------------------------------------------------------------------

PYLOCK = """\
lock-version = "1.0"
created-by = "test"

[[packages]]
name = "attrs"
version = "23.2.0"
index = "https://index.test/simple"
wheels = [
  {url = "https://index.test/files/attrs-23.2.0-py3-none-any.whl", hashes = {sha256 = "aa"}},
]
[packages.sdist]
url = "https://index.test/files/attrs-23.2.0.tar.gz"
hashes = {sha256 = "bb"}

[[packages]]
name = "colorama"
marker = "sys_platform == 'win32'"
[[packages.wheels]]
name = "colorama-0.4.6-py2.py3-none-any.whl"
path = "w/colorama-0.4.6-py2.py3-none-any.whl"
hashes = {sha512 = "cc"}

[[packages]]
name = "mylib"
vcs = {type = "git", url = "https://git.test/mylib.git", commit-id = "abc123"}

[[packages]]
name = "local"
directory = {path = "src/local", editable = true}

[[packages]]
name = "arch"
version = "1.0"
archive = {url = "https://index.test/arch-1.0.zip", hashes = {sha256 = "dd"}}
"""


def test_pylock(tmp_path: Path) -> None:
    write(tmp_path / "pylock.toml", PYLOCK)
    result = read_pylock("pylock.toml")
    attrs, colorama, mylib, local, arch = result.requirements
    assert str(attrs.requirement) == "attrs==23.2.0"
    assert attrs.hashes == ("sha256:bb", "sha256:aa")
    assert [f.filename for f in attrs.locked_files] == [
        "attrs-23.2.0.tar.gz",
        "attrs-23.2.0-py3-none-any.whl",
    ]
    assert attrs.origin == Origin("pylock.toml", None, "packages[0]")
    assert attrs.raw == "attrs==23.2.0"
    assert attrs.specifier_span == (5, 13)
    # The version comes from the wheel file name when the package omits it.
    assert str(colorama.requirement) == 'colorama==0.4.6; sys_platform == "win32"'
    assert colorama.locked_files[0].path == "w/colorama-0.4.6-py2.py3-none-any.whl"
    assert mylib.direct is not None
    assert (mylib.direct.kind, mylib.direct.url) == ("vcs", "git+https://git.test/mylib.git@abc123")
    assert local.direct is not None
    assert local.direct.kind == "editable"
    assert local.direct.url == (tmp_path / "src" / "local").as_uri()
    assert arch.direct is not None
    assert arch.direct.kind == "url"
    assert arch.hashes == ("sha256:dd",)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[[packages]]\nname='x'\n",
         "pylock.toml: unsupported or missing lock-version None; wheelshim reads PEP 751"),
        ("lock-version='2.0'\n", "pylock.toml: unsupported or missing lock-version '2.0'"),
        ("lock-version='1.0'\n[[packages]]\nname='x'\nversion='1'\n",
         "pylock.toml (packages[0]): package 'x' must have exactly one source (vcs, directory, "
         "archive or sdist/wheels), found none"),
        ("lock-version='1.0'\n[[packages]]\nname='x'\nversion='1'\nvcs={type='git',url='u'}\n"
         "archive={url='u',hashes={sha256='a'}}\n",
         "pylock.toml (packages[0]): package 'x' must have exactly one source (vcs, directory, "
         "archive or sdist/wheels), found vcs, archive"),
        ("lock-version='1.0'\n[[packages]]\nname='x'\nversion='1'\nwheels=[{url='https://i.test/x-1-py3-none-any.whl'}]\n",
         "pylock.toml (packages[0]): wheel 0 of 'x' needs a non-empty 'hashes' table"),
        ("lock-version='1.0'\n[[packages]]\nname='x'\nversion='1'\nsdist={hashes={sha256='a'}}\n",
         "pylock.toml (packages[0]): sdist of 'x' needs a 'url' or 'path' string"),
        ("lock-version='1.0'\n[[packages]]\nname='x'\nsdist={url='https://i.test/x.tar.gz',hashes={sha256='a'}}\n",
         "pylock.toml (packages[0]): package 'x' has no version; regenerate the lock file"),
        ("lock-version='1.0'\n[[packages]]\nversion='1'\n",
         "pylock.toml (packages[0]): 'name' must be a project name, found None"),
        ("lock-version='1.0'\n[[packages]]\nname='x'\nversion='1'\nmarker='bogus'\n",
         "pylock.toml (packages[0]): invalid marker of 'x'"),
        ("lock-version='1.0'\n[[packages]]\nname='x'\nversion='not a version'\n",
         "pylock.toml (packages[0]): invalid version 'not a version' of 'x'"),
    ],
)  # fmt: skip
def test_pylock_errors(tmp_path: Path, toml: str, message: str) -> None:
    write(tmp_path / "pylock.toml", toml)
    with pytest.raises(InvalidRequirementsFile) as exc_info:
        read_pylock("pylock.toml")
    assert error_of(exc_info).startswith(message)


# ---------------------------------------------------------------------------------------
# read_inputs
# ---------------------------------------------------------------------------------------


def test_read_inputs_merges_in_order(tmp_path: Path) -> None:
    write(tmp_path / "r1.txt", "a\n-i https://r1.test\n")
    write(tmp_path / "r2.txt", "b\n-c c2.txt\n")
    write(tmp_path / "c2.txt", "b<2\n")
    write(tmp_path / "c1.txt", "a<3\n-i https://c1.test\n--pre\n")
    write(tmp_path / "pyproject.toml", PYPROJECT)
    result = read_inputs(
        ["x==1", "-e git+https://g.test/e#egg=e"],
        ["r1.txt", tmp_path / "r2.txt"],
        ["c1.txt"],
        "pyproject.toml",
        NO_ENV,
        groups=["lint"],
    )
    assert [e.name for e in result.requirements] == [
        "x", "e", "a", "b", "requests", "tomli", "lib", "ruff",
    ]  # fmt: skip
    assert [(c.name, c.is_constraint) for c in result.constraints] == [("a", True), ("b", True)]
    # Constraint files are read first, as pip does, so r1.txt's -i wins.
    assert result.options.index_url == "https://r1.test"
    assert result.options.pre
    assert len(result.build_requirements) == 2


def test_read_inputs_dispatches_pylock(tmp_path: Path) -> None:
    write(tmp_path / "locks" / "pylock.dev.toml", PYLOCK)
    result = read_inputs([], [], [], "locks/pylock.dev.toml", NO_ENV)
    assert [e.name for e in result.requirements][:2] == ["attrs", "colorama"]
    assert result.build_requirements == ()


def test_read_inputs_bad_string() -> None:
    with pytest.raises(InvalidRequirement, match=r"^invalid requirement 'x=1'"):
        read_inputs(["x=1"], [], [], None, NO_ENV)


def test_read_inputs_with_nothing() -> None:
    assert read_inputs([], [], [], None, NO_ENV) == InputSet()
