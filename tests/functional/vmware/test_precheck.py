"""The VMware engine through ansible-playbook and the role, against govmomi's vCenter simulator on
127.0.0.1 (tests/support/vcsim). The tests change the simulated inventory through the real vSphere
API (a snapshot, CBT off, an independent disk, bus sharing, a vGPU, SR-IOV, a multi-writer disk,
forbidden characters, vmx-07, vCenter 6.5, a standalone ESXi, a No Access folder), then one
playbook run at -vvv checks every configured vCenter: the fact, the report files, the terminal
report and the gate are asserted; no password may appear anywhere, and the collection must leave
the inventory as it found it, logged out."""

import json
import socket
import sys
import time

import pytest
from pyVmomi import vim

from endpoints import SilentListener, closed_port, self_signed_cert
from harness import fact_play, run_playbook
from results import assert_visible as result
from vcsim import Vcsim
from vcsim import inventory as inv

ADMIN, PASSWORD = "administrator@vsphere.local", "Vc-pw;7f3e'91\"x"
LIMITED, LIMITED_PASSWORD = "auditor@vsphere.local", "Aud-pw-2c81d0"
WRONG_PASSWORD = "Wrong-vc-pw-55e1a9"
SECRETS = (PASSWORD, LIMITED_PASSWORD, WRONG_PASSWORD)
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
         "cloudbackup_precheck_host_checks": []}
# The simulator's cluster hosts get loopback names (reachable), its standalone host a name that
# does not resolve.
HOST_NAMES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "esx-gone.invalid")


def esxi_listeners():
    """Two ports open on each loopback ESXi address, for esxi_ports."""
    for _attempt in range(20):
        sockets = []
        try:
            for _port in range(2):
                first = socket.socket()
                first.bind(("127.0.0.1", 0))
                port = first.getsockname()[1]
                sockets.append(first)
                for address in HOST_NAMES[1:3]:
                    other = socket.socket()
                    other.bind((address, port))
                    sockets.append(other)
        except OSError:
            for sock in sockets:
                sock.close()
            continue
        for sock in sockets:
            sock.listen(16)
        return sockets, sorted(set(s.getsockname()[1] for s in sockets))
    raise RuntimeError("no port free on every loopback ESXi address")


def state(content):
    """What the collection must not change: each VM's name, snapshots, devices, version and CBT,
    and the permissions."""
    paths = ("config.version", "config.changeTrackingEnabled", "config.hardware.device", "snapshot", "parent")
    out = {}
    for name, values in inv.properties(content, vim.VirtualMachine, paths).items():
        snapshots = values.get("snapshot")
        out[name] = (values["config.version"], values.get("config.changeTrackingEnabled"),
                     len(values["config.hardware.device"]), len(snapshots.rootSnapshotList) if snapshots else 0,
                     str(values["parent"]))
    out["permissions"] = sorted((str(p.entity), p.principal, p.roleId)
                                for p in content.authorizationManager.RetrieveAllPermissions())
    return out


def setup_lab(content):
    vms = inv.vms(content)
    healthy, broken, shared, hidden = (vms["DC0_C0_RP0_VM1"], vms["DC0_C0_RP0_VM0"], vms["DC0_H0_VM0"],
                                       vms["DC0_H0_VM1"])
    inv.make_healthy(healthy)
    inv.rename(healthy, "app-healthy")
    inv.set_attribute(content, healthy, "backup", "gold")
    inv.take_snapshot(broken, "pre-upgrade")
    inv.share_bus(broken)
    inv.make_independent(broken)
    inv.add_vgpu(broken, "grid_p40-2q")
    inv.set_hardware(broken, "vmx-07")
    inv.set_cbt(broken, False)
    inv.rename(broken, "db(01)/prod#")
    inv.make_healthy(shared)
    inv.set_multiwriter(shared)
    inv.add_sriov(shared)
    datacenter = content.rootFolder.childEntity[0]
    restricted = datacenter.vmFolder.CreateFolder("Restricted")
    inv.move_into(restricted, hidden)
    inv.deny(content, restricted, LIMITED)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Four simulators (vCenter 7.0.3 with findings, vCenter 6.5, a standalone ESXi, a vCenter with an
    unreadable version), one playbook run
    over every scenario at -vvv, the facts it saved, and the simulators' state before and after."""
    tmp_path = tmp_path_factory.mktemp("vmware")
    cert, key = self_signed_cert(tmp_path, "localhost")
    users = {ADMIN: PASSWORD, LIMITED: LIMITED_PASSWORD}
    sims = {"lab": Vcsim(tmp_path, users, host_names=HOST_NAMES, cert=cert, key=key),
            "old": Vcsim(tmp_path, users, version="6.5.0"),
            "esxi": Vcsim(tmp_path, users, esx=True),
            "odd": Vcsim(tmp_path, users, version="8.0 U2")}
    listeners, ports = esxi_listeners()
    silent = SilentListener().__enter__()
    try:
        for sim in sims.values():
            sim.start()
        admin = sims["lab"].login(ADMIN, PASSWORD)
        setup_lab(admin)
        before = state(admin)

        def vcenter(name, sim, **options):
            settings = {"name": name, "hostname": "127.0.0.1", "port": sim.port if sim else closed_port(),
                        "username": ADMIN, "password": PASSWORD, "validate_certs": False}
            settings.update(options)
            return settings

        lab_port = sims["lab"].port
        inventory = {"all": {"hosts": {
            "vc_lab": dict(LOCAL, cloudbackup_precheck_vmware_vcenters=[
                vcenter("lab", sims["lab"], hostname="localhost", validate_certs=True, ca_path=str(cert),
                        esxi_ports=ports, delegate_to="gateway"),
                vcenter("gold", sims["lab"], vm_names=["app-*", "db*"], vm_attributes={"backup": "gold"},
                        checks=["connection", "snapshots", "datastore_space"], datastore_min_free_percent=99),
            ]),
            "vc_versions": dict(LOCAL, cloudbackup_precheck_vmware_vcenters=[
                vcenter("old", sims["old"], checks=["connection", "vcenter_version"]),
                vcenter("esxi", sims["esxi"], checks=["connection", "vcenter_version"]),
                vcenter("odd", sims["odd"], checks=["connection", "vcenter_version"]),
            ]),
            "vc_faults": dict(LOCAL, cloudbackup_precheck_timeout=2, cloudbackup_precheck_vmware_vcenters=[
                vcenter("refused", None),
                {"name": "silent", "hostname": "127.0.0.1", "port": silent.port, "username": ADMIN,
                 "password": PASSWORD, "validate_certs": False},
                vcenter("wrong", sims["lab"], password=WRONG_PASSWORD),
                vcenter("unknown", sims["lab"], hostname="vcenter.invalid"),
                vcenter("untrusted", sims["lab"], hostname="localhost", validate_certs=True),
                vcenter("auditor", sims["lab"], username=LIMITED, password=LIMITED_PASSWORD,
                        vm_folders=["/DC0/vm/Restricted"], vm_names=["DC0_H0_VM1", "app-healthy"]),
                vcenter("auditor-all", sims["lab"], username=LIMITED, password=LIMITED_PASSWORD,
                        checks=["connection", "vm_name"]),
            ]),
            "gateway": dict(LOCAL),
        }}}
        facts = tmp_path / "facts"
        facts.mkdir()
        started = time.monotonic()
        run = run_playbook(tmp_path, inventory, playbook=fact_play(facts), verbosity=3, timeout=600)
        run.total = time.monotonic() - started
        run.facts = dict((path.stem, json.loads(path.read_text())) for path in facts.glob("*.json"))
        run.lab_port = lab_port
        run.before, run.after = before, state(admin)
        run.sessions = [s.userName for s in admin.sessionManager.sessionList]
        run.sims = sims
        yield run
    finally:
        silent.__exit__()
        for sock in listeners:
            sock.close()
        for sim in sims.values():
            sim.stop()
        assert not [name for name, sim in sims.items() if sim.running()], "a simulator is still running"


def lab_target(run, name="lab", host="localhost"):
    return "%s (%s:%d)" % (name, host, run.lab_port)


def test_connection_and_version_of_the_lab(lab):
    where = lab_target(lab)
    connection = result(lab, "vc_lab", "vmware.connection", where, "passed", "VMware vCenter Server 7.0.3",
                        "as %s" % ADMIN, "4 VMs selected of 4 VMs")
    assert connection["duration_ms"] < 10000
    result(lab, "vc_lab", "vmware.vcenter_version", where, "passed", "7.0.3", "6.7 or later")


def test_healthy_vm_passes_every_item(lab):
    target = lab_target(lab) + "/DC0/app-healthy"
    for check in ("snapshots", "consolidation", "datastore_space", "shared_scsi", "rdm_physical", "independent_disks",
                  "multiwriter", "passthrough", "sriov", "vm_name", "hardware_version", "cbt", "fault_tolerance",
                  "ecs_restore_target"):
        result(lab, "vc_lab", "vmware." + check, target, "passed", "app-healthy")


def test_broken_vm_fails_each_item_naming_the_device_or_setting(lab):
    target = lab_target(lab) + "/DC0/db(01)/prod#"
    name = "VM db(01)/prod#"
    result(lab, "vc_lab", "vmware.snapshots", target, "failed", name, "'pre-upgrade'",
           "This VM Has A Snapshot And Cannot Be Backed Up", "Get-Snapshot | Remove-Snapshot")
    result(lab, "vc_lab", "vmware.shared_scsi", target, "failed", "bus sharing physicalSharing",
           "Set-ScsiController -BusSharingMode NoSharing")
    result(lab, "vc_lab", "vmware.independent_disks", target, "failed", "disk mode independent_persistent",
           "Set-HardDisk -Persistence Persistent")
    result(lab, "vc_lab", "vmware.passthrough", target, "failed", "vGPU, profile grid_p40-2q",
           "Remove-PassthroughDevice", "govc device.remove -vm '/DC0/vm/db(01)/prod#'")
    result(lab, "vc_lab", "vmware.vm_name", target, "failed", "contains / ( ) #", "Set-VM -Name 'db-01--prod'")
    hardware = result(lab, "vc_lab", "vmware.hardware_version", target, "failed", "vmx-07, older than vmx-10",
                      "Set-VM -HardwareVersion vmx-10")
    assert hardware["impact"] == ["backup", "incremental_backup"]
    cbt = result(lab, "vc_lab", "vmware.cbt", target, "warning", "changed block tracking (config.changeTrackingEnabled) off",
                 "ChangeTrackingEnabled = $true")
    assert cbt["code"] == "vmware.cbt/cbt_off"
    result(lab, "vc_lab", "vmware.ecs_restore_target", target, "failed", "0.0 GiB, outside 40-500 GiB",
           "vmx-07 is older than vmx-10")


def test_shared_disk_vm_fails_multiwriter_and_sriov(lab):
    target = lab_target(lab) + "/DC0/DC0_H0_VM0"
    result(lab, "vc_lab", "vmware.multiwriter", target, "failed", "a multi-writer disk", "Sharing: No sharing")
    result(lab, "vc_lab", "vmware.sriov", target, "failed", "an SR-IOV network adapter", "VMXNET3")
    result(lab, "vc_lab", "vmware.ecs_restore_target", target, "failed", "2 network adapters")


def test_gateway_reaches_vcenter_and_names_the_esxi_host_that_does_not_resolve(lab):
    where = lab_target(lab)
    result(lab, "vc_lab", "vmware.gateway_reach", where, "passed", "vCenter localhost")
    reach = [r for r in lab.results("vc_lab") if r["id"] == "vmware.gateway_reach" and "/host/" in r["target"]]
    by_name = dict((r["details"]["name"], r) for r in reach if r["target"].startswith(where))
    gone = by_name["esx-gone.invalid"]
    assert (gone["status"], gone["cause"], gone["code"]) == ("failed", "dns", "vmware.gateway_reach/esxi_dns")
    assert gone["target"] == where + "/DC0/host/DC0_H0/esx-gone.invalid"
    assert "DC0_H0_VM0" in gone["message"] and "/etc/hosts" in gone["remediation"]
    assert [r["status"] for name, r in by_name.items() if name != "esx-gone.invalid"] == \
        ["passed"] * (len(by_name) - 1) and len(by_name) >= 2


def test_selection_by_glob_and_custom_attribute(lab):
    where = lab_target(lab, "gold", "127.0.0.1")
    result(lab, "vc_lab", "vmware.connection", where, "passed", "1 VM selected of 4 VMs")
    result(lab, "vc_lab", "vmware.snapshots", where + "/DC0/app-healthy", "passed")
    result(lab, "vc_lab", "vmware.datastore_space", where + "/DC0/app-healthy", "failed", "below 99 %")
    assert set(r["id"] for r in lab.results("vc_lab") if r["target"].startswith(where)) == {
        "vmware.connection", "vmware.snapshots", "vmware.datastore_space"}


def test_old_vcenter_and_standalone_esxi_fail_the_version(lab):
    old = "old (127.0.0.1:%d)" % lab.sims["old"].port
    result(lab, "vc_versions", "vmware.vcenter_version", old, "failed", "runs VMware vCenter Server 6.5.0",
           "older than 6.7", "Upgrade vCenter Server to 6.7 or later")
    esxi = "esxi (127.0.0.1:%d)" % lab.sims["esxi"].port
    found = result(lab, "vc_versions", "vmware.vcenter_version", esxi, "failed", "apiType HostAgent",
                   "vCenter Server that manages this host")
    assert found["code"] == "vmware.vcenter_version/not_vcenter"
    odd = "odd (127.0.0.1:%d)" % lab.sims["odd"].port
    result(lab, "vc_versions", "vmware.vcenter_version", odd, "warning", "reports the version '8.0 U2'",
           "Help > About VMware vSphere")


@pytest.mark.parametrize("name, cause, fragments", [
    ("refused", "refused", ("refused the connection",)),
    ("silent", "timeout", ("did not answer the TLS handshake within 2s",)),
    ("wrong", "login_failed", ("InvalidLogin", "Single Sign On")),
    ("unknown", "dns", ("vcenter.invalid does not resolve",)),
    ("untrusted", "tls", ("is not trusted", "ca_path")),
])
def test_faults_are_classified_within_the_timeout(lab, name, cause, fragments):
    found = [r for r in lab.results("vc_faults") if r["id"] == "vmware.connection" and r["target"].startswith(name + " (")]
    assert len(found) == 1, found
    connection = found[0]
    assert (connection["status"], connection["cause"]) == ("error", cause), connection
    for fragment in fragments:
        assert fragment in connection["message"] + connection["remediation"], connection
    assert connection["duration_ms"] < 6000
    others = [r for r in lab.results("vc_faults") if r["target"] == connection["target"] and r["id"] != connection["id"]]
    assert others and all(r["cause"] == "dependency" for r in others)


def test_user_without_privileges_on_a_folder(lab):
    where = "auditor (127.0.0.1:%d)" % lab.lab_port
    result(lab, "vc_faults", "vmware.connection", where, "passed", "as %s" % LIMITED, "0 VMs selected of 3 VMs")
    folder = result(lab, "vc_faults", "vmware.connection", where + "/DC0/vm/Restricted", "error",
                    "vm_folders: /DC0/vm/Restricted matches nothing", "System.View", "govc permissions.set")
    assert folder["cause"] == "permission"
    hidden = result(lab, "vc_faults", "vmware.connection", where + "/DC0_H0_VM1", "error", "no VM named 'DC0_H0_VM1'")
    assert hidden["cause"] == "permission"
    # The visible VM outside the folder is not checked: the folder option must hold too.
    assert not [r for r in lab.results("vc_faults") if r["target"].startswith(where + "/DC0/app")]
    # With no VM selected, every VM item says so instead of passing.
    for check in ("snapshots", "consolidation", "datastore_space", "shared_scsi", "rdm_physical", "independent_disks",
                  "multiwriter", "passthrough", "sriov", "vm_name", "hardware_version", "cbt", "fault_tolerance",
                  "ecs_restore_target"):
        result(lab, "vc_faults", "vmware." + check, where, "skipped", "No VM of vCenter")
    everything = "auditor-all (127.0.0.1:%d)" % lab.lab_port
    names = set(r["target"].split("/DC0/", 1)[1] for r in lab.results("vc_faults")
                if r["id"] == "vmware.vm_name" and r["target"].startswith(everything))
    assert names == {"app-healthy", "db(01)/prod#", "DC0_H0_VM0"}


def test_fact_report_and_gate(lab):
    assert lab.rc == 2, lab
    for host in ("vc_lab", "vc_versions", "vc_faults"):
        assert lab.report["hosts"][host]["verdict"] == "blocked"
        assert lab.facts[host]["ready"] is False
    assert "precheck-junit.xml" in [p.name for p in lab.report_dir.iterdir()]
    assert "vmware.snapshots" in lab.markdown


def test_no_password_anywhere(lab):
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in lab.stdout
    texts = {"stdout": lab.stdout, "stderr": lab.stderr}
    for path in list(lab.report_dir.rglob("*")):
        if path.is_file():
            texts[str(path)] = path.read_text(errors="replace")
    texts["facts"] = json.dumps(lab.facts)
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, "a password appears in %s" % where


def test_the_collection_changed_nothing_and_logged_out(lab):
    assert lab.after == lab.before
    # Only the tests' own session is left: every module run logged out.
    assert lab.sessions == [ADMIN]
