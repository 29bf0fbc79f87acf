# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMware items about the snapshot a backup takes: no snapshot already there, no pending
consolidation, and room on the VM's datastores for the snapshot's delta disks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.common import get_vm, per_vm, ps, sh, vm_path

VENDOR_SNAPSHOT_MESSAGE = "This VM Has A Snapshot And Cannot Be Backed Up"
DATASTORE_MIN_FREE_PERCENT = 10.0
GIB = 1024.0 ** 3


def judge_snapshots(vm, target):
    snapshots = vm["snapshots"]
    details = {"snapshots": snapshots, "count": len(snapshots)}
    if not snapshots:
        return [R.passed(target, "VM %s has no snapshot." % vm["name"], details)]
    names = ", ".join("'%s'%s" % (s["name"], " (%s)" % s["created"][:19] if s["created"] else "")
                      for s in snapshots[:5])
    more = " and %d more" % (len(snapshots) - 5) if len(snapshots) > 5 else ""
    return [R.failed(
        target, "VM %s has %d snapshot%s (%s%s): the backup service refuses it (\"%s\")."
        % (vm["name"], len(snapshots), "" if len(snapshots) == 1 else "s", names, more, VENDOR_SNAPSHOT_MESSAGE),
        "Delete the snapshots once they are no longer needed: vSphere Client > VM %s > Snapshots > Manage "
        "Snapshots > Delete All; or PowerCLI: %s | Get-Snapshot | Remove-Snapshot -Confirm:$false; or govc "
        "snapshot.remove -vm %s '*'." % (vm["name"], get_vm(vm), sh(vm_path(vm))), details, code="has_snapshot")]


@register(
    "vmware.snapshots", "No VM has a snapshot", ("backup",),
    tags=("vm", "snapshot"),
    rule="snapshot.rootSnapshotList is empty; a VM with a snapshot cannot be backed up (\"%s\")."
         % VENDOR_SNAPSHOT_MESSAGE,
    permissions="System.Read on the VMs (snapshot).",
    versions="Any.",
)
def snapshots(ctx):
    return per_vm(ctx, judge_snapshots, ("snapshot",))


def judge_consolidation(vm, target):
    details = {"consolidation_needed": vm["consolidation_needed"]}
    if not vm["consolidation_needed"]:
        return [R.passed(target, "VM %s needs no disk consolidation." % vm["name"], details)]
    return [R.failed(
        target, "VM %s needs disk consolidation (runtime.consolidationNeeded): delta disks of a removed snapshot are "
        "left over, and the backup's own snapshot fails or grows the chain." % vm["name"],
        "Consolidate the disks: vSphere Client > VM %s > Snapshots > Consolidate; or PowerCLI: (%s).ExtensionData."
        "ConsolidateVMDisks_Task()." % (vm["name"], get_vm(vm)), details, code="consolidation_needed")]


@register(
    "vmware.consolidation", "No VM needs disk consolidation", ("backup",),
    tags=("vm", "snapshot"),
    rule="runtime.consolidationNeeded is false (left-over delta disks make the backup snapshot fail).",
    permissions="System.Read on the VMs.",
    versions="vCenter 5.0 and later.",
)
def consolidation(ctx):
    return per_vm(ctx, judge_consolidation, ("runtime.consolidationNeeded",))


def judge_datastores(vm, target, datastores, min_free_percent):
    rows, problems = [], []
    for moid in vm["datastores"]:
        store = datastores.get(moid)
        if store is None:
            problems.append(("hidden", "datastore %s is not visible to the account" % moid))
            continue
        capacity, free = store["capacity"] or 0, store["free"] or 0
        percent = 100.0 * free / capacity if capacity else 0.0
        rows.append({"name": store["name"], "capacity": capacity, "free": free, "free_percent": round(percent, 1),
                     "accessible": store["accessible"], "type": store["type"]})
        if store["accessible"] is False:
            problems.append(("inaccessible", "datastore %s is inaccessible" % store["name"]))
        elif percent < min_free_percent:
            problems.append(("low_space", "datastore %s has %.1f GiB free of %.1f GiB (%.1f %%, below %g %%)"
                             % (store["name"], free / GIB, capacity / GIB, percent, min_free_percent)))
    details = {"datastores": rows, "min_free_percent": min_free_percent}
    if not vm["datastores"]:
        return [R.warning(target, "VM %s is on no datastore the inventory shows, so the room for its snapshot "
                                  "cannot be judged." % vm["name"],
                          "Check the VM's storage in the vSphere Client (VM > Datastores).", details,
                          code="no_datastore")]
    if problems:
        if any(kind == "hidden" for kind, _text in problems):
            fix = "Give the account System.View and System.Read (Read-only) on the datastores of VM %s." % vm["name"]
        else:
            fix = ("Free space on the datastores (delete old snapshots and unused disks, or grow the datastore), or "
                   "move VM %s to a datastore with room: vSphere Client > VM > Migrate > Change storage only; or "
                   "PowerCLI: Move-VM -VM %s -Datastore <datastore>." % (vm["name"], ps(vm["name"])))
        return [R.failed(target, "VM %s: %s; the backup snapshot writes its delta disks there and fails when they "
                                 "run out of room." % (vm["name"], "; ".join(text for _kind, text in problems)),
                         fix, details, code=problems[0][0])]
    return [R.passed(target, "VM %s: %s." % (vm["name"], "; ".join(
        "datastore %s has %.1f %% free" % (r["name"], r["free_percent"]) for r in rows)), details)]


@register(
    "vmware.datastore_space", "The VMs' datastores have room for snapshot deltas", ("backup",),
    tags=("vm", "storage"),
    rule="Every datastore of the VM is accessible and has at least datastore_min_free_percent (10 %) free "
         "(Datastore.summary), for the delta disks of the backup snapshot.",
    permissions="System.Read on the VMs and their datastores.",
    versions="Any.",
    options=dict(datastore_min_free_percent=dict(type="float", minimum=0, maximum=100, default=DATASTORE_MIN_FREE_PERCENT, description=(
        "The free space, in percent of its capacity, that C(vmware.datastore_space) requires on each datastore of "
        "a VM for the delta disks of the backup snapshot.",
    ))),
)
def datastore_space(ctx):
    datastores = ctx.inventory().datastores
    minimum = ctx.params.get("datastore_min_free_percent")
    minimum = DATASTORE_MIN_FREE_PERCENT if minimum is None else minimum
    return per_vm(ctx, lambda vm, target: judge_datastores(vm, target, datastores, minimum), ("datastore",))
