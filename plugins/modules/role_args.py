#!/usr/bin/python
# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the role_args action (it runs on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: role_args
short_description: Check the inventory's values for several shipshape.server roles against their argument specs
description:
  - Validates every variable the host's inventory gives for the listed roles against each role's
    C(meta/argument_specs.yml), all at once and before any role runs, so that a C(choices) typo or a wrong
    type fails before any host is touched. The message names the role and the variable.
  - A string where the spec wants a boolean (C("false"), or any C(-e name=value)) is refused, because templates would
    test the string, in which C("false") is true.
  - Numbers and lists given as strings (C("8") for an int) are returned as host facts with the spec's value, so the
    roles use the validated value, not the raw string.
  - Runs on the controller only.
version_added: 0.2.0
options:
  roles:
    description: Names of the collection's roles (without the C(shipshape.server.) prefix).
    type: list
    elements: str
    required: true
author: Shipshape developers (@shipshape)
"""

EXAMPLES = r"""
- name: Check the argument specs of the roles this host gets
  shipshape.server.role_args:
    roles: [base, firewall, ssh, fail2ban]
  no_log: true
"""

RETURN = r"""
coerced:
  description: Names of the variables whose value the spec converted.
  type: list
  elements: str
  returned: success
argument_errors:
  description: What failed, one message per problem, prefixed with the role.
  type: list
  elements: str
  returned: failure
"""
