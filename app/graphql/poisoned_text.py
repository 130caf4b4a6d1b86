"""NUL bytes and lone surrogates anywhere in a GraphQL request are refused before anything runs.

PostgreSQL refuses NUL in text and asyncpg cannot encode a lone surrogate, so such a string in an
input, a filter or a cursor became a 500 whose traceback logged the customer's data in clear. One
check (``app.text_input``) over the variables and every string literal of the document answers
instead with the error convention of bad query arguments (``client_error``): ``BAD_USER_INPUT``
with ``fields`` (path, code, message) and no echo of the text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    ExecutionResult,
    FieldNode,
    ObjectFieldNode,
    StringValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from app.graphql.errors import ClientError
from app.text_input import MESSAGES, first_problem, problem


class _FindPoisonedLiteral(Visitor):
    """The first string literal that fails ``problem``: its code and where it is (argument names)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: tuple[list[str], str] | None = None
        self.path: list[str] = []

    def enter(self, node: Any, *_args: Any) -> Any:
        if isinstance(node, FieldNode):
            self.path.append((node.alias or node.name).value)
        elif isinstance(node, ArgumentNode | ObjectFieldNode):
            self.path.append(node.name.value)
        elif isinstance(node, VariableDefinitionNode):
            self.path.append(f"${node.variable.name.value}")
        elif isinstance(node, StringValueNode):
            code = problem(node.value)
            if code:
                self.found = (list(self.path), code)
                return self.BREAK
        return None

    def leave(self, node: Any, *_args: Any) -> Any:
        if isinstance(node, FieldNode | ArgumentNode | ObjectFieldNode | VariableDefinitionNode):
            self.path.pop()
        return None


def poisoned_text_error(path: list[str], code: str) -> ClientError:
    """The argument error for one bad string (the same shape as any other bad argument)."""
    message = MESSAGES[code]
    return ClientError(
        "The arguments are not valid.",
        "BAD_USER_INPUT",
        fields=[{"path": path, "code": code, "message": message}],
    )


def find_poisoned_text(document: Any, variables: dict[str, Any] | None) -> ClientError | None:
    found = first_problem(variables or {})
    if found is not None:
        where, code = found
        return poisoned_text_error(["$" + where.split(".", 1)[0], *where.split(".")[1:]], code)
    finder = _FindPoisonedLiteral()
    visit(document, finder)
    if finder.found is not None:
        return poisoned_text_error(*finder.found)
    return None


class RefusePoisonedText(SchemaExtension):
    """Before execution (and before the rate limit counts it): no NUL, no lone surrogate."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.result:
            error = find_poisoned_text(context.graphql_document, context.variables)
            if error is not None:
                context.result = ExecutionResult(data=None, errors=[error])
        yield
