"""Every role documents its whole public interface, and only that."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir() and not p.name.startswith("_"))


def load(path: Path):
    return yaml.safe_load(path.read_text()) if path.exists() else None


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_have_the_same_keys(role):
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml") or {}
    specs = load(ROOT / "roles" / role / "meta" / "argument_specs.yml")
    assert specs, f"roles/{role}/meta/argument_specs.yml is missing"
    options = specs["argument_specs"]["main"].get("options", {})
    assert set(defaults) == set(options), (
        f"only in defaults: {sorted(set(defaults) - set(options))}; "
        f"only in argument_specs: {sorted(set(options) - set(defaults))}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_typed_described_and_defaults_agree(role):
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml") or {}
    options = load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, spec in options.items():
        assert name.startswith(f"{role}_"), f"{name} is not prefixed with {role}_"
        assert spec.get("type"), f"{name} has no type"
        assert spec.get("description"), f"{name} has no description"
        if "default" in spec:
            assert spec["default"] == defaults[name], f"{name}: spec default {spec['default']!r} != {defaults[name]!r}"
        if spec["type"] == "list":
            assert spec.get("elements"), f"{name} is a list without elements"


def test_roles_exist():
    assert "base" in ROLES


# Ansible's difference, intersect, union and symmetric_difference go through a Python set: the order of their
# result changes from one run to the next (string hashes are salted per process). In what reaches a file that is
# a change on every other run (prometheus.yml's app targets were); select/reject and unique keep the order.
SET_FILTER = re.compile(r"\|\s*(difference|intersect|union|symmetric_difference)\(")


def test_set_filters_are_only_used_where_order_cannot_matter():
    offenders = []
    for path in sorted([*ROOT.glob("roles/**/*.yml"), *ROOT.glob("roles/**/*.j2"), *ROOT.glob("playbooks/*.yml")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in SET_FILTER.finditer(line):
                rest = line[match.end() :]
                depth, i = 1, 0
                while i < len(rest) and depth:
                    depth += {"(": 1, ")": -1}.get(rest[i], 0)
                    i += 1
                # Only a count (or a membership test on the count) is order-free.
                if depth or not re.match(r"\s*\)?\s*\|\s*length\b", rest[i:]):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "order-changing set filters:\n" + "\n".join(offenders)
