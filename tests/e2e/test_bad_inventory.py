"""A bad inventory value stops the run with a clear error before anything changes."""

from pathlib import Path

import pytest

from .conftest import ansible_playbook

WATCHED = [Path("/opt/taskstack"), Path("/etc/docker")]

pytestmark = pytest.mark.e2e

BAD_VALUES = [
    ("app_stack_http_port=99999", "app_stack_http_port"),
    ("app_stack_http_port=eighty", "app_stack_http_port"),
    ("app_stack_image_mode=floppy", "app_stack_image_mode"),
    ("app_stack_env=Prod_1", "app_stack_env"),
    ("app_stack_nginx_proxy_read_timeout='60s; return 200'", "app_stack_nginx_proxy"),
    ('{"app_stack_app_extra_env": {"DATABASE_URL": "sqlite://"}}', "app_stack_app_extra_env"),
    ('{"app_stack_app_extra_env": {"NOTE": "a\\nSECRET_KEY=x"}}', "app_stack_app_extra_env"),
    ("app_stack_ratelimit_auth='lots per minute'", "app_stack_ratelimit_auth"),
    ('{"app_stack_socketio_allowed_origins": ["*"]}', "app_stack_socketio_allowed_origins"),
    ("app_stack_app_replicas=0", "app_stack_app_replicas"),
    ("app_stack_frontend_subnet=10.0.0.0/8", "app_stack_frontend_subnet"),
    ("app_stack_app_memory=lots", "app_stack_*_memory"),
    ("app_stack_releases_keep=1", "app_stack_releases_keep"),
    ("docker_host_log_max_size=lots", "docker_host_log_max_size"),
    ("docker_host_package_source=snap", "docker_host_package_source"),
]


def snapshot() -> dict[Path, float]:
    return {
        path: path.stat().st_mtime
        for root in WATCHED
        if root.exists()
        for path in [root, *root.rglob("*")]
        if not path.is_symlink()
    }


# deploy.yml runs only app_stack; site.yml checks both roles before provisioning.
CASES = [
    (playbook, override, named)
    for override, named in BAD_VALUES
    for playbook in ["site.yml", "deploy.yml"]
    if playbook == "site.yml" or named.startswith("app_stack")
]


@pytest.mark.parametrize(("playbook", "override", "named"), CASES)
def test_playbook_rejects_a_bad_value_before_changing_anything(playbook, override, named):
    before = snapshot()
    run = ansible_playbook("-i", "inventories/dev", f"playbooks/{playbook}", "-e", override)
    assert run.returncode != 0
    assert named in run.output
    assert "changed=0" in run.output
    assert snapshot() == before
