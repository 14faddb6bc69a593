"""The schema: per-domain Query types merged, with the abuse limits and error masking on."""

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
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_api.gql.argument_bounds import ArgumentBoundsRule, VariableBounds
from graphql_api.gql.coin_queries import CoinQuery
from graphql_api.gql.cost import QueryCostLimiter
from graphql_api.gql.error_codes import MaskUnexpectedErrors, is_unexpected
from graphql_api.gql.market_stats import MarketQuery
from graphql_api.gql.runs import RunQuery
from graphql_api.gql.scalars import SCALAR_MAP
from graphql_api.gql.trigger import TriggerMutation
from graphql_api.json_logging import log
from models.settings import Settings

Query = merge_types("Query", (CoinQuery, RunQuery, MarketQuery))
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
        lambda: MaskUnexpectedErrors(should_mask_error=is_unexpected, error_message=MASKED_MESSAGE),
    ]
    if not settings.api_introspection:
        extensions.append(DisableIntrospection)
    config = StrawberryConfig(scalar_map=SCALAR_MAP)
    return LoggedSchema(query=Query, mutation=TriggerMutation, extensions=extensions, config=config)
