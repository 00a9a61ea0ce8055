# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests used by the roles' preflight checks."""

from __future__ import annotations

import ipaddress
import re
import zoneinfo

DOCUMENTATION = r"""
name: validators
short_description: Jinja tests for preflight checks (timezone, cidr, port, secret, redis_acl, domain)
description:
  - C(timezone) is true for an IANA timezone name known to the controller, such as C(Etc/UTC).
    Where the controller has no timezone database, it falls back to the shape of a name.
  - C(cidr) is true for an IPv4 or IPv6 network or address in CIDR notation (host bits may be set).
  - C(port) is true for a TCP/UDP port (1-65535) or a range C(LOW:HIGH), as int or string.
  - C(secret) is true for a string of at least C(min_length) characters (default 24) that is not a
    known placeholder (changeme, secret, password, ...), not one repeated character, and has no newline.
  - C(redis_acl) is true for Redis ACL permission rules only (key and channel patterns, command and
    category grants), never user state or passwords, which the redis role writes itself.
  - C(domain) is true for a fully qualified DNS name a public CA can issue for (at least two labels of letters,
    digits and inner hyphens (1-63 characters each, 253 in all), a top-level label that is not all digits,
    no wildcard, no trailing dot, no IP address).
positional: _input
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""


EXAMPLES = r"""
- ansible.builtin.assert:
    that:
      - base_timezone is shipshape.server.timezone
      - "'10.0.0.0/8' is shipshape.server.cidr"
      - "'8000:8010' is shipshape.server.port"
"""

RETURN = r"""
_value:
  description: Whether the input names a timezone.
  type: bool
"""

_TZ_SHAPE = re.compile(r"^(UTC|[A-Z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){1,2})$")


def _known_timezones() -> frozenset[str]:
    try:
        return frozenset(zoneinfo.available_timezones())
    except Exception:  # noqa: BLE001 - any failure means: no database to ask
        return frozenset()


def is_timezone(value, known: frozenset[str] | None = None) -> bool:
    """Return True when value is a timezone name (known to the database, else well-formed)."""
    if not isinstance(value, str) or not value or ".." in value:
        return False
    known = _known_timezones() if known is None else known
    if known:
        return value in known
    return bool(_TZ_SHAPE.match(value))


def is_cidr(value) -> bool:
    """Return True for an IPv4/IPv6 network or address, with or without a prefix length."""
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


_PORT = re.compile(r"^[0-9]{1,5}(:[0-9]{1,5})?$")


def is_port(value) -> bool:
    """Return True for a port 1-65535 or an ascending range 'LOW:HIGH'."""
    if isinstance(value, bool):
        return False
    text = str(value) if isinstance(value, int) else value
    if not isinstance(text, str) or not _PORT.match(text):
        return False
    numbers = [int(n) for n in text.split(":")]
    return all(1 <= n <= 65535 for n in numbers) and numbers == sorted(numbers)


PLACEHOLDERS = ("changeme", "change-me", "change_me", "secret", "password", "passw0rd", "example", "default", "xxx")


def is_secret(value, min_length: int = 24) -> bool:
    """Return True for a long enough string that is not an obvious placeholder."""
    if not isinstance(value, str) or len(value) < int(min_length) or "\n" in value:
        return False
    lowered = value.lower()
    if len(set(value)) < 4:
        return False
    return not any(lowered.replace(p, "") == "" or lowered.strip("0123456789-_!") == p for p in PLACEHOLDERS)


_ACL_TOKEN = re.compile(
    r"^(~\S+|%(R|W|RW)~\S+|&\S+|[+-]@?[a-z][a-z0-9_|-]*|allkeys|allchannels|allcommands|nocommands"
    r"|resetkeys|resetchannels)$"
)


def is_redis_acl(value) -> bool:
    """Return True for a space-separated list of Redis ACL permission rules."""
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        return False
    return all(_ACL_TOKEN.match(token) for token in value.split())


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_domain(value) -> bool:
    """Return True for a fully qualified DNS name (no wildcard, no IP address, no trailing dot)."""
    if not isinstance(value, str) or not value or len(value) > 253 or value != value.strip():
        return False
    labels = value.lower().split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    return all(_LABEL.match(label) for label in labels)


class TestModule:
    def tests(self):
        return {
            "timezone": is_timezone,
            "cidr": is_cidr,
            "port": is_port,
            "secret": is_secret,
            "redis_acl": is_redis_acl,
            "domain": is_domain,
        }
