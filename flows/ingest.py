"""The ``ingest`` Prefect flow: one run per source (and per CSV file), each recorded in ``etl_runs``."""

from pathlib import Path

from prefect import State, flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed

from flows.coingecko_ingest import ingest_coingecko
from flows.coinpaprika_ingest import ingest_coinpaprika
from flows.csv_ingest import CsvOptions, ingest_csv
from flows.run_summary import RunSummary, failure_message
from flows.sources.csv_file import csv_paths
from models.db import make_engine
from models.settings import get_settings

API_SOURCES = ("coingecko", "coinpaprika")
SOURCES = ("csv", *API_SOURCES, "all")


def _flow_run_name() -> str:
    parameters = flow_run.parameters
    target = Path(parameters["file"]).name if parameters.get("file") else "sample"
    return f"ingest-{parameters.get('source', 'csv')}-{target}"


@flow(name="ingest", flow_run_name=_flow_run_name, log_prints=True)
def ingest(
    source: str = "csv",
    file: str | None = None,
    csv_format: str | None = None,
    csv_mapping: str | None = None,
    coin: str | None = None,
    csv_decimal: str | None = None,
) -> list[RunSummary] | State:
    """Ingest new data from ``source`` into the unified model.

    Args:
        source: which source to run: ``csv``, ``coingecko``, ``coinpaprika``, or ``all`` (every one
            of them, each in its own run: one failing does not stop the others).
        file: the CSV file, or a folder of them (each ``*.csv`` its own run and checkpoint); defaults to
            the bundled sample (``COINFLOW_SAMPLE_CSV``).
        csv_format: CSV layout name instead of detecting it from the header (see ``csv_formats.LAYOUTS``).
        csv_mapping: a TOML file mapping the CSV's columns (and value conventions) to the unified model.
        coin: ``SYMBOL`` or ``SYMBOL:Name`` for CSV files without a symbol column.
        csv_decimal: the CSV numbers' decimal mark, ``"."`` or ``","``, when the values do not settle it.

    Returns:
        One summary per source run; if any run failed, a Failed state whose message names the
        failed runs and whose result is still every summary.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    settings = get_settings()
    engine = make_engine(settings.database_url)
    logger = get_run_logger()
    run_id = str(flow_run.id)
    chosen = ("csv", *API_SOURCES) if source == "all" else (source,)
    summaries: list[RunSummary] = []
    try:
        for name in chosen:
            if name == "csv":
                options = CsvOptions(csv_format, Path(csv_mapping) if csv_mapping else None, coin, csv_decimal)
                paths = csv_paths(Path(file)) if file else [settings.sample_csv]
                summaries += [ingest_csv(engine, settings, path, run_id, options) for path in paths]
            elif name == "coingecko":
                summaries.append(ingest_coingecko(engine, settings, run_id))
            else:
                summaries.append(ingest_coinpaprika(engine, settings, run_id))
    finally:
        engine.dispose()
    for summary in summaries:
        logger.info(
            "%s %s: read %d, inserted %d, updated %d, unchanged %d, rejected %d%s",
            summary.source,
            summary.status,
            summary.read,
            summary.inserted,
            summary.updated,
            summary.unchanged,
            summary.rejected,
            f" ({summary.error})" if summary.error else "",
        )
    if message := failure_message(summaries):
        return Failed(message=message, data=summaries)
    return summaries
