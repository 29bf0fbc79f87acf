# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bounded summary of a run that the role publishes with set_stats for AWX workflows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: precheck_stats
version_added: 0.2.0
short_description: Summarize the verdict of every host for ansible.builtin.set_stats
description:
  - Returns one short entry per host, the same few keys for every host and never a message or a
    result, so that the summary stays small for a fleet of thousands (in JSON, the host name and about 80 bytes per host).
  - A host counts as evaluated when its fact C(cloudbackup_precheck) is from its own current run (the
    role's C(_cloudbackup_precheck_run_id)), as the gate requires; any other host, for example one that
    was unreachable or failed before its checks ran, is V(not_evaluated), never ready.
  - The role publishes the result as C(cloudbackup_precheck_stats) with O(ansible.builtin.set_stats#module:aggregate=true);
    with C(serial), the entries of every batch are merged and the earlier hosts keep their verdicts.
author: cloudbackup.precheck developers (@cloudbackup)
positional: hosts, run_id
options:
  _input:
    description: The C(hostvars) of the play.
    type: dict
    required: true
  hosts:
    description: The hosts to summarize, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  run_id:
    description: The id of this run, published with the summary.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Publish the verdicts for the next node of an AWX workflow
  ansible.builtin.set_stats:
    data:
      cloudbackup_precheck_stats: "{{ hostvars | cloudbackup.precheck.precheck_stats(ansible_play_hosts_all, _cloudbackup_precheck_run_id) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The summary.
  type: dict
  contains:
    run_id:
      description: The O(run_id) given (with C(serial), each batch has its own; the last one stays).
      type: str
    hosts:
      description:
        - One entry per host, by inventory name, with C(verdict) (V(ready), V(blocked) or V(not_evaluated)),
          C(blocking) (the number of findings that block under the policy) and the number of results
          per status that needs attention (C(failed), C(error), C(warning)); zeros when not evaluated.
      type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

RUN_ID = "_cloudbackup_precheck_run_id"
COUNTED = ("failed", "error", "warning")


def _entry(host_vars):
    """Evaluated means a fact of the host's own current run, the condition the gate checks."""
    fact = host_vars.get("cloudbackup_precheck")
    run_id = host_vars.get(RUN_ID)
    if not isinstance(fact, Mapping) or run_id is None or fact.get("run_id") != run_id:
        entry = {"verdict": "not_evaluated", "blocking": 0}
        entry.update((status, 0) for status in COUNTED)
        return entry
    summary = fact.get("summary") or {}
    entry = {"verdict": "ready" if fact.get("ready") else "blocked", "blocking": len(fact.get("blocking") or [])}
    entry.update((status, int(summary.get(status, 0))) for status in COUNTED)
    return entry


def precheck_stats(hostvars, hosts, run_id):
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("precheck_stats: the input must be hostvars, got %s" % type(hostvars).__name__)
    if isinstance(hosts, (str, bytes)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("precheck_stats: hosts must be a list of inventory host names, got %r" % (hosts,))
    summary = {}
    for host in hosts:
        summary[host] = _entry(hostvars[host] if host in hostvars else {})
    return {"run_id": run_id, "hosts": summary}


class FilterModule(object):
    def filters(self):
        return {"precheck_stats": precheck_stats}
