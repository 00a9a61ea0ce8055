import pytest

from ansible_collections.shipshape.server.plugins.test.validators import TestModule, is_cidr, is_port, is_timezone


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
    assert TestModule().tests() == {"timezone": is_timezone, "cidr": is_cidr, "port": is_port}
