"""The GraphQL contract a frontend developer reads: every part described, the SDL checked in and current."""

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)
from strawberry.printer import print_schema

from graphql_api.gql.schema import schema

SDL_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(graphql_schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value of ours without a description."""
    missing: list[str] = []
    for name, named in graphql_schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not named.description:
            missing.append(name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [f"{name}.{field_name}({arg})" for arg, a in field.args.items() if not a.description]
        elif isinstance(named, GraphQLInputObjectType):
            missing += [f"{name}.{field_name}" for field_name, f in named.fields.items() if not f.description]
        elif isinstance(named, GraphQLEnumType):
            missing += [f"{name}.{value}" for value, v in named.values.items() if not v.description]
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert undescribed(schema._schema) == []


def test_the_check_finds_a_missing_description() -> None:
    import strawberry

    @strawberry.type
    class Bare:
        size: int

    @strawberry.type(description="Has one.")
    class Root:
        @strawberry.field(description="A field.")
        def bare(self, limit: int = 1) -> Bare:
            return Bare(size=limit)

    found = undescribed(strawberry.Schema(query=Root)._schema)
    assert sorted(found) == ["Bare", "Bare.size", "Root.bare(limit)"]


def test_checked_in_sdl_is_current_as_strawberry_export_schema_writes_it() -> None:
    from strawberry.cli.utils import load_schema  # what `strawberry export-schema` (make schema) resolves

    exported = load_schema("graphql_api.gql.schema:schema", ".")
    assert SDL_FILE.read_text() == print_schema(exported) + "\n", "schema.graphql is stale: run `make schema`"
