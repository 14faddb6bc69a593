"""What every API stream declares about itself, as data."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    """One stream of a source: its checkpoint name, endpoint, primary key and cursor field."""

    name: str
    endpoint: str
    primary_key: tuple[str, ...]
    cursor_field: str | None = None
