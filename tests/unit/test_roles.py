"""Every role documents and validates each public variable."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (REPO / "roles").iterdir() if (p / "defaults/main.yml").exists())


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.unit
@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_declare_every_public_variable(role: Path):
    defaults = set(load(role / "defaults/main.yml"))
    specs = load(role / "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    required = {name for name, spec in specs.items() if spec.get("required")}
    assert defaults - set(specs) == set(), "defaults missing from argument_specs"
    assert set(specs) - defaults == required, "only required variables may lack a default"


@pytest.mark.unit
@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_public_variables_carry_the_role_prefix(role: Path):
    defaults = load(role / "defaults/main.yml")
    assert [name for name in defaults if not name.startswith(f"{role.name}_")] == []


@pytest.mark.unit
@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_lists_every_public_variable(role: Path):
    readme = (role / "README.md").read_text()
    specs = load(role / "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    missing = [name for name in specs if f"`{name}`" not in readme]
    assert missing == []


@pytest.mark.unit
@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_role_has_a_molecule_scenario(role: Path):
    assert (REPO / "molecule" / role.name / "molecule.yml").exists()
