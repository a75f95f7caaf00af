"""Configuration: one settings object (file + environment) and the list of sources.

Settings come, strongest first, from ``LUREWATCH_*`` environment variables (nested with
``__``, e.g. ``LUREWATCH_STORE__KIND=opensearch``), then the YAML file named by
``LUREWATCH_CONFIG`` (default ``lurewatch.yaml`` in the working directory, if present).
Sources come from ``sources.yaml``. A wrong key or value fails at start with a
:class:`ConfigError` that names it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lurewatch.errors import LurewatchError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = Path("lurewatch.yaml")


class ConfigError(LurewatchError):
    """Configuration that cannot be used; the message names the key."""


def describe_validation_error(error: ValidationError, where: str) -> str:
    """One line per problem, each naming the key path, e.g. ``store.kind: Input should be…``."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"{where}: {key}: {problem['msg']}")
    return "; ".join(lines)


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["sqlite", "opensearch", "elasticsearch"] = "sqlite"
    path: Path = Path("data/lurewatch.db")
    url: str = "http://127.0.0.1:9200"
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    verify_certs: bool = True
    ca_certs: Path | None = None
    index_prefix: str = "lurewatch"
    bulk_batch_size: int = Field(default=500, ge=1)
    bulk_max_retries: int = Field(default=3, ge=0)
    spool_path: Path = Path("data/spool.db")


class CrawlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_agent: str = "LurewatchBot/0.1 (+{contact_url})"
    contact_url: str = "https://github.com/lurewatch/lurewatch"
    jobdir: Path = Path("data/crawl-jobs")
    obey_robots: bool = True
    concurrent_requests_per_domain: int = Field(default=2, ge=1)
    download_delay: float = Field(default=0.5, ge=0)
    autothrottle: bool = True
    max_page_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    redis_url: str | None = None


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registry: Path = PACKAGE_ROOT / "models"
    version: str | None = None  # None: the promoted version in the registry
    batch_size: int = Field(default=16, ge=1)
    max_tokens: int = Field(default=256, ge=16, le=512)


class ReviewSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secure_cookies: bool = False
    base_url: str = "http://127.0.0.1:8000"
    # Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
    # `lurewatch serve` believes. Empty: none, a request's address is the connecting one;
    # behind a proxy that is the proxy's for everyone, and the login limit per address
    # would count all users as one.
    forwarded_allow_ips: list[IPvAnyNetwork] = Field(default_factory=list)
    claim_minutes: int = Field(default=30, ge=1)
    break_after: int = Field(default=50, ge=1)
    # Training runs started from the application: reviewers' labels are merged over
    # training_data; training_dev early-stops, sets thresholds and evaluates the new model.
    # None: the project's own sets (`lurewatch dataset build`, classifiers/data/recipe.py).
    training_data: Path | None = None
    training_dev: Path | None = None
    training_epochs: int = Field(default=8, ge=1)


class HealthThresholds(BaseModel):
    """When a crawl's results make its source unhealthy or degraded (see docs/monitor.md)."""

    model_config = ConfigDict(extra="forbid")

    history_runs: int = Field(default=10, ge=1)  # how many earlier runs a crawl is compared with
    ban_share_unhealthy: float = Field(default=0.5, ge=0, le=1)  # 403/429/CAPTCHA/login pages
    ban_share_degraded: float = Field(default=0.1, ge=0, le=1)
    server_error_share_degraded: float = Field(default=0.2, ge=0, le=1)
    empty_text_share_degraded: float = Field(default=0.5, ge=0, le=1)
    no_date_share_degraded: float = Field(default=0.8, ge=0, le=1)
    share_rise_degraded: float = Field(default=0.3, ge=0, le=1)  # rise over the usual share
    records_drop_degraded: float = Field(default=0.2, ge=0, le=1)  # below this x usual count


class MonitorSettings(BaseModel):
    """The long-lived ``lurewatch monitor`` process."""

    model_config = ConfigDict(extra="forbid")

    state_path: Path | None = None  # default: <data_dir>/monitor.db (the schedule)
    # Names this monitor's crawl runs in the store, which monitors share: at start it marks
    # interrupted only the runs it left running. Default: the host name and an id kept in
    # the monitor database, so every monitor's data folder is one monitor.
    name: str | None = Field(default=None, min_length=1)
    default_interval_minutes: int = Field(default=60, ge=1)  # sources with no interval or cron
    interval_override_seconds: float | None = Field(default=None, gt=0)  # tests and demos
    max_concurrent_crawls: int = Field(default=1, ge=1)
    alert_check_seconds: float = Field(default=60, gt=0)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=9464, ge=0, le=65535)  # None: no /metrics
    lock_ttl_seconds: int = Field(default=3600, ge=10)  # Redis crawl lock, when redis_url is set
    health: HealthThresholds = Field(default_factory=HealthThresholds)


class AlertRule(BaseModel):
    """One alert rule. ``kind`` picks which of the other fields apply."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["high_score", "campaign_growth", "source_unhealthy", "taken_down"]
    score_min: float = Field(default=0.9, ge=0, le=1)  # high_score
    # high_score, campaign_growth, taken_down (where empty means the flagged labels)
    labels: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    indicators: list[str] = Field(default_factory=list)
    growth_per_day: int = Field(default=10, ge=1)  # campaign_growth: more than this in 24 h
    unhealthy_runs: int = Field(default=2, ge=1)  # source_unhealthy: consecutive runs
    channels: list[Literal["email", "webhook", "telegram"]] = Field(default_factory=list)


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout_seconds: float = Field(default=20, gt=0)


class WebhookChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    secret: str | None = None  # when set, the body is signed: X-Lurewatch-Signature
    timeout_seconds: float = Field(default=20, gt=0)


class TelegramChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base: str = "https://api.telegram.org"
    bot_token: str
    chat_id: str
    timeout_seconds: float = Field(default=20, gt=0)


class AlertSettings(BaseModel):
    """Alert rules and where alerts go. Rules with no ``channels`` go to every channel set."""

    model_config = ConfigDict(extra="forbid")

    rules: list[AlertRule] = Field(default_factory=list)
    email: EmailChannel | None = None
    webhook: WebhookChannel | None = None
    telegram: TelegramChannel | None = None
    max_per_hour: int = Field(default=30, ge=1)  # per channel; the rest wait their turn
    max_attempts: int = Field(default=5, ge=1)  # delivery retries before giving up


class Settings(BaseSettings):
    """Everything Lurewatch reads at start."""

    model_config = SettingsConfigDict(
        env_prefix="LUREWATCH_", env_nested_delimiter="__", extra="forbid"
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    sources_file: Path = PACKAGE_ROOT / "crawlers" / "sample_sites" / "sources.yaml"
    store: StoreSettings = Field(default_factory=StoreSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlFileSource(settings_cls))

    @model_validator(mode="after")
    def _secure_cookies_in_production(self) -> Settings:
        if self.environment == "production" and not self.review.secure_cookies:
            raise ValueError("review.secure_cookies must be true in production (HTTPS sessions)")
        return self


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads the YAML settings file, if there is one."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole mapping

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("LUREWATCH_CONFIG", DEFAULT_CONFIG_FILE))
        if not path.exists():
            if "LUREWATCH_CONFIG" in os.environ:
                raise ConfigError(f"config file {path} does not exist (LUREWATCH_CONFIG)")
            return {}
        return _read_yaml_mapping(path)


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return data


def load_settings(**overrides: Any) -> Settings:
    """Settings from environment and file; raises :class:`ConfigError` naming a bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        config_file = os.environ.get("LUREWATCH_CONFIG", str(DEFAULT_CONFIG_FILE))
        where = f"settings ({config_file} or LUREWATCH_* environment)"
        raise ConfigError(describe_validation_error(exc, where)) from exc


# --- sources -------------------------------------------------------------------------

SourceKind = Literal["jsonld", "selectors", "telegram", "mastodon", "rss", "facebook"]


class Selectors(BaseModel):
    """CSS or XPath selectors for a board without structured data (XPath starts with ``/``)."""

    model_config = ConfigDict(extra="forbid")

    item_link: str
    title: str
    body: str
    date: str | None = None
    employer: str | None = None
    location: str | None = None
    next_page: str | None = None


class Source(BaseModel):
    """One entry of ``sources.yaml``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: SourceKind
    start_urls: list[str] = Field(min_length=1)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    language: str | None = None
    local_test: bool = False  # only such sources may point at loopback or private addresses
    enabled: bool = True
    interval_minutes: int | None = Field(default=None, ge=1)
    cron: str | None = None
    priority: int = 0
    max_pages: int = Field(default=200, ge=1)
    max_age_days: int | None = Field(default=None, ge=1)
    # Days to keep this source's snapshots (WARC files); None: forever (`archive prune`).
    snapshot_retention_days: int | None = Field(default=None, ge=1)
    # Board sources: how many detail pages of ads already stored to fetch again each run,
    # least recently checked first, to find ads edited or taken down (404/410). 0: none,
    # so a re-crawl fetches only what is new.
    recheck_per_run: int = Field(default=0, ge=0)
    selectors: Selectors | None = None
    hashtags: list[str] = Field(default_factory=list)

    @field_validator("start_urls")
    @classmethod
    def _http_only(cls, urls: list[str]) -> list[str]:
        for url in urls:
            scheme = urlsplit(url).scheme
            if scheme not in ("http", "https"):
                raise ValueError(f"{url!r}: only http and https URLs can be crawled")
        return urls

    def model_post_init(self, __context: Any) -> None:
        if self.kind == "selectors" and self.selectors is None:
            raise ValueError("a 'selectors' source needs a selectors block")


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source]


def load_sources(path: Path, base_url: str | None = None) -> list[Source]:
    """Read ``sources.yaml``. ``{base_url}`` in a start URL is replaced by ``base_url``
    (the bundled sample sites use it, since their port is chosen at start)."""
    data = _read_yaml_mapping(path) if path.exists() else None
    if data is None:
        raise ConfigError(f"sources file {path} does not exist")
    if base_url is not None:
        for entry in data.get("sources") or []:
            if isinstance(entry, dict) and isinstance(entry.get("start_urls"), list):
                entry["start_urls"] = [str(u).replace("{base_url}", base_url)
                                       for u in entry["start_urls"]]
    try:
        sources = SourcesFile.model_validate(data).sources
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, str(path))) from exc
    names = [s.name for s in sources]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"{path}: sources.name: duplicated {', '.join(duplicated)}")
    return sources


def select_sources(sources: list[Source], names: list[str] | None) -> list[Source]:
    """The sources with these names (all enabled ones if none); unknown names are an error."""
    if not names:
        return [s for s in sources if s.enabled]
    known = {s.name: s for s in sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"unknown source {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return [known[n] for n in names]
