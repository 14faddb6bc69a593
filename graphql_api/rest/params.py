"""Query parameters shared by REST list routes."""

from enum import Enum
from typing import Annotated

from fastapi import Query

from graphql_api.paging import DEFAULT_PAGE, MAX_PAGE

SourceName = Enum("SourceName", {name: name for name in ("coingecko", "coinpaprika", "csv")}, type=str)  # type: ignore[misc]

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (default {DEFAULT_PAGE}, at most {MAX_PAGE}).")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
