"""Storage: SQLModel tables, the engine, the load step and the Alembic migrations.

The tables register on ``SQLModel.metadata`` when their module is imported; :func:`register_tables`
imports them all (Alembic's env and the tests call it). The package itself imports nothing heavy,
so ``models.settings`` alone (every CLI start) does not pay for SQLAlchemy and SQLModel.
"""

from importlib import import_module
from typing import Any

_TABLE_MODULES = {
    "Checkpoint": "models.runs",
    "Coin": "models.market",
    "CoinIdentityChange": "models.market",
    "CoinSource": "models.market",
    "DataVersion": "models.runs",
    "EtlRun": "models.runs",
    "Price": "models.market",
    "RawRecord": "models.raw",
    "RejectedRecord": "models.raw",
    "SchemaDrift": "models.raw",
}
__all__ = sorted(_TABLE_MODULES)


def register_tables() -> None:
    """Import every table module, so ``SQLModel.metadata`` holds the whole schema."""
    for module in set(_TABLE_MODULES.values()):
        import_module(module)


def __getattr__(name: str) -> Any:
    """``models.Coin`` and friends, imported on first use."""
    if name in _TABLE_MODULES:
        return getattr(import_module(_TABLE_MODULES[name]), name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")
