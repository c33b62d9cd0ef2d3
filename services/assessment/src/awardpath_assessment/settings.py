from awardpath_shared.settings import DEV_CONFLICT_HASH_KEY, ServiceSettings, per_service

SERVICE = "assessment"


class AssessmentSettings(ServiceSettings):
    database_url: str = per_service(SERVICE, "database_url", "sqlite+aiosqlite:///./var/awardpath.db")
    port: int = per_service(SERVICE, "port", 8002)
    # Key of the HMAC that turns organisation ids into conflict hashes (shared with submission).
    conflict_hash_key: str = DEV_CONFLICT_HASH_KEY
    lease_seconds: int = 4 * 3600
    min_feedback_chars: int = 10
