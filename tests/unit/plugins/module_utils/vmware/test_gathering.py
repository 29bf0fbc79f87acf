"""VMware gathering on offline pyvmomi objects: records, names as a real vCenter escapes them,
withheld properties, inventory paths, the VM selection, the API version choice and the fault
classification."""

import socket
import time

import pytest
from pyVmomi import vim

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import REGISTRY, PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import connection as vmware_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import gathering

from ansible_collections.cloudbackup.precheck.tests.support.vmware_objects import DRIVER, disk, fields, inventory, record, vm


def params(**extra):
    values = dict((name, spec.get("default")) for name, spec in engine.ENGINE.argument_spec.items())
    values.update(hostname="vc01.example.com", username="backup@vsphere.local", password="pw-7f1c")
    values.update(extra)
    return values


def context_over(inv, **extra):
    """A real VmwareContext whose inventory is the given one (no vCenter is asked)."""
    ctx = engine.vmware_context(params(**extra))
    ctx.cached("inventory", lambda: inv)
    return ctx


def test_escaped_names_are_unescaped_and_kept_as_returned():
    rec = record("db%2fprod%25%5cx")
    assert rec["name"] == "db/prod%\\x" and rec["raw_name"] == "db%2fprod%25%5cx"
    assert gathering.unescape_name("a%2Fb%5Cc%25%2e") == "a/b\\c%%2e"  # only %25, %2f, %5c are escapes


def test_rdm_records_keep_mode_and_lun():
    rec = record("rdm", devices=[disk(rdm="physicalMode", lun="vml.0123"),
                                 disk(2001, "Hard disk 2", rdm="virtualMode", unit=1)])
    physical, virtual = [d for d in rec["devices"] if d["kind"] == "disk"]
    assert (physical["rdm"], physical["compatibility_mode"], physical["lun"]) == (True, "physicalMode", "vml.0123")
    assert virtual["compatibility_mode"] == "virtualMode" and physical["capacity_bytes"] == 60 * 1024 ** 3


def test_withheld_properties_name_the_privilege():
    rec = record("hidden", withheld=[("config.hardware.device", "System.Read"), ("snapshot", None)])
    assert rec["missing"] == {"config.hardware.device": "System.Read", "snapshot": "vmodl.MethodFault"}
    assert rec["devices"] == []


def test_withheld_property_is_a_permission_error_for_that_vm_only():
    inv = inventory(vm("vm-1", "open"), vm("vm-2", "closed", withheld=[("config.hardware.device", "System.Read")]))
    ctx = context_over(inv, label="prod")
    results = REGISTRY["vmware.shared_scsi"].run(ctx)
    by_target = dict((r["target"], r) for r in results)
    assert by_target["prod (vc01.example.com)/DC0/open"]["status"] == "passed"
    closed = by_target["prod (vc01.example.com)/DC0/closed"]
    assert (closed["status"], closed["cause"], closed["code"]) == ("error", "permission", "not_readable")
    assert "System.Read" in closed["message"] and "closed" in closed["message"]
    assert "govc permissions.set -principal backup@vsphere.local -role ReadOnly" in closed["remediation"]


def test_inventory_paths_hosts_and_clusters():
    inv = inventory(vm("vm-1", "a", parent="group-v7"), vm("vm-2", "b", host="host-2"))
    a, b = inv.vms
    assert (a["folder"], a["datacenter"], a["cluster"]) == ("/DC0/vm/Prod", "DC0", "C0")
    assert a["host_name"] == "esx01.example.com"
    assert (b["folder"], b["cluster"], b["host_name"]) == ("/DC0/vm", None, "esx02.example.com")
    assert inv.path("host-1") == "/DC0/host/C0/esx01.example.com"
    assert "/DC0/vm/Prod" in inv.folders() and inv.clusters() == {"C0"}


def test_selection_by_names_globs_folders_clusters_tags_and_attributes():
    inv = inventory(
        vm("vm-1", "db-01", parent="group-v7", tags=["gold"], attributes={1: "gold"}),
        vm("vm-2", "db-02", host="host-2"),
        vm("vm-3", "web-01", parent="group-v7"),
        vm("vm-4", "tpl-db", template=True),
        extra=[fields(k1="backup")])

    def names(**selection):
        selected, unmatched = gathering.select_vms(inv, selection)
        return sorted(v["name"] for v in selected), unmatched

    assert names() == (["db-01", "db-02", "web-01"], [])
    assert names(include_templates=True)[0] == ["db-01", "db-02", "tpl-db", "web-01"]
    assert names(vm_names=["db-*"]) == (["db-01", "db-02"], [])
    assert names(vm_names=["db-*"], vm_folders=["DC0/vm/Prod/"]) == (["db-01"], [])
    assert names(vm_clusters=["C*"]) == (["db-01", "web-01"], [])
    assert names(vm_tags=["gold"]) == (["db-01"], [])
    assert names(vm_attributes={"backup": "go*"}) == (["db-01"], [])
    assert names(vm_names=["nosuch", "web-01"], vm_folders=["/DC0/vm/Gone"], vm_clusters=["C9"], vm_tags=["x"],
                 vm_attributes={"backup": "silver"}) == ([], [
                     ("vm_names", "nosuch"), ("vm_folders", "/DC0/vm/Gone"), ("vm_clusters", "C9"), ("vm_tags", "x"),
                     ("vm_attributes", "backup=silver")])


def test_two_vms_of_one_name_get_their_moid_in_the_target():
    inv = inventory(vm("vm-1", "app"), vm("vm-2", "app", parent="group-v7"), vm("vm-3", "other"))
    selected, _unmatched = gathering.select_vms(inv, {})
    assert sorted(v["path"] for v in selected) == ["DC0/app (vm-1)", "DC0/app (vm-2)", "DC0/other"]


def test_api_version_is_the_newest_both_sides_know():
    xml = (b"<namespaces version='1.0'><namespace><name>urn:vim25</name><version>6.7.3</version><priorVersions>"
           b"<version>6.5</version><version>6.0</version></priorVersions></namespace></namespaces>")
    assert vmware_conn.choose_version(xml, DRIVER) == "vim.version.version15"
    assert vmware_conn.choose_version(b"<html>not vSphere</html>", DRIVER) is None
    assert vmware_conn.choose_version(b"not xml", DRIVER) is None


def test_faults_are_classified():
    where = "vc01.example.com"
    login = vmware_conn.classify_fault(vim.fault.InvalidLogin(), where, "logging in", DRIVER)
    assert login.cause == "login_failed" and "backup@vsphere.local" in login.remediation
    denied = vmware_conn.classify_fault(vim.fault.NoPermission(privilegeId="System.View", object=vim.Folder("group-v7")),
                                        where, "reading the inventory", DRIVER)
    assert denied.cause == "permission" and denied.details["privilege"] == "System.View"
    assert "System.View" in denied.message and "group-v7" in denied.message
    assert vmware_conn.classify_fault(socket.timeout("timed out"), where, "x", DRIVER).cause == "timeout"
    assert vmware_conn.classify_fault(vim.fault.NotAuthenticated(), where, "x", DRIVER).cause == "login_failed"


def test_validation_names_the_option_and_the_valid_form(tmp_path):
    problems = engine.ENGINE.problems(params(port=0, connect_timeout=0, ca_path=str(tmp_path / "none.pem"),
                                      min_vcenter_version="six", esxi_ports=[902, 70000],
                                      datastore_min_free_percent=150, vm_folders=["/"]))
    text = "; ".join(problems)
    for expected in ("port: 0 is out of range (valid: a number from 1 to 65535)",
                     "connect_timeout: 0 is out of range (valid: a number greater than 0 and at most 86400)",
                     "ca_path: %s is not an existing file" % (tmp_path / "none.pem"),
                     "min_vcenter_version: 'six' is not a version", "esxi_ports: 70000 is out of range",
                     "datastore_min_free_percent: 150 is out of range (valid: a number from 0 to 100)",
                     "vm_folders: '/' is not an inventory path"):
        assert expected in text
    assert engine.ENGINE.problems(params()) == []


def test_a_call_that_never_returns_is_a_timeout_at_its_deadline():
    started = time.monotonic()
    with pytest.raises(PrecheckError) as raised:
        vmware_conn.bounded(lambda: time.sleep(30), 0.3, "reading the inventory", "vc01.example.com")
    assert raised.value.cause == "timeout" and "within 0.3s while reading the inventory" in raised.value.message
    assert time.monotonic() - started < 2
    with pytest.raises(ZeroDivisionError):
        vmware_conn.bounded(lambda: 1 // 0, 5, "x", "vc01")
