"""The collection as Galaxy ships it: the tarball built, installed into an empty collections path, and documented
from there; the changelog's fragments rendered; the execution environment's definition accepted by ansible-builder.

The site run from the tarball needs test hosts: it is in the site scenario (molecule/site/tests/test_site.py).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "testbed"))
import galaxy

ROOT = galaxy.ROOT
ROLES = sorted(p.name for p in ROOT.glob("roles/*") if (p / "tasks" / "main.yml").is_file())
MODULES = sorted(p.stem for p in ROOT.glob("plugins/modules/*.py") if p.stem != "__init__")
LOOKUPS = sorted(p.stem for p in ROOT.glob("plugins/lookup/*.py") if p.stem != "__init__")
# Not shipped: the test bed, the tests, caches and the developer's tools (tests/sanity's ignore file is: Automation
# Hub reads it).
NOT_SHIPPED = re.compile(
    r"^(molecule|tests/(testbed|unit|package)|benchmarks|\.cache|\.venv|\.collections|\.git|\.ci|\.github)(/|$)"
    r"|(.*/)?\.coverage$"
)


def run(*command, env=None, cwd=None) -> str:
    return galaxy.run(command, env, cwd).stdout


@pytest.fixture(scope="session")
def tarball(tmp_path_factory) -> Path:
    return galaxy.build(tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def installed(tarball, tmp_path_factory) -> dict[str, str]:
    """An environment whose only copy of shipshape.server is the one installed from the tarball; a HOME of its own."""
    where = tmp_path_factory.mktemp("collections")
    return galaxy.install(tarball, where) | {"HOME": str(where)}


def docs(env, kind: str, names: list[str]) -> dict:
    out = run("ansible-doc", "-t", kind, "--json", *[f"shipshape.server.{n}" for n in names], env=env, cwd="/")
    return json.loads(out)


def listed(env, kind: str) -> list[str]:
    out = run("ansible-doc", "-t", kind, "-l", "--json", "shipshape.server", env=env, cwd="/")
    return sorted(name.removeprefix("shipshape.server.") for name in json.loads(out))


def test_the_tarball_carries_the_collection_and_nothing_of_the_test_bed(tarball):
    with tarfile.open(tarball) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    shipped = [n for n in names if NOT_SHIPPED.match(n)]
    assert not shipped, shipped
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".log", ".tar.gz"))]
    for needed in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "meta/execution-environment.yml", "README.md"):
        assert needed in names, needed
    for role in ROLES:
        assert f"roles/{role}/meta/argument_specs.yml" in names, role
    print(f"{tarball.name}: {tarball.stat().st_size / 1024:.0f} KiB, {len(names)} files")


def test_every_role_is_documented_from_the_installed_tarball(installed):
    assert listed(installed, "role") == ROLES
    found = docs(installed, "role", ROLES)
    for role in ROLES:
        main = found[f"shipshape.server.{role}"]["entry_points"]["main"]
        # Every public role has options; _common, the roles' shared plumbing, documents its task files instead.
        assert main["short_description"] and (main["options"] or role.startswith("_")), role


def test_every_module_and_plugin_is_documented_from_the_installed_tarball(installed):
    assert listed(installed, "module") == MODULES
    assert listed(installed, "lookup") == LOOKUPS
    for kind, names in (("module", MODULES), ("lookup", LOOKUPS)):
        for name, doc in docs(installed, kind, names).items():
            assert doc["doc"]["short_description"] and doc["doc"]["description"], name
    for kind in ("filter", "test"):
        names = listed(installed, kind)
        assert names, kind
        for name, doc in docs(installed, kind, names).items():
            assert doc["doc"]["description"], name


def test_the_changelog_fragments_render_into_a_release(tmp_path):
    """antsibull-changelog lints the fragments and renders them, on a copy (a release consumes the fragments)."""
    for part in ("galaxy.yml", "changelogs"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / part)
    run("antsibull-changelog", "lint", cwd=tmp_path)
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    run("antsibull-changelog", "release", "--version", version, "--date", "2026-12-07", cwd=tmp_path)
    rendered = (tmp_path / "CHANGELOG.rst").read_text()
    assert f"v{version}" in rendered and "Minor Changes" in rendered and "Breaking Changes" in rendered
    fragments = list((ROOT / "changelogs" / "fragments").glob("*.yml"))
    assert fragments and not list((tmp_path / "changelogs" / "fragments").glob("*.yml"))


def test_the_execution_environment_definition_is_accepted_by_ansible_builder(tmp_path):
    """ansible-builder validates the definition and writes the build context; the files it names are read as
    ansible-builder reads them from an installed collection (relative to its root)."""
    for name in ("meta/execution-environment.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(ROOT / name, tmp_path / Path(name).name)
    run("ansible-builder", "create", "-f", tmp_path / "execution-environment.yml", "-c", tmp_path / "context")
    build = tmp_path / "context" / "_build"
    assert "cryptography" in (build / "requirements.txt").read_text()
    assert "openssh" in (build / "bindep.txt").read_text()
    assert "shipshape.server" in (build / "requirements.yml").read_text()
    containerfile = (tmp_path / "context" / "Dockerfile").read_text()
    assert "ansible-core==2.19.14" in containerfile.replace("'", "").replace('"', "")
