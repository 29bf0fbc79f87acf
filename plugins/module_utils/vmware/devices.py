# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMware items about virtual devices that a VM snapshot, and so a backup, cannot handle: shared
SCSI buses, physical-mode RDMs, independent and multi-writer disks, PCI passthrough and vGPU,
SR-IOV network adapters. Each judge reads the plain device records of gathering.device_record."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.common import get_vm, per_vm, ps, sh, vm_path

DEVICES = ("config.hardware.device",)
POWER_OFF = "Power the VM off first (the change needs it)"


def devices_of(vm, kind):
    return [d for d in vm["devices"] if d["kind"] == kind]


def _labels(devices, describe):
    return "; ".join("%s (%s)" % (d["label"], describe(d)) for d in devices)


def _judge(vm, target, found, describe, what, passed_text, fix, code, details=None):
    details = dict(details or {}, devices=found)
    if not found:
        return [R.passed(target, "VM %s has %s." % (vm["name"], passed_text), details)]
    return [R.failed(target, "VM %s has %s: %s; %s" % (vm["name"], what, _labels(found, describe), fix[0]),
                     fix[1], details, code=code)]


def judge_shared_scsi(vm, target):
    found = [d for d in devices_of(vm, "scsi_controller") if d.get("shared_bus") not in (None, "noSharing")]
    return _judge(vm, target, found, lambda d: "bus %s, bus sharing %s" % (d["bus"], d["shared_bus"]),
                  "a shared SCSI bus", "no shared SCSI bus",
                  ("vSphere cannot snapshot a VM on a shared SCSI bus, so it cannot be backed up.",
                   "%s: vSphere Client > VM %s > Edit Settings > the SCSI controller > SCSI Bus Sharing: None; or "
                   "PowerCLI: Get-ScsiController -VM %s | Where-Object BusSharingMode -ne 'NoSharing' | "
                   "Set-ScsiController -BusSharingMode NoSharing. A clustered guest (WSFC) needs the shared bus: "
                   "back it up from inside the guest instead." % (POWER_OFF, vm["name"], ps(vm["name"]))),
                  "shared_bus")


@register(
    "vmware.shared_scsi", "No VM uses a shared SCSI bus", ("backup",),
    tags=("vm", "devices"),
    rule="Every VirtualSCSIController has sharedBus noSharing (physical or virtual bus sharing cannot be "
         "snapshotted).",
    permissions="System.Read on the VMs (config.hardware.device).",
    versions="Any.",
)
def shared_scsi(ctx):
    return per_vm(ctx, judge_shared_scsi, DEVICES)


def judge_rdm_physical(vm, target):
    disks = devices_of(vm, "disk")
    found = [d for d in disks if d.get("rdm") and d.get("compatibility_mode") == "physicalMode"]
    virtual = [d["label"] for d in disks if d.get("rdm") and d.get("compatibility_mode") != "physicalMode"]
    result = _judge(vm, target, found, lambda d: "LUN %s" % (d.get("lun") or d.get("file") or "unknown"),
                    "a physical-mode RDM disk", "no physical-mode RDM disk%s" % (
                        " (virtual-mode RDM %s can be snapshotted)" % ", ".join(virtual) if virtual else ""),
                    ("a physical-mode raw device mapping cannot be snapshotted or tracked by CBT, so the VM cannot "
                     "be backed up.",
                     "Convert the disk to virtual compatibility mode (%s: remove the RDM from the VM keeping its "
                     "LUN, then add it back as an RDM disk with Compatibility Mode Virtual in Edit Settings), or "
                     "migrate it to a VMDK with Storage vMotion; otherwise back the LUN's data up from inside the "
                     "guest." % POWER_OFF.lower()),
                    "physical_rdm", {"virtual_rdm": virtual})
    return result


@register(
    "vmware.rdm_physical", "No VM has a physical-mode RDM disk", ("backup", "incremental_backup"),
    tags=("vm", "devices", "disks"),
    rule="No VirtualDisk with a RawDiskMappingVer1BackingInfo in compatibilityMode physicalMode (virtual mode "
         "passes): neither snapshots nor CBT cover it.",
    permissions="System.Read on the VMs (config.hardware.device).",
    versions="Any.",
)
def rdm_physical(ctx):
    return per_vm(ctx, judge_rdm_physical, DEVICES)


def judge_independent(vm, target):
    found = [d for d in devices_of(vm, "disk") if str(d.get("disk_mode") or "").startswith("independent")]
    first = found[0]["label"] if found else "Hard disk 1"
    return _judge(vm, target, found, lambda d: "disk mode %s, %s" % (d["disk_mode"], d.get("file") or "no file"),
                  "an independent disk", "no independent disk",
                  ("snapshots leave independent disks out, so they are not backed up and CBT cannot track them.",
                   "%s, then make each disk dependent: vSphere Client > VM %s > Edit Settings > %s > Disk Mode: "
                   "Dependent; or PowerCLI: Get-HardDisk -VM %s -Name %s | Set-HardDisk -Persistence Persistent; or "
                   "govc vm.disk.change -vm %s -disk.label %s -mode persistent."
                   % (POWER_OFF, vm["name"], first, ps(vm["name"]), ps(first), sh(vm_path(vm)), sh(first))),
                  "independent_disk")


@register(
    "vmware.independent_disks", "No VM has an independent disk", ("backup", "incremental_backup"),
    tags=("vm", "devices", "disks"),
    rule="No VirtualDisk with diskMode independent_persistent or independent_nonpersistent.",
    permissions="System.Read on the VMs (config.hardware.device).",
    versions="Any.",
)
def independent_disks(ctx):
    return per_vm(ctx, judge_independent, DEVICES)


def judge_multiwriter(vm, target):
    found = [d for d in devices_of(vm, "disk") if d.get("sharing") == "sharingMultiWriter"]
    return _judge(vm, target, found, lambda d: d.get("file") or "multi-writer",
                  "a multi-writer disk", "no multi-writer disk",
                  ("vSphere cannot snapshot a disk shared for multi-writer access (Oracle RAC, clustered file "
                   "systems), so the VM cannot be backed up.",
                   "%s, then set the disk's sharing back: vSphere Client > VM %s > Edit Settings > the disk > "
                   "Sharing: No sharing; if the guests need the shared disk, back its data up from inside them "
                   "instead." % (POWER_OFF, vm["name"])),
                  "multi_writer")


@register(
    "vmware.multiwriter", "No VM has a multi-writer disk", ("backup",),
    tags=("vm", "devices", "disks"),
    rule="No VirtualDisk backing with sharing sharingMultiWriter (snapshots of it fail).",
    permissions="System.Read on the VMs (config.hardware.device).",
    versions="vSphere 6.0 and later (the sharing field).",
)
def multiwriter(ctx):
    return per_vm(ctx, judge_multiwriter, DEVICES)


def judge_passthrough(vm, target):
    found = devices_of(vm, "passthrough")
    govc = "govc device.remove -vm %s %s" % (sh(vm_path(vm)), " ".join("pcipassthrough-%s" % d["key"] for d in found))
    return _judge(vm, target, found, lambda d: "%s%s" % (d["mode"], ", " + d["detail"] if d["detail"] else ""),
                  "a PCI passthrough device", "no PCI passthrough or vGPU device",
                  ("PCI passthrough (DirectPath I/O) and vGPU devices cannot be snapshotted, so the VM cannot be "
                   "backed up.",
                   "%s, then remove the device if the VM can do without it: vSphere Client > VM %s > Edit Settings "
                   "> the PCI device > Remove; or PowerCLI: Get-PassthroughDevice -VM %s | Remove-PassthroughDevice "
                   "-Confirm:$false (DirectPath I/O); or %s. Otherwise back the VM up from inside the guest."
                   % (POWER_OFF, vm["name"], ps(vm["name"]), govc)),
                  "passthrough")


@register(
    "vmware.passthrough", "No VM has a PCI passthrough or vGPU device", ("backup",),
    tags=("vm", "devices"),
    rule="No VirtualPCIPassthrough device, whatever its backing: DirectPath I/O, vGPU (VmiopBackingInfo) or "
         "dynamic DirectPath.",
    permissions="System.Read on the VMs (config.hardware.device).",
    versions="Any.",
)
def passthrough(ctx):
    return per_vm(ctx, judge_passthrough, DEVICES)


def judge_sriov(vm, target):
    found = [d for d in devices_of(vm, "nic") if d.get("sriov")]
    return _judge(vm, target, found, lambda d: "SR-IOV passthrough adapter", "an SR-IOV network adapter",
                  "no SR-IOV network adapter",
                  ("an SR-IOV adapter is a passthrough device: the VM cannot be snapshotted, so it cannot be backed "
                   "up.",
                   "%s, then replace the SR-IOV adapter by a VMXNET3 adapter on the same port group: vSphere Client "
                   "> VM %s > Edit Settings > Network adapter > Adapter Type; or PowerCLI: %s | Get-NetworkAdapter | "
                   "Where-Object Type -eq 'SriovEthernetCard' (remove it, then New-NetworkAdapter -Type Vmxnet3)."
                   % (POWER_OFF, vm["name"], get_vm(vm))),
                  "sriov")


@register(
    "vmware.sriov", "No VM has an SR-IOV network adapter", ("backup",),
    tags=("vm", "devices", "network"),
    rule="No VirtualSriovEthernetCard (a passthrough network adapter, which cannot be snapshotted).",
    permissions="System.Read on the VMs (config.hardware.device).",
    versions="vSphere 5.5 and later.",
)
def sriov(ctx):
    return per_vm(ctx, judge_sriov, DEVICES)
