from awardpath_shared.settings import ServiceSettings, per_service

SERVICE = "award"


class AwardSettings(ServiceSettings):
    database_url: str = per_service(SERVICE, "database_url", "sqlite+aiosqlite:///./var/awardpath.db")
    port: int = per_service(SERVICE, "port", 8003)
    # Base of credential ids, did:web identifiers and public pages.
    public_url: str = per_service(SERVICE, "public_url", "http://127.0.0.1:8003")
