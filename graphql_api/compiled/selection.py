"""The operation to run as a tree of fields: fragments inlined, ``@include``/``@skip`` applied, arguments coerced.

Only what graphql-core's own execution would do for a validated document, on the shapes the planner
compiles; anything else raises ``NotCompilableError`` and the resolvers answer. Response keys must be unique
within a selection (a repeated key would need field merging): a repeat falls back.
"""

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.values import get_argument_values, get_directive_values, get_variable_values


class NotCompilableError(Exception):
    """The operation (or a value it needs) is outside what the planner compiles: run the resolvers."""


@dataclass(frozen=True)
class Field:
    """One selected field: its response key, schema name, coerced arguments and sub-selection."""

    key: str
    name: str
    args: dict[str, Any]
    children: tuple["Field", ...]


def root_fields(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
) -> tuple[Field, ...]:
    """The query operation's root fields; NotCompilableError for mutations or variables that do not coerce."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY or schema.query_type is None:
        raise NotCompilableError("not a query")
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        raise NotCompilableError("variables do not coerce")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _Collector(schema, fragments, coerced).fields(operation.selection_set, schema.query_type)


class _Collector:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: Any) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def fields(self, selection_set: SelectionSetNode, parent: GraphQLObjectType) -> tuple[Field, ...]:
        collected: dict[str, Field] = {}
        self._collect(selection_set, parent, collected)
        return tuple(collected.values())

    def _collect(self, selection_set: SelectionSetNode, parent: GraphQLObjectType, into: dict[str, Field]) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                if key in into:
                    raise NotCompilableError(f"response key {key} selected twice")
                into[key] = self._field(selection, key, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != parent.name:
                    raise NotCompilableError("fragment on another type")
                self._collect(selection.selection_set, parent, into)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None or fragment.type_condition.name.value != parent.name:
                    raise NotCompilableError("fragment on another type")
                self._collect(fragment.selection_set, parent, into)

    def _field(self, node: FieldNode, key: str, parent: GraphQLObjectType) -> Field:
        name = node.name.value
        if name == "__typename":
            return Field(key, name, {}, ())
        definition = parent.fields.get(name)
        if definition is None:
            raise NotCompilableError(f"unknown field {name}")
        args = get_argument_values(definition, node, self.variables)
        children: tuple[Field, ...] = ()
        if node.selection_set is not None:
            named = get_named_type(definition.type)
            if not isinstance(named, GraphQLObjectType):
                raise NotCompilableError(f"{named} is not an object type")
            children = self.fields(node.selection_set, named)
        return Field(key, name, args, children)

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and include.get("if") is False)
