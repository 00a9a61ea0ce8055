import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.shipshape.server.plugins.filter.firewall import FilterModule, ufw_conflicts, ufw_expand

HOSTVARS = {
    "app1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
    "app2": {"shipshape_private_address": "10.1.0.12", "ansible_facts": {"default_ipv4": {"address": "192.0.2.1"}}},
    "bare": {},
}
GROUPS = {"app": ["app1", "app2"], "web": ["app1"], "nobody": [], "odd": ["bare"]}


def test_open_rule_gets_any_source_and_defaults():
    assert ufw_expand([{"port": 8080}], {}, GROUPS, HOSTVARS) == [
        {"port": "8080", "proto": "tcp", "rule": "allow", "comment": "", "state": "present", "src": "any"}
    ]


def test_group_rule_expands_to_member_addresses_preferring_the_private_one():
    rules = ufw_expand([{"port": "5432", "from_group": "app"}], {"app": "app"}, GROUPS, HOSTVARS)
    assert [r["src"] for r in rules] == ["10.0.0.11", "10.1.0.12"]


def test_group_names_go_through_the_purpose_map():
    rules = ufw_expand([{"port": "6379", "from_group": "app"}], {"app": "web"}, GROUPS, HOSTVARS)
    assert [r["src"] for r in rules] == ["10.0.0.11"]


def test_cidr_rule_keeps_its_source():
    rules = ufw_expand([{"port": "9100", "from_cidr": "10.9.0.0/16", "proto": "tcp"}], {}, GROUPS, HOSTVARS)
    assert rules[0]["src"] == "10.9.0.0/16"


@pytest.mark.parametrize(
    ("group", "message"),
    [("nobody", "has no hosts"), ("missing", "has no hosts"), ("odd", "no address known for bare")],
)
def test_unresolvable_groups_fail_with_a_message(group, message):
    with pytest.raises(AnsibleFilterError, match=message):
        ufw_expand([{"port": "1", "from_group": group}], {}, GROUPS, HOSTVARS)


def rule(port, kind, src="any", proto="tcp", state="present"):
    return {"port": port, "proto": proto, "rule": kind, "src": src, "state": state}


def test_no_conflicts_in_a_sane_plan():
    assert ufw_conflicts([rule("22", "limit"), rule("80", "allow"), rule("8080", "deny", "10.0.0.0/8")], 22) == []


def test_allow_and_deny_of_the_same_thing_conflict():
    problems = ufw_conflicts([rule("80", "allow"), rule("80", "deny")], 22)
    assert problems == ["port 80/tcp from any is both allowed and blocked (deny)"]


def test_denying_ssh_is_refused_but_absent_rules_do_not_count():
    assert "SSH port" in ufw_conflicts([rule("2222", "reject", "10.0.0.0/8")], 2222)[0]
    assert ufw_conflicts([rule("2222", "deny", state="absent")], 2222) == []
    assert ufw_conflicts([rule("2222", "deny", proto="udp")], 2222) == []


def test_filters_are_exposed():
    assert set(FilterModule().filters()) == {"ufw_expand", "ufw_conflicts"}
