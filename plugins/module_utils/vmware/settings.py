# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMware items about a VM's own settings: its name, its virtual hardware version, changed block
tracking (CBT) and Fault Tolerance."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.common import get_vm, per_vm, ps, sh, vm_path

# The characters the backup service refuses in VM names, in the vendor's order.
FORBIDDEN_CHARACTERS = "^~=;!/()[]{}@$\\&#%+"
MIN_HARDWARE = 10
MIN_CBT_HARDWARE = 7


def judge_name(vm, target):
    found = [c for c in FORBIDDEN_CHARACTERS if c in vm["name"]]
    details = {"name": vm["name"], "name_as_returned": vm["raw_name"], "forbidden": found}
    if not found:
        return [R.passed(target, "The name of VM %s has none of the characters %s."
                         % (vm["name"], FORBIDDEN_CHARACTERS), details)]
    suggestion = "".join("-" if c in FORBIDDEN_CHARACTERS else c for c in vm["name"]).strip("-") or "vm"
    return [R.failed(
        target, "The name of VM %s contains %s, which the backup service refuses in VM names (%s)."
        % (vm["name"], " ".join(found), FORBIDDEN_CHARACTERS),
        "Rename the VM (the guest is not affected): vSphere Client > right-click VM %s > Rename; or PowerCLI: %s | "
        "Set-VM -Name %s -Confirm:$false; or govc object.rename %s %s." % (
            vm["name"], get_vm(vm), ps(suggestion), sh(vm_path(vm)), sh(suggestion)),
        details, code="forbidden_characters")]


@register(
    "vmware.vm_name", "No VM name has a character the backup service refuses", ("backup",),
    tags=("vm",),
    rule="The name (unescaped first: vCenter returns %, / and \\ as %25, %2f and %5c) has none of "
         "^ ~ = ; ! / ( ) [ ] { } @ $ \\ & # % +.",
    permissions="System.View on the VMs (name).",
    versions="Any.",
)
def vm_name(ctx):
    return per_vm(ctx, judge_name, ("name",))


def judge_hardware(vm, target):
    number = vm["hardware"]
    details = {"version": vm["version"], "hardware": number, "minimum": "vmx-%02d" % MIN_HARDWARE}
    if number is None:
        return [R.warning(target, "VM %s reports the hardware version %r, which cannot be compared with vmx-%02d."
                          % (vm["name"], vm["version"], MIN_HARDWARE),
                          "Check the VM's compatibility in the vSphere Client (VM > Summary > Compatibility).",
                          details, code="unknown_version")]
    if number >= MIN_HARDWARE:
        return [R.passed(target, "VM %s has virtual hardware %s (vmx-%02d or later is supported)."
                         % (vm["name"], vm["version"], MIN_HARDWARE), details)]
    cbt = (" Below vmx-%02d changed block tracking is impossible too, so even after the upgrade only full backups "
           "run until CBT is enabled." % MIN_CBT_HARDWARE) if number < MIN_CBT_HARDWARE else ""
    return [R.failed(
        target, "VM %s has virtual hardware %s, older than vmx-%02d (ESXi 5.5 compatibility) that the backup "
        "service needs.%s" % (vm["name"], vm["version"], MIN_HARDWARE, cbt),
        "Take a snapshot or backup first, power the VM off, then upgrade its compatibility: vSphere Client > VM %s > "
        "Actions > Compatibility > Upgrade VM Compatibility; or PowerCLI: %s | Set-VM -HardwareVersion vmx-%02d "
        "-Confirm:$false; or govc vm.upgrade -version=%d -vm %s." % (
            vm["name"], get_vm(vm), MIN_HARDWARE, MIN_HARDWARE, sh(vm_path(vm))),
        details, code="below_cbt" if cbt else "too_old")]


@register(
    "vmware.hardware_version", "Virtual hardware vmx-10 or later", ("backup", "incremental_backup"),
    tags=("vm", "version"),
    rule="config.version is vmx-10 or later; below vmx-07 changed block tracking is impossible as well.",
    permissions="System.Read on the VMs (config.version).",
    versions="Any.",
)
def hardware_version(ctx):
    return per_vm(ctx, judge_hardware, ("config.version",))


def judge_cbt(vm, target):
    details = {"change_tracking_enabled": vm["cbt"], "hardware": vm["version"]}
    if vm["cbt"]:
        return [R.passed(target, "VM %s has changed block tracking on: incremental backups read only the changed "
                                 "blocks." % vm["name"], details)]
    state = "off" if vm["cbt"] is False else "off (never set)"
    if vm["hardware"] is not None and vm["hardware"] < MIN_CBT_HARDWARE:
        return [R.warning(
            target, "VM %s cannot use changed block tracking: its hardware %s is below vmx-%02d, so every "
            "incremental backup reads its whole disks." % (vm["name"], vm["version"], MIN_CBT_HARDWARE),
            "Upgrade the VM's compatibility (see vmware.hardware_version), then enable CBT.", details,
            code="unsupported")]
    return [R.warning(
        target, "VM %s has changed block tracking (config.changeTrackingEnabled) %s: incremental backups read its "
        "whole disks instead of the changed blocks." % (vm["name"], state),
        "Enable CBT with PowerCLI: $spec = New-Object VMware.Vim.VirtualMachineConfigSpec; "
        "$spec.ChangeTrackingEnabled = $true; (%s).ExtensionData.ReconfigVM($spec); then take and delete a "
        "snapshot (or power-cycle the VM) so that it takes effect. In the vSphere Client: VM %s > Edit Settings > "
        "Advanced Parameters > ctkEnabled = TRUE, with the VM powered off." % (get_vm(vm), vm["name"]),
        details, code="cbt_off")]


@register(
    "vmware.cbt", "Changed block tracking on for incremental backups", ("incremental_backup",),
    tags=("vm", "cbt"),
    rule="config.changeTrackingEnabled is true; otherwise incremental backups read whole disks (warning).",
    permissions="System.Read on the VMs (config.changeTrackingEnabled).",
    versions="Virtual hardware vmx-07 or later.",
)
def cbt(ctx):
    return per_vm(ctx, judge_cbt, ("config.changeTrackingEnabled", "config.version"))


def judge_fault_tolerance(vm, target):
    details = {"fault_tolerance": vm["ft"]}
    if vm["ft"] is None:
        return [R.passed(target, "VM %s is not protected by Fault Tolerance." % vm["name"], details)]
    role = {1: "primary"}.get(vm["ft"].get("role"), "secondary")
    return [R.warning(
        target, "VM %s is the %s VM of a Fault Tolerance pair: snapshots of FT VMs are restricted (none with "
        "legacy FT; since vSphere 6.0 only those a backup application takes through VADP), so its backups may fail."
        % (vm["name"], role),
        "Check that the backup service supports FT VMs on this vSphere version; otherwise turn FT off for the "
        "backup window: vSphere Client > VM %s > Fault Tolerance > Turn Off Fault Tolerance." % vm["name"],
        details, code="fault_tolerance")]


@register(
    "vmware.fault_tolerance", "No VM is protected by Fault Tolerance", ("backup",),
    tags=("vm",),
    rule="config.ftInfo is unset; a VM in an FT pair warns (its snapshots are restricted).",
    permissions="System.Read on the VMs (config.ftInfo).",
    versions="Any.",
)
def fault_tolerance(ctx):
    return per_vm(ctx, judge_fault_tolerance, ("config.ftInfo",))
