"""The written rules (RULES.md) a linter cannot check: where code goes, how long a module
is, who commits."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("submission", "assessment", "award")
ROOT_MODULES = {
    "__init__.py",
    "app.py",
    "settings.py",
    "database.py",
    "models.py",
    "uow.py",
    "dependencies.py",
    "consumers.py",
}
SUB_DOMAIN_FILES = {"endpoints.py", "service.py", "repository.py", "schemas.py", "models.py"}
MAX_LINES = 350


def package_of(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"awardpath_{service}"


def source_files() -> list[Path]:
    trees = [ROOT / "shared" / "src", ROOT / "src", *(ROOT / "services" / s / "src" for s in SERVICES)]
    return [path for tree in trees for path in tree.rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_is_its_wiring_and_one_package_per_sub_domain(service):
    package = package_of(service)
    flat = {path.name for path in package.glob("*.py")}
    assert flat <= ROOT_MODULES, f"{service}: modules outside a sub-domain: {sorted(flat - ROOT_MODULES)}"
    sub_domains = [path for path in package.iterdir() if path.is_dir() and (path / "__init__.py").exists()]
    assert len(sub_domains) >= 3 and "migrations" in {path.name for path in sub_domains}
    for sub_domain in sub_domains:
        if sub_domain.name == "migrations":
            continue
        files = {path.name for path in sub_domain.glob("*.py")}
        assert files & {"service.py", "models.py"}, f"{sub_domain}: a sub-domain has rules or tables"
        for name in files - SUB_DOMAIN_FILES - {"__init__.py"}:
            assert not name.startswith(("api", "util", "helpers", "misc")), f"{sub_domain / name}: say what it is"


def test_every_module_reads_in_one_sitting():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in source_files()
        if (lines := len(path.read_text().splitlines())) >= MAX_LINES
    }
    assert too_long == {}


# Committing, or opening a transaction or a session: what only the unit of work does.
OWNING_A_TRANSACTION = re.compile(r"\.commit\(|\.begin\(\)|\bsessions\(\)")


def test_only_the_unit_of_work_opens_and_commits_transactions():
    """Entry points open units of work (`runtime.transaction()`); services flush. Savepoints
    (`begin_nested`) inside a unit of work are fine."""
    owning = [
        str(path.relative_to(ROOT))
        for path in source_files()
        if "awardpath_shared" not in path.parts and OWNING_A_TRANSACTION.search(path.read_text())
    ]
    assert owning == []


def test_every_endpoint_is_a_service_route():
    """Input checks and idempotency keys hold for an endpoint only on `routes.ServiceRoute`:
    every endpoints module declares its routes on `service_router()`."""
    import importlib
    import pkgutil

    from fastapi import APIRouter

    from awardpath_shared.routes import ServiceRoute

    routes = []
    for service in ("awardpath_submission", "awardpath_assessment", "awardpath_award"):
        package = importlib.import_module(service)
        for module in pkgutil.walk_packages(package.__path__, f"{service}."):
            if module.name.endswith(".endpoints"):
                routers = vars(importlib.import_module(module.name)).values()
                routes += [route for router in routers if isinstance(router, APIRouter) for route in router.routes]
    assert len(routes) > 40
    assert [route.path for route in routes if not isinstance(route, ServiceRoute)] == []
