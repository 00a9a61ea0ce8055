# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the firewall role's rule list into ufw rules, and find conflicts."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.shipshape.server.plugins.plugin_utils.peers import host_address

DOCUMENTATION = r"""
name: firewall
short_description: Expand firewall rules and find conflicts
description:
  - C(ufw_expand) turns rules with C(from_cidr) or C(from_group) into one rule per source address,
    resolving groups through a purpose-to-group map and each member's C(shipshape_private_address)
    or default IPv4 address.
  - C(ufw_conflicts) lists rules that both allow and deny the same port, protocol and source,
    and rules that deny the SSH port.
positional: _input
options:
  _input:
    description: The rules (C(firewall_rules) entries, or expanded rules for C(ufw_conflicts)).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
plan: "{{ firewall_rules | shipshape.server.ufw_expand(firewall_groups, groups, hostvars) }}"
conflicts: "{{ plan | shipshape.server.ufw_conflicts(22) }}"
"""

RETURN = r"""
_value:
  description: Expanded rules (dicts with port, proto, rule, src, comment, state), or conflict messages.
  type: list
"""

ALLOWING = {"allow", "limit"}
BLOCKING = {"deny", "reject"}


def ufw_expand(rules, groups_map, groups, hostvars):
    """One rule per source: 'any', a CIDR, or each address of an inventory group."""
    out = []
    for rule in rules or []:
        base = {
            "port": str(rule["port"]),
            "proto": rule.get("proto") or "tcp",
            "rule": rule.get("rule") or "allow",
            "comment": rule.get("comment") or "",
            "state": rule.get("state") or "present",
        }
        group = rule.get("from_group")
        if group:
            name = (groups_map or {}).get(group, group)
            members = list(groups.get(name) or [])
            if not members:
                raise AnsibleFilterError(f"firewall_rules: group '{group}' (inventory group '{name}') has no hosts")
            sources = sorted({host_address(hostvars, h) for h in members})
        else:
            sources = [rule.get("from_cidr") or "any"]
        out.extend(dict(base, src=src) for src in sources)
    return out


def ufw_conflicts(rules, ssh_port):
    """Messages for rules that contradict each other or block the SSH port."""
    present = [r for r in rules or [] if r.get("state", "present") == "present"]
    allowed = {(r["port"], r["proto"], r["src"]) for r in present if r["rule"] in ALLOWING}
    problems = []
    for r in present:
        if r["rule"] not in BLOCKING:
            continue
        key = (r["port"], r["proto"], r["src"])
        if key in allowed:
            problems.append(f"port {r['port']}/{r['proto']} from {r['src']} is both allowed and blocked ({r['rule']})")
        if str(r["port"]) == str(ssh_port) and r["proto"] in ("tcp", "any"):
            problems.append(f"port {r['port']} is the SSH port and would be blocked ({r['rule']}) from {r['src']}")
    return problems


class FilterModule:
    def filters(self):
        return {"ufw_expand": ufw_expand, "ufw_conflicts": ufw_conflicts}
