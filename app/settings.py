"""One settings object, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEV_SECRET_KEY = "dev-only-secret-change-me-in-production"
SECRET_KEY_MIN_LENGTH = 32


def _env_list(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, default).split(",") if item.strip())


def _data_dir() -> Path:
    """``DATA_DIR``, else ``.data`` in the source checkout the code runs from.

    Not the working directory: ``dealercrm`` run from another folder must find the same embedded
    database, not quietly start an empty one there. An installed package (no checkout around it)
    falls back to ``./.data``.
    """
    if configured := os.environ.get("DATA_DIR"):
        return Path(configured).resolve()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / ".data"
    return Path(".data").resolve()


def _env_int(name: str, default: int) -> int:
    """A whole number from the environment; anything else stops the start-up naming the variable
    (``int()`` alone would say only "invalid literal for int() with base 10: 'abc'")."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


# argon2id cost profiles for password hashes. ``standard`` is argon2-cffi's default (RFC 9106's
# low-memory choice: 3 passes over 64 MiB, 4 lanes; about 0.1 s of CPU). ``test`` is for the test
# suite only, which signs up some two thousand tenants and logs in about as often: 1 pass over 1 MiB.
# Production refuses anything but ``standard`` (``refuse_unsafe_production``). A hash records its
# own parameters, so hashes made under either profile verify under the other.
PASSWORD_HASH_COSTS: dict[str, dict[str, int]] = {
    "standard": {},
    "test": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable, documented in the README."""

    database_url: str | None = field(default_factory=lambda: os.environ.get("DATABASE_URL") or None)
    redis_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_URL") or None)
    base_domain: str = field(default_factory=lambda: os.environ.get("BASE_DOMAIN", "localhost"))
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY", DEV_SECRET_KEY))
    password_hash_cost: str = field(default_factory=lambda: os.environ.get("PASSWORD_HASH_COST", "standard"))
    data_dir: Path = field(default_factory=lambda: _data_dir())
    files_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("FILES_DIR") or _data_dir() / "files").resolve()
    )
    # Cookies are Secure by default; plain-http local development turns it off explicitly.
    secure_cookies: bool = field(default_factory=lambda: _env_bool("SECURE_COOKIES", True))
    sentry_dsn: str | None = field(default_factory=lambda: os.environ.get("SENTRY_DSN") or None)
    environment: str = field(default_factory=lambda: os.environ.get("ENVIRONMENT", "development"))
    db_pool_size: int = field(default_factory=lambda: _env_int("DB_POOL_SIZE", 10))
    # 0 when behind PgBouncer in transaction mode without prepared-statement support.
    db_statement_cache_size: int = field(default_factory=lambda: _env_int("DB_STATEMENT_CACHE_SIZE", 500))
    # A pooled connection is replaced after serving this many tenant schemas (its catalog caches
    # grow with each); 0: only the 30-minute recycle. See infra/README.md, "Capacity".
    db_schemas_per_connection: int = field(default_factory=lambda: _env_int("DB_SCHEMAS_PER_CONNECTION", 200))
    # Tenant sessions split over this many pools, each tenant always in the same one (1: one pool).
    db_pool_slices: int = field(default_factory=lambda: _env_int("DB_POOL_SLICES", 1))
    # A pooled connection is also replaced after this many seconds, whatever it served.
    db_pool_recycle_seconds: int = field(default_factory=lambda: _env_int("DB_POOL_RECYCLE_SECONDS", 1800))
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # Redis throttles on the login forms (app.accounts.lockout): attempts one address may make
    # against one account, and against any account, per minute; failures an account may take from
    # all sources in an hour before only its known networks may still try.
    login_attempts_per_account_ip_per_minute: int = field(
        default_factory=lambda: _env_int("LOGIN_ATTEMPTS_PER_ACCOUNT_IP_PER_MINUTE", 10)
    )
    login_attempts_per_ip_per_minute: int = field(
        default_factory=lambda: _env_int("LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", 30)
    )
    login_failures_per_account_per_hour: int = 100
    # Wrong codes one half-login may type before it ends and the password is asked again.
    second_factor_max_failures: int = 5
    # Personal access tokens: lifetimes offered at creation (days) and the default.
    api_token_lifetimes_days: tuple[int, ...] = (7, 30, 90, 365)
    api_token_default_days: int = 90
    page_size_max: int = 100
    # GraphQL: objects (list items plus one per request) a client may ask for per minute; 0 = off.
    api_objects_per_minute: int = field(default_factory=lambda: _env_int("API_OBJECTS_PER_MINUTE", 20000))
    search_count_cap: int = 10_000
    # A text search counts its matches up to this many ("1,000+"): counting the thousands of
    # customers a common given name matches cost most of a search's time at a million customers.
    search_text_count_cap: int = field(default_factory=lambda: _env_int("SEARCH_TEXT_COUNT_CAP", 1000))
    default_locale: str = field(default_factory=lambda: os.environ.get("DEFAULT_LOCALE", "zh_CN"))
    # Background exports: rows per batch (one progress update each) and an optional pause between
    # batches that throttles a big export's load on the database.
    export_batch_size: int = field(default_factory=lambda: _env_int("EXPORT_BATCH_SIZE", 500))
    export_batch_pause_ms: int = field(default_factory=lambda: _env_int("EXPORT_BATCH_PAUSE_MS", 0))
    # Reminder sweep (follow-ups, tasks): rows per transaction, and an optional pause between batches.
    reminder_batch_size: int = field(default_factory=lambda: _env_int("REMINDER_BATCH_SIZE", 500))
    reminder_batch_pause_ms: int = field(default_factory=lambda: _env_int("REMINDER_BATCH_PAUSE_MS", 0))
    # An export still queued after this long is enqueued again (the first enqueue may be lost with Redis);
    # one running without a heartbeat for this long lost its worker and is queued again.
    export_requeue_after_seconds: int = 60
    export_stale_after_seconds: int = 120
    # Tenant backups (app/backups): where the encrypted dumps live, the master key that wraps each
    # backup's data key (base64 of 32 bytes; outside production a key file under DATA_DIR is made
    # once when unset, in production an unset key is an error), and the retention policy.
    backup_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("BACKUP_DIR") or _data_dir() / "backups").resolve()
    )
    backup_master_key: str | None = field(default_factory=lambda: os.environ.get("BACKUP_MASTER_KEY") or None)
    # Sensitive personal data (app/privacy/keys.py): the master key that wraps each tenant's data
    # keys (base64 of 32 bytes; outside production a key file under DATA_DIR is made once when
    # unset, production refuses to start without it), and retired master keys still accepted while
    # ``dealercrm keys rotate`` re-wraps the data keys under the current one.
    data_master_key: str | None = field(default_factory=lambda: os.environ.get("DATA_MASTER_KEY") or None)
    data_master_keys_retired: tuple[str, ...] = field(
        default_factory=lambda: _env_list("DATA_MASTER_KEYS_RETIRED")
    )
    backup_keep_daily: int = field(default_factory=lambda: _env_int("BACKUP_KEEP_DAILY", 7))
    backup_keep_weekly: int = field(default_factory=lambda: _env_int("BACKUP_KEEP_WEEKLY", 4))
    backup_keep_monthly: int = field(default_factory=lambda: _env_int("BACKUP_KEEP_MONTHLY", 12))
    backup_keep_manual: int = field(default_factory=lambda: _env_int("BACKUP_KEEP_MANUAL", 10))
    # A tenant is due for a scheduled backup this long after its last good one; with no verified
    # backup for longer than the alert age an operator alert is raised.
    backup_interval_hours: int = 24
    backup_alert_after_hours: int = 26
    # The schema a same-tenant restore set aside is dropped after this many days.
    backup_keep_pre_restore_days: int = 7
    # GraphQL request size: the whole JSON body and the query text inside it (checked before
    # parsing, 413 over either), and the parsed-document cache, bounded by entries and by bytes.
    graphql_max_body_bytes: int = field(
        default_factory=lambda: _env_int("GRAPHQL_MAX_BODY_BYTES", 1024 * 1024)
    )
    graphql_max_query_bytes: int = field(
        default_factory=lambda: _env_int("GRAPHQL_MAX_QUERY_BYTES", 64 * 1024)
    )
    graphql_cache_entries: int = 512
    graphql_cache_bytes: int = field(default_factory=lambda: _env_int("GRAPHQL_CACHE_BYTES", 1024 * 1024))
    # Redis at start-up: attempts (with this pause between them) before starting degraded without it.
    redis_startup_attempts: int = field(default_factory=lambda: _env_int("REDIS_STARTUP_ATTEMPTS", 5))
    redis_startup_delay_seconds: float = field(
        default_factory=lambda: float(os.environ.get("REDIS_STARTUP_DELAY_SECONDS", "1"))
    )
    # GraphQL mutations sent with an Idempotency-Key: the key and first answer are kept this long.
    idempotency_key_hours: int = 24
    # Where pg_dump / pg_restore / psql live when the automatic choice (the server's major version)
    # is wrong for this machine.
    pg_bin_dir: Path | None = field(
        default_factory=lambda: Path(os.environ["PG_BIN_DIR"]) if os.environ.get("PG_BIN_DIR") else None
    )
    # pg_dump gives up when a table stays locked (a long migration) for longer than this.
    backup_lock_wait_seconds: int = field(default_factory=lambda: _env_int("BACKUP_LOCK_WAIT_SECONDS", 300))
    # Tenant lifecycle (app/platform): outgoing mail (smtp://user:pass@host:587 with STARTTLS,
    # smtps://... for implicit TLS; unset or recording:// records mail in public.outbox_mail
    # instead of sending it), how long verification links live, the grace period between deleting
    # a tenant and purging its schema, and the addresses from which support sessions may pass a
    # tenant's IP allowlist (CIDR list, comma separated; empty: never).
    smtp_url: str | None = field(default_factory=lambda: os.environ.get("SMTP_URL") or None)
    mail_from: str = field(
        default_factory=lambda: os.environ.get("MAIL_FROM", "DealerCRM <no-reply@localhost>")
    )
    email_verification_hours: int = 24
    tenant_delete_grace_days: int = field(default_factory=lambda: _env_int("TENANT_DELETE_GRACE_DAYS", 30))
    support_entry_seconds: int = 120
    platform_ip_allowlist: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            block.strip() for block in os.environ.get("PLATFORM_IP_ALLOWLIST", "").split(",") if block.strip()
        )
    )
    # Prometheus /metrics: served only on the platform host (never a dealer's), to callers from
    # these networks (CIDR list) or presenting ``Authorization: Bearer <METRICS_TOKEN>``.
    metrics_ip_allowlist: tuple[str, ...] = field(
        default_factory=lambda: _env_list("METRICS_IP_ALLOWLIST", "127.0.0.1/32,::1/128")
    )
    metrics_token: str | None = field(default_factory=lambda: os.environ.get("METRICS_TOKEN") or None)
    # Self-service sign-up: attempts per hour from one address and per email address; a tenant whose
    # owner never confirmed the email is purged (schema dropped, row kept as purged) after this long.
    signup_per_ip_per_hour: int = field(default_factory=lambda: _env_int("SIGNUP_PER_IP_PER_HOUR", 5))
    signup_per_email_per_day: int = field(default_factory=lambda: _env_int("SIGNUP_PER_EMAIL_PER_DAY", 3))
    unverified_tenant_hours: int = field(default_factory=lambda: _env_int("UNVERIFIED_TENANT_HOURS", 48))
    # Visits a delivery/installation team takes per time slot unless its capacity is set.
    booking_slot_capacity: int = field(default_factory=lambda: _env_int("BOOKING_SLOT_CAPACITY", 4))
    # Webhook URLs may name private or loopback addresses (a test's local receiver; never production).
    webhook_allow_private_targets: bool = field(
        default_factory=lambda: _env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
    )
    webhook_timeout_seconds: float = 10.0


def refuse_unsafe_production(settings: Settings) -> None:
    """Stop the process with one clear line when production runs on the development SECRET_KEY or a
    short one (sessions, CSRF tokens and signed links all rest on it), or with password hashes of
    another cost than ``standard``. Called at every start-up (any unknown cost profile is refused
    everywhere)."""
    if settings.environment == "production" and (
        settings.secret_key == DEV_SECRET_KEY or len(settings.secret_key) < SECRET_KEY_MIN_LENGTH
    ):
        raise SystemExit(
            f"refusing to start: ENVIRONMENT=production needs SECRET_KEY set to a random value of at "
            f"least {SECRET_KEY_MIN_LENGTH} characters (the development default "
            f"or a short key is not allowed)"
        )
    if settings.password_hash_cost not in PASSWORD_HASH_COSTS:
        raise SystemExit(
            f"refusing to start: PASSWORD_HASH_COST must be one of {', '.join(PASSWORD_HASH_COSTS)}"
        )
    if settings.environment == "production" and settings.password_hash_cost != "standard":
        raise SystemExit(
            "refusing to start: ENVIRONMENT=production needs PASSWORD_HASH_COST=standard "
            "(the cheap profile is for the test suite only)"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
