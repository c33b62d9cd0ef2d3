"""The composition root of the launcher: how each service is built in a process.

This is the only code that knows all three services; the services never import each other.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from awardpath_assessment import app as assessment_app
from awardpath_assessment.settings import AssessmentSettings
from awardpath_award import app as award_app
from awardpath_award.settings import AwardSettings
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime
from awardpath_submission import app as submission_app
from awardpath_submission.settings import SubmissionSettings

# The settings of any one service: each has its database URL and port.
AnySettings = SubmissionSettings | AssessmentSettings | AwardSettings


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    settings: Callable[..., AnySettings]
    build_runtime: Callable[[Any, Transport], ServiceRuntime[Any, Any]]
    create_app: Callable[[Any], FastAPI]


SERVICES: dict[str, ServiceEntry] = {
    "submission": ServiceEntry(
        "submission", SubmissionSettings, submission_app.build_runtime, submission_app.create_app
    ),
    "assessment": ServiceEntry(
        "assessment", AssessmentSettings, assessment_app.build_runtime, assessment_app.create_app
    ),
    "award": ServiceEntry("award", AwardSettings, award_app.build_runtime, award_app.create_app),
}


def build_runtimes(
    transport: Transport, settings: dict[str, AnySettings] | None = None
) -> dict[str, ServiceRuntime[Any, Any]]:
    """The runtimes of the services `settings` names (default: all three) on one transport."""
    settings = settings or {name: entry.settings() for name, entry in SERVICES.items()}
    return {
        name: SERVICES[name].build_runtime(service_settings, transport) for name, service_settings in settings.items()
    }


def create_apps(runtimes: dict[str, ServiceRuntime[Any, Any]]) -> dict[str, FastAPI]:
    return {name: SERVICES[name].create_app(runtime) for name, runtime in runtimes.items()}


def build_apps(transport: Transport, settings: dict[str, AnySettings] | None = None) -> dict[str, FastAPI]:
    """The apps of the services `settings` names (default: all three) on one transport."""
    return create_apps(build_runtimes(transport, settings))
