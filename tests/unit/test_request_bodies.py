"""Rules every request body keeps, checked over all of them: a number a client sends has an
upper bound that fits an integer column (a larger one would overflow the query: a 500)."""

import importlib
import pkgutil
import typing

import pytest
from annotated_types import Le, Lt

from awardpath_shared.schemas import RequestBody
from awardpath_shared.validation import MAX_VERSION

SERVICES = ("awardpath_submission", "awardpath_assessment", "awardpath_award")


def _request_bodies() -> list[type[RequestBody]]:
    for service in SERVICES:
        package = importlib.import_module(service)
        for module in pkgutil.walk_packages(package.__path__, f"{service}."):
            if module.name.endswith(".schemas"):
                importlib.import_module(module.name)
    found, pending = [], list(RequestBody.__subclasses__())
    while pending:
        body = pending.pop()
        found.append(body)
        pending.extend(body.__subclasses__())
    return found


def _holds_int(annotation: object) -> bool:
    return annotation is int or any(_holds_int(argument) for argument in typing.get_args(annotation))


def _upper_bound(metadata: list[object]) -> float | None:
    bounds = [item.le for item in metadata if isinstance(item, Le)] + [
        item.lt for item in metadata if isinstance(item, Lt)
    ]
    return min(bounds, default=None)


INT_FIELDS = [
    pytest.param(body, name, id=f"{body.__name__}.{name}")
    for body in _request_bodies()
    for name, field in body.model_fields.items()
    if _holds_int(field.annotation)
]


def test_request_bodies_were_found():
    assert len(_request_bodies()) > 15 and len(INT_FIELDS) >= 3


# Fields stored in a BIGINT column (a file's size in bytes): bounded by that column.
BIG_INTEGER_FIELDS = {"UploadCreate.size"}


@pytest.mark.parametrize(("body", "name"), INT_FIELDS)
def test_every_integer_of_a_request_body_fits_a_column(body, name):
    bound = _upper_bound(body.model_fields[name].metadata)
    column_max = 2**63 - 1 if f"{body.__name__}.{name}" in BIG_INTEGER_FIELDS else MAX_VERSION
    assert bound is not None and bound <= column_max, f"{body.__name__}.{name} needs le=... (at most {column_max})"
