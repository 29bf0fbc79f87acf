# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the VMware items share: the loop over the selected VMs, and the names in remediations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.gathering import not_readable


def ps(text):
    """A PowerShell single-quoted string (PowerCLI commands in remediations)."""
    return "'%s'" % str(text).replace("'", "''")


def sh(text):
    """A POSIX shell single-quoted word (govc commands in remediations)."""
    return "'%s'" % str(text).replace("'", "'\\''")


def vm_path(vm):
    """The VM's inventory path for govc (`/DC0/vm/Prod/db01`)."""
    return "%s/%s" % (vm.get("folder") or "", vm["name"])


def get_vm(vm):
    return "Get-VM -Name %s" % ps(vm["name"])


def per_vm(ctx, judge, needs):
    """judge(vm, target) for every selected VM; a VM whose `needs` properties vCenter withheld
    gets a `permission` error of its own, and the others are still judged."""
    vms = ctx.selected_vms()
    if not vms:
        return [R.skipped(ctx.target, "No VM of vCenter %s is selected (vm_names, vm_folders, vm_clusters, vm_tags, "
                                      "vm_attributes), so there is nothing to judge." % ctx.endpoint)]
    out = []
    for vm in vms:
        target = ctx.vm_target(vm)
        withheld = [path for path in needs if path in vm["missing"]]
        if withheld:
            exc = not_readable(vm, withheld, target, ctx.user())
            out.append(R.error(target, exc.message, exc.cause, exc.remediation, exc.details, code="not_readable"))
            continue
        out.extend(judge(vm, target))
    return out
