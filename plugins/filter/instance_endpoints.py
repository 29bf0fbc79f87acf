# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TCP endpoints of the instances a host checks itself, for the host engine to probe at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: instance_endpoints
version_added: 0.1.0
short_description: The host:port endpoints of the instances checked from this host
description:
  - Takes the role's instance lists by engine and returns the C(host:port) of every instance that is checked from
    this host (no C(delegate_to)) at a fixed TCP endpoint, once each, in order. An instance reached otherwise (a
    DSN, a Unix socket, a named SQL Server instance without a port) has none.
  - The role passes them to M(cloudbackup.precheck.host_precheck) (O(cloudbackup.precheck.host_precheck#module:probe_endpoints)),
    which probes them at once; the instances whose endpoint stayed silent are then not waited for again.
author: cloudbackup.precheck developers (@cloudbackup)
options:
  _input:
    description: "Engine name to its instance list, for example C({'sqlserver': cloudbackup_precheck_sqlserver_instances})."
    type: dict
    required: true
"""

EXAMPLES = r"""
probe: "{{ {'sqlserver': cloudbackup_precheck_sqlserver_instances} | cloudbackup.precheck.instance_endpoints }}"
"""

RETURN = r"""
_value:
  description: The endpoints, as C(host:port) or C([ipv6]:port).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.endpoints import endpoint_of
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import catalog


def instance_endpoints(instances_by_engine):
    if not isinstance(instances_by_engine, dict):
        raise AnsibleFilterError("instance_endpoints: the input must map engine names to instance lists")
    found = []
    for engine, instances in instances_by_engine.items():
        spec = (catalog.ENGINES.get(engine) or {}).get("endpoint")
        if spec is None:
            raise AnsibleFilterError("instance_endpoints: %r has no TCP endpoint; engines with one: %s" % (
                engine, ", ".join(name for name, entry in catalog.ENGINES.items() if entry["endpoint"])))
        for entry in instances or []:
            if not isinstance(entry, dict) or entry.get("delegate_to"):
                continue
            endpoint = endpoint_of(entry, spec)
            if endpoint and endpoint not in found:
                found.append(endpoint)
    return found


class FilterModule(object):
    def filters(self):
        return {"instance_endpoints": instance_endpoints}
