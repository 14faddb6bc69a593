"""Liveness and readiness probes."""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from graphql_api.deps import EngineDep, SettingsDep
from graphql_api.json_logging import log
from graphql_api.problems import problem_responses
from graphql_api.queries.etl_status import source_statuses
from graphql_api.rest.responses import Health, Readiness
from models.columns import utcnow

router = APIRouter(prefix="/health", tags=["health"], responses=problem_responses(500))


@router.get("", response_model=Health)
@router.get("/live", response_model=Health)
def health() -> dict[str, str]:
    """Liveness: the process answers (no database call), even while the database is down."""
    return {"status": "ok"}


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness, "description": "A check failed"}})
def ready(engine: EngineDep, settings: SettingsDep) -> JSONResponse:
    """Readiness: the database answers and each configured source succeeded recently enough."""
    checks: list[dict[str, Any]] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            statuses = {status.source: status for status in source_statuses(conn)}
        checks.append({"check": "database", "ok": True})
    except SQLAlchemyError as error:
        log.warning("readiness: database unreachable", extra={"error_type": type(error).__name__})
        checks.append({"check": "database", "ok": False, "detail": "database unreachable"})
        statuses = {}
    else:
        now = utcnow()
        for source, max_age_s in sorted(settings.api_ready_max_age_s.items()):
            status = statuses.get(source)
            last = status.last_success_at if status else None
            age_s = (now - last).total_seconds() if last else None
            ok = age_s is not None and age_s <= timedelta(seconds=max_age_s).total_seconds()
            checks.append(
                {
                    "check": f"source:{source}",
                    "ok": ok,
                    "last_success_at": last.isoformat() if last else None,
                    "age_s": round(age_s, 1) if age_s is not None else None,
                    "max_age_s": max_age_s,
                }
            )
    failing = [check for check in checks if not check["ok"]]
    return JSONResponse(
        status_code=503 if failing else 200,
        content={"status": "unready" if failing else "ready", "checks": checks, "failing": failing},
    )
