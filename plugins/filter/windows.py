# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter that judges a Windows host's PowerShell facts on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import windows_host as windows


def windows_host_precheck(raw, options, host):
    try:
        return windows.windows_precheck(raw, options, host)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"windows_host_precheck": windows_host_precheck}
