"""Builders of the vSphere objects a PropertyCollector retrieval returns, made offline with the real
pyvmomi types, for what the simulator cannot build (physical RDMs, escaped names, withheld
properties) and for judging without a server."""

import datetime

from pyVmomi import vim, vmodl

from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import connection as vmware_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import gathering

DRIVER = vmware_conn.load_driver()
GIB_KB = 1024 * 1024
dev = vim.vm.device


def scsi(key=1000, bus=0, shared="noSharing"):
    return dev.ParaVirtualSCSIController(key=key, busNumber=bus, sharedBus=shared,
                                         deviceInfo=vim.Description(label="SCSI controller %d" % bus, summary=""))


def disk(key=2000, label="Hard disk 1", gib=60, mode="persistent", sharing="sharingNone", controller=1000, unit=0,
         rdm=None, lun="vml.0200000000600508b1001c"):
    """rdm: None (a VMDK), "physicalMode" or "virtualMode"."""
    if rdm:
        backing = dev.VirtualDisk.RawDiskMappingVer1BackingInfo(
            compatibilityMode=rdm, deviceName=lun, diskMode=mode, sharing=sharing,
            fileName="[ds1] vm/%s.vmdk" % label.replace(" ", ""))
    else:
        backing = dev.VirtualDisk.FlatVer2BackingInfo(diskMode=mode, sharing=sharing,
                                                      fileName="[ds1] vm/%s.vmdk" % label.replace(" ", ""))
    return dev.VirtualDisk(key=key, controllerKey=controller, unitNumber=unit, capacityInKB=int(gib * GIB_KB),
                           backing=backing, deviceInfo=vim.Description(label=label, summary=""))


def nic(key=4000, kind=dev.VirtualVmxnet3, label="Network adapter 1"):
    return kind(key=key, deviceInfo=vim.Description(label=label, summary=""),
                backing=dev.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network"))


def passthrough(key=13000, backing=None, label="PCI device 0"):
    return dev.VirtualPCIPassthrough(key=key, backing=backing, deviceInfo=vim.Description(label=label, summary=""))


def healthy_devices():
    return [scsi(), disk(), nic()]


def snapshot(name, children=()):
    return vim.vm.SnapshotTree(name=name, id=1, createTime=datetime.datetime(2026, 11, 30, 8, 0, 0),
                               childSnapshotList=list(children), snapshot=vim.vm.Snapshot("snapshot-1"))


def prop(name, value):
    if isinstance(value, list):  # an xsd:anyType value holds a typed array, as the deserializer builds it
        value = type(value[0]).Array(value)
    return vmodl.DynamicProperty(name=name, val=value)


def content(obj, props, withheld=()):
    """An ObjectContent; `withheld`: [(path, privilege)] that vCenter put in missingSet."""
    missing = [vmodl.query.PropertyCollector.MissingProperty(
        path=path, fault=vmodl.MethodFault(faultMessage=[]) if privilege is None else
        vim.fault.NoPermission(privilegeId=privilege, object=obj)) for path, privilege in withheld]
    return vmodl.query.PropertyCollector.ObjectContent(
        obj=obj, propSet=[prop(k, v) for k, v in props.items() if not (isinstance(v, list) and not v)], missingSet=missing)


def vm(moid, name, devices=None, parent="group-v3", version="vmx-13", cbt=True, snapshots=(), host="host-1",
       datastores=("datastore-1",), withheld=(), consolidation=False, ft=None, boot=None, template=False, tags=(),
       attributes=None):
    props = {
        "name": name, "parent": vim.Folder(parent), "config.template": template, "config.version": version,
        "config.changeTrackingEnabled": cbt,
        "config.hardware.device": healthy_devices() if devices is None else devices,
        "runtime.host": vim.HostSystem(host), "runtime.consolidationNeeded": consolidation,
        "runtime.powerState": "poweredOn", "datastore": [vim.Datastore(d) for d in datastores],
        "tag": [vim.Tag(key=t) for t in tags],
        "customValue": [vim.CustomFieldsManager.StringValue(key=k, value=v) for k, v in (attributes or {}).items()],
    }
    if snapshots:
        props["snapshot"] = vim.vm.SnapshotInfo(rootSnapshotList=list(snapshots))
    if ft:
        props["config.ftInfo"] = vim.vm.FaultToleranceConfigInfo(role=ft, instanceUuids=["a", "b"])
    if boot is not None:
        props["config.bootOptions"] = vim.vm.BootOptions(bootOrder=boot)
    for path, _privilege in withheld:
        props.pop(path, None)
    return content(vim.VirtualMachine(moid), props, withheld)


def entity(kind, moid, name, parent_kind=None, parent=None):
    props = {"name": name}
    if parent:
        props["parent"] = parent_kind(parent)
    return content(kind(moid), props)


def datastore(moid="datastore-1", name="ds1", capacity_gib=1000, free_gib=500, accessible=True):
    summary = vim.Datastore.Summary(name=name, capacity=capacity_gib * 1024 ** 3, freeSpace=free_gib * 1024 ** 3,
                                    accessible=accessible, type="VMFS", multipleHostAccess=True)
    return content(vim.Datastore(moid), {"name": name, "summary": summary})


def fields(**names):
    """The CustomFieldsManager's definitions: key -> name."""
    return content(vim.CustomFieldsManager("CustomFieldsManager"), {"field": [
        vim.CustomFieldsManager.FieldDef(key=int(k[1:]), name=n) for k, n in names.items()]})


def datacenter_objects(extra=()):
    """Root folder, datacenter DC0 with its vm folder (group-v3), a Prod subfolder (group-v7), a
    cluster C0 with host esx01.example.com (host-1), a standalone host esx02 (host-2), a datastore."""
    return [
        entity(vim.Folder, "group-d1", "Datacenters"),
        entity(vim.Datacenter, "datacenter-2", "DC0", vim.Folder, "group-d1"),
        entity(vim.Folder, "group-v3", "vm", vim.Datacenter, "datacenter-2"),
        entity(vim.Folder, "group-v7", "Prod", vim.Folder, "group-v3"),
        entity(vim.Folder, "group-h4", "host", vim.Datacenter, "datacenter-2"),
        entity(vim.ClusterComputeResource, "domain-c8", "C0", vim.Folder, "group-h4"),
        entity(vim.HostSystem, "host-1", "esx01.example.com", vim.ClusterComputeResource, "domain-c8"),
        entity(vim.ComputeResource, "domain-s9", "esx02.example.com", vim.Folder, "group-h4"),
        entity(vim.HostSystem, "host-2", "esx02.example.com", vim.ComputeResource, "domain-s9"),
        datastore(),
    ] + list(extra)


def inventory(*vms, **kwargs):
    return gathering.build_inventory(datacenter_objects(list(vms) + list(kwargs.get("extra", ()))), DRIVER)


def record(*args, **kwargs):
    """The plain record of one VM, as the judges get it (target path included)."""
    inv = inventory(vm("vm-1", *args, **kwargs))
    selected, _unmatched = gathering.select_vms(inv, {"include_templates": True})
    return selected[0]
