# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory groups (or their hosts) that play a purpose in the stack, from the one group map."""

from __future__ import annotations

DOCUMENTATION = r"""
name: group
short_description: The inventory group of a purpose (edge, app, db, cache, monitoring), or its hosts
description:
  - "Reads C(shipshape_groups), the one map from the stack's purposes to inventory group names
    (each purpose defaults to the group of its own name: C(edge), C(app), C(db), C(cache), C(monitoring));
    every role and playbook that finds peers goes through it."
  - Returns the group name of each purpose, or with C(hosts=true) the members of those groups (in inventory
    order, each once). A purpose whose group is not in the inventory has no hosts.
options:
  _terms:
    description: Purposes.
    required: true
  hosts:
    description: Return the groups' hosts instead of their names.
    type: bool
    default: false
  of:
    description: Return those of the purposes whose group holds this host (the purposes a host serves).
    type: str
"""

EXAMPLES = r"""
db_hosts: "{{ query('shipshape.server.group', 'db', hosts=true) }}"
is_edge: "{{ inventory_hostname in query('shipshape.server.group', 'edge', hosts=true) }}"
edge_group: "{{ lookup('shipshape.server.group', 'edge') }}"
purposes: "{{ query('shipshape.server.group', 'edge', 'app', 'db', 'cache', 'monitoring', of=inventory_hostname) }}"
"""

RETURN = r"""
_raw:
  description: Group names, host names, or (with C(of)) purposes.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase

from ansible_collections.shipshape.server.plugins.plugin_utils.peers import group_map, members


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        # Options read directly (the same names and defaults as DOCUMENTATION), so the rules stay testable
        # without a plugin loader.
        unknown = sorted(set(kwargs) - {"hosts", "of"})
        if unknown:
            raise AnsibleLookupError(f"unknown option(s) {unknown}")
        variables = variables or {}
        try:
            gmap = group_map(variables.get("shipshape_groups"))
            groups = variables.get("groups") or {}
            if kwargs.get("of") is not None:
                return [t for t in terms if kwargs["of"] in members(t, groups, gmap)]
            if not boolean(kwargs.get("hosts", False)):
                return [gmap.get(t, t) for t in terms]
            out = []
            for term in terms:
                for host in members(term, groups, gmap):
                    if host not in out:
                        out.append(host)
            return out
        except Exception as exc:  # AnsibleFilterError from the shared rules
            raise AnsibleLookupError(str(exc)) from exc
