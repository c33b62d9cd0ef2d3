"""The composition root of the launcher: how each service is built in a process.

This is the only code that knows all three services; the services never import each other.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

from fastapi import FastAPI

from awardpath_assessment.settings import AssessmentSettings
from awardpath_award.settings import AwardSettings
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime
from awardpath_submission.settings import SubmissionSettings

# The settings of any one service: each has its database URL and port.
AnySettings = SubmissionSettings | AssessmentSettings | AwardSettings


@dataclass(frozen=True)
class ServiceEntry:
    """A service as the launcher knows it. Its app module is imported on first use, so a
    process that runs one service (or only signs a link) never loads the other two."""

    name: str
    settings: Callable[..., AnySettings]

    @property
    def build_runtime(self) -> Callable[[Any, Transport], ServiceRuntime[Any, Any]]:
        return cast(Callable[[Any, Transport], ServiceRuntime[Any, Any]], self._app_module().build_runtime)

    @property
    def create_app(self) -> Callable[[Any], FastAPI]:
        return cast(Callable[[Any], FastAPI], self._app_module().create_app)

    def _app_module(self) -> ModuleType:
        return importlib.import_module(f"awardpath_{self.name}.app")


SERVICES: dict[str, ServiceEntry] = {
    "submission": ServiceEntry("submission", SubmissionSettings),
    "assessment": ServiceEntry("assessment", AssessmentSettings),
    "award": ServiceEntry("award", AwardSettings),
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
