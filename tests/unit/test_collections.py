"""The installed Ansible collections satisfy requirements.yml."""

import json
from pathlib import Path

import ansible_collections
import pytest
import yaml
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]


def installed_version(name: str) -> str | None:
    namespace, collection = name.split(".")
    for root in ansible_collections.__path__:
        manifest = Path(root) / namespace / collection / "MANIFEST.json"
        if manifest.exists():
            return json.loads(manifest.read_text())["collection_info"]["version"]
    return None


@pytest.mark.unit
@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=lambda r: r["name"])
def test_installed_collection_satisfies_requirements(requirement):
    version = installed_version(requirement["name"])
    assert version is not None, f"{requirement['name']} is not installed"
    assert version in SpecifierSet(requirement["version"]), (
        f"{requirement['name']} {version} does not satisfy {requirement['version']}"
    )
