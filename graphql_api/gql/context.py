"""Per-request GraphQL context: the engine, the settings and this request's DataLoaders."""

from collections.abc import Callable
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, TypeVar

from anyio import to_thread
from sqlalchemy import Engine
from strawberry.fastapi import BaseContext

from models.settings import Settings

if TYPE_CHECKING:
    from graphql_api.gql.loaders import Loaders

T = TypeVar("T")


class Context(BaseContext):
    """Built once per request; loaders are created on first use and live only as long as the request."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.execution_path = "resolvers"  # or "compiled" (graphql_api/compiled/execution.py)

    async def run(self, query: Callable[..., T], *args: Any) -> T:
        """Run ``query(conn, *args)`` on a pooled connection in a worker thread (the driver blocks)."""
        return await to_thread.run_sync(partial(self._run, query, *args))

    def _run(self, query: Callable[..., T], *args: Any) -> T:
        with self.engine.connect() as conn:
            return query(conn, *args)

    @cached_property
    def loaders(self) -> "Loaders":
        """This request's DataLoaders."""
        from graphql_api.gql.loaders import Loaders

        return Loaders(self)
