# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus scrape targets from the inventory: the hosts of a purpose, at their private address."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.shipshape.server.plugins.plugin_utils.peers import host_address, render

DOCUMENTATION = r"""
name: scrape_targets
short_description: Prometheus static_configs for a list of hosts, one per host, labelled with its name
description:
  - Turns inventory host names into Prometheus C(static_configs) entries, one per host, each with the target
    C(address:port) (IPv6 in brackets) and the label C(host) set to the inventory name, so that alerts of every
    exporter on one host share a label (Alertmanager's inhibition and grouping use it).
  - The address is the one every role uses for a peer (C(shipshape_private_address), else the default IPv4 address
    from the host's facts); the port is the host's own C(port_var) setting, else C(port).
  - With C(switch), hosts whose C(switch) variable is false are left out (an exporter turned off on that host).
positional: _input, hostvars
options:
  _input:
    description: Inventory host names (for instance C(query('shipshape.server.group', 'db', hosts=true))).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  port_var:
    description: The name of the variable that holds the port on each host.
    type: str
  port:
    description: The port when a host does not set C(port_var).
    type: int
    required: true
  switch:
    description: The name of a boolean variable that, when false on a host, leaves it out.
    type: str
  address:
    description: Scrape this address instead of each host's own, such as C(127.0.0.1) for the monitoring host itself.
    type: str
"""

EXAMPLES = r"""
static_configs: "{{ query('shipshape.server.group', 'db', hosts=true)
                    | shipshape.server.scrape_targets(hostvars, port_var='exporters_postgres_port', port=9187) }}"
"""

RETURN = r"""
_value:
  description: "A list of C({'targets': ['address:port'], 'labels': {'host': name}})."
  type: list
  elements: dict
"""


def scrape_targets(hosts, hostvars, *, port_var=None, port=None, switch=None, address=None):  # noqa: PLR0913 - keywords only
    if port is None:
        raise AnsibleFilterError("scrape_targets: port is required")
    out = []
    for name in hosts or []:
        hv = hostvars[name]
        if switch and switch in hv and not boolean(hv[switch], strict=False):
            continue
        value = hv.get(port_var, port) if port_var else port
        try:
            number = int(str(value))
        except ValueError as exc:
            raise AnsibleFilterError(f"scrape_targets: {name}: {port_var} is not a port: {value!r}") from exc
        if not 0 < number < 65536:
            raise AnsibleFilterError(f"scrape_targets: {name}: {port_var} is not a port: {value!r}")
        where = render(address or host_address(hostvars, name), "url")
        out.append({"targets": [f"{where}:{number}"], "labels": {"host": str(name)}})
    return out


class FilterModule:
    def filters(self):
        return {"scrape_targets": scrape_targets}
