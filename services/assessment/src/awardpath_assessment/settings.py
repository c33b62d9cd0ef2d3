from pydantic import AliasChoices, Field

from awardpath_shared.settings import ConflictHashingSettings, per_service
from awardpath_shared.storage import FileLinkSettings

SERVICE = "assessment"


class AssessmentSettings(ConflictHashingSettings, FileLinkSettings):
    database_url: str = per_service(SERVICE, "database_url", "sqlite+aiosqlite:///./var/awardpath.db")
    port: int = per_service(SERVICE, "port", 8002)
    # A worker's (`awardpath worker assessment`) health and metrics endpoints.
    worker_port: int = per_service(SERVICE, "worker_port", 9102)
    lease_seconds: int = 4 * 3600
    min_feedback_chars: int = 10
    # How often the queue sweeper returns expired claims to the pool and ends resubmission holds.
    lease_sweep_interval_seconds: float = 30.0
    # Share of attempts double scored where a micro-credential has no scoring policy.
    double_score_share: float = Field(default=0.0, ge=0, le=1)
    # Default share of calibration levels a new assessor must match to be qualified.
    calibration_threshold: float = Field(default=0.8, ge=0, le=1)
    # How long a resubmission waits for the assessor of the earlier attempt while they are
    # full (from its submission), before any eligible assessor may take it; 0: never waits.
    resubmission_hold_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 30,
        validation_alias=AliasChoices(
            "AWARDPATH_ASSESSMENT_RESUBMISSION_HOLD_HOURS", "AWARDPATH_RESUBMISSION_HOLD_HOURS"
        ),
    )
    # How long past its due time an assigned attempt stays with its assessor before the
    # sweeper gives it to another eligible assessor (each new holder gets this long too).
    overdue_grace_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 30,
        validation_alias=AliasChoices("AWARDPATH_ASSESSMENT_OVERDUE_GRACE_HOURS", "AWARDPATH_OVERDUE_GRACE_HOURS"),
    )
