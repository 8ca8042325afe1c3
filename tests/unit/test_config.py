from datetime import timedelta
from pathlib import Path

import pytest

from taskstack import create_app
from taskstack.config import Config, ConfigError

pytestmark = pytest.mark.unit

VALID_ENV = {
    "DATABASE_URL": "postgresql+psycopg2://taskstack:pw@postgres:5432/taskstack",
    "REDIS_URL": "redis://redis:6379/0",
    "SECRET_KEY": "flask-secret",
    "JWT_SECRET_KEY": "j" * 32,
}
SECRET_NAMES = ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET_KEY"]


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in VALID_ENV.items() if key != name}


def test_complete_environment_gives_config_with_documented_defaults() -> None:
    config = Config.from_env(VALID_ENV)

    assert config.database_url == VALID_ENV["DATABASE_URL"]
    assert config.jwt_access_token_expires == 900
    assert config.jwt_refresh_token_expires == 2592000
    assert config.log_level == "INFO"
    assert config.environment == "dev"
    assert config.trusted_proxy_hops == 0
    assert config.ratelimit_default == "600 per minute"
    assert config.ratelimit_auth == "10 per minute;50 per hour"
    assert config.cache_ttl == 300
    assert config.socketio_allowed_origins == ()
    assert config.readiness_gate is False
    assert config.drain_file == "/tmp/taskstack-drain"


def test_optional_settings_are_read_from_the_environment() -> None:
    env = VALID_ENV | {
        "JWT_ACCESS_TOKEN_EXPIRES": "60",
        "JWT_REFRESH_TOKEN_EXPIRES": "3600",
        "LOG_LEVEL": "debug",
        "TASKSTACK_ENV": "staging",
        "TRUSTED_PROXY_HOPS": "1",
        "RATELIMIT_DEFAULT": "100 per second",
        "RATELIMIT_AUTH": "5 per minute",
        "CACHE_TTL": "60",
        "SOCKETIO_ALLOWED_ORIGINS": " https://a.example.com, http://localhost:8080 ,",
        "READINESS_GATE": "True",
        "DRAIN_FILE": "/run/drain",
    }

    config = Config.from_env(env)
    settings = config.flask_settings()

    assert settings["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(seconds=60)
    assert settings["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(seconds=3600)
    assert config.log_level == "DEBUG"
    assert settings["TASKSTACK_ENV"] == "staging"
    assert settings["TRUSTED_PROXY_HOPS"] == 1
    assert (settings["RATELIMIT_DEFAULT"], settings["RATELIMIT_AUTH"]) == (
        "100 per second",
        "5 per minute",
    )
    assert settings["CACHE_DEFAULT_TIMEOUT"] == 60
    assert config.socketio_allowed_origins == ("https://a.example.com", "http://localhost:8080")
    assert (settings["READINESS_GATE"], settings["DRAIN_FILE"]) == (True, "/run/drain")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTED_PROXY_HOPS", "-1"),
        ("TRUSTED_PROXY_HOPS", "one"),
        ("RATELIMIT_DEFAULT", "lots"),
        ("RATELIMIT_AUTH", "10 per fortnight"),
        ("CACHE_TTL", "0"),
        ("SOCKETIO_ALLOWED_ORIGINS", "*"),
        ("SOCKETIO_ALLOWED_ORIGINS", "https://a.example.com/path"),
        ("READINESS_GATE", "yes please"),
    ],
)
def test_bad_optional_setting_is_a_config_error_naming_it(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Config.from_env(VALID_ENV | {name: value})


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_missing_required_setting_is_a_config_error_naming_it(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} is required"):
        Config.from_env(without(name))


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_empty_required_setting_counts_as_missing(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} is required"):
        Config.from_env(VALID_ENV | {name: ""})


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_is_read_from_the_file_named_by_its_file_variable(name: str, tmp_path: Path) -> None:
    secret_file = tmp_path / name.lower()
    secret_file.write_text(VALID_ENV[name] + "\n")

    config = Config.from_env(without(name) | {f"{name}_FILE": str(secret_file)})

    assert config == Config.from_env(VALID_ENV)


def test_setting_both_a_secret_and_its_file_is_a_config_error(tmp_path: Path) -> None:
    secret_file = tmp_path / "jwt"
    secret_file.write_text("k" * 32)

    with pytest.raises(ConfigError, match="either JWT_SECRET_KEY or JWT_SECRET_KEY_FILE"):
        Config.from_env(VALID_ENV | {"JWT_SECRET_KEY_FILE": str(secret_file)})


def test_unreadable_secret_file_is_a_config_error(tmp_path: Path) -> None:
    env = without("SECRET_KEY") | {"SECRET_KEY_FILE": str(tmp_path / "missing")}

    with pytest.raises(ConfigError, match="SECRET_KEY_FILE: cannot read"):
        Config.from_env(env)


def test_empty_secret_file_is_a_config_error(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("\n")

    with pytest.raises(ConfigError, match="is empty"):
        Config.from_env(without("SECRET_KEY") | {"SECRET_KEY_FILE": str(secret_file)})


def test_jwt_secret_shorter_than_32_bytes_is_rejected() -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Config.from_env(VALID_ENV | {"JWT_SECRET_KEY": "j" * 31})


@pytest.mark.parametrize("url", ["mysql://db/taskstack", "postgresql+psycopg://db/taskstack"])
def test_database_url_must_use_the_installed_postgresql_driver(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Config.from_env(VALID_ENV | {"DATABASE_URL": url})


def test_bare_postgresql_url_uses_psycopg2() -> None:
    config = Config.from_env(VALID_ENV | {"DATABASE_URL": "postgresql://u:p@db:5432/taskstack"})

    uri = config.flask_settings()["SQLALCHEMY_DATABASE_URI"]

    assert uri == "postgresql+psycopg2://u:p@db:5432/taskstack"


@pytest.mark.parametrize("value", ["soon", "0", "-5", "1.5"])
def test_token_lifetime_must_be_a_positive_whole_number(value: str) -> None:
    with pytest.raises(ConfigError, match="JWT_ACCESS_TOKEN_EXPIRES"):
        Config.from_env(VALID_ENV | {"JWT_ACCESS_TOKEN_EXPIRES": value})


def test_unknown_log_level_is_rejected() -> None:
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        Config.from_env(VALID_ENV | {"LOG_LEVEL": "LOUD"})


def test_create_app_without_configuration_fails_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)

    with pytest.raises(ConfigError, match="DATABASE_URL is required"):
        create_app()
