import ipaddress

import pytest
from ansible.errors import AnsibleFilterError, AnsibleLookupError

from ansible_collections.shipshape.server.plugins.lookup.cloudflare_ranges import LookupModule as CloudflareRanges
from ansible_collections.shipshape.server.plugins.lookup.group import LookupModule as Group
from ansible_collections.shipshape.server.plugins.lookup.peers import LookupModule as Peers
from ansible_collections.shipshape.server.plugins.plugin_utils.peers import group_addresses, group_map, render

HOSTVARS = {
    "app1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
    "app2": {"shipshape_private_address": "10.1.0.12"},
    "db1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.5"}}},
    "v6": {"shipshape_private_address": "fd00::7"},
    "bare": {},
    "net": {"shipshape_private_address": "10.0.0.0/24"},
    "any": {"shipshape_private_address": "0.0.0.0"},  # noqa: S104 - refused, not bound
}
GROUPS = {"app": ["app2", "app1", "db1"], "data": ["db1"], "empty": [], "odd": ["bare"], "wide": ["net"]}


def variables(host="db1", **extra):
    return dict({"groups": GROUPS, "hostvars": HOSTVARS, "inventory_hostname": host}, **extra)


def test_group_map_defaults_each_purpose_to_its_own_name():
    assert group_map(None) == {"edge": "edge", "app": "app", "db": "db", "cache": "cache", "monitoring": "monitoring"}
    assert group_map({"db": "data"})["db"] == "data"


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ({"database": "db"}, "unknown purpose"),
        ({"db": "a b"}, "shipshape_groups.db"),
        ({"db": ""}, "db"),
        ("db", "maps"),
    ],
)
def test_group_map_refuses_what_is_not_a_map_of_purposes_to_group_names(given, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        group_map(given)


def test_group_lookup_names_groups_and_lists_their_hosts_once():
    assert Group().run(["db", "app"], variables(shipshape_groups={"db": "data"})) == ["data", "app"]
    hosts = Group().run(["db", "app"], variables(shipshape_groups={"db": "data"}), hosts=True)
    assert hosts == ["db1", "app2", "app1"]
    assert Group().run(["cache"], variables(), hosts=True) == []


def test_group_lookup_of_a_host_gives_the_purposes_it_serves():
    gmap = {"db": "data"}
    purposes = ["edge", "app", "db", "cache"]
    assert Group().run(purposes, variables(shipshape_groups=gmap), of="db1") == ["app", "db"]
    assert Group().run(purposes, variables(shipshape_groups=gmap), of="app2") == ["app"]
    assert Group().run(purposes, variables(), of="nowhere") == []


def test_group_lookup_names_a_bad_map():
    with pytest.raises(AnsibleLookupError, match="unknown purpose"):
        Group().run(["db"], variables(shipshape_groups={"dbs": "x"}))


def test_peers_are_sorted_unique_and_can_leave_out_the_host_itself():
    assert Peers().run(["app"], variables()) == ["10.0.0.11", "10.0.0.5", "10.1.0.12"]
    assert Peers().run(["app"], variables(), exclude_self=True) == ["10.0.0.11", "10.1.0.12"]
    assert Peers().run(["app", "db"], variables()) == ["10.0.0.11", "10.0.0.5", "10.1.0.12"]


def test_ipv6_peers_are_bracketed_for_urls_and_get_a_prefix_for_acls():
    groups = {"app": ["app1", "v6"]}
    assert Peers().run(["app"], variables(groups=groups), form="url") == ["10.0.0.11", "[fd00::7]"]
    assert Peers().run(["app"], variables(groups=groups), form="cidr") == ["10.0.0.11/32", "fd00::7/128"]
    assert render("fd00::7", "url") == "[fd00::7]"


def test_a_peer_without_an_address_or_with_a_network_is_named():
    with pytest.raises(AnsibleFilterError, match="bare"):
        group_addresses("odd", GROUPS, HOSTVARS)
    with pytest.raises(AnsibleFilterError, match="net: shipshape_private_address must be one IP address"):
        group_addresses("wide", GROUPS, HOSTVARS)
    with pytest.raises(AnsibleLookupError, match="bare"):
        Peers().run(["app"], variables(groups={"app": ["bare"]}))


def test_unknown_or_empty_groups_have_no_peers():
    assert Peers().run(["monitoring"], variables()) == []
    assert group_addresses("empty", GROUPS, HOSTVARS) == []


def test_cloudflare_ranges_are_networks_of_both_families_and_take_no_terms():
    ranges = CloudflareRanges().run([])
    nets = [ipaddress.ip_network(r) for r in ranges]
    assert {n.version for n in nets} == {4, 6} and len(set(ranges)) == len(ranges) >= 20
    with pytest.raises(AnsibleLookupError):
        CloudflareRanges().run(["x"])


def test_a_wildcard_is_not_a_private_address():
    with pytest.raises(AnsibleFilterError, match="one host's address"):
        group_addresses("anyone", {"anyone": ["any"]}, HOSTVARS)
