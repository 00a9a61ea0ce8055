import re
from pathlib import Path

import pytest

from ansible_collections.shipshape.server.plugins.test.validators import (
    TestModule as Validators,
)
from ansible_collections.shipshape.server.plugins.test.validators import (
    in_networks,
    is_address,
    is_cidr,
    is_domain,
    is_network,
    is_port,
    is_redis_acl,
    is_secret,
    is_timezone,
)


@pytest.mark.parametrize("name", ["Etc/UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC"])
def test_known_timezones_pass(name):
    assert is_timezone(name)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "Europe/../etc/passwd", "europe/berlin", None, 42])
def test_bad_timezones_fail(name):
    assert not is_timezone(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Europe/Berlin", True), ("UTC", True), ("Area/Sub/Place", True), ("nope", False), ("Europe/", False)],
)
def test_shape_fallback_without_database(name, expected):
    assert is_timezone(name, known=frozenset()) is expected


@pytest.mark.parametrize("value", ["10.0.0.0/8", "192.168.1.7/24", "203.0.113.9", "2001:db8::/32", "::1", "0.0.0.0/0"])
def test_cidr_accepts_networks_and_addresses(value):
    assert is_cidr(value)


@pytest.mark.parametrize("value", ["", "10.0.0.0/33", "300.1.1.1", "any", " 10.0.0.0/8", "10.0.0.0/8\n", None, 10])
def test_cidr_rejects_garbage(value):
    assert not is_cidr(value)


@pytest.mark.parametrize("value", [22, "22", "1", "65535", "8000:8010", "443:443"])
def test_port_accepts_ports_and_ranges(value):
    assert is_port(value)


@pytest.mark.parametrize("value", [0, "0", 65536, "70000", "8010:8000", "22,80", "ssh", "", None, True, "-1"])
def test_port_rejects_garbage(value):
    assert not is_port(value)


def test_plugin_exposes_the_tests():
    assert Validators().tests() == {
        "timezone": is_timezone,
        "cidr": is_cidr,
        "network": is_network,
        "port": is_port,
        "secret": is_secret,
        "address": is_address,
        "in_networks": in_networks,
        "redis_acl": is_redis_acl,
        "domain": is_domain,
    }


@pytest.mark.parametrize(
    "value",
    ["Zx8qT2mV9pL4rS7wK1nB6cY3", "correct-horse-battery-staple-42", "HIUqWGaQaJEd9jXWWA3sQmbfr3nsn8waFjFLFhY+mNk="],
)
def test_secret_accepts_long_random_strings(value):
    assert is_secret(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "short",
        "x" * 40,
        "changemechangemechangeme",
        "password1234567890123456789",
        None,
        12345678901234567890123456,
        "Zx8qT2mV9pL4rS7wK1nB6cY3\nmore",
        "Zx8qT2mV9pL4rS7wK1nB6cY3\r",
        # Typed, not generated: a repeated word, a repeated unit, keyboard walks, the alphabet.
        "secret-secret-secret-secret",
        "hunter2-hunter2-hunter2-hunter2",
        "abcabcabcabcabcabcabcabcabc",
        "qwertyuiopasdfghjkl1234567890",
        "1234567890qwertyuiop-0987654321",
        "a" * 3 + "bcdefghijklmnopqrstuvwxyz",
        "aaaaaaaaaaaabbbbbbbbbbbbbcccccccccc",
    ],
)
def test_secret_rejects_empty_short_placeholders_and_junk(value):
    assert not is_secret(value)


def test_secret_minimum_length_is_a_parameter():
    assert not is_secret("Zx8qT2mV9pL4rS7wK1nB6cY3", 32)
    assert is_secret("Zx8qT2mV9pL4rS7wK1nB6cY3", 16)


@pytest.mark.parametrize("rule", ["~* &* +@all -@dangerous", "~cache:* +get +set -@all", "+client|setname allkeys"])
def test_redis_acl_accepts_permission_rules(rule):
    assert is_redis_acl(rule)


@pytest.mark.parametrize("rule", ["", "on ~* +@all", ">secret +@all", "#abc +@all", "nopass", "reset +@all", "+@all\n"])
def test_redis_acl_rejects_user_state_and_passwords(rule):
    assert not is_redis_acl(rule)


@pytest.mark.parametrize(
    "name", ["example.com", "www.shipshape.test", "a-b.c-d.example.org", "xn--bcher-kva.example", "A.EXAMPLE.COM"]
)
def test_domain_accepts_fully_qualified_names(name):
    assert is_domain(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "localhost",
        "*.example.com",
        "example.com.",
        "-bad.example.com",
        "bad-.example.com",
        "under_score.example.com",
        "10.0.0.1",
        "a..example.com",
        "x" * 64 + ".example.com",
        ("a" * 60 + ".") * 5 + "com",
        " example.com",
        "exa mple.com",
        None,
        ["example.com"],
    ],
)
def test_domain_rejects_bad_names(name):
    assert not is_domain(name)


def test_every_secret_the_scenarios_use_passes():
    """The test bed's own secrets are generated-looking: a stricter rule must not lock the scenarios out."""
    root = Path(__file__).resolve().parents[4]
    pattern = re.compile(r"^\s+(\w*(?:password|secret|token|passphrase))\w*:\s*([^\s{\"']\S+)\s*$", re.M)
    found = {}
    for path in root.glob("molecule/*/molecule.yml"):
        found |= {f"{path.parent.name}.{m[1]}": m[2] for m in pattern.finditer(path.read_text())}
    assert len(found) > 10
    assert [k for k, v in found.items() if not is_secret(v, 24)] == []


@pytest.mark.parametrize("value", ["10.0.0.5", "192.168.1.20", "fd00::7", "2001:db8::1", "127.0.0.1"])
def test_address_accepts_one_host(value):
    assert is_address(value)


@pytest.mark.parametrize(
    "value",
    [
        "0.0.0.0",  # noqa: S104 - refused, not bound
        "::",
        "0.0.0.0/0",
        "10.0.0.5/24",
        "10.0.0.5/32",
        "10.0.0.0/8",
        "224.0.0.1",
        "255.255.255.255",
        "10.0.0.5\n",
        " 10.0.0.5",
        "[fd00::7]",
        "db.example.com",
        "",
        None,
        167772165,
    ],
)
def test_address_refuses_networks_wildcards_and_junk(value):
    assert not is_address(value)


def test_in_networks_finds_an_address_in_cidrs_or_addresses():
    assert in_networks("10.0.0.5", ["192.168.0.0/16", "10.0.0.0/24"])
    assert in_networks("172.18.0.1", ["172.18.0.1/32"])
    assert in_networks("fd00::7", ["fd00::/8"])
    assert not in_networks("10.0.1.5", ["10.0.0.0/24", "not-a-cidr"])
    assert not in_networks("nonsense", ["0.0.0.0/0"])
    assert not in_networks("10.0.0.5", [])


@pytest.mark.parametrize(
    "value", ["10.1.0.0/16", "203.0.113.0/28", "203.0.113.7", "203.0.113.7/32", "fd00::/8", "2001:db8::1"]
)
def test_network_accepts_a_network_or_one_host(value):
    assert is_network(value)


@pytest.mark.parametrize(
    "value", ["0.0.0.0/0", "::/0", "203.0.113.5/24", "10.1.2.3/16", "10.0.0.0/8\n", "", "any", None]
)
def test_network_refuses_everything_host_bits_and_garbage(value):
    assert not is_network(value)
