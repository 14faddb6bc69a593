"""What a source run publishes to the Prefect UI: a table artifact of its counts, and a markdown
artifact of its rejected rows (grouped by column and check, with examples) and schema drift.

Both are read back from the run's own ``etl_runs``, ``rejected_records`` and ``schema_drift`` rows,
so the UI shows exactly what the database holds. Keys (``<source>-<target>-counts``/``-issues``)
make the Artifacts page keep one history per source target.
"""

import re
from collections import Counter, defaultdict
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from sqlalchemy import Engine, select

from flows.run_summary import RunSummary
from models.raw import RejectedRecord, SchemaDrift
from models.runs import RUN_COUNTERS

EXAMPLES = 3  # example values shown per (column, check) and per drifted field
_MAX_GROUPS = 30


def artifact_key(source: str, target: str, kind: str) -> str:
    """A Prefect artifact key (lowercase letters, digits, dashes) for a source target's ``kind``."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{source}-{target}".lower()).strip("-")
    return f"{slug[:80]}-{kind}"


def counts_table(summary: RunSummary) -> list[dict[str, Any]]:
    """One row per counter (read, landed, valid, rejected, inserted, updated, unchanged)."""
    return [{"count": name, "value": getattr(summary, name)} for name in RUN_COUNTERS]


def issues_markdown(engine: Engine, summary: RunSummary) -> str:
    """Markdown of run ``summary.run_id``'s rejected rows and schema drift, with examples."""
    lines = [f"# {summary.source} run {summary.run_id}: {summary.status}", ""]
    if summary.error:
        lines += [f"**Error:** {_cell(summary.error)}", ""]
    lines += [*_rejected_section(engine, summary.run_id), "", *_drift_section(engine, summary.run_id)]
    return "\n".join(lines) + "\n"


def publish_run_artifacts(engine: Engine, summary: RunSummary, target: str) -> None:
    """Create the counts table and the issues markdown on the current flow run."""
    create_table_artifact(
        counts_table(summary),
        key=artifact_key(summary.source, target, "counts"),
        description=f"{summary.source} run {summary.run_id} ({summary.status}): rows per step",
    )
    create_markdown_artifact(
        issues_markdown(engine, summary),
        key=artifact_key(summary.source, target, "issues"),
        description=f"{summary.source} run {summary.run_id}: rejected rows and schema drift",
    )


def _rejected_section(engine: Engine, run_id: int) -> list[str]:
    table = RejectedRecord.__table__  # type: ignore[attr-defined]
    query = select(table.c.natural_key, table.c.reasons).where(table.c.run_id == run_id).order_by(table.c.id)
    counts: Counter[tuple[str, str]] = Counter()
    examples: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    rows = 0
    with engine.connect() as conn:
        for natural_key, reasons in conn.execute(query):
            rows += 1
            for reason in reasons or []:
                group = (str(reason.get("column", "*")), str(reason.get("check", "?")))
                counts[group] += 1
                if len(examples[group]) < EXAMPLES:
                    examples[group].append(f"{natural_key}: {reason.get('value', '')!s}")
    if not rows:
        return ["## Rejected rows: none"]
    lines = [f"## Rejected rows: {rows}", "", "| column | check | rows | examples (key: value) |", "|---|---|---|---|"]
    for (column, check), n in counts.most_common(_MAX_GROUPS):
        shown = "<br>".join(_cell(example) for example in examples[(column, check)])
        lines.append(f"| {_cell(column)} | {_cell(check)} | {n} | {shown} |")
    return lines


def _drift_section(engine: Engine, run_id: int) -> list[str]:
    table = SchemaDrift.__table__  # type: ignore[attr-defined]
    query = select(table.c.stream, table.c.field, table.c.kind, table.c.example_value).where(table.c.run_id == run_id)
    with engine.connect() as conn:
        found = list(conn.execute(query.order_by(table.c.id)))
    if not found:
        return ["## Schema drift: none"]
    lines = [f"## Schema drift: {len(found)} field(s)", "", "| stream | field | kind | example |", "|---|---|---|---|"]
    for stream, field, kind, example in found[:_MAX_GROUPS]:
        lines.append(f"| {_cell(stream)} | {_cell(field)} | {_cell(kind)} | {_cell(str(example))} |")
    return lines


def _cell(text: str, limit: int = 120) -> str:
    """Text safe inside a markdown table cell, cut at ``limit`` characters."""
    flat = " ".join(str(text).split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
