"""From run records to the report: rows of medians, ratios, target checks, markdown.

Medians are over the timed runs of a cell (never the priming or the observed run). Peak
RSS is the largest of the timed runs. A "sum" row adds the per-target medians of a tool
that needs one process per target (pip, uv), for comparison with wheelshim doing all
targets in one process. Nothing here asserts a timing: checks are printed, not enforced.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Check",
    "RunRecord",
    "build_rows",
    "check_results",
    "markdown_checks",
    "markdown_ratios",
    "markdown_rows",
    "ratio_table",
]

MB = 1_000_000
WHEELSHIM = "wheelshim"


@dataclass
class RunRecord:
    """One process run, as stored in the results JSON."""

    tool: str
    corpus: str
    targets: str
    cache: str  # "cold" | "warm"
    kind: str  # "timed" | "prime" | "observe"
    index: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int
    timed_out: bool
    ok: bool
    summary: str
    load1: float
    packages: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int | None] = field(default_factory=dict)
    logged_requests: dict[str, int] | None = None
    proxy: dict[str, Any] | None = None


@dataclass(frozen=True)
class Row:
    """One line of the main table."""

    corpus: str
    tool: str
    targets: str
    cache: str
    walls: tuple[float, ...]
    wall: float | None
    cpu: float | None
    rss: float | None
    requests: str
    mb_down: float | None  # wheelshim: its own statistic; pip/uv: the proxy's count
    proxy_mb_down: float | None  # the observed run through the proxy (TLS included)
    result: str
    ok_runs: int
    load1: float | None
    is_sum: bool = False
    bytes_received: float | None = None  # wheelshim's own statistic, median


@dataclass(frozen=True)
class Check:
    corpus: str
    name: str
    status: str  # PASS | FAIL | n/a | info
    detail: str


def _median(values: Iterable[float | int | None]) -> float | None:
    present = [float(value) for value in values if value is not None]
    return statistics.median(present) if present else None


def _stat(records: Sequence[RunRecord], key: str) -> float | None:
    return _median(record.stats.get(key) for record in records)


def _logged_text(observed: RunRecord) -> str:
    logged = observed.logged_requests or {}
    parts = [f"{n} {method}" for method, n in sorted(logged.items())] or ["0 logged"]
    tunnels = (observed.proxy or {}).get("tunnels")
    return " + ".join(parts) + (f" / {tunnels} conn" if tunnels is not None else "")


def _requests_text(timed: Sequence[RunRecord], observed: RunRecord | None) -> str:
    own = _stat(timed, "requests")
    text = f"{own:.0f}" if own is not None else ""
    if observed is None:
        return text
    if observed.tool == WHEELSHIM:
        tunnels = (observed.proxy or {}).get("tunnels")
        return (text or "?") + (f" / {tunnels} conn" if tunnels is not None else "")
    return _logged_text(observed)


def _proxy_mb_down(observed: RunRecord | None) -> float | None:
    if observed is None or not observed.proxy:
        return None
    return float(observed.proxy.get("bytes_down", 0)) / MB


def _mb_down(timed: Sequence[RunRecord], observed: RunRecord | None) -> float | None:
    own = _stat(timed, "bytes_received")
    return own / MB if own is not None else _proxy_mb_down(observed)


def _result_text(timed: Sequence[RunRecord]) -> str:
    ok = [record for record in timed if record.ok]
    shown = (ok or list(timed))[-1].summary if timed else ""
    if 0 < len(ok) < len(timed):
        failed = next(record for record in timed if not record.ok)
        return f"{len(ok)}/{len(timed)} ok: {shown}; also {failed.summary}"
    return shown


def _row(key: tuple[str, str, str, str], timed: list[RunRecord], observed: RunRecord | None) -> Row:
    corpus, tool, targets, cache = key
    return Row(
        corpus=corpus,
        tool=tool,
        targets=targets,
        cache=cache,
        walls=tuple(round(record.wall_s, 2) for record in timed),
        wall=_median(record.wall_s for record in timed),
        cpu=_median(record.cpu_s for record in timed),
        rss=max((record.peak_rss_mb for record in timed), default=None),
        requests=_requests_text(timed, observed),
        mb_down=_mb_down(timed, observed),
        proxy_mb_down=_proxy_mb_down(observed),
        result=_result_text(timed),
        ok_runs=sum(record.ok for record in timed),
        load1=timed[0].load1 if timed else None,
        bytes_received=_stat(timed, "bytes_received"),
    )


def _key(record: RunRecord) -> tuple[str, str, str, str]:
    return (record.corpus, record.tool, record.targets, record.cache)


def _sum(values: Sequence[float | None]) -> float | None:
    return None if any(value is None for value in values) else sum(v or 0.0 for v in values)


def _sum_row(parts: Sequence[Row]) -> Row:
    first = parts[0]
    return Row(
        corpus=first.corpus,
        tool=first.tool,
        targets="+".join(part.targets for part in parts) + " (sum)",
        cache=first.cache,
        walls=(),
        wall=_sum([part.wall for part in parts]),
        cpu=_sum([part.cpu for part in parts]),
        rss=max((part.rss for part in parts if part.rss is not None), default=None),
        requests=" ; ".join(part.requests for part in parts if part.requests),
        mb_down=_sum([part.mb_down for part in parts]),
        proxy_mb_down=_sum([part.proxy_mb_down for part in parts]),
        result=" | ".join(f"{part.targets}: {part.result}" for part in parts),
        ok_runs=min(part.ok_runs for part in parts),
        load1=first.load1,
        is_sum=True,
    )


def _with_sums(rows: list[Row]) -> list[Row]:
    out: list[Row] = []
    for row in rows:
        out.append(row)
        group = [
            other
            for other in rows
            if (other.corpus, other.tool, other.cache) == (row.corpus, row.tool, row.cache)
            and other.tool != WHEELSHIM
        ]
        if len(group) > 1 and row is group[-1]:
            out.append(_sum_row(group))
    return out


def build_rows(records: Sequence[RunRecord]) -> list[Row]:
    """One row per (corpus, tool, targets, cache), in the order cells first ran, plus the
    per-tool sums over targets."""
    timed: dict[tuple[str, str, str, str], list[RunRecord]] = {}
    observed: dict[tuple[str, str, str, str], RunRecord] = {}
    for record in records:
        if record.kind == "timed":
            timed.setdefault(_key(record), []).append(record)
        elif record.kind == "observe":
            observed[_key(record)] = record
    rows = [_row(key, runs, observed.get(key)) for key, runs in timed.items()]
    return _with_sums(_stable_by_corpus(rows))


def _stable_by_corpus(rows: list[Row]) -> list[Row]:
    corpora = list(dict.fromkeys(row.corpus for row in rows))
    order = {"cold": 0, "warm": 1}
    return sorted(rows, key=lambda row: (corpora.index(row.corpus), order.get(row.cache, 2)))


# -- ratios --------------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _others(rows: Sequence[Row], corpus: str, cache: str) -> list[Row]:
    return [
        row for row in rows if row.corpus == corpus and row.cache == cache and row.tool != WHEELSHIM
    ]


def _ratio_cell(ws: Row, other: Row) -> dict[str, Any]:
    usable = ws.wall is not None and other.wall and ws.ok_runs > 0
    return {
        "vs": f"{other.tool} {other.targets}",
        "other_wall_s": other.wall,
        "other_ok": other.ok_runs > 0,
        "ratio": (ws.wall or 0.0) / (other.wall or 1.0) if usable else None,
    }


def ratio_table(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """wheelshim's median wall time over each pip/uv row (per target and sum): < 1 means
    wheelshim is faster. One entry per wheelshim row."""
    table = []
    for ws in rows:
        if ws.tool != WHEELSHIM:
            continue
        cells = [_ratio_cell(ws, other) for other in _others(rows, ws.corpus, ws.cache)]
        table.append(
            {
                "corpus": ws.corpus,
                "cache": ws.cache,
                "wheelshim_targets": ws.targets,
                "wheelshim_wall_s": ws.wall,
                "wheelshim_ok": ws.ok_runs > 0,
                "ratios": cells,
            }
        )
    return table


def _ratio_text(cell: dict[str, Any]) -> str:
    ratio = cell["ratio"]
    return "n/a" if ratio is None else f"{ratio:.2f}"


def _ratio_lines(entry: dict[str, Any]) -> list[str]:
    ws = _fmt(entry["wheelshim_wall_s"]) + ("" if entry["wheelshim_ok"] else " (failed)")
    head = f"| {entry['corpus']} | {entry['cache']} | wheelshim {entry['wheelshim_targets']} | {ws}"
    return [
        f"{head} | {cell['vs']} | {_fmt(cell['other_wall_s'])}"
        f"{'' if cell['other_ok'] else ' (failed)'} | {_ratio_text(cell)} |"
        for cell in entry["ratios"]
    ]


def markdown_ratios(table: Sequence[dict[str, Any]]) -> list[str]:
    lines = [line for entry in table for line in _ratio_lines(entry)]
    if not lines:
        return []
    header = "| corpus | cache | wheelshim | wheelshim s | vs | other s | ratio |"
    return [header, "|---|---|---|---|---|---|---|", *lines]


# -- target checks -------------------------------------------------------------------------
def _find(rows: Sequence[Row], corpus: str, tool: str, cache: str) -> list[Row]:
    return [
        row
        for row in rows
        if (row.corpus, row.tool, row.cache) == (corpus, tool, cache)
        and not row.is_sum
        and row.wall is not None
    ]


def _multi_target_ws(rows: Sequence[Row], corpus: str, cache: str) -> Row | None:
    candidates = [row for row in _find(rows, corpus, WHEELSHIM, cache) if "+" in row.targets]
    return candidates[0] if candidates else None


def _speed_check(
    rows: Sequence[Row], corpus: str, cache: str, tool: str, factor: float
) -> Check | None:
    name = (
        f"{cache}: wheelshim (all targets, one run) >= {factor:g}x faster than {tool} "
        "for one target"
        if factor != 1
        else f"{cache}: wheelshim (all targets, one run) no slower than {tool} for one target"
    )
    ws = _multi_target_ws(rows, corpus, cache)
    others = _find(rows, corpus, tool, cache)
    if ws is None or not others:
        return None
    listing = ", ".join(f"{row.targets} {_fmt(row.wall)} s" for row in others)
    detail = f"wheelshim {_fmt(ws.wall)} s; {tool} {listing} (bar: the fastest that succeeded)"
    if ws.ok_runs == 0:
        return Check(corpus, name, "n/a", detail + "; wheelshim failed: " + ws.result)
    succeeded = [row for row in others if row.ok_runs > 0]
    failed = [row.targets for row in others if row.ok_runs == 0]
    note = f"; {tool} failed on {', '.join(failed)} (time to first failure)" if failed else ""
    if not succeeded:
        return Check(corpus, name, "n/a", detail + note)
    fastest = min(row.wall or 0.0 for row in succeeded)
    status = "PASS" if (ws.wall or 0.0) * factor <= fastest else "FAIL"
    return Check(corpus, name, status, detail + note)


def _bytes_check(rows: Sequence[Row], corpus: str, floor: float | None) -> Check | None:
    name = "wheelshim bytes within 1.5x of (project pages + metadata files needed)"
    found = [
        (cache, ws)
        for cache in ("cold", "warm")
        if (ws := _multi_target_ws(rows, corpus, cache)) is not None
    ]
    if not found:
        return None
    parts = [
        f"{cache}: stats {_mb_or(ws.bytes_received, 'none')}, "
        f"through the proxy {_mb_or(_bytes(ws.proxy_mb_down), 'not observed (--observe)')}"
        for cache, ws in found
    ]
    cold = next((ws for cache, ws in found if cache == "cold"), found[0][1])
    measured = cold.bytes_received
    if measured is None:
        measured = _bytes(cold.proxy_mb_down)
    if floor is None or measured is None:
        return Check(corpus, name, "info", "; ".join(parts) + "; give --bytes-floor to judge")
    ratio = measured / floor
    status = "PASS" if ratio <= 1.5 else "FAIL"
    detail = "; ".join(parts) + f"; floor {floor / MB:.2f} MB -> {ratio:.2f}x"
    return Check(corpus, name, status, detail)


def _mb_or(value: float | None, missing: str) -> str:
    return missing if value is None else f"{value / MB:.2f} MB"


def _bytes(mb: float | None) -> float | None:
    return None if mb is None else mb * MB


def check_results(rows: Sequence[Row], bytes_floors: Mapping[str, float]) -> list[Check]:
    """The lead's targets, for each corpus that has wheelshim and pip/uv rows.
    ``bytes_floors`` maps a corpus label (or "" for any corpus) to its bytes floor."""
    checks: list[Check] = []
    for corpus in dict.fromkeys(row.corpus for row in rows):
        candidates = [
            _speed_check(rows, corpus, "warm", "pip", 5),
            _speed_check(rows, corpus, "warm", "uv", 1),
            _speed_check(rows, corpus, "cold", "pip", 2),
            _bytes_check(rows, corpus, bytes_floors.get(corpus, bytes_floors.get(""))),
        ]
        checks += [check for check in candidates if check is not None]
    return checks


def markdown_checks(checks: Sequence[Check]) -> list[str]:
    lines = ["| corpus | check | status | numbers |", "|---|---|---|---|"]
    lines += [f"| {c.corpus} | {c.name} | {c.status} | {c.detail} |" for c in checks]
    return lines


# -- main table ----------------------------------------------------------------------------
_HEADER = (
    "| corpus | tool | target(s) | cache | median wall s (all runs) | cpu s | peak RSS MB "
    "| requests | MB down | load | result |"
)


def _walls_text(row: Row) -> str:
    if row.is_sum:
        return f"{_fmt(row.wall)} (sum of medians)"
    return f"{_fmt(row.wall)} ({', '.join(f'{wall:.2f}' for wall in row.walls)})"


def _mb_text(row: Row) -> str:
    if row.tool == WHEELSHIM and row.proxy_mb_down is not None and row.bytes_received is not None:
        return f"{row.bytes_received / MB:.2f} (proxy {row.proxy_mb_down:.2f})"
    return _fmt(row.mb_down)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_rows(rows: Sequence[Row]) -> list[str]:
    lines = [_HEADER, "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row.corpus} | {row.tool} | {row.targets} | {row.cache} | {_walls_text(row)} "
            f"| {_fmt(row.cpu)} | {_fmt(row.rss, 1)} | {row.requests} | {_mb_text(row)} "
            f"| {_fmt(row.load1)} | {_cell(row.result)} |"
        )
    return lines
