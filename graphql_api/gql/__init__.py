"""The Strawberry GraphQL schema: types and queries per domain, loaders, limits and the caching router."""
