"""A per-query bound on requested rows: list sizes multiplied along each path of the document.

``coins(first: 100) { prices(last: 500) { … } }`` asks for 100 + 100 × 500 rows. Checked before
execution, with the variables, so an expensive query is refused before it touches the database.
A ``series`` counts the points it can return (``series_cost``), not a flat number: the issue-13
probe returned 206,425 points for a query costed 49,490.
"""

from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from graphql_api.errors import ErrorCode
from graphql_api.gql.series_cost import series_cost
from graphql_api.paging import DEFAULT_PAGE, MAX_PAGE

# List fields whose size comes from first/last (default 50).
PAGED_FIELDS = frozenset({"coins", "prices", "runs", "rejectedRecords", "schemaDrift"})


class QueryCostLimiter(SchemaExtension):
    """Refuses operations whose requested rows exceed ``max_cost`` or whose page size is over 500."""

    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        """Check the operation about to run."""
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            variables = context.variables or {}
            for operation in operations:
                if context.operation_name and operation.name and operation.name.value != context.operation_name:
                    continue
                cost = _cost(operation.selection_set, 1, fragments, variables, set())
                if cost > self.max_cost:
                    raise GraphQLError(
                        f"query cost {cost} exceeds the limit of {self.max_cost} "
                        "(requested list sizes multiplied along each path; ask for smaller pages)",
                        extensions={"code": ErrorCode.COST_LIMIT.value},
                    )
        yield


def _size(field: FieldNode, variables: dict[str, Any]) -> int | None:
    name = field.name.value
    if name == "series":
        return series_cost(field, variables)
    if name not in PAGED_FIELDS:
        return None
    size = DEFAULT_PAGE
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            value = value_from_ast_untyped(argument.value, variables)
            if isinstance(value, int):
                if not 1 <= value <= MAX_PAGE:
                    raise GraphQLError(
                        f"{argument.name.value}: must be between 1 and {MAX_PAGE} (got {value})",
                        extensions={"code": ErrorCode.PAGE_LIMIT.value},
                    )
                size = value
    return size


def _cost(
    selection_set: SelectionSetNode | None,
    multiplier: int,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    seen: set[str],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            size = _size(selection, variables)
            if size is None:
                total += _cost(selection.selection_set, multiplier, fragments, variables, seen)
            else:
                total += multiplier * size
                total += _cost(selection.selection_set, multiplier * size, fragments, variables, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, multiplier, fragments, variables, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                inner_seen = seen | {selection.name.value}
                total += _cost(fragment.selection_set, multiplier, fragments, variables, inner_seen)
    return total
