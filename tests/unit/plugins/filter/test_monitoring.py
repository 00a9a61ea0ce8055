import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.shipshape.server.plugins.filter.monitoring import FilterModule, scrape_targets

HOSTVARS = {
    "db1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.21"}}},
    "db2": {"shipshape_private_address": "fd00::22", "exporters_postgres_port": "9999"},
    "off": {"shipshape_private_address": "10.0.0.23", "exporters_postgres": "false"},
    "bad": {"shipshape_private_address": "10.0.0.24", "exporters_postgres_port": "90000"},
    "bare": {},
}


def test_one_entry_per_host_with_its_name_and_own_port():
    assert scrape_targets(["db1", "db2"], HOSTVARS, port_var="exporters_postgres_port", port=9187) == [
        {"targets": ["10.0.0.21:9187"], "labels": {"host": "db1"}},
        {"targets": ["[fd00::22]:9999"], "labels": {"host": "db2"}},
    ]


def test_switched_off_hosts_are_left_out():
    out = scrape_targets(["db1", "off"], HOSTVARS, port=9187, switch="exporters_postgres")
    assert [e["labels"]["host"] for e in out] == ["db1"]


def test_bad_port_and_unknown_address_fail_naming_the_host():
    with pytest.raises(AnsibleFilterError, match="bad: exporters_postgres_port"):
        scrape_targets(["bad"], HOSTVARS, port_var="exporters_postgres_port", port=9187)
    with pytest.raises(AnsibleFilterError, match="bare"):
        scrape_targets(["bare"], HOSTVARS, port=9100)
    with pytest.raises(AnsibleFilterError, match="port is required"):
        scrape_targets(["db1"], HOSTVARS)


def test_no_hosts_no_targets_and_registered():
    assert scrape_targets([], HOSTVARS, port=9100) == []
    assert FilterModule().filters()["scrape_targets"] is scrape_targets


def test_an_address_replaces_the_hosts_own():
    assert scrape_targets(["db2"], HOSTVARS, port_var="exporters_postgres_port", port=9187, address="127.0.0.1") == [
        {"targets": ["127.0.0.1:9999"], "labels": {"host": "db2"}}
    ]
