# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VMware engine: a vCenter's options (community.vmware's names), the VM selection, their
validation, and the context of a run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import access, devices, restore, settings
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import snapshots
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.connection import CONNECTION_ARGS
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.gathering import VmwareContext

SELECTION_ARGS = dict(
    vm_names=dict(type="list", elements="str", default=[], description=(
        "The VMs to check, by name or glob pattern (V(db-*), V(web-0?)), matched against the name as the vSphere "
        "Client shows it. Empty: every VM the account sees.",
    )),
    vm_folders=dict(type="list", elements="str", default=[], description=(
        "Only VMs in these folders or below them, as inventory paths V(/<datacenter>/vm/<folder>/...) (a datacenter "
        "alone, V(/DC1), selects all of its VMs).",
    )),
    vm_clusters=dict(type="list", elements="str", default=[], description=(
        "Only VMs running on a host of these clusters, by name or glob pattern.",
    )),
    vm_tags=dict(type="list", elements="str", default=[], description=(
        "Only VMs carrying one of these tags, as the PropertyCollector exposes them (C(ManagedEntity.tag)). The "
        "tags of the vSphere Automation API (C(cis/tagging)) are not visible to the vSphere API; select such VMs "
        "by folder, cluster or custom attribute instead.",
    )),
    vm_attributes=dict(type="dict", default={}, description=(
        "Only VMs whose custom attributes have these values (attribute name: value or glob pattern), for example "
        "V({backup: gold}).",
    )),
    include_templates=dict(type="bool", default=False, description=(
        "Also check VM templates (left out by default: they are not powered on or backed up as VMs).",
    )),
)

OPTIONS = dict(CONNECTION_ARGS)
OPTIONS.update(SELECTION_ARGS)

DESCRIPTION = (
    "Logs in once to a vCenter Server and runs a selection of the VMware check items over that session: whether "
    "each selected VM can be backed up (snapshots, shared SCSI buses, names, virtual hardware, CBT, RDM, "
    "independent and multi-writer disks, passthrough, SR-IOV, consolidation, Fault Tolerance, datastore space) and "
    "restored to a cloud instance, and whether this host (the backup gateway) reaches vCenter and the ESXi hosts.",
    "The whole inventory is read in one PropertyCollector retrieval over a ContainerView. Each VM is a target, "
    "C(<vcenter>/<datacenter>/<vm>). Read-only: nothing in vCenter is changed, and the session is logged out at the "
    "end.",
)

REQUIREMENTS = (
    "pyvmomi (C(pip install pyvmomi)) for the Python interpreter that runs the module, usually on the backup "
    "gateway (C(cloudbackup_precheck_vmware_vcenters[].delegate_to) in the role). Without it every check is an V(error) with "
    "cause V(driver_missing).",
)

NOTES = (
    "A connection failure is the V(error) result of C(vmware.connection), classified as V(dns), V(refused), "
    "V(timeout), V(tls), V(login_failed), V(permission), V(protocol) or V(driver_missing); the other checks of the "
    "task then say C(Not run) with cause V(dependency).",
    "What the account may not see is reported, never guessed: a selection entry that matches nothing, and a VM "
    "property vCenter withholds, are V(error) results with cause V(permission) naming the privilege.",
    "The options can be set once for every VMware module with C(module_defaults) and the action group "
    "C(group/cloudbackup.precheck.vmware).",
)

EXAMPLES = r"""
- name: Check every VM of a vCenter from the backup gateway
  cloudbackup.precheck.vmware_precheck:
    hostname: vcenter.example.com
    username: backup@vsphere.local
    password: "{{ vault_vcenter_password }}"
    ca_path: /etc/pki/vmca-root.pem
  delegate_to: backup-gateway
  register: vmware_checks

- name: Only the production folder and the gold VMs, without the restore item
  cloudbackup.precheck.vmware_precheck:
    hostname: vcenter.example.com
    username: backup@vsphere.local
    password: "{{ vault_vcenter_password }}"
    vm_folders: [/DC1/vm/Production]
    vm_attributes: {backup: gold}
    skip: [vmware.ecs_restore_target]

- name: Names only, and fail the task when a VM cannot be backed up
  cloudbackup.precheck.vmware_precheck:
    hostname: vcenter.example.com
    username: backup@vsphere.local
    password: "{{ vault_vcenter_password }}"
    vm_names: ["db-*", web01]
    checks: ["@vm"]
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0
"""


def validate(params):
    problems = []
    if not (params.get("hostname") or "").strip():
        problems.append("hostname: must not be empty (the vCenter Server name or address)")
    if access.parse_version(params.get("min_vcenter_version")) is None:
        problems.append("min_vcenter_version: %r is not a version (valid form: dotted numbers, for example 6.7)"
                        % (params.get("min_vcenter_version"),))
    for folder in params.get("vm_folders") or []:
        if not str(folder).strip("/"):
            problems.append("vm_folders: %r is not an inventory path (valid form: /<datacenter>/vm/<folder>)"
                            % (folder,))
    return problems


def vmware_context(params):
    return VmwareContext(params)


ENGINE = Engine("vmware", OPTIONS, vmware_context, validate=validate,
                items=(access, snapshots, devices, settings, restore),
                title="VMware vCenter", description=DESCRIPTION, examples=EXAMPLES, requirements=REQUIREMENTS,
                notes=NOTES, instances="vmware_vcenters", endpoint=dict(host="hostname", port="port"))
