"""What a domain error becomes at the HTTP edge, for tests of the service layer."""

import pytest

from awardpath_shared.errors import DomainError
from awardpath_shared.problems import status_of


def refusal(error: pytest.ExceptionInfo[DomainError] | DomainError) -> tuple[int, str]:
    """(status, problem slug) of a refused call."""
    value = error.value if isinstance(error, pytest.ExceptionInfo) else error
    return status_of(value), value.code
