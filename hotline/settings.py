"""Service settings: environment variables with local defaults."""
from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration in one place; tests pass overrides as keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore", populate_by_name=True)

    # When unset the service starts embedded PostgreSQL / Valkey in state_dir.
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "HOTLINE_DATABASE_URL"))
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL", "HOTLINE_REDIS_URL"))
    # A streaming replica for the report queries that tolerate lag (hotline/replica.py); unset: all on the primary.
    database_replica_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_REPLICA_URL",
                                                                                 "HOTLINE_DATABASE_REPLICA_URL"))
    # Reports read from the replica only while its data is at most this old; checked this often.
    replica_max_lag_seconds: float = Field(30.0, ge=0)
    replica_check_seconds: float = Field(1.0, gt=0)
    state_dir: Path = Path(".hotline")
    pg_user: str = "hotline"

    host: str = "127.0.0.1"
    port: int = 8345
    # Where requesters reach the service (links in SMS texts), e.g. https://12345.example.gov.cn.
    # Never taken from the request's Host header, which the caller chooses.
    public_base_url: str | None = None
    pool_min: int = 2
    pool_max: int = 20

    max_body_bytes: int = 64 * 1024
    # Slow clients: a request head must arrive within header_timeout (aiohttp's keep-alive timer, also
    # the idle keep-alive limit), a body within body_timeout; until then they hold no in-flight slot.
    header_timeout_seconds: float = 20.0
    body_timeout_seconds: float = 15.0
    home_province: str = "320000"
    triage_threshold: float = 0.45
    model_dir: Path | None = None
    # Set when REDIS_URL points at a Redis/Valkey Cluster.
    redis_cluster: bool = False

    # Escalation sweep (hotline/escalation): the in-app scheduler runs it every
    # sweep_interval_seconds under a Valkey lease; tests set scheduler_enabled=False
    # and call hotline.escalation.sweep.sweep with an injected time.
    scheduler_enabled: bool = True
    sweep_interval_seconds: float = 60.0
    sweep_batch: int = 500
    sweep_lease_ttl_seconds: float = 30.0
    # The database alone keeps steps exactly-once; the lease only avoids duplicate work.
    sweep_when_valkey_down: bool = True
    sse_heartbeat_seconds: float = 15.0
    # 12345 -> 110 delivery (the 110 platform's intake endpoint); unset: hand-offs wait in the outbox.
    linkage_110_url: str | None = None
    linkage_110_token: str = ""
    linkage_max_attempts: int = 8
    linkage_poll_seconds: float = 1.0
    linkage_backoff_max_seconds: float = 300.0
    linkage_timeout_seconds: float = 5.0
    # SMS to requesters (hotline/requester/sms_worker.py); unset: messages wait in the outbox as pending.
    sms_gateway_url: str | None = None
    sms_gateway_token: str = ""
    sms_max_attempts: int = Field(8, ge=1, le=100)
    sms_poll_seconds: float = 1.0
    sms_backoff_max_seconds: float = 300.0
    sms_timeout_seconds: float = 5.0
    # 诉调对接: the court's platform intake (unset: referrals wait in court_outbox); retries as for 110.
    court_url: str | None = None
    court_token: str = ""
    # Attachments (hotline/attachments): on the local disk under attachments_dir (default state_dir/attachments),
    # or in an S3-compatible bucket when s3_bucket is set (credentials: s3_access_key/s3_secret_key, else
    # boto3's usual chain). Uploads stream to a spool file: attachment_max_bytes caps every kind, and the
    # whole body must arrive within upload_timeout_seconds, each piece within body_timeout_seconds.
    attachments_dir: Path | None = None
    attachment_max_bytes: int = Field(20 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    attachments_per_ticket: int = Field(30, ge=1, le=1000)
    upload_timeout_seconds: float = Field(120.0, gt=0)
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_prefix: str = "attachments/"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_timeout_seconds: float = 10.0
    # Load shedding and rate limits (hotline/admission.py; requests per minute, 0 turns one off).
    max_inflight: int = 256
    rate_limit_per_minute: int = 1200      # per token (a bucket: this many at once, refilled over a minute)
    public_rate_per_minute: int = 120      # per client address, on routes without a token (survey links)
    auth_fail_per_minute: int = 20         # per client address: failed authentications before 429s
    # Status lookups by ticket number + query code (hotline/requester): every attempt, right or wrong,
    # takes from a bucket of its ticket number and one of its client address, so codes cannot be guessed.
    lookup_per_ticket_per_minute: int = Field(6, ge=1, le=1000)
    lookup_per_client_per_minute: int = Field(30, ge=1, le=10000)
    # 热线百科 suggestions in the intake response (hotline/knowledge/suggest.py): the search is left out of
    # the answer when it takes longer than this (0 turns suggestions off), and gives at most this many.
    kb_suggest_budget_ms: int = Field(50, ge=0, le=5000)
    kb_suggest_limit: int = Field(3, ge=1, le=10)
    kb_suggest_all: bool = False   # also for calls dispatched at intake (by default only those left in triage)
    max_streams: int = 200                 # open event streams per worker process
    max_streams_per_token: int = 4
    # Callbacks (回访) and rates.
    callback_max_attempts: int = Field(3, ge=1, le=20)   # unreachable attempts before the round closes
    # Least time between two unreachable attempts of one round: three calls in a minute are not three tries.
    callback_min_spacing_minutes: float = Field(30, ge=0, le=24 * 60)
    callback_link_hours: int = Field(72, ge=1, le=24 * 30)  # lifetime of a one-time SMS survey link
    bad_review_rectify_days: int = Field(5, ge=1, le=60)  # working days for a valid bad review's rectification
    # 质检 (hotline/reviews/quality.py): at least this many rated results from one phone in a report's
    # period, reached phone callbacks recorded by one agent less than this many seconds apart, and the
    # unit test's minimum results per unit and significance (Bonferroni-corrected over the units tested).
    quality_phone_ratings: int = Field(4, ge=2, le=1000)
    quality_callback_seconds: int = Field(60, ge=1, le=3600)
    quality_unit_min_results: int = Field(20, ge=5, le=100000)
    quality_alpha: float = Field(0.01, gt=0, lt=1)
    rate_weights: str = "0.2,0.4,0.4"                   # composite: response, real resolution, satisfaction
    rollup_interval_seconds: float = 60.0
    # Candidates (same caller, place, similar text) in the intake response (hotline/duplicates/intake.py).
    intake_candidates: bool = True
    # A chase (追加) makes its lead urgent when it brings the lead's repeat calls within the hours to this many.
    chase_urgent_calls: int = Field(2, ge=1, le=100)
    chase_urgent_hours: float = Field(72, gt=0, le=24 * 30)
    # Hotspots and surges (hotline/hotspots, routing/hotspots.py: Poisson upper tail against the key's own
    # baseline; docs/hotspots.md). Hotspot: county x category, sliding window vs the baseline days before it.
    hotspot_interval_seconds: float = 60.0
    hotspot_window_hours: float = Field(24, gt=0, le=24 * 7)
    hotspot_baseline_days: float = Field(28, gt=0, le=365)
    hotspot_min_count: int = Field(5, ge=2)
    hotspot_alpha: float = Field(0.001, gt=0, lt=1)
    hotspot_floor: float = Field(0.2, gt=0)          # least expected calls per window (a key with no history)
    hotspot_cooldown_hours: float = Field(6, ge=0)   # not flagged this long: the episode ends
    # Surge (话务激增): a county's calls in the last surge_window_hours against the same hours of the
    # surge_baseline_days days before; while it lasts, intake groups same-matter requests under one lead.
    surge_window_hours: float = Field(1, gt=0, le=24)
    surge_baseline_days: int = Field(7, ge=1, le=60)
    surge_min_count: int = Field(10, ge=2)
    surge_alpha: float = Field(0.0001, gt=0, lt=1)
    surge_floor: float = Field(1.0, gt=0)
    surge_cooldown_hours: float = Field(1, ge=0)
    # Valkey on the request path (rate counts, notifications): per-call timeout, then a circuit breaker
    # that skips Valkey for the cooldown after this many failures in a row.
    valkey_timeout_seconds: float = 0.25
    valkey_breaker_failures: int = 3
    valkey_breaker_cooldown_seconds: float = 2.0
    # Every worker re-reads the classifier version chosen by hot reload this often.
    classifier_poll_seconds: float = 1.0
    # `serve --workers N`: a worker dying more than this often within the window stops the service.
    worker_max_restarts: int = 10
    worker_restart_window_seconds: float = 60.0

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or any(c in rest for c in "?#@ "):
            raise ValueError("HOTLINE_PUBLIC_BASE_URL must look like https://host[:port][/prefix]")
        return value

    def public_base(self) -> str:
        """The base of links sent to requesters: the configured URL, else this server's own address."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"
