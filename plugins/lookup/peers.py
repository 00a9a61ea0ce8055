# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The addresses of the hosts that play a purpose in the stack: one rule for every role."""

from __future__ import annotations

DOCUMENTATION = r"""
name: peers
short_description: Addresses of the hosts of a purpose (edge, app, db, cache, monitoring)
description:
  - Finds the group of each purpose through C(shipshape_groups) (see the C(group) lookup) and returns its
    members' addresses, sorted and each once. A host's address is its C(shipshape_private_address), else the
    default IPv4 address from its gathered facts; a host with neither fails the lookup, naming it.
options:
  _terms:
    description: Purposes.
    required: true
  exclude_self:
    description: Leave out the host the task runs for.
    type: bool
    default: false
  form:
    description:
      - C(address) as is; C(url) with IPv6 addresses in brackets (URLs, nginx upstreams);
        C(cidr) as one-host networks (C(/32), C(/128)) for pg_hba and firewall rules.
    type: str
    default: address
    choices: [address, url, cidr]
"""

EXAMPLES = r"""
db_host: "{{ query('shipshape.server.peers', 'db', form='url') | first }}"
hba_sources: "{{ query('shipshape.server.peers', 'app', exclude_self=true, form='cidr') }}"
"""

RETURN = r"""
_raw:
  description: Addresses.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase

from ansible_collections.shipshape.server.plugins.plugin_utils.peers import group_addresses, group_map


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        # Options read directly (the same names and defaults as DOCUMENTATION), so the rules stay testable
        # without a plugin loader.
        unknown = sorted(set(kwargs) - {"exclude_self", "form"})
        if unknown:
            raise AnsibleLookupError(f"unknown option(s) {unknown}")
        variables = variables or {}
        exclude = [variables.get("inventory_hostname")] if boolean(kwargs.get("exclude_self", False)) else []
        try:
            gmap = group_map(variables.get("shipshape_groups"))
            out = []
            for term in terms:
                for addr in group_addresses(
                    gmap.get(term, term),
                    variables.get("groups") or {},
                    variables.get("hostvars") or {},
                    exclude,
                    kwargs.get("form", "address"),
                ):
                    if addr not in out:
                        out.append(addr)
            return out
        except Exception as exc:  # AnsibleFilterError from the shared rules
            raise AnsibleLookupError(str(exc)) from exc
