# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the firewall role's rule list into ufw rules, and find conflicts."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.shipshape.server.plugins.plugin_utils.peers import group_name, host_address

DOCUMENTATION = r"""
name: firewall
short_description: Expand firewall rules and find conflicts
description:
  - C(ufw_expand) turns rules with C(from_cidr) or C(from_group) into one rule per source address,
    resolving groups through the purpose-to-group map C(shipshape_groups) and each member's
    C(shipshape_private_address) or default IPv4 address; C(exclude) leaves hosts out (the host itself),
    C(empty_ok) lets a group without hosts give no rule instead of failing.
  - C(ufw_changes) compares the plan with ufw's own rule files (C(/etc/ufw/user.rules) and C(user6.rules))
    and returns the rules to C(add) (missing) and to C(delete) (the plan's C(state=absent) rules that exist, and
    rules this role added, known by their comment prefix, that the plan no longer has), and C(count), the number
    of IPv4 rules ufw has.
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
plan: "{{ firewall_rules | shipshape.server.ufw_expand(shipshape_groups | default({}), groups, hostvars) }}"
changes: "{{ plan | shipshape.server.ufw_changes(user_rules.stdout, 'shipshape.firewall') }}"
conflicts: "{{ plan | shipshape.server.ufw_conflicts(22) }}"
"""

RETURN = r"""
_value:
  description: Expanded rules (dicts with port, proto, rule, src, comment, state), or conflict messages.
  type: list
"""

ALLOWING = {"allow", "limit"}
BLOCKING = {"deny", "reject"}


def ufw_expand(rules, groups_map, groups, hostvars, *, exclude=(), empty_ok=False):  # noqa: PLR0913 (a Jinja filter)
    """One rule per source: 'any', a CIDR, or each address of an inventory group."""
    out = []
    skip = set(exclude or ())
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
            name = group_name(group, groups_map)
            members = [h for h in (groups.get(name) or []) if h not in skip]
            if not members and empty_ok:
                continue
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
    # A rule to remove is a plan too: removing a rule that lets SSH in, or one the plan also adds, contradicts
    # it (removing a block is harmless).
    for r in rules or []:
        if r.get("state", "present") != "absent" or r["rule"] not in ALLOWING:
            continue
        if str(r["port"]) == str(ssh_port) and r["proto"] in ("tcp", "any"):
            problems.append(f"port {r['port']} is the SSH port and its rule would be removed (state absent)")
        elif (r["port"], r["proto"], r["src"]) in allowed:
            problems.append(f"port {r['port']}/{r['proto']} from {r['src']} is both added and removed (state absent)")
    return problems


def _src(value):
    """A source as ufw writes it: 'any', a bare address for a one-host network, else the network."""
    value = str(value)
    if value in ("any", "0.0.0.0/0", "::/0"):
        return "any"
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return value
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def _key(rule):
    return (rule["rule"], rule["proto"], str(rule["port"]), _src(rule["src"]))


def ufw_parse(text):
    """The rules in ufw's user.rules/user6.rules: dicts with rule, proto, port, src and comment."""
    out = []
    for line in (text or "").splitlines():
        if not line.startswith("### tuple ### "):
            continue
        fields = line[len("### tuple ### ") :].split()
        if len(fields) < 7 or fields[6] != "in":
            continue  # outgoing or routed rules are not this role's
        comment = ""
        for extra in fields[7:]:
            if extra.startswith("comment="):
                try:
                    comment = bytes.fromhex(extra[len("comment=") :]).decode("utf-8", "replace")
                except ValueError:
                    comment = ""
        rule, proto, port, _dst, _sport, src = fields[:6]
        out.append(
            {"rule": rule, "proto": proto, "port": port, "src": _src(src), "comment": comment, "v6": ":" in _dst}
        )
    return out


def ufw_changes(plan, rules_text, comment_prefix):
    """What to add and delete so that ufw holds the plan, and how many IPv4 rules it has now."""
    existing = ufw_parse(rules_text)
    have = {_key(r) for r in existing}
    wanted = {_key(r) for r in plan or [] if r.get("state", "present") == "present"}
    add = [r for r in plan or [] if r.get("state", "present") == "present" and _key(r) not in have]
    delete, seen = [], set()

    def drop(rule):
        key = _key(rule)
        if key not in seen:
            seen.add(key)
            delete.append(
                {"rule": key[0], "proto": key[1], "port": key[2], "src": key[3], "comment": rule.get("comment", "")}
            )

    for r in plan or []:
        if r.get("state", "present") == "absent" and _key(r) in have and _key(r) not in wanted:
            drop(r)
    for r in existing:
        if r["comment"].startswith(comment_prefix) and _key(r) not in wanted:
            drop(r)
    return {"add": add, "delete": delete, "count": sum(1 for r in existing if not r["v6"])}


class FilterModule:
    def filters(self):
        return {"ufw_expand": ufw_expand, "ufw_conflicts": ufw_conflicts, "ufw_changes": ufw_changes}
