# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the roles find their peers: one group map, one address rule, for every role that reads the inventory."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

# The stack's purposes and the inventory groups they map to unless shipshape_groups says otherwise.
PURPOSES = ("edge", "app", "db", "cache", "monitoring")
DEFAULT_GROUPS = {p: p for p in PURPOSES}
FORMS = ("address", "url", "cidr")


def group_map(shipshape_groups=None):
    """The purpose -> inventory group map: shipshape_groups merged over the defaults, checked."""
    given = shipshape_groups or {}
    if not isinstance(given, dict):
        raise AnsibleFilterError(f"shipshape_groups maps purposes to inventory group names, got {given!r}")
    unknown = sorted(set(given) - set(PURPOSES))
    if unknown:
        raise AnsibleFilterError(f"shipshape_groups: unknown purpose(s) {unknown}; the purposes are {list(PURPOSES)}")
    out = dict(DEFAULT_GROUPS)
    for purpose, name in given.items():
        if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
            raise AnsibleFilterError(f"shipshape_groups.{purpose} must be an inventory group name, got {name!r}")
        out[purpose] = name
    return out


def group_name(purpose, shipshape_groups=None):
    """The inventory group that holds the hosts of a purpose (a name that is no purpose is taken as a group)."""
    gmap = group_map(shipshape_groups)
    return gmap.get(purpose, purpose)


def members(purpose, groups, shipshape_groups=None):
    """The hosts of a purpose, in inventory order."""
    return list((groups or {}).get(group_name(purpose, shipshape_groups)) or [])


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
    try:
        address = ipaddress.ip_address(str(addr).strip("[]"))
    except ValueError as exc:
        raise AnsibleFilterError(f"{host}: shipshape_private_address must be one IP address, got {addr!r}") from exc
    if address.is_unspecified or address.is_multicast:
        raise AnsibleFilterError(f"{host}: shipshape_private_address must be one host's address, got {addr!r}")
    return str(address)


def render(address, form="address"):
    """An address as a URL or upstream wants it (IPv6 in brackets), or as a one-host network."""
    if form not in FORMS:
        raise AnsibleFilterError(f"form is one of {list(FORMS)}, not {form!r}")
    v6 = ":" in address
    if form == "url":
        return f"[{address}]" if v6 else address
    if form == "cidr":
        return f"{address}/{128 if v6 else 32}"
    return address


def group_addresses(group, groups, hostvars, exclude=(), form="address"):
    """Sorted, unique addresses of the members of an inventory group, leaving out the hosts in exclude."""
    skip = set(exclude or ())
    hosts = [h for h in (groups.get(group) or []) if h not in skip]
    return [render(a, form) for a in sorted({host_address(hostvars, h) for h in hosts})]


# https://www.cloudflare.com/ips/ (check it now and then: a range missing here shows up as Cloudflare's
# address in the logs, 444 from nginx and a closed port with nginx_cloudflare_only).
CLOUDFLARE_RANGES = (
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
)
