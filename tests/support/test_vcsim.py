"""Tests of the vCenter simulator main (tests/support/vcsim): what it adds to govmomi's simulator
(accounts with passwords, No Access visibility, the reported version, ESXi host names), that it
refuses what vCenter refuses, and that stopping it leaves nothing running."""

import os
import ssl
import subprocess
import sys

import pytest
from pyVmomi import vim, vmodl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vcsim import Vcsim  # noqa: E402
from vcsim import inventory as inv  # noqa: E402
from endpoints import self_signed_cert  # noqa: E402

ADMIN, PASSWORD = "administrator@vsphere.local", "Adm-pw-1"
AUDITOR, AUDITOR_PASSWORD = "auditor@vsphere.local", "Aud-pw-2"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("vcsim")
    cert, key = self_signed_cert(tmp_path, "localhost")
    server = Vcsim(tmp_path, {ADMIN: PASSWORD, AUDITOR: AUDITOR_PASSWORD}, version="8.0.2",
                   host_names=["esx01.example.com"], cert=cert, key=key)
    server.cert = cert
    with server:
        yield server
    assert not server.running()


def test_tls_with_the_given_certificate_and_the_reported_version(sim):
    context = ssl.create_default_context(cafile=str(sim.cert))
    with context.wrap_socket(__import__("socket").create_connection(("127.0.0.1", sim.port), 5),
                             server_hostname="localhost") as tls:
        assert tls.version().startswith("TLS")
    about = sim.login(ADMIN, PASSWORD).about
    assert (about.apiType, about.version, about.fullName) == ("VirtualCenter", "8.0.2",
                                                              "VMware vCenter Server 8.0.2 build-0")


def test_only_the_configured_passwords_log_in(sim):
    with pytest.raises(vim.fault.InvalidLogin):
        sim.login(ADMIN, "not-the-password")
    with pytest.raises(vim.fault.InvalidLogin):
        sim.login("nobody@vsphere.local", PASSWORD)
    assert sim.login(AUDITOR, AUDITOR_PASSWORD).sessionManager.currentSession.userName == AUDITOR


def test_host_names_are_given_in_inventory_order(sim):
    names = sorted(inv.properties(sim.login(ADMIN, PASSWORD), vim.HostSystem, ()))
    assert names == ["DC0_C0_H1", "DC0_C0_H2", "DC0_H0", "esx01.example.com"]


def test_no_access_hides_a_folder_and_its_vms_from_that_user_only(sim):
    admin = sim.login(ADMIN, PASSWORD)
    vm = inv.vms(admin)["DC0_H0_VM1"]
    folder = admin.rootFolder.childEntity[0].vmFolder.CreateFolder("Secret")
    inv.move_into(folder, vm)
    inv.deny(admin, folder, AUDITOR)
    auditor = sim.login(AUDITOR, AUDITOR_PASSWORD)
    assert "DC0_H0_VM1" not in inv.vms(auditor) and "DC0_H0_VM0" in inv.vms(auditor)
    assert "DC0_H0_VM1" in inv.vms(admin)
    with pytest.raises(vim.fault.NoPermission) as denied:
        auditor.viewManager.CreateContainerView(vim.Folder(folder._moId, auditor.rootFolder._stub), [vim.VirtualMachine], True)
    assert denied.value.privilegeId == "System.View"


def test_a_wrong_call_fails_instead_of_being_agreed_with(sim):
    content = sim.login(ADMIN, PASSWORD)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vim.VirtualMachine("vm-does-not-exist", content.rootFolder._stub).Rename_Task("x")
    with pytest.raises(vmodl.fault.InvalidArgument):
        content.viewManager.CreateContainerView(content.rootFolder, [vim.Task], True)


def test_stop_leaves_nothing_running(tmp_path):
    server = Vcsim(tmp_path).start()
    pid = server.process.pid
    server.stop()
    assert not server.running()
    assert subprocess.run(["kill", "-0", str(pid)], capture_output=True, check=False).returncode != 0
