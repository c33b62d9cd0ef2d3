"""The composition root of the launcher: how each service is built in a process.

This is the only code that knows all three services; the services never import each other.
"""

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from awardpath_assessment import app as assessment_app
from awardpath_assessment.settings import AssessmentSettings
from awardpath_award import app as award_app
from awardpath_award.settings import AwardSettings
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime
from awardpath_shared.settings import ServiceSettings
from awardpath_submission import app as submission_app
from awardpath_submission.settings import SubmissionSettings


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    settings: Callable[[], ServiceSettings]
    build_runtime: Callable[[ServiceSettings, Transport], ServiceRuntime]
    create_app: Callable[..., FastAPI]


SERVICES: dict[str, ServiceEntry] = {
    "submission": ServiceEntry(
        "submission", SubmissionSettings, submission_app.build_runtime, submission_app.create_app
    ),
    "assessment": ServiceEntry(
        "assessment", AssessmentSettings, assessment_app.build_runtime, assessment_app.create_app
    ),
    "award": ServiceEntry("award", AwardSettings, award_app.build_runtime, award_app.create_app),
}


def build_apps(transport: Transport, settings: dict[str, ServiceSettings] | None = None) -> dict[str, FastAPI]:
    """The apps of the services `settings` names (default: all three) on one transport."""
    settings = settings or {name: entry.settings() for name, entry in SERVICES.items()}
    return {
        name: SERVICES[name].create_app(SERVICES[name].build_runtime(service_settings, transport))
        for name, service_settings in settings.items()
    }
