# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests used by the roles' preflight checks."""

from __future__ import annotations

import re
import zoneinfo

DOCUMENTATION = r"""
name: timezone
short_description: Whether a string is an IANA timezone name
description:
  - True for names in the controller's timezone database, such as C(Etc/UTC) or C(Europe/Berlin).
  - Where the controller has no timezone database, falls back to the shape of a name (C(Area/Location)).
positional: _input
options:
  _input:
    description: The name to test.
    type: str
    required: true
"""

EXAMPLES = r"""
- ansible.builtin.assert:
    that: base_timezone is shipshape.server.timezone
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


class TestModule:
    def tests(self):
        return {"timezone": is_timezone}
