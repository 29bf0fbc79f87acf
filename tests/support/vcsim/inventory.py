# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test setup: changes to the simulated inventory, each through the real vSphere API (pyvmomi
calls the simulator answers), so that the collection is judged on what vCenter really returns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from pyVmomi import vim, vmodl  # pylint: disable=import-error

from vcsim import wait

GIB_KB = 1024 * 1024


def vms(content):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return dict((vm.name, vm) for vm in view.view)
    finally:
        view.DestroyView()


def properties(content, kind, paths):
    """{name: {path: value}} of every object of `kind`, in one retrieval: the simulator panics when
    an unset property (a VM's snapshot when it has none) is fetched on its own."""
    collector = vmodl.query.PropertyCollector
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        spec = collector.FilterSpec(
            objectSet=[collector.ObjectSpec(obj=view, skip=True, selectSet=[collector.TraversalSpec(
                name="view", type=vim.view.ContainerView, path="view", skip=False)])],
            propSet=[collector.PropertySpec(type=kind, pathSet=["name"] + list(paths))])
        found = content.propertyCollector.RetrieveContents([spec])
    finally:
        view.DestroyView()
    out = {}
    for item in found:
        values = dict((p.name, p.val) for p in item.propSet)
        out[values["name"]] = values
    return out


def devices(vm, kind):
    return [d for d in vm.config.hardware.device if isinstance(d, kind)]


def reconfigure(vm, **spec):
    wait(vm.ReconfigVM_Task(vim.vm.ConfigSpec(**spec)))


def edit(device):
    return vim.vm.device.VirtualDeviceSpec(operation="edit", device=device)


def add(device):
    return vim.vm.device.VirtualDeviceSpec(operation="add", device=device)


def make_healthy(vm):
    """What the simulator leaves out of a backup-ready VM: CBT on and a 60 GiB system disk."""
    disk = devices(vm, vim.vm.device.VirtualDisk)[0]
    disk.capacityInKB = 60 * GIB_KB
    disk.capacityInBytes = None
    reconfigure(vm, changeTrackingEnabled=True, deviceChange=[edit(disk)])


def take_snapshot(vm, name):
    wait(vm.CreateSnapshot_Task(name, "taken by the tests", False, False))


def set_cbt(vm, enabled):
    reconfigure(vm, changeTrackingEnabled=enabled)


def make_independent(vm, mode="independent_persistent"):
    disk = devices(vm, vim.vm.device.VirtualDisk)[0]
    disk.backing.diskMode = mode
    reconfigure(vm, deviceChange=[edit(disk)])


def share_bus(vm, mode="physicalSharing"):
    controller = devices(vm, vim.vm.device.VirtualSCSIController)[0]
    controller.sharedBus = mode
    reconfigure(vm, deviceChange=[edit(controller)])


def set_multiwriter(vm):
    disk = devices(vm, vim.vm.device.VirtualDisk)[0]
    disk.backing.sharing = "sharingMultiWriter"
    reconfigure(vm, deviceChange=[edit(disk)])


def add_vgpu(vm, profile="grid_p40-2q"):
    backing = vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu=profile)
    reconfigure(vm, deviceChange=[add(vim.vm.device.VirtualPCIPassthrough(key=-100, backing=backing))])


def add_sriov(vm):
    backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network")
    reconfigure(vm, deviceChange=[add(vim.vm.device.VirtualSriovEthernetCard(key=-101, backing=backing))])


def add_nic(vm):
    backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network")
    reconfigure(vm, deviceChange=[add(vim.vm.device.VirtualVmxnet3(key=-102, backing=backing))])


def rename(vm, name):
    wait(vm.Rename_Task(name))


def set_hardware(vm, version):
    reconfigure(vm, version=version)


def set_attribute(content, vm, name, value):
    manager = content.customFieldsManager
    field = next((f for f in manager.field if f.name == name), None) or manager.AddCustomFieldDef(
        name=name, moType=vim.VirtualMachine)
    manager.SetField(entity=vm, key=field.key, value=value)


def move_into(folder, vm):
    wait(folder.MoveIntoFolder_Task([vm]))


def deny(content, entity, principal):
    """vSphere's "No access" role for `principal` on `entity`, propagated to its children."""
    no_access = next(r.roleId for r in content.authorizationManager.roleList if r.name == "NoAccess")
    content.authorizationManager.SetEntityPermissions(entity, [vim.AuthorizationManager.Permission(
        principal=principal, group=False, roleId=no_access, propagate=True)])
