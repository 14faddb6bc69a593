"""What the CSV first pass (decimal mark, structure + unreadable share + day/month order + period) costs next to reading
and validating the same chunks: median seconds over 5 runs, side by side. No database involved.

    uv run python bench/csv_first_pass.py [FILE ...]
"""

import statistics
import sys
import time
from pathlib import Path

from flows.csv_ingest import validate_chunk
from flows.csv_survey import plan_file
from flows.sources.csv_coin import file_coin
from flows.sources.csv_file import open_csv, read_chunks
from flows.sources.csv_formats import resolve_mapping
from models.settings import DATA_DIR

CHUNK_ROWS = 5_000


def _median(action: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(path: Path) -> str:
    """One line: rows, layout, and the two medians side by side."""
    csv_file = open_csv(path)
    mapping = resolve_mapping(csv_file.header)
    coin = None if "symbol" in mapping.columns else file_coin(path, csv_file.header, None)
    plan, found = plan_file(csv_file, mapping, coin, None, None, {}, None, CHUNK_ROWS, CHUNK_ROWS * 1000)
    survey = _median(lambda: plan_file(csv_file, mapping, coin, None, None, {}, None, CHUNK_ROWS, CHUNK_ROWS * 1000))
    validate = _median(lambda: [validate_chunk(csv_file, c, plan) for c in read_chunks(csv_file, None, CHUNK_ROWS)])
    rows = found.rows
    return (
        f"{path.name}: {rows} rows, layout {mapping.layout}; first pass {survey:.3f} s, "
        f"read+validate {validate:.3f} s, ratio {survey / validate:.2f}"
    )


if __name__ == "__main__":
    for file in [Path(p) for p in sys.argv[1:]] or [DATA_DIR / "sample_prices.csv"]:
        print(measure(file))
