"""The ``triggerRun`` mutation: an on-demand run of a source through the Prefect server.

Same rules as REST ``POST /runs``: a bearer token (``COINFLOW_API_TRIGGER_TOKEN``) in the
Authorization header, HTTP 401/403 and an error with ``extensions.code`` when refused, 202 when runs
were created. The mutation creates Prefect flow runs; it writes nothing to coinflow's tables.
"""

from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from graphql_api.gql.context import Context
from graphql_api.gql.scalars import Source
from graphql_api.prefect_runs import PrefectUnavailableError, TriggerInputError, trigger_runs
from graphql_api.trigger_auth import TriggerAuthError, check_trigger_token


@strawberry.type(description="A flow run created for one stream's deployment.")
class TriggeredRun:
    flow_run_id: str = strawberry.field(description="Prefect flow-run id (open it in the Prefect UI).")
    deployment: str = strawberry.field(description="The Prefect deployment's name.")
    stream: str = strawberry.field(description="The stream it runs.")


@strawberry.type(description="The flow runs created by triggerRun.")
class TriggerRunResult:
    source: Source = strawberry.field(description="The source asked for.")
    flow_runs: list[TriggeredRun] = strawberry.field(description="One flow run per chosen stream.")


@strawberry.type(description="On-demand runs (the only operation that changes anything: it creates flow runs).")
class TriggerMutation:
    @strawberry.mutation(
        description="Create a flow run of each chosen stream's deployment (all streams by default). "
        "Needs `Authorization: Bearer <token>`."
    )
    async def trigger_run(
        self,
        info: Info[Context, None],
        source: Annotated[Source, strawberry.argument(description="The source to run.")],
        streams: Annotated[
            list[str] | None, strawberry.argument(description="Its streams to run (every deployed one when omitted).")
        ] = None,
    ) -> TriggerRunResult:
        context = info.context
        response = context.response
        assert context.request is not None and response is not None  # set by Strawberry's FastAPI router
        try:
            check_trigger_token(context.settings, context.request.headers.get("authorization"))
            created = await trigger_runs(source.value, streams, context.settings.prefect_request_timeout_s)
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
