# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn registered module results into the host fact and the gate message, for
playbooks of their own (the role builds the fact with the action cloudbackup.precheck.precheck_fact)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import fact, gate


def precheck_fact(registered, run_id, policy=None):
    """The `cloudbackup_precheck` fact: every result of this run and the gate's verdict on them."""
    try:
        return fact.build(registered, run_id, policy)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def gate_message(host_fact, host):
    """One line per blocking finding, with what to do and how to accept it."""
    return gate.gate_message(host_fact, host)


class FilterModule(object):
    def filters(self):
        return {"precheck_fact": precheck_fact, "gate_message": gate_message}
