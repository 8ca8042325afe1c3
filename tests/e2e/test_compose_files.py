"""Every environment's compose files (the base and its overlay) are valid for `docker compose
config`, and they differ only in the inventory's data."""

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import run_playbook

pytestmark = pytest.mark.e2e

# Secrets for staging and prod, whose vaults hold REPLACE-ME placeholders.
SECRETS = (
    *("-e", "app_stack_postgres_password=render-postgres-password"),
    *("-e", "app_stack_secret_key=render-secret-key"),
    *("-e", "app_stack_jwt_secret_key=render-jwt-secret-key-at-least-32-bytes"),
)
ENVIRONMENTS = {
    "dev": ("localhost", 1, "DEBUG"),
    "staging": ("staging.example.com", 3, "INFO"),
    "prod": ("prod.example.com", 3, "WARNING"),
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_compose_config_is_valid_for_each_environment(env: str, tmp_path: Path) -> None:
    host, replicas, log_level = ENVIRONMENTS[env]
    run_playbook(
        *("-i", f"inventories/{env}", "--vault-password-file", "tests/example-vault-password"),
        "tests/e2e/render_compose.yml",
        *("-e", f"render_dir={tmp_path}", "-e", "ansible_become=false", *SECRETS),
    )
    rendered = tmp_path / host

    result = subprocess.run(
        ["docker", "compose", "config", "--format", "json"],
        cwd=rendered,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert sorted(rendered.glob("docker-compose*.yml")) == [
        rendered / f"docker-compose.{env}.yml",
        rendered / "docker-compose.yml",
    ]
    services = json.loads(result.stdout)["services"]
    apps = [f"app{n}" for n in range(1, replicas + 1)]
    assert set(services) == {*apps, "nginx", "postgres", "redis"}
    for app in apps:
        assert services[app]["environment"]["LOG_LEVEL"] == log_level
        assert int(services[app]["deploy"]["resources"]["limits"]["memory"]) > 0
