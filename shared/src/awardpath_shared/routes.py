"""The route every endpoint is declared on: what the edge does around each endpoint, here
once. Before it: the input checks (`edge_input`). After it, before the request's unit of
work commits: a POST's response is stored under its Idempotency-Key (`idempotent_requests`)."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from awardpath_shared.edge_input import check_request
from awardpath_shared.idempotent_requests import remember
from awardpath_shared.logs import note_submission
from awardpath_shared.validation import is_wellformed_id


class ServiceRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_json = self.body_field is not None

        async def service_handler(request: Request) -> Response:
            submission_id = request.path_params.get("submission_id")
            if isinstance(submission_id, str) and is_wellformed_id(submission_id):
                note_submission(submission_id)  # the request's log lines and span name it
            await check_request(request, takes_json)
            response = await handler(request)
            # The request's unit of work commits when this returns (a function-scoped
            # dependency): the stored response commits with the work it answers.
            await remember(request, response)
            return response

        return service_handler


def service_router(**options: Any) -> APIRouter:
    """The router every endpoints module declares its routes on."""
    return APIRouter(route_class=ServiceRoute, **options)
