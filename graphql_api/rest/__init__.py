"""REST routers, one per concern."""
