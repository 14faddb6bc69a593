"""Small CSV files for tests, cut from the bundled real sample."""

from pathlib import Path

from models.settings import DATA_DIR

SAMPLE = DATA_DIR / "sample_prices.csv"
SAMPLE_LINES = SAMPLE.read_text().splitlines(keepends=True)
HEADER = SAMPLE_LINES[0]
SAMPLE_ROWS = len(SAMPLE_LINES) - 1


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    """Write ``header`` and ``rows`` (lines with or without their newline) to ``path``."""
    path.write_text(header + "".join(row if row.endswith("\n") else row + "\n" for row in rows))
    return path


def sample_rows(start: int, stop: int) -> list[str]:
    """Data rows ``start``..``stop - 1`` of the sample (0-based, header excluded)."""
    return SAMPLE_LINES[1 + start : 1 + stop]
