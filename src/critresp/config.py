"""Configuration: a TOML file in the platform config dir, with environment overrides.

Precedence (highest first): ``CRITRESP_*`` environment variables (nested with
``__``, e.g. ``CRITRESP_ASSOCIATE__NAME``), the TOML file, defaults. The file is
``$CRITRESP_CONFIG`` if set, else ``<platform config dir>/critresp/config.toml``.
A bad file or value raises ``ConfigError`` with one line saying what to fix.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .domain.state import Actor
from .domain.taxonomy import AssociateRole
from .paths import default_config_file, default_data_dir

CONFIG_ENV = "CRITRESP_CONFIG"


class ConfigError(Exception):
    """One line for the user: what is wrong and how to fix it."""


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser() or "associate"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "associate"


class AssociateConfig(BaseModel):
    """Who you are before the server tells us (`critresp login` stores the server's /me)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: f"local-{_os_user()}")
    name: str = Field(default_factory=_os_user)
    role: AssociateRole = AssociateRole.ASSOCIATE

    def actor(self) -> Actor:
        return Actor(id=self.id, name=self.name, role=self.role)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRITRESP_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    server_url: str | None = Field(default=None, description="Sync API base URL (set by `critresp login`).")
    data_dir: Path = Field(default_factory=default_data_dir, description="Local store, logs and exports.")
    associate: AssociateConfig = Field(default_factory=AssociateConfig, description="Identity used offline.")
    theme: str = "textual-dark"
    keymap: dict[str, str] = Field(default_factory=dict, description="binding id -> keys, e.g. claim = 'c,ctrl+k'")
    t0_bell: bool = True
    queue_page_size: int = Field(default=200, ge=20, le=2000)
    sync_interval: float = Field(default=15.0, ge=1.0, le=3600.0)
    long_poll_seconds: float = Field(default=20.0, ge=0.0, le=30.0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("server_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not (v.startswith("http://") or v.startswith("https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")

    @field_validator("keymap")
    @classmethod
    def _keymap(cls, v: dict[str, str]) -> dict[str, str]:
        for k, keys in v.items():
            if not isinstance(keys, str) or not keys.strip():
                raise ValueError(f"keys for {k!r} must be a non-empty string like 'c' or 'ctrl+k,c'")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = config_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "critresp.db"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "critresp.log"


def config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    return Path(env).expanduser() if env else default_config_file()


def load_settings(**overrides: Any) -> Settings:
    """Load settings or raise ConfigError with a one-line explanation."""
    path = config_path()
    if os.environ.get(CONFIG_ENV) and not path.exists():
        raise ConfigError(f"config file {path} (from ${CONFIG_ENV}) does not exist; create it or unset {CONFIG_ENV}")
    if path.exists():
        try:
            with path.open("rb") as fh:
                tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML ({exc}); fix it or set {CONFIG_ENV}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path} ({exc.strerror}); fix its permissions") from None
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "config"
        msg = err.get("msg", "invalid value")
        if err.get("type") == "extra_forbidden":
            msg = "unknown setting"
        raise ConfigError(
            f"bad setting {where!r} in {path} or CRITRESP_* environment: {msg}"
        ) from None


EXAMPLE_CONFIG = """\
# critresp configuration. Environment variables CRITRESP_<NAME> override these
# (nested: CRITRESP_ASSOCIATE__NAME); CRITRESP_CONFIG points at another file.
# server_url = "https://critresp.example.internal"
# theme = "textual-dark"
# t0_bell = true
# queue_page_size = 200

[associate]      # who you are when working offline (the server's /me wins when online)
# id = "A-001"
# name = "Sam Okafor"
# role = "associate"

[keymap]         # "binding id" = "keys"; the help screen (?) lists every id
# "queue.claim" = "c,ctrl+k"
# "case.reply" = "r,ctrl+y"
"""
