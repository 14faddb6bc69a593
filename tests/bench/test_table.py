"""bench-quick's table builder: the rows of the load figures and their rendering (no database, fast)."""

import json

from bench.dlt_peer import DltRun
from bench.load_prices import LoadFigures
from bench.run import load_rows
from bench.table import as_json, not_run, render


def _figures(rerun_counts: list[int], dlt: list[DltRun]) -> LoadFigures:
    return LoadFigures("postgresql", 1000, 1.0, 1.25, [1000, 0, 0], 0.5, rerun_counts, 2.0, [0, 100, 900], 5.0, 50, dlt)


def test_load_rows_give_ratios_targets_and_whether_they_were_met() -> None:
    rows = {row.figure: row for row in load_rows(_figures([0, 0, 1000], [DltRun("delete-insert", 3.0, 4.0)]))}
    floor = rows["load postgresql: first, vs bulk floor"]
    assert (floor.coinflow, floor.peer, floor.ratio, floor.target, floor.met) == (
        "800 rows/s",
        "1,000 rows/s",
        0.8,
        ">= 0.9x",
        False,
    )
    merge = rows["load postgresql: first, vs session.merge (50 rows)"]
    assert (merge.ratio, merge.met) == (160.0, True)
    dlt = rows["load postgresql: first, vs dlt merge (delete-insert, best)"]
    assert (dlt.ratio, dlt.met) == (2.4, True)
    assert (rows["re-run postgresql: rows written"].coinflow, rows["re-run postgresql: rows written"].met) == (
        "0",
        True,
    )
    assert rows["re-run postgresql: time vs bulk floor"].ratio == 2.0
    assert rows["re-run postgresql: vs dlt re-run (delete-insert)"].ratio == 8.0


def test_a_rerun_that_writes_rows_misses_its_target_and_a_failed_peer_is_not_run() -> None:
    rows = {row.figure: row for row in load_rows(_figures([3, 1, 996], [DltRun("upsert", None, None, "refused")]))}
    assert (rows["re-run postgresql: rows written"].coinflow, rows["re-run postgresql: rows written"].met) == (
        "4",
        False,
    )
    assert rows["load postgresql: first, vs dlt merge"].note == "not run (upsert: refused)"


def test_render_prints_one_aligned_line_per_row_and_json_keeps_every_field() -> None:
    rows = [*load_rows(_figures([0, 0, 1000], [])), not_run("query", "needs bench.api.run --json")]
    lines = render(rows).splitlines()
    assert lines[0].split() == ["figure", "coinflow", "peer", "ratio", "target", "met?"]
    assert len(lines) == len(rows) + 2
    assert lines[-1].startswith("query") and "not run (needs bench.api.run --json)" in lines[-1]
    assert lines[2].split()[-4:] == ["0.80x", ">=", "0.9x", "NO"]
    saved = json.loads(as_json(rows, {"cores": 2}))
    assert saved["cores"] == 2
    assert saved["rows"][-1] == {
        "figure": "query", "coinflow": "", "peer": "", "ratio": None, "target": "", "met": None,
        "note": "not run (needs bench.api.run --json)",
    }  # fmt: skip
