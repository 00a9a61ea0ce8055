# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare's address ranges: one list, read by nginx (real client address, Cloudflare only) and the firewall."""

from __future__ import annotations

DOCUMENTATION = r"""
name: cloudflare_ranges
short_description: Cloudflare's published address ranges (IPv4 and IPv6)
description:
  - The default of C(nginx_cloudflare_ranges). The firewall reads the same list, so that with
    C(nginx_cloudflare_only) the web ports are open to exactly the ranges nginx trusts, whichever role runs first.
  - Takes no terms.
"""

EXAMPLES = r"""
nginx_cloudflare_ranges: "{{ query('shipshape.server.cloudflare_ranges') }}"
"""

RETURN = r"""
_raw:
  description: CIDRs.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.shipshape.server.plugins.plugin_utils.peers import CLOUDFLARE_RANGES


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms or kwargs:
            raise AnsibleLookupError("cloudflare_ranges takes no terms or options")
        return list(CLOUDFLARE_RANGES)
