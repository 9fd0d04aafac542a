"""All of Anbu's settings in one place.

Read from the environment (prefix ``ANBU_``; Twilio's own ``TWILIO_*`` names for Twilio) and an
optional ``.env`` file, so that one process, a container and a test can each be configured without
code. Defaults are the embedded ones: SQLite under ``./var``, bundled models, the local simulated
phone when no Twilio credentials are set.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide configuration; see the README's settings table for each entry's meaning."""

    model_config = SettingsConfigDict(env_prefix="ANBU_", env_file=".env", extra="ignore")

    # Storage
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: sqlite file under data_dir

    # The business a reservation line answers for
    business_name: str = "Anbu Bistro"
    timezone: str = "America/New_York"
    opening_hours: str = "mon-sun 17:00-22:00"
    capacity: int = Field(default=40, ge=1, description="covers seated at once")
    booking_minutes: int = Field(default=90, ge=15, description="how long a table is held")
    slot_minutes: int = Field(default=15, ge=5, description="booking granularity")
    max_party_size: int = Field(default=12, ge=1)
    address: str = "12 Harbour Street"
    parking: str = "There is free parking behind the building after 5 pm."
    handover_number: str = ""
    lines: str = ""  # JSON/YAML: which script answers which number (default: reservation)

    # The organisation a wellness check-in calls for
    organisation_name: str = "Sunrise Community Care"

    # Outbound campaigns
    campaigns_enabled: bool = True  # run the campaign scheduler in this process
    campaign_tick_secs: float = Field(default=1.0, gt=0.05, description="scheduler period")
    default_phone_region: str = "US"  # how CSV numbers without a country code are read
    alert_webhook_url: str = ""  # urgent alerts are POSTed here (empty: not pushed)
    alert_webhook_secret: SecretStr = SecretStr("")  # HMAC-SHA256 key for X-Anbu-Signature
    simulated_answers: str = ""  # lines the simulated person says, separated by '|'
    # Without Twilio: the server(s) a simulated call rings, comma-separated and used in turn
    # (a scheduler process dials the workers, as Twilio rings the load balancer); empty: own URL
    simulated_dial_url: str = ""
    # A call in flight silent this long is checked with the provider (lost callbacks)
    campaign_reconcile_after_secs: float = Field(default=120.0, gt=0)

    # Operator access
    admin_password: SecretStr = SecretStr("")  # the first admin's, used only while no user exists
    session_secret: SecretStr = SecretStr("")  # empty: a random key kept in data_dir
    session_idle_minutes: int = Field(default=30, ge=1, description="idle logout")
    cookie_secure: bool | None = None  # None: Secure cookies when public_url is https

    # Telephony
    public_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str = Field(
        default="", validation_alias=AliasChoices("TWILIO_ACCOUNT_SID", "ANBU_TWILIO_ACCOUNT_SID")
    )
    twilio_auth_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("TWILIO_AUTH_TOKEN", "ANBU_TWILIO_AUTH_TOKEN"),
    )
    twilio_phone_number: str = Field(
        default="", validation_alias=AliasChoices("TWILIO_PHONE_NUMBER", "ANBU_TWILIO_PHONE_NUMBER")
    )
    twilio_api_base: str = "https://api.twilio.com"

    # Speech models: empty means the bundled default
    whisper_model: str = ""
    whisper_device: str = "auto"
    asr_workers: int = Field(default=2, ge=1)
    # 0: Whisper's full 30 s window. A short window (e.g. 2) decodes ~6x faster on CPU but
    # costs accuracy (see docs/benchmarks.md): measure before turning it on.
    asr_window_secs: float = Field(default=0.0, ge=0.0, le=30.0)
    asr_batch_size: int = Field(default=0, ge=0)  # 0: by device (1 on CPU, 16 on CUDA)
    piper_voice: str = ""
    recordings_dir: Path | None = None  # default: data_dir / "recordings"
    record_calls: bool = True

    # Conversation timing
    vad_stop_secs: float = Field(default=0.4, gt=0.05, le=2.0)
    silence_timeout_secs: float = Field(default=6.0, gt=0.5)

    # Operations (infra/README.md): logs, metrics, graceful drain
    log_format: Literal["text", "json"] = "text"  # json: one object per line, with call ids
    metrics_token: SecretStr = SecretStr("")  # set: /metrics wants "Authorization: Bearer …"
    drain_timeout_secs: float = Field(default=600.0, ge=0)  # SIGTERM: longest wait for calls
    drain_redirect_url: str = ""  # SIGTERM: new calls <Redirect> here (the cluster's voice URL)
    warm_phrase_cache: bool = True  # false: start faster, first prompts synthesised on demand

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'anbu.db').as_posix()}"

    @property
    def resolved_recordings_dir(self) -> Path:
        return self.recordings_dir or self.data_dir / "recordings"

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry ``Secure``: on for an https public URL unless set explicitly
        (off only makes sense for plain-HTTP localhost)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    def resolved_session_secret(self) -> bytes:
        """The key session cookies are signed with: the setting, or a random one kept (0600)
        in the data folder so that sessions survive a restart."""
        configured = self.session_secret.get_secret_value()
        if configured:
            return configured.encode()
        path = self.data_dir / "session-secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token.get_secret_value())

    def webhook_token(self) -> str:
        """The secret Twilio webhooks are signed with.

        With a Twilio account, its auth token. Without one, a random token kept in the data
        folder, shared by the server and the local simulated phone (``anbu call``): webhooks are
        signature-checked either way.
        """
        token = self.twilio_auth_token.get_secret_value()
        if token:
            return token
        path = self.data_dir / "local-twilio-token"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
