"""Storage: SQLModel tables, the engine, the load step and the Alembic migrations.

Importing this package registers every table on ``SQLModel.metadata``.
"""

from models.market import Coin, CoinIdentityChange, CoinSource, Price
from models.raw import RawRecord, RejectedRecord, SchemaDrift
from models.runs import Checkpoint, DataVersion, EtlRun

__all__ = [
    "Checkpoint",
    "Coin",
    "CoinIdentityChange",
    "CoinSource",
    "DataVersion",
    "EtlRun",
    "Price",
    "RawRecord",
    "RejectedRecord",
    "SchemaDrift",
]
