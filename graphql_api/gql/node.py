"""Relay global object identification: the ``Node`` interface and its opaque global ids.

A global id is standard base64 of ``"<Type>:<key>"`` (graphql-relay's ``toGlobalId``): ``Coin:bitcoin``
for a coin (its canonical id), ``Run:42`` for a run (its ``etl_runs`` id), ``Lineage:7``,
``RejectedRecord:3`` and ``SchemaDriftEvent:5`` by their row ids. Every type with an ``id`` field has
a global one (Relay's store requires ``id`` unique across types). Clients must treat it as opaque;
normalized caches (Apollo, urql, Relay) key objects on it and refetch them with ``node(id:)``.
"""

import base64

import strawberry

from graphql_api.errors import BadInputError

# Longest global id accepted: base64 of a type name and a canonical id (at most 200 characters).
MAX_GLOBAL_ID_LENGTH = 300


@strawberry.interface(description="An object with a global id (Relay): refetch it with `node(id:)`.")
class Node:
    """What every refetchable object has."""

    id: strawberry.ID = strawberry.field(
        description='Opaque global id (base64 of "Type:key"), unique across types and stable across loads.'
    )


def to_global_id(type_name: str, key: str | int) -> strawberry.ID:
    """The global id of the ``type_name`` object whose key is ``key``."""
    return strawberry.ID(base64.b64encode(f"{type_name}:{key}".encode()).decode("ascii"))


def from_global_id(global_id: str, parameter: str = "id") -> tuple[str, str]:
    """``(type name, key)`` of a global id.

    Raises:
        BadInputError: not base64 of ``"Type:key"`` (GraphQL ``BAD_USER_INPUT``, naming ``parameter``).
    """
    try:
        if len(global_id) > MAX_GLOBAL_ID_LENGTH:
            raise ValueError
        type_name, sep, key = base64.b64decode(global_id, validate=True).decode().partition(":")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise BadInputError(parameter, "not a global id (use the `id` field of a Node)") from None
    if not sep or not type_name or not key:
        raise BadInputError(parameter, "not a global id (use the `id` field of a Node)")
    return type_name, key
