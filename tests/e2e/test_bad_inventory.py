"""A bad inventory value stops the deploy with a clear error before anything changes."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY_ROOT = Path("/opt/taskstack")

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("app_stack_http_port=99999", "app_stack_http_port"),
        ("app_stack_http_port=eighty", "app_stack_http_port"),
        ("app_stack_image_mode=floppy", "app_stack_image_mode"),
        ("app_stack_env=Prod_1", "app_stack_env"),
    ],
)
def test_deploy_rejects_a_bad_value_before_changing_anything(override: str, named: str):
    before = sorted(DEPLOY_ROOT.rglob("*")) if DEPLOY_ROOT.exists() else []
    result = subprocess.run(
        ["ansible-playbook", "-i", "inventories/dev", "playbooks/deploy.yml", "-e", override],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert named in output
    assert "changed=0" in output
    after = sorted(DEPLOY_ROOT.rglob("*")) if DEPLOY_ROOT.exists() else []
    assert after == before
