# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VMware item about restoring or migrating a VM to a cloud instance (ECS): the limits the
cloud puts on the VM's boot disk, network adapters and virtual hardware."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.common import per_vm, ps
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.settings import MIN_HARDWARE

GIB = 1024 ** 3
BOOT_DISK_GIB = (40, 500)


def boot_disk(vm):
    """(disk, how it was chosen): the first disk of the boot order, else the disk at the lowest
    (controller bus, unit), which is what the BIOS or EFI tries first."""
    disks = [d for d in vm["devices"] if d["kind"] == "disk"]
    if not disks:
        return None, "no disk"
    by_key = dict((d["key"], d) for d in disks)
    for entry in vm["boot_order"]:
        if entry["kind"] == "disk" and entry.get("key") in by_key:
            return by_key[entry["key"]], "first disk of the boot order"
    buses = dict((d["key"], d.get("bus") or 0) for d in vm["devices"] if d["kind"] in ("scsi_controller", "controller"))
    return min(disks, key=lambda d: (buses.get(d["controller_key"], 0), d["unit"] or 0, d["key"])), \
        "lowest controller bus and unit"


def judge_restore_target(vm, target):
    disk, chosen = boot_disk(vm)
    nics = [d for d in vm["devices"] if d["kind"] == "nic"]
    size = disk["capacity_bytes"] / float(GIB) if disk else 0.0
    details = {"boot_disk": disk and disk["label"], "boot_disk_gib": round(size, 2), "boot_disk_chosen_by": chosen,
               "nics": [n["label"] for n in nics], "hardware": vm["version"]}
    problems, fixes = [], []
    low, high = BOOT_DISK_GIB
    if disk is None:
        problems.append("it has no disk")
    elif not low <= size <= high:
        problems.append("its system disk %s (%s) is %.1f GiB, outside %d-%d GiB"
                        % (disk["label"], chosen, size, low, high))
        fixes.append("grow the system disk to at least %d GiB (vSphere Client > Edit Settings > %s, then extend the "
                     "partition in the guest)" % (low, disk["label"]) if size < low else
                     "shrink the system to a disk of at most %d GiB inside the guest" % high)
    if len(nics) != 1:
        problems.append("it has %d network adapters (%s), and the cloud instance gets exactly one"
                        % (len(nics), ", ".join(n["label"] for n in nics) or "none"))
        fixes.append("keep one network adapter (vSphere Client > Edit Settings > remove the others; or PowerCLI: "
                     "Get-NetworkAdapter -VM %s)" % ps(vm["name"]))
    if vm["hardware"] is None or vm["hardware"] < MIN_HARDWARE:
        problems.append("its virtual hardware %s is older than vmx-%02d" % (vm["version"], MIN_HARDWARE))
        fixes.append("upgrade the VM compatibility to vmx-%02d or later (see vmware.hardware_version)" % MIN_HARDWARE)
    if not problems:
        return [R.passed(target, "VM %s fits a cloud instance: system disk %s %.1f GiB, one network adapter, "
                                 "hardware %s." % (vm["name"], disk["label"], size, vm["version"]), details)]
    return [R.failed(target, "VM %s cannot be restored or migrated to a cloud instance: %s."
                     % (vm["name"], "; ".join(problems)),
                     "Before restoring VM %s to ECS: %s." % (vm["name"], "; ".join(fixes)), details,
                     code="not_restorable")]


@register(
    "vmware.ecs_restore_target", "VMs fit a cloud instance for restore or migration", ("restore",),
    tags=("vm", "restore"),
    rule="For a restore or migration to an ECS instance: the system disk (the first disk of the boot order, else "
         "the lowest controller bus and unit) is 40-500 GiB, the VM has exactly one network adapter, and its "
         "hardware is vmx-10 or later.",
    permissions="System.Read on the VMs (config.hardware.device, config.bootOptions).",
    versions="Any.",
)
def ecs_restore_target(ctx):
    return per_vm(ctx, judge_restore_target, ("config.hardware.device", "config.bootOptions", "config.version"))
