# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a role finds the address of a peer host: one rule for every role that reads the inventory."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def host_address(hostvars, host):
    """The host's shipshape_private_address, else the default IPv4 address from its gathered facts."""
    hv = hostvars[host]
    addr = hv.get("shipshape_private_address")
    if not addr:
        addr = ((hv.get("ansible_facts") or {}).get("default_ipv4") or {}).get("address")
    if not addr:
        raise AnsibleFilterError(
            f"no address known for {host}: gather its facts in this play or set shipshape_private_address"
        )
    return addr


def group_addresses(group, groups, hostvars, exclude=()):
    """Sorted, unique addresses of the members of an inventory group, leaving out the hosts in exclude."""
    members = [h for h in (groups.get(group) or []) if h not in set(exclude or ())]
    return sorted({host_address(hostvars, h) for h in members})
