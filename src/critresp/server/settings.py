"""Settings of the reference sync server (``critresp serve``).

Environment variables use the ``CRITRESP_SERVER_`` prefix (e.g.
``CRITRESP_SERVER_DATABASE_URL=postgresql+psycopg://...``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DB_FILE_NAME = "critresp-server.db"
DELIVERY_LOG_NAME = "deliveries.log"


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRITRESP_SERVER_", extra="ignore")

    # where the default SQLite database and the delivery log live
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "critresp-server")
    # any SQLAlchemy URL; None = SQLite file ``<data_dir>/critresp-server.db``
    database_url: str | None = None

    # demo mode: seed demo data at startup and keep creating incidents
    demo: bool = False
    demo_cases: int = Field(default=300, ge=0, le=1_000_000)
    demo_seed: int = 7
    # new demo incidents per minute (0 = none); only in demo mode
    incident_rate: float = Field(default=2.0, ge=0, le=6000)

    # claim lease: a claim not renewed within this many seconds expires
    # (default = domain.rules.DEFAULT_LEASE, the lease the client assumes optimistically)
    lease_seconds: int = Field(default=4 * 3600, ge=1, le=7 * 24 * 3600)
    # request bodies above this size are refused with 413
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # longest long-poll a client may ask for
    max_wait_seconds: float = Field(default=30.0, ge=0, le=300)
    # a waiting pull is woken at once by a commit in this process; it also
    # re-checks the database this often (changes committed by another process)
    recheck_seconds: float = Field(default=1.0, gt=0)

    # delivery worker (hands replies to the provider)
    delivery_worker: bool = True
    delivery_poll_seconds: float = Field(default=2.0, gt=0)
    # a claimed delivery not finished within this time may be taken by another worker
    delivery_lease_seconds: int = Field(default=60, ge=1)
    # the RecordingProvider's log file; None = ``<data_dir>/deliveries.log``
    delivery_log: Path | None = None

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / DB_FILE_NAME).resolve()}"

    @property
    def delivery_log_path(self) -> Path:
        return self.delivery_log or (self.data_dir / DELIVERY_LOG_NAME)

    def ensure_dirs(self) -> None:
        if self.database_url is None or self.delivery_log is None:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
