"""GraphQL arguments out of bounds refused as ``BAD_USER_INPUT`` naming the argument or variable.

The rules are ``graphql_api.input_bounds``'s (text without NUL, datetimes with a UTC instant; GraphQL's
``Int`` is 32-bit already). Values written in the document are checked by a validation rule, which
knows each argument's type; variables by ``VariableBounds`` before execution (their datetimes are
checked by the ``DateTime`` scalar itself, which graphql-core reports with the variable's name).
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from graphql_api.errors import ErrorCode
from graphql_api.input_bounds import datetime_problem, text_problem


class ArgumentBoundsRule(ValidationRule):
    """Reports document literals holding NUL, and ``DateTime`` literals without a UTC instant."""

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        """Check one argument's literal value."""
        definition = self.context.get_argument()
        is_datetime = definition is not None and get_named_type(definition.type).name == "DateTime"
        for value in _string_literals(node.value):
            problem = text_problem(value)
            if problem is None and is_datetime:
                try:
                    problem = datetime_problem(datetime.fromisoformat(value))
                except ValueError:
                    problem = None  # not a date-time at all: the scalar reports it
            if problem:
                self.report_error(GraphQLError(f"{node.name.value}: {problem}", node))


class VariableBounds(SchemaExtension):
    """Refuses variables whose text holds NUL, naming the variable."""

    def on_execute(self) -> Iterator[None]:
        """Check the variables of the operation about to run."""
        for name, value in (self.execution_context.variables or {}).items():
            stack = [value]
            while stack:  # iterative; request_shape already bounded the depth
                item = stack.pop()
                if isinstance(item, str) and (problem := text_problem(item)):
                    code = {"code": ErrorCode.BAD_USER_INPUT.value}
                    raise GraphQLError(f"Variable '${name}': {problem}", extensions=code)
                if isinstance(item, dict):
                    stack.extend(item.values())
                elif isinstance(item, list):
                    stack.extend(item)
        yield


def _string_literals(node: ValueNode) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, StringValueNode):
            found.append(item.value)
        elif isinstance(item, ListValueNode):
            stack.extend(item.values)
        elif isinstance(item, ObjectValueNode):
            stack.extend(field.value for field in item.fields)
    return found
