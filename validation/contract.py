"""A stream's contract: the fields it expects (for drift), how payloads become a frame, its schema."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa

from validation.drift import FieldSpec, flatten

UTC_TIME = pd.DatetimeTZDtype("us", "UTC")

# A check of a whole page's valid rows: why the page cannot be stored as it is, or None.
PageCheck = Callable[[pd.DataFrame], str | None]


@dataclass(frozen=True)
class Contract:
    """Expected fields of one payload item, the frame builder and the Pandera schema of a stream.

    ``page_check`` judges what no single row shows (e.g. the page's quote currency): when it names a
    reason, every row of the page is refused with it.
    """

    expected: Mapping[str, FieldSpec]
    to_frame: Callable[[pd.Series], pd.DataFrame]
    schema: pa.DataFrameSchema
    page_check: PageCheck | None = None


def columns_frame(payloads: pd.Series, columns: Mapping[str, str], expected: Mapping[str, FieldSpec]) -> pd.DataFrame:
    """One column per ``columns`` entry (column -> dotted path), "" and absent values as missing."""
    flat = [flatten(p, expected) if isinstance(p, dict) else {} for p in payloads]
    data = {column: [_present(item.get(path)) for item in flat] for column, path in columns.items()}
    return pd.DataFrame(data, index=payloads.index, dtype=object)


def _present(value: Any) -> Any:
    return None if value == "" else value
