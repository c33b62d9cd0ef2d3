"""Settings from environment variables, one class per service built on `ServiceSettings`.

Every variable is `AWARDPATH_*`; a per-service variable (`AWARDPATH_SUBMISSION_DATABASE_URL`)
overrides the shared one (`AWARDPATH_DATABASE_URL`).
"""

from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "awardpath-local-development-secret-change-me"
DEV_CONFLICT_HASH_KEY = "awardpath-local-conflict-hash-key-change-me"
MIN_SECRET_CHARS = 32
# What the shipped examples and common templates put where a secret belongs.
PLACEHOLDER_MARKS = ("change-me", "changeme", "change_me", "placeholder", "replace-me")


def per_service(service: str, name: str, default: Any) -> Any:
    """A field read from `AWARDPATH_<SERVICE>_<NAME>`, falling back to `AWARDPATH_<NAME>`."""
    return Field(
        default=default,
        validation_alias=AliasChoices(f"AWARDPATH_{service.upper()}_{name.upper()}", f"AWARDPATH_{name.upper()}"),
    )


class ServiceSettings(BaseSettings):
    # A refused setting is named, never echoed: the input holds the secrets.
    model_config = SettingsConfigDict(
        env_prefix="AWARDPATH_", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    transport: Literal["inprocess", "kafka"] = "inprocess"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "AWARDPATH_KAFKA_BOOTSTRAP_SERVERS"),
    )
    # How clients reach the brokers: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    # TLS: the CA bundle the brokers' certificates chain to (unset: the system's trust store),
    # and a client certificate and key (PEM) where the brokers want mutual TLS.
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    kafka_ssl_key_password: str | None = None
    # SASL: PLAIN or SCRAM with a username and password; OAUTHBEARER with an OAuth 2.0 client
    # whose tokens come from the token URL (client-credentials grant).
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_sasl_oauth_token_url: str | None = None
    kafka_sasl_oauth_client_id: str | None = None
    kafka_sasl_oauth_client_secret: str | None = None
    kafka_sasl_oauth_scope: str | None = None
    # Prefix of every topic and consumer group name: several environments (or test runs)
    # can share one cluster.
    kafka_namespace: str = ""
    kafka_topic_partitions: int = 6
    kafka_replication_factor: int = 1
    # Group membership: a crashed replica's partitions move once its session times out.
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_rebalance_timeout_ms: int = 30_000
    # How long a fetch may wait for data. Some brokers (Tansu) answer only when it runs out,
    # so aiokafka's 500 ms default adds that much to every hop of the award path.
    kafka_fetch_max_wait_ms: int = 50
    # Stopping (or losing partitions) lets in-flight handlers finish for this long, then cancels
    # them: their messages stay uncommitted, the next owner redelivers, the inbox drops what was
    # already processed. aiokafka retries a commit without limit while the coordinator is
    # unreachable, and closing the consumer or the producer waits on the broker: each of those
    # is bounded by the operation timeout. Together they stay inside Kubernetes' 30 s
    # termination grace period.
    kafka_stop_grace_seconds: float = 10.0
    kafka_operation_timeout_seconds: float = 5.0
    # A message whose handler keeps failing is tried this often (with doubling backoff, about
    # 15 s in all: time for an event it depends on to arrive on another topic), then goes to
    # the dead-letter topic. Database outages are retried without limit.
    consumer_max_attempts: int = 6
    consumer_retry_backoff_seconds: float = 0.5
    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "awardpath"
    jwt_audience: str = "awardpath"
    # Production identity providers publish keys; when set, tokens are verified against it.
    jwks_url: str | None = None
    # Connections each service keeps per process (PostgreSQL), and how many more it may open
    # under a burst. Size the server's max_connections to the processes times both.
    database_pool_size: int = 16
    database_pool_overflow: int = 8
    # Relays are woken by the commits that stage events; this timer only catches rows staged
    # by another process or freed by a lapsed claim.
    relay_poll_interval_seconds: float = 1.0
    relay_batch_size: int = 100
    # The relay claims rows for this long and renews the claim every third of it while it
    # publishes: a crashed process's rows are sent by another relay within seconds, a live
    # relay's are never taken from it however slowly the broker or the handlers answer.
    relay_claim_lease_seconds: float = 5.0
    # With backoff capped at five minutes, about 1.5 hours of retries before a row is dead.
    relay_max_attempts: int = 25
    max_request_bytes: int = 1_000_000
    # How long a POST's Idempotency-Key replays its first response (the draft suggests 24 h).
    idempotency_key_ttl_hours: float = 24
    log_level: str = "INFO"
    # `awardpath worker all` (the worker `serve all` starts): its health and metrics endpoints.
    worker_all_port: int = 9104
    # Development (`serve all --demo` implies it): the development secrets and loopback URLs
    # are accepted. Outside it a process refuses to start on them (`unsafe_settings`).
    development: bool = False

    @model_validator(mode="after")
    def _kafka_credentials_given(self) -> "ServiceSettings":
        if not self.kafka_security_protocol.startswith("SASL"):
            return self
        needed: tuple[str, ...] = ("kafka_sasl_username", "kafka_sasl_password")
        if self.kafka_sasl_mechanism == "OAUTHBEARER":
            needed = ("kafka_sasl_oauth_token_url", "kafka_sasl_oauth_client_id", "kafka_sasl_oauth_client_secret")
        missing = [f"AWARDPATH_{name.upper()}" for name in needed if not getattr(self, name)]
        if missing:
            mechanism = self.kafka_sasl_mechanism
            raise ValueError(f"{self.kafka_security_protocol} with {mechanism} needs {', '.join(missing)}")
        return self

    def unsafe_settings(self) -> list[str]:
        """What makes this configuration unfit to run outside development, each with what to
        set; empty when it is fit. Services add their own."""
        if self.jwks_url is not None:
            return []  # tokens are verified against the identity provider's keys
        return secret_problems("AWARDPATH_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET)


class ConflictHashingSettings(ServiceSettings):
    """Submission and assessment: both turn organisation ids into conflict hashes."""

    # Key of the HMAC that makes the hashes; the two services must share it.
    conflict_hash_key: str = DEV_CONFLICT_HASH_KEY

    def unsafe_settings(self) -> list[str]:
        return [
            *super().unsafe_settings(),
            *secret_problems("AWARDPATH_CONFLICT_HASH_KEY", self.conflict_hash_key, DEV_CONFLICT_HASH_KEY),
        ]


def secret_problems(variable: str, value: str, development_value: str) -> list[str]:
    """Why `value` cannot be the secret `variable` in production, if it cannot."""
    how = f"set {variable} to a random value of at least {MIN_SECRET_CHARS} characters (`openssl rand -base64 48`)"
    if not value or value == development_value:
        return [f"{variable} is not set (the development value is in use): {how}"]
    if any(mark in value.lower() for mark in PLACEHOLDER_MARKS):
        return [f"{variable} holds a placeholder: {how}"]
    if len(value) < MIN_SECRET_CHARS:
        return [f"{variable} is shorter than {MIN_SECRET_CHARS} characters: {how}"]
    return []
