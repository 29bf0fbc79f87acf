"""VMware judges on VM records built from offline pyvmomi objects: every item in each status it
can return, with the VM and the device or setting named and a fix an administrator can follow."""

from pyVmomi import vim

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.probes import probe_tcp
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import access, devices, gathering, restore
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import settings
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware import snapshots as snapshot_items

from ansible_collections.cloudbackup.precheck.tests.support.vmware_objects import (
    DRIVER, datastore, dev, disk, inventory, nic, passthrough, record, scsi, snapshot, vm)
from ansible_collections.cloudbackup.precheck.tests.support.results import one

T = "vc01/DC0/app01"


def test_snapshots():
    assert one(snapshot_items.judge_snapshots(record("app01"), T))["status"] == "passed"
    result = one(snapshot_items.judge_snapshots(record("app01", snapshots=[snapshot("pre-patch", [snapshot("b")])]), T))
    assert (result["status"], result["code"]) == ("failed", "has_snapshot")
    assert "2 snapshots ('pre-patch' (2026-11-30T08:00:00), 'b'" in result["message"]
    assert "This VM Has A Snapshot And Cannot Be Backed Up" in result["message"]
    assert "Get-VM -Name 'app01' | Get-Snapshot | Remove-Snapshot -Confirm:$false" in result["remediation"]
    assert "govc snapshot.remove -vm '/DC0/vm/app01' '*'" in result["remediation"]


def test_consolidation():
    assert one(snapshot_items.judge_consolidation(record("app01"), T))["status"] == "passed"
    result = one(snapshot_items.judge_consolidation(record("app01", consolidation=True), T))
    assert result["status"] == "failed" and "Consolidate" in result["remediation"]


def test_datastore_space():
    def judge(**store):
        inv = inventory(vm("vm-1", "app01"), extra=[datastore(**store)])
        selected, _unmatched = gathering.select_vms(inv, {})
        return one(snapshot_items.judge_datastores(selected[0], T, inv.datastores, 10.0))
    assert judge()["status"] == "passed"
    low = judge(free_gib=50)
    assert (low["status"], low["code"]) == ("failed", "low_space")
    assert "ds1 has 50.0 GiB free of 1000.0 GiB (5.0 %, below 10 %)" in low["message"]
    assert "Move-VM -VM 'app01'" in low["remediation"]
    assert judge(accessible=False)["code"] == "inaccessible"


def test_shared_scsi():
    assert one(devices.judge_shared_scsi(record("app01"), T))["status"] == "passed"
    result = one(devices.judge_shared_scsi(record("app01", devices=[scsi(shared="virtualSharing"), disk()]), T))
    assert result["status"] == "failed"
    assert "SCSI controller 0 (bus 0, bus sharing virtualSharing)" in result["message"]
    assert "Set-ScsiController -BusSharingMode NoSharing" in result["remediation"]


def test_rdm_physical_fails_and_virtual_passes():
    physical = one(devices.judge_rdm_physical(record("app01", devices=[scsi(), disk(rdm="physicalMode",
                                                                                    lun="vml.0200")]), T))
    assert (physical["status"], physical["code"]) == ("failed", "physical_rdm")
    assert "Hard disk 1 (LUN vml.0200)" in physical["message"]
    assert "Compatibility Mode Virtual" in physical["remediation"]
    virtual = one(devices.judge_rdm_physical(record("app01", devices=[scsi(), disk(rdm="virtualMode")]), T))
    assert virtual["status"] == "passed" and "virtual-mode RDM Hard disk 1" in virtual["message"]


def test_independent_disks():
    assert one(devices.judge_independent(record("app01"), T))["status"] == "passed"
    rec = record("app01", devices=[scsi(), disk(), disk(2001, "Hard disk 2", mode="independent_nonpersistent",
                                                        unit=1)])
    result = one(devices.judge_independent(rec, T))
    assert result["status"] == "failed" and "Hard disk 2 (disk mode independent_nonpersistent" in result["message"]
    assert "Get-HardDisk -VM 'app01' -Name 'Hard disk 2' | Set-HardDisk -Persistence Persistent" in result["remediation"]


def test_multiwriter():
    assert one(devices.judge_multiwriter(record("app01"), T))["status"] == "passed"
    result = one(devices.judge_multiwriter(record("app01", devices=[scsi(), disk(sharing="sharingMultiWriter")]), T))
    assert result["status"] == "failed" and "Hard disk 1" in result["message"]


def test_passthrough_kinds():
    pci = vim.vm.device.VirtualPCIPassthrough
    rec = record("app01", devices=[scsi(), disk(),
                                   passthrough(13000, pci.VmiopBackingInfo(vgpu="grid_t4-4q")),
                                   passthrough(13001, pci.DeviceBackingInfo(id="0000:3b:00.0", deviceName="NIC X",
                                                                            deviceId="0", systemId="s", vendorId=0),
                                               "PCI device 1"),
                                   passthrough(13002, pci.DynamicBackingInfo(customLabel="fpga", deviceName="",
                                                                             allowedDevice=[]), "PCI device 2")])
    result = one(devices.judge_passthrough(rec, T))
    assert result["status"] == "failed"
    for text in ("PCI device 0 (vGPU, profile grid_t4-4q)", "PCI device 1 (DirectPath I/O, NIC X at 0000:3b:00.0)",
                 "PCI device 2 (Dynamic DirectPath I/O, fpga)"):
        assert text in result["message"]
    assert "govc device.remove -vm '/DC0/vm/app01' pcipassthrough-13000 pcipassthrough-13001" in result["remediation"]
    assert one(devices.judge_passthrough(record("app01"), T))["status"] == "passed"


def test_sriov():
    assert one(devices.judge_sriov(record("app01"), T))["status"] == "passed"
    rec = record("app01", devices=[scsi(), disk(), nic(4001, dev.VirtualSriovEthernetCard, "Network adapter 2")])
    result = one(devices.judge_sriov(rec, T))
    assert result["status"] == "failed" and "Network adapter 2" in result["message"]


def test_vm_name():
    assert one(settings.judge_name(record("app01"), T))["status"] == "passed"
    result = one(settings.judge_name(record("sql%5cprod%2f01 (old)"), T))
    assert (result["status"], result["code"]) == ("failed", "forbidden_characters")
    assert "sql\\prod/01 (old) contains / ( ) \\" in result["message"]
    assert result["details"]["name_as_returned"] == "sql%5cprod%2f01 (old)"
    assert "Set-VM -Name 'sql-prod-01 -old' -Confirm:$false" in result["remediation"]


def test_hardware_version():
    assert one(settings.judge_hardware(record("app01", version="vmx-10"), T))["status"] == "passed"
    old = one(settings.judge_hardware(record("app01", version="vmx-09"), T))
    assert (old["status"], old["code"]) == ("failed", "too_old") and "vmx-09, older than vmx-10" in old["message"]
    assert "govc vm.upgrade -version=10 -vm '/DC0/vm/app01'" in old["remediation"]
    ancient = one(settings.judge_hardware(record("app01", version="vmx-04"), T))
    assert ancient["code"] == "below_cbt" and "changed block tracking is impossible" in ancient["message"]
    assert one(settings.judge_hardware(record("app01", version="vmx-future"), T))["status"] == "warning"


def test_cbt():
    assert one(settings.judge_cbt(record("app01"), T))["status"] == "passed"
    off = one(settings.judge_cbt(record("app01", cbt=False), T))
    assert (off["status"], off["code"]) == ("warning", "cbt_off")
    assert "$spec.ChangeTrackingEnabled = $true" in off["remediation"]
    assert "(never set)" in one(settings.judge_cbt(record("app01", cbt=None), T))["message"]
    assert one(settings.judge_cbt(record("app01", cbt=False, version="vmx-04"), T))["code"] == "unsupported"


def test_fault_tolerance():
    assert one(settings.judge_fault_tolerance(record("app01"), T))["status"] == "passed"
    result = one(settings.judge_fault_tolerance(record("app01", ft=1), T))
    assert result["status"] == "warning" and "primary VM of a Fault Tolerance pair" in result["message"]


def test_restore_target_boot_disk_by_boot_order_and_by_bus():
    boot = vim.vm.BootOptions
    small_first = [scsi(), disk(2000, "Hard disk 1", gib=20), disk(2001, "Hard disk 2", gib=80, unit=1), nic()]
    by_bus = one(restore.judge_restore_target(record("app01", devices=small_first), T))
    assert by_bus["status"] == "failed"
    assert "system disk Hard disk 1 (lowest controller bus and unit) is 20.0 GiB, outside 40-500 GiB" \
        in by_bus["message"]
    by_order = one(restore.judge_restore_target(
        record("app01", devices=small_first, boot=[boot.BootableDiskDevice(deviceKey=2001)]), T))
    assert by_order["status"] == "passed" and "Hard disk 2 80.0 GiB" in by_order["message"]
    crowded = one(restore.judge_restore_target(record("app01", version="vmx-08", devices=[
        scsi(), disk(gib=600), nic(), nic(4001, label="Network adapter 2")]), T))
    for text in ("600.0 GiB", "2 network adapters (Network adapter 1, Network adapter 2)", "vmx-08 is older"):
        assert text in crowded["message"]
    assert "shrink the system" in crowded["remediation"]


def test_vcenter_version():
    about = {"apiType": "VirtualCenter", "version": "6.7.0", "fullName": "VMware vCenter Server 6.7.0 build-1"}
    assert one(access.judge_version(about, "6.7", "vc01", "vc01"))["status"] == "passed"
    old = one(access.judge_version(dict(about, version="6.5.0"), "6.7", "vc01", "vc01"))
    assert (old["status"], old["code"]) == ("failed", "too_old") and "https://vc01:5480" in old["remediation"]
    esxi = one(access.judge_version(dict(about, apiType="HostAgent", fullName="VMware ESXi 7.0.3"), "6.7", "e", "e"))
    assert esxi["code"] == "not_vcenter" and "HostAgent" in esxi["message"]


def test_reach_names_the_host_the_port_and_the_vms():
    probed = {("esx-gone.invalid", 443): probe_tcp("esx-gone.invalid", 443, 2),
              ("esx-gone.invalid", 902): probe_tcp("esx-gone.invalid", 902, 2)}
    result = access.judge_reach("esx-gone.invalid", [443, 902], probed, "vc/DC0/host/esx", "ESXi host",
                                ["a", "b", "c", "d"])
    assert (result["status"], result["cause"], result["code"]) == ("failed", "dns", "esxi_dns")
    assert "(runs a, b, c and 1 more)" in result["message"] and "port 902 (NFC" in result["message"]
    assert "/etc/hosts" in result["remediation"]


def test_device_records_cover_every_kind():
    rec = record("app01", devices=[scsi(), disk(), nic(), passthrough(), dev.VirtualIDEController(key=200, busNumber=0)])
    assert [d["kind"] for d in rec["devices"]] == ["scsi_controller", "disk", "nic", "passthrough", "controller"]
    assert gathering.device_record(dev.VirtualKeyboard(key=600), DRIVER)["kind"] == "other"


def test_judge_connection_names_vcenter_the_account_and_what_it_sees():
    about = {"fullName": "VMware vCenter Server 7.0.3", "apiVersion": "7.0.3.0"}
    (result,) = access.judge_connection("vc1", "vc1.example.com:443", "backup@vsphere.local", about, 41, "7.0.3.0",
                                        1, 12, 2)
    assert result["status"] == "passed" and result["target"] == "vc1"
    assert result["message"] == ("Logged in to VMware vCenter Server 7.0.3 at vc1.example.com:443 as "
                                 "backup@vsphere.local in 41 ms (API 7.0.3.0); 1 VM selected of 12 VMs the account sees.")
    assert result["details"]["templates"] == 2
