import pytest

from ansible_collections.shipshape.server.plugins.test.validators import TestModule, is_timezone


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


def test_plugin_exposes_the_test():
    assert TestModule().tests()["timezone"] is is_timezone
