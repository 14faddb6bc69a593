"""FastAPI dependencies shared by the REST routers: the read connection and the settings."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from models.settings import Settings


def get_engine(request: Request) -> Engine:
    """The app's read engine."""
    return request.app.state.engine  # type: ignore[no-any-return]


def get_connection(request: Request) -> Iterator[Connection]:
    """A pooled connection for this request (only SELECTs run on it)."""
    with request.app.state.engine.connect() as conn:
        yield conn


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings  # type: ignore[no-any-return]


SessionDep = Annotated[Connection, Depends(get_connection)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
