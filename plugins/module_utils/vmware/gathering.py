# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMware gathering: the whole inventory in one PropertyCollector retrieval over a ContainerView,
turned into plain records that the judges read, and the VM selection.

One CreateContainerView over the root folder, one RetrievePropertiesEx (continued while vCenter
pages it) for VMs, vApps, hosts, compute resources, datastores, folders, datacenters and the custom
attribute definitions, one DestroyView. Never property by property or VM by VM: 1,000 VMs cost
what 10 do plus the transfer, and unset properties (a VM without snapshots) come back as absent
instead of being fetched on their own. Nothing here changes vCenter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import fnmatch
import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context, instance_target
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import connection as vmware_conn

VM_PROPERTIES = (
    "name", "parent", "parentVApp", "config.template", "config.version", "config.changeTrackingEnabled",
    "config.hardware.device", "config.ftInfo", "config.bootOptions", "snapshot", "runtime.host",
    "runtime.consolidationNeeded", "runtime.powerState", "datastore", "customValue", "tag",
)

# vCenter returns these three characters of entity names escaped (and only these).
_ESCAPED = re.compile(r"%(25|2[fF]|5[cC])")
_UNESCAPE = {"25": "%", "2f": "/", "5c": "\\"}
_GLOB = re.compile(r"[*?\[]")


def unescape_name(name):
    return _ESCAPED.sub(lambda m: _UNESCAPE[m.group(1).lower()], name or "")


def _moid(ref):
    return ref._moId if ref is not None else None  # pylint: disable=protected-access


# -- the retrieval ----------------------------------------------------------------------------

def property_specs(driver):
    vim, collector = driver["vim"], driver["vmodl"].query.PropertyCollector
    spec = collector.PropertySpec
    return [
        spec(type=vim.VirtualMachine, pathSet=list(VM_PROPERTIES)),
        spec(type=vim.VirtualApp, pathSet=["name", "parent", "parentFolder"]),
        spec(type=vim.HostSystem, pathSet=["name", "parent"]),
        spec(type=vim.ComputeResource, pathSet=["name", "parent"]),
        spec(type=vim.Datastore, pathSet=["name", "summary"]),
        spec(type=vim.Folder, pathSet=["name", "parent"]),
        spec(type=vim.Datacenter, pathSet=["name", "parent"]),
        spec(type=vim.CustomFieldsManager, pathSet=["field"]),
    ]


def retrieve_inventory(session):
    """Every ObjectContent of the inventory: one view, one retrieval (with its continuations)."""
    driver, content = session.driver, session.content
    vim, collector = driver["vim"], driver["vmodl"].query.PropertyCollector
    kinds = [vim.VirtualMachine, vim.VirtualApp, vim.HostSystem, vim.ComputeResource, vim.Datastore, vim.Folder,
             vim.Datacenter]

    def work():
        view = content.viewManager.CreateContainerView(content.rootFolder, kinds, True)
        try:
            traverse = collector.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)
            objects = [collector.ObjectSpec(obj=view, skip=True, selectSet=[traverse])]
            if content.customFieldsManager is not None:
                objects.append(collector.ObjectSpec(obj=content.customFieldsManager, skip=False))
            spec = collector.FilterSpec(objectSet=objects, propSet=property_specs(driver))
            result = content.propertyCollector.RetrievePropertiesEx([spec], collector.RetrieveOptions())
            found = []
            while result is not None:
                found.extend(result.objects or [])
                result = (content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
                          if result.token else None)
            return found
        finally:
            view.DestroyView()

    return session.call(work, "reading the inventory (one PropertyCollector retrieval)",
                        source=vmware_conn.CONNECTION_CHECK)


# -- plain records ----------------------------------------------------------------------------

def _missing(driver, content):
    """{path: privilege or fault name} for the properties vCenter would not give."""
    out = {}
    for missing in content.missingSet or []:
        fault = missing.fault  # pyvmomi gives the fault itself for the wire's LocalizedMethodFault
        privilege = getattr(fault, "privilegeId", None)
        out[missing.path] = privilege or (type(fault).__name__ if fault is not None else "unknown")
    return out


def device_record(device, driver):
    """A plain dict of one virtual device, with the fields the judges read."""
    vim = driver["vim"]
    dev = vim.vm.device
    record = {"key": device.key, "label": device.deviceInfo.label if device.deviceInfo else "device %s" % device.key,
              "type": type(device).__name__.rsplit(".", 1)[-1], "controller_key": device.controllerKey,
              "unit": device.unitNumber, "kind": "other"}
    backing = device.backing
    if isinstance(device, dev.VirtualDisk):
        rdm = isinstance(backing, dev.VirtualDisk.RawDiskMappingVer1BackingInfo)
        capacity = device.capacityInBytes or (device.capacityInKB or 0) * 1024
        record.update(kind="disk", capacity_bytes=capacity, rdm=rdm,
                      disk_mode=getattr(backing, "diskMode", None),
                      compatibility_mode=getattr(backing, "compatibilityMode", None) if rdm else None,
                      sharing=getattr(backing, "sharing", None),
                      file=getattr(backing, "fileName", None),
                      lun=getattr(backing, "deviceName", None) if rdm else None)
    elif isinstance(device, dev.VirtualSCSIController):
        record.update(kind="scsi_controller", bus=device.busNumber, shared_bus=device.sharedBus)
    elif isinstance(device, dev.VirtualController):
        record.update(kind="controller", bus=device.busNumber)
    elif isinstance(device, dev.VirtualPCIPassthrough):
        record.update(kind="passthrough", **_passthrough(backing, dev.VirtualPCIPassthrough))
    elif isinstance(device, dev.VirtualEthernetCard):
        record.update(kind="nic", sriov=isinstance(device, dev.VirtualSriovEthernetCard))
    return record


def _passthrough(backing, pci):
    if isinstance(backing, pci.VmiopBackingInfo):
        return {"mode": "vGPU", "detail": "profile %s" % (backing.vgpu or "unknown")}
    if isinstance(backing, pci.DynamicBackingInfo):
        allowed = ", ".join("%04x:%04x" % (d.vendorId & 0xFFFF, d.deviceId & 0xFFFF)
                            for d in backing.allowedDevice or [])
        return {"mode": "Dynamic DirectPath I/O", "detail": backing.customLabel or allowed or "dynamic"}
    if isinstance(backing, pci.DeviceBackingInfo):
        return {"mode": "DirectPath I/O", "detail": "%s at %s" % (backing.deviceName or "device", backing.id)}
    return {"mode": type(backing).__name__.rsplit(".", 1)[-1] if backing is not None else "PCI passthrough",
            "detail": ""}


def _snapshots(info):
    """The snapshot tree, flattened: [{name, created, id, depth}]."""
    out = []

    def walk(nodes, depth):
        for node in nodes or []:
            out.append({"name": node.name, "created": node.createTime.isoformat() if node.createTime else None,
                        "id": node.id, "depth": depth})
            walk(node.childSnapshotList, depth + 1)

    walk(getattr(info, "rootSnapshotList", None) if info is not None else None, 0)
    return out


def _boot_order(options, driver):
    boot = driver["vim"].vm.BootOptions
    out = []
    for entry in getattr(options, "bootOrder", None) or []:
        if isinstance(entry, boot.BootableDiskDevice):
            out.append({"kind": "disk", "key": entry.deviceKey})
        elif isinstance(entry, boot.BootableEthernetDevice):
            out.append({"kind": "network", "key": entry.deviceKey})
        else:
            out.append({"kind": type(entry).__name__.rsplit(".", 1)[-1]})
    return out


def hardware_number(version):
    match = re.match(r"^vmx-(\d+)$", version or "")
    return int(match.group(1)) if match else None


def vm_record(moid, props, missing, driver, fields):
    ft = props.get("config.ftInfo")
    devices = [device_record(d, driver) for d in props.get("config.hardware.device") or []]
    return {
        "moid": moid,
        "raw_name": props.get("name") or moid,
        "name": unescape_name(props.get("name") or moid),
        "parent": _moid(props.get("parent")),
        "vapp": _moid(props.get("parentVApp")),
        "template": bool(props.get("config.template")),
        "version": props.get("config.version"),
        "hardware": hardware_number(props.get("config.version")),
        "cbt": props.get("config.changeTrackingEnabled"),
        "ft": None if ft is None else {"role": getattr(ft, "role", None),
                                       "secondaries": len(getattr(ft, "instanceUuids", None) or []) - 1},
        "devices": devices,
        "boot_order": _boot_order(props.get("config.bootOptions"), driver),
        "snapshots": _snapshots(props.get("snapshot")),
        "host": _moid(props.get("runtime.host")),
        "consolidation_needed": bool(props.get("runtime.consolidationNeeded")),
        "power_state": props.get("runtime.powerState"),
        "datastores": [_moid(d) for d in props.get("datastore") or []],
        "attributes": dict((fields.get(v.key, str(v.key)), getattr(v, "value", None))
                           for v in props.get("customValue") or []),
        "tags": [t.key for t in props.get("tag") or []],
        "missing": missing,
    }


def build_inventory(contents, driver):
    """Plain records from the ObjectContents of retrieve_inventory()."""
    vim = driver["vim"]
    entities, vms, datastores, fields = {}, [], {}, {}
    for content in contents:
        if isinstance(content.obj, vim.CustomFieldsManager):
            for prop in content.propSet or []:
                fields.update((f.key, f.name) for f in prop.val or [])
    for content in contents:
        obj = content.obj
        props = dict((p.name, p.val) for p in content.propSet or [])
        moid = _moid(obj)
        if isinstance(obj, vim.CustomFieldsManager):
            continue
        if isinstance(obj, vim.VirtualMachine):
            vms.append(vm_record(moid, props, _missing(driver, content), driver, fields))
            continue
        if isinstance(obj, vim.Datastore):
            summary = props.get("summary")
            datastores[moid] = {
                "name": unescape_name(props.get("name") or getattr(summary, "name", None) or moid),
                "capacity": getattr(summary, "capacity", None), "free": getattr(summary, "freeSpace", None),
                "accessible": getattr(summary, "accessible", None), "type": getattr(summary, "type", None),
                "missing": _missing(driver, content)}
            continue
        kind = ("datacenter" if isinstance(obj, vim.Datacenter) else "host" if isinstance(obj, vim.HostSystem)
                else "cluster" if isinstance(obj, vim.ClusterComputeResource)
                else "compute" if isinstance(obj, vim.ComputeResource)
                else "vapp" if isinstance(obj, vim.VirtualApp) else "folder")
        entities[moid] = {"kind": kind, "name": unescape_name(props.get("name") or moid),
                          # a vApp's place in the folder tree is parentFolder; its parent is a resource pool
                          "parent": _moid(props.get("parentFolder") or props.get("parent"))}
    return Inventory(entities, vms, datastores)


class Inventory:
    """Entities by moid, with the paths and places a VM is selected and named by."""

    def __init__(self, entities, vms, datastores):
        self.entities = entities
        self.datastores = datastores
        for vm in vms:
            holder = vm["parent"] or vm["vapp"]
            vm["folder"] = self.path(holder) if holder else None
            vm["datacenter"] = self.datacenter(holder)
            host = entities.get(vm["host"]) or {}
            vm["host_name"] = host.get("name")
            compute = entities.get(host.get("parent")) or {}
            vm["cluster"] = compute.get("name") if compute.get("kind") == "cluster" else None
        self.vms = vms

    def chain(self, moid):
        seen = []
        while moid in self.entities and moid not in seen:
            seen.append(moid)
            moid = self.entities[moid]["parent"]
        return seen

    def path(self, moid):
        """The inventory path `/DC0/vm/Prod` (the root folder is not named)."""
        names = [self.entities[m]["name"] for m in self.chain(moid) if self.entities[m]["parent"]]
        return "/" + "/".join(reversed(names))

    def datacenter(self, moid):
        for m in self.chain(moid):
            if self.entities[m]["kind"] == "datacenter":
                return self.entities[m]["name"]
        return None

    def folders(self):
        return set(self.path(m) for m, e in self.entities.items() if e["kind"] in ("folder", "datacenter", "vapp")
                   and e["parent"])

    def clusters(self):
        return set(e["name"] for e in self.entities.values() if e["kind"] == "cluster")


# -- selection --------------------------------------------------------------------------------

def _normal_folder(path):
    return "/" + "/".join(p for p in str(path).split("/") if p)


def _matches(value, patterns):
    return any(fnmatch.fnmatchcase(value or "", p) for p in patterns)


def select_vms(inventory, params):
    """(selected VMs, unmatched [(option, entry)]). Within an option, any entry selects; across
    options, a VM must satisfy each option given. Templates only with include_templates."""
    names = params.get("vm_names") or []
    folders = [_normal_folder(f) for f in params.get("vm_folders") or []]
    clusters = params.get("vm_clusters") or []
    tags = params.get("vm_tags") or []
    attributes = params.get("vm_attributes") or {}
    candidates = [vm for vm in inventory.vms if params.get("include_templates") or not vm["template"]]

    def in_folder(vm, folder):
        return vm["folder"] is not None and (vm["folder"] == folder or vm["folder"].startswith(folder + "/"))

    def keep(vm):
        return ((not names or _matches(vm["name"], names)) and
                (not folders or any(in_folder(vm, f) for f in folders)) and
                (not clusters or _matches(vm["cluster"], clusters)) and
                (not tags or any(t in vm["tags"] for t in tags)) and
                all(_matches(str(vm["attributes"].get(k)) if k in vm["attributes"] else None, [str(v)])
                    for k, v in attributes.items()))

    selected = [vm for vm in candidates if keep(vm)]
    unmatched = [("vm_names", n) for n in names if not any(_matches(vm["name"], [n]) for vm in candidates)]
    known_folders = inventory.folders()
    unmatched += [("vm_folders", f) for f in folders if f not in known_folders]
    known_clusters = inventory.clusters()
    unmatched += [("vm_clusters", c) for c in clusters if not any(fnmatch.fnmatchcase(k, c) for k in known_clusters)]
    unmatched += [("vm_tags", t) for t in tags if not any(t in vm["tags"] for vm in candidates)]
    unmatched += [("vm_attributes", "%s=%s" % (k, v)) for k, v in attributes.items()
                  if not any(k in vm["attributes"] and _matches(str(vm["attributes"][k]), [str(v)])
                             for vm in candidates)]
    _name_targets(selected)
    return selected, unmatched


def _name_targets(vms):
    """`<datacenter>/<vm>`; two VMs of one name in one datacenter (other folders) get their moid."""
    seen = {}
    for vm in vms:
        seen.setdefault((vm["datacenter"], vm["name"]), []).append(vm)
    for (datacenter, name), group in seen.items():
        for vm in group:
            vm["path"] = "%s/%s" % (datacenter or "-", name if len(group) == 1 else "%s (%s)" % (name, vm["moid"]))


def is_glob(text):
    return bool(_GLOB.search(text))


# -- the context ------------------------------------------------------------------------------

def settings_from(params):
    return {
        "hostname": params["hostname"], "port": params.get("port") or 443,
        "username": params.get("username"), "password": params.get("password"),
        "validate_certs": params.get("validate_certs", True), "ca_path": params.get("ca_path"),
        "connect_timeout": float(params.get("connect_timeout") or 10.0),
        "call_timeout": float(params.get("call_timeout") or 120.0),
    }


class VmwareContext(Context):
    """One session per run, opened on first use and logged out at exit; the inventory read once."""

    def __init__(self, params):
        self.settings = settings_from(params)
        self.endpoint = vmware_conn.endpoint(self.settings["hostname"], self.settings["port"])
        super(VmwareContext, self).__init__(params, instance_target(self.endpoint, params.get("label")),
                                            secrets=[self.settings["password"]])

    def vm_target(self, vm):
        return "%s/%s" % (self.target, vm["path"])

    def session(self):
        def open_session():
            session = vmware_conn.connect(self.settings)
            atexit.register(session.logout)
            return session
        return self.cached("session", open_session)

    def about(self):
        def read():
            about = self.session().content.about
            return dict((k, getattr(about, k, None)) for k in (
                "name", "fullName", "version", "build", "apiType", "apiVersion", "instanceUuid", "productLineId"))
        return self.cached("about", read)

    def inventory(self):
        def read():
            session = self.session()
            return build_inventory(retrieve_inventory(session), session.driver)
        return self.cached("inventory", read)

    def selection(self):
        return self.cached("selection", lambda: select_vms(self.inventory(), self.params))

    def selected_vms(self):
        return self.selection()[0]

    def user(self):
        return self.settings["username"] or "(no user name)"


def not_readable(vm, paths, target, user):
    """The error a VM gets when vCenter withheld a property an item needs."""
    lacking = sorted(set(vm["missing"][p] for p in paths))
    return PrecheckError(
        "permission", "vCenter withheld %s of VM %s from %s (missing privilege %s): this item cannot judge it."
        % (", ".join(paths), vm["name"], user, ", ".join(lacking)),
        "Give %s at least the Read-only role (System.View, System.Read) on VM %s, propagated from its folder: "
        "vSphere Client > the VM's folder > Permissions > Add; or govc permissions.set -principal %s "
        "-role ReadOnly -propagate=true '%s'." % (user, vm["name"], user, vm.get("folder") or "/"),
        details={"missing": dict((p, vm["missing"][p]) for p in paths), "target": target})
