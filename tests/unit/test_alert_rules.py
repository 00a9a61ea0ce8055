"""The monitoring role's alert rules, rendered with its defaults, pass promtool's own checks and unit tests.

promtool is Debian's (the prometheus package the role installs): on a machine without it, the package is
downloaded with apt and unpacked into the cache, never installed (that would start a Prometheus here).
"""

import os
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "monitoring"
TESTS = Path(__file__).with_name("promtool") / "rules_test.yml"
CACHE = Path(os.environ.get("SHIPSHAPE_CACHE") or Path.home() / ".cache" / "shipshape") / "promtool"


@pytest.fixture(scope="session")
def promtool() -> str:
    cached = CACHE / "usr" / "bin" / "promtool"
    if shutil.which("promtool") or cached.exists():
        return shutil.which("promtool") or str(cached)
    download = CACHE / "deb"
    download.mkdir(parents=True, exist_ok=True)
    fetch = ["apt-get", "download", "prometheus"]
    if subprocess.run(fetch, cwd=download, check=False, capture_output=True, timeout=300).returncode != 0:
        # A fresh machine's package lists may be empty or old.
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, timeout=600)
        subprocess.run(fetch, cwd=download, check=True, capture_output=True, timeout=300)
    deb = next(download.glob("prometheus_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(CACHE)], check=True, timeout=300)
    shutil.rmtree(download)
    return str(CACHE / "usr" / "bin" / "promtool")


def render(defaults: dict) -> str:
    # As Ansible's template module does: trailing newlines of blocks removed, undefined names an error.
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)  # noqa: S701 - YAML, not HTML
    return env.from_string((ROLE / "templates" / "rules.yml.j2").read_text()).render(**defaults)


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory) -> Path:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    work = tmp_path_factory.mktemp("rules")
    (work / "rules.yml").write_text(render(defaults))
    shutil.copy(TESTS, work / "rules_test.yml")
    return work


def alerts(rules_dir: Path) -> set[str]:
    groups = yaml.safe_load((rules_dir / "rules.yml").read_text())["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"]}


def test_promtool_accepts_the_rules(promtool, rules_dir):
    cmd = [promtool, "check", "rules", "rules.yml"]
    run = subprocess.run(cmd, cwd=rules_dir, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_promtool_unit_tests_of_every_rule_pass(promtool, rules_dir):
    cmd = [promtool, "test", "rules", "rules_test.yml"]
    run = subprocess.run(cmd, cwd=rules_dir, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_alert_has_a_firing_and_a_silent_case(rules_dir):
    cases = [case for test in yaml.safe_load(TESTS.read_text())["tests"] for case in test.get("alert_rule_test", [])]
    firing = {c["alertname"] for c in cases if c.get("exp_alerts")}
    silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    names = alerts(rules_dir)
    assert names - firing == set(), "never seen firing"
    # The watchdog fires always: that is its whole point.
    assert names - silent == {"ShipshapeWatchdog"}, "never seen silent"


def test_thresholds_and_durations_come_from_the_variables(rules_dir):
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    changed = dict(defaults, monitoring_alert_redis_down_for="7m", monitoring_alert_http_5xx_ratio=0.2)
    groups = yaml.safe_load(render(changed))["groups"]
    rules = {rule["alert"]: rule for group in groups for rule in group["rules"]}
    assert rules["ShipshapeRedisDown"]["for"] == "7m"
    assert rules["ShipshapeHttp5xxRatioHigh"]["expr"].rstrip().endswith("> 0.2")
