"""migrate.nics, migrate.ipv6 and migrate.dhcp on fixture roots."""

import pytest

from host_engine import migrate
from linux_root import ubuntu_vm
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import network


def test_two_physical_nics_fail_and_virtual_ones_do_not_count(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.nic("eth1", physical=True, slot=4)
    for name, kind in (("veth0", None), ("br0", "bridge"), ("ifb0", None), ("docker0", "bridge")):
        root.nic(name, physical=False, kind=kind)
    result = migrate("migrate.nics", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.nics/several")
    assert "2 physical NICs (eth0, eth1)" in result["message"]
    assert result["details"]["ignored"] == ["br0 (bridge)", "docker0 (bridge)", "ifb0 (virtual)", "lo (loopback)",
                                            "veth0 (virtual)"]


def test_one_physical_nic_among_virtual_ones_passes(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.nic("veth0", physical=False)
    root.nic("virbr0", physical=False, kind="bridge")
    result = migrate("migrate.nics", root)
    assert (result["status"], result["target"]) == ("passed", "nic eth0")
    assert "Ignored: lo (loopback), veth0 (virtual), virbr0 (bridge)" in result["message"]


def test_no_physical_nic_warns(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/sys/class/net/eth0")
    assert migrate("migrate.nics", root)["code"] == "migrate.nics/none"


@pytest.mark.parametrize("addresses, status, text", [
    ([("::1", "lo"), ("fe80::1", "eth0")], "passed", "link-local and loopback ignored"),
    ([("fe80::1", "eth0"), ("fd12:3456:789a::10", "eth0")], "failed", "fd12:3456:789a::10 on eth0 (unique-local)"),
    ([("2001:db8:1::10", "eth0")], "failed", "2001:db8:1::10 on eth0 (global)"),
    ([("2a00:1450:4001::5", "eth0")], "failed", "(global)"),
])
def test_ipv6_global_and_unique_local_fail_link_local_does_not(tmp_path, addresses, status, text):
    root = ubuntu_vm(tmp_path)
    root.if_inet6(addresses)
    result = migrate("migrate.ipv6", root)
    assert result["status"] == status and text in result["message"], result


def test_ipv6_disabled_in_the_kernel_passes(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/proc/net/if_inet6")
    result = migrate("migrate.ipv6", root)
    assert result["status"] == "passed" and "disabled in the kernel" in result["message"]


def test_parse_if_inet6_reads_the_kernel_format():
    text = "fe800000000000005054fffe12345678 02 40 20 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\n"
    assert [(str(a), n) for a, n in network.parse_if_inet6(text)] == [("fe80::5054:fffe:1234:5678", "eth0"), ("::1", "lo")]


def dhcp(root):
    return migrate("migrate.dhcp", root)


def test_netplan_dhcp_passes(tmp_path):
    result = dhcp(ubuntu_vm(tmp_path))
    assert result["status"] == "passed" and "dhcp4: true" in result["message"]


def test_netplan_static_fails_with_the_file(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/etc/netplan/50-cloud-init.yaml", "network:\n  ethernets:\n    eth0:\n      dhcp4: false\n"
              "      addresses: [192.168.1.10/24]\n    eth1:\n      dhcp4: true\n")
    result = dhcp(root)
    assert (result["status"], result["code"]) == ("failed", "migrate.dhcp/static")
    assert "eth0 is not configured by DHCP (dhcp4: false in /etc/netplan/50-cloud-init.yaml)" in result["message"]


@pytest.mark.parametrize("path, content, status", [
    ("/etc/sysconfig/network-scripts/ifcfg-eth0", 'DEVICE=eth0\nBOOTPROTO="static"\nIPADDR=10.0.0.5\n', "failed"),
    ("/etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n", "passed"),
    ("/etc/network/interfaces", "auto eth0\niface eth0 inet static\n  address 10.0.0.5/24\n", "failed"),
    ("/etc/network/interfaces", "auto eth0\niface eth0 inet dhcp\n", "passed"),
    ("/etc/NetworkManager/system-connections/eth0.nmconnection",
     "[connection]\nid=eth0\ninterface-name=eth0\n[ipv4]\nmethod=manual\naddress1=10.0.0.5/24\n", "failed"),
    ("/etc/systemd/network/10-eth.network", "[Match]\nName=eth*\n[Network]\nDHCP=ipv4\n", "passed"),
])
def test_each_network_configuration_format(tmp_path, path, content, status):
    root = ubuntu_vm(tmp_path)
    root.remove("/etc/netplan/50-cloud-init.yaml")
    root.file(path, content)
    result = dhcp(root)
    assert result["status"] == status, result
    assert path in result["message"]


def test_dhcp_without_a_dhcp_client_fails_for_ifupdown(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/etc/netplan/50-cloud-init.yaml")
    root.remove("/sbin/dhclient")
    root.file("/etc/network/interfaces", "iface eth0 inet dhcp\n")
    assert dhcp(root)["code"] == "migrate.dhcp/no_client"


def test_no_configuration_warns_unless_networkmanager_configures_it(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/etc/netplan/50-cloud-init.yaml")
    assert dhcp(root)["code"] == "migrate.dhcp/not_found"
    root.file("/usr/sbin/NetworkManager", b"")
    assert dhcp(root)["code"] == "migrate.dhcp/networkmanager_default"


def test_primary_nic_is_the_default_route_one(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.nic("eth1", physical=True, slot=4)
    root.default_route("eth1")
    result = dhcp(root)
    assert result["target"] == "nic eth1" and result["code"] == "migrate.dhcp/not_found"
