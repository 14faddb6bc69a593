"""SQLAlchemy Core handles on the tables the API reads."""

from sqlalchemy import Table

from models.market import Coin, CoinSource, Price
from models.raw import RawRecord, RejectedRecord, SchemaDrift
from models.runs import DataVersion, EtlRun

coins: Table = Coin.__table__  # type: ignore[attr-defined]
coin_sources: Table = CoinSource.__table__  # type: ignore[attr-defined]
prices: Table = Price.__table__  # type: ignore[attr-defined]
raw_records: Table = RawRecord.__table__  # type: ignore[attr-defined]
rejected_records: Table = RejectedRecord.__table__  # type: ignore[attr-defined]
schema_drift: Table = SchemaDrift.__table__  # type: ignore[attr-defined]
etl_runs: Table = EtlRun.__table__  # type: ignore[attr-defined]
data_version: Table = DataVersion.__table__  # type: ignore[attr-defined]
