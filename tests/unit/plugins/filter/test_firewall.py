import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.shipshape.server.plugins.filter.firewall import (
    FilterModule,
    ufw_changes,
    ufw_conflicts,
    ufw_expand,
    ufw_parse,
)

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


def test_removing_what_lets_ssh_in_or_what_the_plan_adds_is_refused():
    assert ufw_conflicts([rule("22", "allow", state="absent")], 22) == [
        "port 22 is the SSH port and its rule would be removed (state absent)"
    ]
    assert "SSH port" in ufw_conflicts([rule("22", "limit", "10.0.0.0/8", state="absent")], 22)[0]
    assert ufw_conflicts([rule("80", "allow"), rule("80", "allow", state="absent")], 22) == [
        "port 80/tcp from any is both added and removed (state absent)"
    ]
    assert ufw_conflicts([rule("8080", "allow", state="absent")], 22) == []


def test_filters_are_exposed():
    assert set(FilterModule().filters()) == {"ufw_expand", "ufw_conflicts", "ufw_changes"}


PG = "comment=" + b"shipshape.firewall postgresql".hex()
USER_RULES = f"""
*filter
### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=7368697073686170652e6669726577616c6c20737368
### tuple ### allow tcp 5432 0.0.0.0/0 any 10.0.0.5 in {PG}
### tuple ### allow tcp 5432 0.0.0.0/0 any 10.0.0.9 in {PG}
### tuple ### allow tcp 8080 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 8001:8002 0.0.0.0/0 any 10.1.0.0/24 in comment=6f7468657220746f6f6c
### tuple ### limit tcp 22 ::/0 any ::/0 in comment=7368697073686170652e6669726577616c6c20737368
"""


def plan_rule(port, src, rule="allow", comment="", state="present"):
    return {"port": str(port), "proto": "tcp", "rule": rule, "src": src, "comment": comment, "state": state}


def test_ufw_parse_reads_tuples_and_decodes_comments():
    rules = ufw_parse(USER_RULES)
    assert rules[0] == {
        "rule": "limit",
        "proto": "tcp",
        "port": "22",
        "src": "any",
        "comment": "shipshape.firewall ssh",
        "v6": False,
    }
    assert rules[3]["comment"] == ""
    assert rules[4]["port"] == "8001:8002" and rules[4]["src"] == "10.1.0.0/24"
    assert rules[5]["v6"] is True


def test_ufw_changes_of_a_no_op_plan_are_empty():
    plan = [plan_rule(22, "any", "limit", "ssh"), plan_rule(5432, "10.0.0.5/32"), plan_rule(5432, "10.0.0.9")]
    assert ufw_changes(plan, USER_RULES, "shipshape.firewall") == {"add": [], "delete": [], "count": 5}


def test_ufw_changes_prune_only_the_rules_this_role_added():
    """10.0.0.9 left the app group: its rule goes; the hand-made 8080 and the other tool's rule stay."""
    plan = [plan_rule(22, "any", "limit", "ssh"), plan_rule(5432, "10.0.0.5"), plan_rule(6379, "10.0.0.5")]
    changes = ufw_changes(plan, USER_RULES, "shipshape.firewall")
    assert changes["add"] == [plan_rule(6379, "10.0.0.5")]
    assert [(d["port"], d["src"]) for d in changes["delete"]] == [("5432", "10.0.0.9")]


def test_ufw_changes_delete_absent_rules_that_exist_and_ignore_absent_ones_that_do_not():
    plan = [
        plan_rule(22, "any", "limit", "ssh"),
        plan_rule(8080, "any", state="absent"),
        plan_rule(9, "any", state="absent"),
    ]
    changes = ufw_changes(plan, USER_RULES, "shipshape.firewall")
    assert sorted((d["port"], d["src"]) for d in changes["delete"]) == [
        ("5432", "10.0.0.5"),
        ("5432", "10.0.0.9"),
        ("8080", "any"),
    ]
    assert changes["add"] == []


def test_ufw_changes_on_a_fresh_host_add_everything():
    plan = [plan_rule(22, "any", "limit", "ssh"), plan_rule(80, "any")]
    assert ufw_changes(plan, "", "shipshape.firewall") == {"add": plan, "delete": [], "count": 0}


def test_ufw_expand_leaves_out_excluded_hosts_and_may_accept_an_empty_group():
    hostvars = {"a": {"shipshape_private_address": "10.0.0.1"}, "b": {"shipshape_private_address": "10.0.0.2"}}
    rules = ufw_expand([{"port": 5432, "from_group": "app"}], {}, {"app": ["a", "b"]}, hostvars, exclude=["a"])
    assert [r["src"] for r in rules] == ["10.0.0.2"]
    assert (
        ufw_expand([{"port": 5432, "from_group": "app"}], {}, {"app": ["a"]}, hostvars, exclude=["a"], empty_ok=True)
        == []
    )
    renamed = ufw_expand([{"port": 5432, "from_group": "app"}], {"app": "web"}, {"web": ["b"]}, hostvars)
    assert [r["src"] for r in renamed] == ["10.0.0.2"]
