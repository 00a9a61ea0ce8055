"""Bad perimeter input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

testinfra_hosts = ["perim-deb13"]
ROLES = ["firewall", "ssh", "fail2ban"]

CASES = {
    "bad-cidr": ({"firewall_rules": [{"port": "5432", "from_cidr": "10.0.0.0/33"}]}, "firewall_rules"),
    "bad-port": ({"firewall_rules": [{"port": "70000"}]}, "firewall_rules"),
    "cidr-and-group": (
        {"firewall_rules": [{"port": "1", "from_cidr": "10.0.0.0/8", "from_group": "all"}]},
        "firewall_rules",
    ),
    "contradictory": ({"firewall_rules": [{"port": "8080"}, {"port": "8080", "rule": "deny"}]}, "firewall_rules"),
    "deny-ssh": ({"firewall_rules": [{"port": "22", "rule": "reject"}]}, "firewall_ssh_port"),
    "empty-group": ({"firewall_rules": [{"port": "5432", "from_group": "nobody-here"}]}, "nobody-here"),
    "ssh-port-not-allowed": ({"ssh_port": 2200, "firewall_ssh_port": 22}, "firewall_ssh_port"),
    "user-without-key": ({"ssh_users": ["deploy", "nokey"]}, "ssh_users"),
    "bad-ignoreip": ({"fail2ban_ignore_cidrs": ["office"]}, "fail2ban_ignore_cidrs"),
    "bad-bantime": ({"fail2ban_bantime": "forever"}, "fail2ban_bantime"),
}


results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests(
    "perim-deb13",
    ROLES,
    CASES,
    common={"base_admin_user": "deploy", "base_admin_ssh_keys": ["ssh-ed25519 AAAAC3Nz test"]},
)
