"""Every plugin's DOCUMENTATION, EXAMPLES and RETURN parse as YAML (ansible-doc and ansible-lint read them)."""

import ast
from pathlib import Path

import pytest
import yaml

PLUGINS = sorted(p for p in (Path(__file__).resolve().parents[2] / "plugins").rglob("*.py") if p.name != "__init__.py")


def docs(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
                    yield target.id, node.value.value


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_plugin_documentation_is_yaml(path):
    for name, text in docs(path):
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as exc:
            pytest.fail(f"{path.name} {name}: {exc}")
