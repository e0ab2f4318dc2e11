"""Configuration, resolved once: option > environment variable > config file > default.

The only module that reads ``os.environ`` or the config file (``<home>/config.toml``). Commands
call ``current_workspace(...)`` with the options they were given and pass the resulting
``Workspace`` down to the library. ``SETTINGS`` is the one table of what can be configured;
``leaktrack config``, the options' help and docs/configuration.md are made from it.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..credentials import Secrets
from ..errors import LeaktrackError, SourcesError
from ..home import CONFIG_FILE, DEFAULT_HOME, Workspace
from ..index import settings as store_settings
from .common import run

HOME_ENV = "LEAKTRACK_HOME"


class ConfigError(LeaktrackError):
    """The config file cannot be read, or holds a value of the wrong kind."""


@dataclass(frozen=True)
class Setting:
    """One configurable value: its key in config.toml, its environment variable, its meaning."""

    key: str  # "store", or "smtp.host" for a key in the [smtp] table
    env: str
    help: str
    default: str  # the default, as a person reads it
    kind: type = str  # str, Path, int, bool or list (of text)
    secret: bool = False  # only from the environment or an owner-only config file; never printed

    @property
    def field(self) -> str:
        """The Workspace field (or table) this setting fills."""
        return self.key.split(".")[0]


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "store",
        "LEAKTRACK_STORE",
        "Match store URL: sqlite:///path.db or http(s)://elasticsearch-host:9200.",
        "the home folder's matches.db",
    ),
    Setting(
        "fingerprints",
        "LEAKTRACK_FINGERPRINTS",
        "Fingerprint file.",
        "the home folder's fingerprints.ltfp",
        Path,
    ),
    Setting(
        "key_file",
        "LEAKTRACK_KEY_FILE",
        "Secret key the fingerprints are built with (keep it apart from them).",
        "the home folder's fingerprint.key",
        Path,
    ),
    Setting("sources", "LEAKTRACK_SOURCES", "TOML sources file of sweeps.", "none: give --sources", Path),
    Setting(
        "contact",
        "LEAKTRACK_CONTACT",
        "Contact (URL or email) sent in the User-Agent of sweeps; overrides the sources file's.",
        "the sources file's contact",
    ),
    Setting(
        "retention_days",
        "LEAKTRACK_RETENTION_DAYS",
        "Days removed and dismissed matches are kept before a purge deletes them.",
        "kept until purged by hand",
        int,
    ),
    Setting("smtp.host", "LEAKTRACK_SMTP_HOST", "SMTP server that sends takedown notices.", "localhost"),
    Setting("smtp.port", "LEAKTRACK_SMTP_PORT", "SMTP port.", "587, 465 for tls, 25 for none", int),
    Setting("smtp.security", "LEAKTRACK_SMTP_SECURITY", "starttls, tls or none (a local relay).", "starttls"),
    Setting("smtp.user", "LEAKTRACK_SMTP_USER", "SMTP user name.", "none"),
    Setting("smtp.password", "LEAKTRACK_SMTP_PASSWORD", "SMTP password.", "none", secret=True),
    Setting("smtp.sender", "LEAKTRACK_SMTP_SENDER", "From address of notices and alerts.", "none"),
    Setting(
        "smtp.ca_file",
        "LEAKTRACK_SMTP_CA_FILE",
        "PEM file of the CA that signed the SMTP server's certificate (a private relay); "
        "the certificate is always verified.",
        "the system's CA certificates",
        Path,
    ),
    Setting(
        "alerts.channels",
        "LEAKTRACK_ALERTS",
        "Alert URLs of sweep and watch when --alert is not given (apprise URLs such as mailto://, "
        "or webhook+https://...); in the environment separated by spaces.",
        "none: no alerts",
        list,
    ),
    Setting(
        "alerts.webhook_secret",
        "LEAKTRACK_WEBHOOK_SECRET",
        "Key that signs webhook+https:// alerts (HMAC of the JSON body).",
        "none: unsigned",
        secret=True,
    ),
    Setting(
        "alerts.digest",
        "LEAKTRACK_ALERTS_DIGEST",
        "One alert message per sweep, not one per copy.",
        "false",
        bool,
    ),
    Setting(
        "alerts.quiet",
        "LEAKTRACK_ALERTS_QUIET",
        "Remember new copies as alerted without sending (first sweeps of a backlog).",
        "false",
        bool,
    ),
    Setting(
        "alerts.review_url", "LEAKTRACK_REVIEW_URL", "The review desk's address, for links in alerts.", "none"
    ),
    Setting(
        "redis.url",
        "LEAKTRACK_REDIS_URL",
        "Redis shared by the workers of distributed sweeps: redis://host:port/db, or rediss:// for TLS "
        "(?ssl_ca_certs=/path/ca.pem); the password goes in redis.password.",
        "none: sweeps run alone",
    ),
    Setting(
        "redis.password", "LEAKTRACK_REDIS_PASSWORD", "Password of that Redis (AUTH).", "none", secret=True
    ),
    Setting(
        "es.index_prefix",
        store_settings.ES_INDEX_PREFIX_ENV,
        "Prefix of an Elasticsearch store's indices (one per deployment sharing a cluster).",
        store_settings.ES_DEFAULT_INDEX_PREFIX,
    ),
    Setting(
        "es.ca_certs",
        store_settings.ES_CA_CERTS_ENV,
        "CA certificate file of an Elasticsearch cluster signed by a private CA.",
        "the system's CAs",
        Path,
    ),
    Setting("es.api_key", store_settings.ES_API_KEY_ENV, "Elasticsearch API key.", "none", secret=True),
    Setting("es.user", store_settings.ES_USER_ENV, "Elasticsearch user (basic auth).", "none"),
    Setting("es.password", store_settings.ES_PASSWORD_ENV, "Elasticsearch password.", "none", secret=True),
)
SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}
TABLES = ("smtp", "alerts", "redis", "es")
# The store's credentials: into Workspace.secrets, by environment variable name (credentials.py).
ES_CREDENTIALS = ("es.api_key", "es.user", "es.password")


def home_folder(given: str | Path | None = None) -> Path:
    """The home folder: --home, else LEAKTRACK_HOME, else ./.leaktrack (absolute)."""
    return Path(given or os.environ.get(HOME_ENV) or DEFAULT_HOME).absolute()


def config_path(home: Path) -> Path:
    return home / CONFIG_FILE


def read_config(path: Path) -> dict[str, Any]:
    """The config file's tables; {} when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror or error}") from None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    unknown = sorted(set(_flatten(data)) - set(SETTINGS_BY_KEY))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)} (see `leaktrack config show`)"
        )
    return data


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key in TABLES:
            flat |= {f"{key}.{inner}": inner_value for inner, inner_value in value.items()}
        else:
            flat[key] = value
    return flat


def owner_only(path: Path) -> bool:
    return not stat.S_IMODE(path.stat().st_mode) & 0o077


@dataclass(frozen=True)
class Resolved:
    """A setting's value and where it came from: option, env, config or default."""

    setting: Setting
    value: Any
    origin: str


def resolve_settings(home: Path, given: dict[str, Any] | None = None) -> dict[str, Resolved]:
    """Every setting's value by precedence: option > environment > config file > default (None).

    ``given``: the command-line options (keys of SETTINGS); Click already put an option's
    environment variable in its value, so a given value counts as "option or env".
    """
    given = {key: value for key, value in (given or {}).items() if value is not None}
    path = config_path(home)
    config = _flatten(read_config(path))
    resolved = {}
    for setting in SETTINGS:
        if setting.key in given:
            origin, value = "option", given[setting.key]
        elif os.environ.get(setting.env):
            origin, value = "env", os.environ[setting.env]
        elif setting.key in config:
            origin, value = "config", config[setting.key]
            if setting.secret and not owner_only(path):
                raise ConfigError(
                    f"{path} holds the secret {setting.key} but others can read it: chmod 600 {path}, "
                    f"or set {setting.env} instead"
                )
        else:
            origin, value = "default", None
        resolved[setting.key] = Resolved(setting, _typed(setting, value, origin, home), origin)
    return resolved


def typed_setting(setting: Setting, value: Any, origin: str) -> Any:
    """``value`` (text as typed, or from TOML) as the setting's kind; a one-line ConfigError if it is not."""
    return _typed(setting, value, origin, Path())


def _typed(setting: Setting, value: Any, origin: str, home: Path) -> Any:
    if value is None:
        return None
    if setting.kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{setting.key} ({origin}) must be a whole number, not {value!r}") from None
    if setting.kind is bool:
        return _typed_bool(setting, value, origin)
    if setting.kind is list:
        items = value.split() if isinstance(value, str) else value  # the environment: separated by spaces
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ConfigError(f"{setting.key} ({origin}) must be a list of text, not {value!r}")
        return items
    if not isinstance(value, str | Path):
        raise ConfigError(f"{setting.key} ({origin}) must be text, not {value!r}")
    if setting.kind is Path:
        path = Path(value).expanduser()
        # A relative path in the config file is relative to the home folder it lives in.
        return home / path if origin == "config" and not path.is_absolute() else path
    return str(value)


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _typed_bool(setting: Setting, value: Any, origin: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS + FALSE_WORDS:
        return word in TRUE_WORDS
    raise ConfigError(f"{setting.key} ({origin}) must be true or false, not {value!r}")


def resolve_workspace(home: str | Path | None = None, case: str | None = None, **given: Any) -> Workspace:
    """The Workspace of this run: home folder (and case), every path and setting, resolved once."""
    folder = home_folder(home)
    values = resolve_settings(folder, given)
    plain = {key: item.value for key, item in values.items() if "." not in key}
    tables: dict[str, dict[str, Any]] = {table: {} for table in TABLES}
    for key, item in values.items():
        if "." in key and item.value is not None:
            table, name = key.split(".", 1)
            tables[table][name] = item.value
    es = tables["es"]
    from ..index.open import with_store_url_options  # the store's modules: not at start-up

    store_url = plain["store"] and with_store_url_options(
        plain["store"], index_prefix=es.get("index_prefix"), ca_certs=str(es.get("ca_certs") or "")
    )
    secrets = Secrets(
        {values[key].setting.env: values[key].value for key in ES_CREDENTIALS if values[key].value}
    )
    return Workspace.in_folder(
        folder,
        case,
        store_url=store_url,
        secrets=secrets,
        fingerprints=plain["fingerprints"],
        key_file=plain["key_file"],
        sources=plain["sources"],
        contact=plain["contact"],
        retention_days=plain["retention_days"],
        smtp=tables["smtp"],
        alerts=tables["alerts"],
        redis=tables["redis"],
    )


def source_secrets(sources_file: Path) -> dict[str, str]:
    """The tokens the sources file's API sources name (``token_env = "GITHUB_TOKEN"``), read from
    the environment: environment variable name -> value, for ``run_sweep(secrets=...)``. The
    values go to the crawl's spiders only (never settings, logs or files); a name that is not set
    is left out, and the sweep refuses that source with one line."""
    from ..spiders.sources import load_sources

    names = {source.token_env for source in load_sources(sources_file).sources if source.token_env}
    return {name: os.environ[name] for name in sorted(names) if os.environ.get(name)}


def given_source_secrets(source: Any) -> dict[str, str]:
    """The token of a source given whole to ``scrapy crawl`` (``-a source=<JSON>``, as
    ``sweep --scrapyd`` schedules it), read from this process's environment: on a Scrapyd host,
    the environment Scrapyd was started with. {} for a source without ``token_env``; a
    SourcesError when its variable is not set here."""
    from ..spiders.sources import is_source_json, parse_source_json

    if not is_source_json(source):
        return {}
    given = parse_source_json(source)
    name = given.token_env
    if not name:
        return {}
    if not os.environ.get(name):
        raise SourcesError(
            f"source {given.name!r}: the environment variable {name} (its token_env) is not set where"
            f" this crawl runs; a Scrapyd job reads it from its host's environment: start scrapyd"
            f" with {name} set"
        )
    return {name: os.environ[name]}


def current_workspace(**given: Any) -> Workspace:
    """The Workspace of the running command, from its options (keys of SETTINGS) and --home."""
    return resolve_workspace(run.home, run.case, **given)
