"""What a ``series`` field costs: the points it can return, in row units.

A series returns at most ``SERIES_MAX_POINTS`` points (more is refused), so that is its cost unless
its arguments bound it lower: ``last: N`` returns at most N points, and an ``HOUR`` or ``DAY``
series over a ``from``..``to`` window at most one point per bucket (window ÷ bucket + 1). Without
``last``, a ``RAW`` series has no such bound (a source may store a point every second), so it costs
the cap. A point is one number per measure in a columnar array, ~47 bytes of JSON against ~150 for a
price row: ``POINTS_PER_ROW`` points cost one row of the cost limit. Arguments whose values are not
literal or variables cost the cap.
"""

import math
from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, value_from_ast_untyped

from graphql_api.queries.series import SERIES_MAX_POINTS

POINTS_PER_ROW = 10
BUCKET_SECONDS = {"HOUR": 3_600, "DAY": 86_400}


def series_cost(field: FieldNode, variables: dict[str, Any]) -> int:
    """The cost of one ``series`` selection: its most points ÷ POINTS_PER_ROW, rounded up (≥ 1)."""
    return max(1, math.ceil(series_max_points(field, variables) / POINTS_PER_ROW))


def series_max_points(field: FieldNode, variables: dict[str, Any]) -> int:
    """The most points ``field`` can return, from its ``last``, interval and from/to window."""
    arguments = {
        argument.name.value: value_from_ast_untyped(argument.value, variables) for argument in field.arguments or ()
    }
    last = arguments.get("last")
    bound = last if isinstance(last, int) and 1 <= last <= SERIES_MAX_POINTS else SERIES_MAX_POINTS
    bucket = BUCKET_SECONDS.get(str(arguments.get("interval", "RAW")))
    start, end = _instant(arguments.get("from")), _instant(arguments.get("to"))
    if bucket is None or start is None or end is None:
        return bound
    window = max(0.0, (end - start).total_seconds())
    return min(bound, math.floor(window / bucket) + 1)


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
