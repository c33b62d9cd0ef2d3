from awardpath_shared.settings import ConflictHashingSettings, per_service

SERVICE = "submission"


class SubmissionSettings(ConflictHashingSettings):
    database_url: str = per_service(SERVICE, "database_url", "sqlite+aiosqlite:///./var/awardpath.db")
    port: int = per_service(SERVICE, "port", 8001)
    # A worker's (`awardpath worker submission`) health and metrics endpoints.
    worker_port: int = per_service(SERVICE, "worker_port", 9101)
    max_evidence_text_chars: int = 50_000
    max_artifacts_per_section: int = 20
