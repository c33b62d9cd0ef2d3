from awardpath_shared.settings import DEV_CONFLICT_HASH_KEY, ServiceSettings, per_service

SERVICE = "submission"


class SubmissionSettings(ServiceSettings):
    database_url: str = per_service(SERVICE, "database_url", "sqlite+aiosqlite:///./var/awardpath.db")
    port: int = per_service(SERVICE, "port", 8001)
    # Key of the HMAC that turns organisation ids into conflict hashes (shared with assessment).
    conflict_hash_key: str = DEV_CONFLICT_HASH_KEY
    max_evidence_text_chars: int = 50_000
    max_artifacts_per_section: int = 20
