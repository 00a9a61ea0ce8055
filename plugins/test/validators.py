# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests used by the roles' preflight checks."""

from __future__ import annotations

import ipaddress
import math
import re
import zoneinfo

DOCUMENTATION = r"""
name: validators
short_description: Jinja tests for preflight checks (timezone, cidr, network, address, port, secret, redis_acl, domain)
description:
  - C(timezone) is true for an IANA timezone name known to the controller, such as C(Etc/UTC).
    Where the controller has no timezone database, it falls back to the shape of a name.
  - C(cidr) is true for an IPv4 or IPv6 network or address in CIDR notation (host bits may be set).
  - C(address) is true for one IPv4 or IPv6 host address - no prefix length, not a wildcard (C(0.0.0.0), C(::)),
    not multicast or broadcast - where a variable means one host (a listen address, a private address); C(cidr)
    is for networks.
  - C(network) is true for a network a rule may open to or trust - an address or a CIDR without host bits set
    (C(10.1.0.0/16), not C(10.1.2.3/16)), and never everything (C(0.0.0.0/0), C(::/0)); where a variable means
    "everywhere" it says so and uses C(cidr).
  - C(in_networks) is true for an address inside one of the networks given as its argument (CIDRs or addresses).
  - C(port) is true for a TCP/UDP port (1-65535) or a range C(LOW:HIGH), as int or string.
  - C(secret) is true for a string of at least C(min_length) characters (default 24) with no newline that looks
    generated, not typed - not a known placeholder (changeme, secret, password, ...), not a word or a pattern
    repeated (secret-secret-secret-secret), not mostly keyboard walks (qwertyuiop, 1234567890), with at least 8
    distinct characters and 64 bits of character entropy. C(openssl rand -base64 32) gives one.
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


def is_network(value) -> bool:
    """Return True for an address or a strict CIDR network (no host bits) that is not the whole address space."""
    if not is_cidr(value):
        return False
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return network.prefixlen > 0


_PORT = re.compile(r"^[0-9]{1,5}(:[0-9]{1,5})?$")


def is_address(value) -> bool:
    """Return True for one IPv4/IPv6 host address: no prefix length, not a wildcard (0.0.0.0, ::), not multicast."""
    if not isinstance(value, str) or value != value.strip() or "/" in value:
        return False
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (address.is_unspecified or address.is_multicast or str(address) == "255.255.255.255")


def in_networks(value, networks) -> bool:
    """Return True when the address value lies in one of the networks (CIDRs or addresses)."""
    try:
        address = ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        return False
    for network in networks or []:
        try:
            if address in ipaddress.ip_network(str(network), strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


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


# Rows of a keyboard and runs of the alphabet and digits: a secret made of these is typed, not generated.
WALKS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop", "1234567890", "abcdefghijklmnopqrstuvwxyz")
_WALKS = (*WALKS, *(w[::-1] for w in WALKS))
MIN_BITS = 64


def _walked(lowered: str) -> int:
    """How many characters of lowered lie in runs of 4 or more that follow a keyboard row or an alphabet/digit run."""
    covered, i = 0, 0
    while i < len(lowered):
        end = i
        for j in range(i + 4, len(lowered) + 1):
            if any(lowered[i:j] in walk for walk in _WALKS):
                end = j
            else:
                break
        if end > i:
            covered += end - i
            i = end
        else:
            i += 1
    return covered


def _bits(value: str) -> float:
    """Shannon estimate of the value's information: its length times the entropy of its character frequencies."""
    counts = [value.count(c) for c in set(value)]
    return -sum(n * math.log2(n / len(value)) for n in counts)


def is_secret(value, min_length: int = 24) -> bool:
    """Return True for a long enough string that looks generated: not a placeholder, not a repeated word or pattern,
    not a keyboard walk, and with at least MIN_BITS of character entropy."""
    if not isinstance(value, str) or len(value) < int(min_length) or "\n" in value or "\r" in value:
        return False
    lowered = value.lower()
    if any(lowered.replace(p, "") == "" or lowered.strip("0123456789-_!") == p for p in PLACEHOLDERS):
        return False
    # A word said again and again (secret-secret-secret-secret), or any unit repeated (abcabcabc...).
    words = [w for w in re.split(r"[^a-z0-9]+", lowered) if w]
    if len(words) >= 2 and len(set(words)) * 2 <= len(words):
        return False
    bare = re.sub(r"[^a-z0-9]", "", lowered)
    if re.fullmatch(r"(.+?)\1+", bare):
        return False
    # Mostly keyboard walks (qwertyuiop, 1234567890): fewer than 12 characters left outside them.
    if len(lowered) - _walked(lowered) < 12:
        return False
    return len(set(value)) >= 8 and _bits(value) >= MIN_BITS


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
            "network": is_network,
            "address": is_address,
            "in_networks": in_networks,
            "port": is_port,
            "secret": is_secret,
            "redis_acl": is_redis_acl,
            "domain": is_domain,
        }
