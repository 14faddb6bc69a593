"""The schema: per-domain Query types merged, with the abuse limits and error masking on.

``schema`` (module level) is the same types without the limits, for tools:
``strawberry export-schema graphql_api.gql.schema:schema`` prints the SDL checked in as ``schema.graphql``
(``make schema`` rewrites it; a test fails when it is stale).
"""

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from graphql_api.compiled.execution import CompiledExecution
from graphql_api.gql.argument_bounds import ArgumentBoundsRule, VariableBounds
from graphql_api.gql.coin_queries import CoinQuery
from graphql_api.gql.cost import QueryCostLimiter
from graphql_api.gql.error_codes import MaskUnexpectedErrors, is_unexpected
from graphql_api.gql.market_stats import MarketQuery
from graphql_api.gql.node_query import NodeQuery
from graphql_api.gql.runs import RunQuery
from graphql_api.gql.scalars import SCALAR_MAP
from graphql_api.gql.trigger import TriggerMutation
from graphql_api.json_logging import log
from models.settings import Settings


@strawberry.type(description="Read-only queries: coins and prices, run history, market statistics, Relay nodes.")
class Query(CoinQuery, RunQuery, MarketQuery, NodeQuery):
    """The per-domain query types merged (strawberry ``merge_types`` does the same, without a description)."""


MASKED_MESSAGE = "Unexpected error; quote the X-Request-ID response header when reporting it."


class LoggedSchema(strawberry.Schema):
    """Logs each error once as JSON with the request id: unexpected ones with their traceback."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log the unmasked originals (MaskErrors then hides unexpected ones from the client)."""
        for error in errors:
            if is_unexpected(error):
                log.error("graphql error", exc_info=error.original_error, extra={"path": error.path})
            else:
                log.info("graphql client error", extra={"error": error.message, "path": error.path})


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with limits from ``settings``.

    Extensions are passed as factories (a fresh instance per operation). The depth and alias rules
    are built once and shared, so the validation cache, keyed by the rule classes, keeps hitting.
    """
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.api_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.api_max_aliases).validation_rules,
        ArgumentBoundsRule,
    ]
    extensions: list[Any] = [
        lambda: ParserCache(maxsize=256),
        lambda: AddValidationRules(limit_rules),
        lambda: ValidationCache(maxsize=256),
        lambda: MaxTokensLimiter(max_token_count=settings.api_max_tokens),
        lambda: QueryCostLimiter(max_cost=settings.api_max_cost),
        VariableBounds,
        CompiledExecution,  # after the limits: their on_execute checks run first
        lambda: MaskUnexpectedErrors(should_mask_error=is_unexpected, error_message=MASKED_MESSAGE),
    ]
    if not settings.api_introspection:
        extensions.append(DisableIntrospection)
    return LoggedSchema(query=Query, mutation=TriggerMutation, extensions=extensions, config=_CONFIG)


_CONFIG = StrawberryConfig(scalar_map=SCALAR_MAP)
# The types alone, no limits: what `strawberry export-schema` and schema.graphql show (the API serves build_schema's).
schema = strawberry.Schema(query=Query, mutation=TriggerMutation, config=_CONFIG)
