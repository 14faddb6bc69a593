"""The malformed-CSV part of make reliability, short: generated broken files are refused with reasons, none stored."""

from pathlib import Path

from sqlalchemy import Engine

from reliability.malformed_csv import malformed_csv_files

SHORT_EXAMPLES = 8  # make reliability generates 50 per backend


def test_generated_malformed_csv_files_are_refused_with_reasons_and_store_nothing(
    database_url: str, prefect_api_url: str, engine: Engine, tmp_path: Path
) -> None:
    figures = malformed_csv_files(engine, database_url, tmp_path, SHORT_EXAMPLES)
    assert figures.problems == [], figures.line()
    assert figures.files == SHORT_EXAMPLES
    assert figures.quarantined == figures.rows
