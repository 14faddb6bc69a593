"""The ``triggerRun`` mutation: an on-demand run of a source through the Prefect server.

Same rules as REST ``POST /runs``: a bearer token (``COINFLOW_API_TRIGGER_TOKEN``) in the
Authorization header, HTTP 401/403 and an error with ``extensions.code`` when refused, 202 when runs
were created. The mutation creates Prefect flow runs; it writes nothing to coinflow's tables.
"""

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from graphql_api.gql.context import Context
from graphql_api.prefect_runs import PrefectUnavailableError, TriggerInputError, trigger_runs
from graphql_api.trigger_auth import TriggerAuthError, check_trigger_token


@strawberry.type(description="A flow run created for one stream's deployment.")
class TriggeredRun:
    flow_run_id: str = strawberry.field(description="Prefect flow-run id (see the Prefect UI, or `run(flowRunId)`).")
    deployment: str
    stream: str


@strawberry.type(description="The flow runs created by triggerRun.")
class TriggerRunResult:
    source: str
    flow_runs: list[TriggeredRun]


@strawberry.type
class TriggerMutation:
    @strawberry.mutation(
        description="Create a flow run of each chosen stream's deployment (all streams by default). "
        "Needs `Authorization: Bearer <token>`."
    )
    async def trigger_run(
        self, info: Info[Context, None], source: str, streams: list[str] | None = None
    ) -> TriggerRunResult:
        context = info.context
        response = context.response
        assert context.request is not None and response is not None  # set by Strawberry's FastAPI router
        try:
            check_trigger_token(context.settings, context.request.headers.get("authorization"))
            created = await trigger_runs(source, streams, context.settings.prefect_request_timeout_s)
        except TriggerAuthError as error:
            response.status_code = error.status
            if error.status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            code = "UNAUTHENTICATED" if error.status == 401 else "FORBIDDEN"
            raise GraphQLError(str(error), extensions={"code": code}) from None
        except TriggerInputError as error:
            raise GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"}) from None
        except PrefectUnavailableError as error:
            response.status_code = 503
            raise GraphQLError(str(error), extensions={"code": "PREFECT_UNAVAILABLE"}) from None
        response.status_code = 202
        runs = [TriggeredRun(flow_run_id=str(r.flow_run_id), deployment=r.deployment, stream=r.stream) for r in created]
        return TriggerRunResult(source=source, flow_runs=runs)
