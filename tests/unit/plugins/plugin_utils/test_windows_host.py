"""The Windows host path: the facts the role's PowerShell prints, parsed and judged on the controller.

No PowerShell can run here. What is tested: the parser against output in the script's format, that the
script prints exactly the keys the parser knows, every Windows judge, and which items are judged, not
applicable or not evaluated. What is not: that WMI answers these values on a real Windows host."""

import os
import re

import pytest
import yaml

from fake_powershell import windows_facts
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import windows_host as windows

from checkout import ROOT


def script():
    with open(os.path.join(ROOT, "roles", "precheck", "vars", "main.yml")) as handle:
        return yaml.safe_load(handle)["_cloudbackup_precheck_windows_script"]


def output(**overrides):
    return {"rc": 0, "stdout": windows_facts(**overrides), "stderr": ""}


def results(raw=None, **options):
    options.setdefault("migrate", True)
    options.setdefault("restore_password", "Abc123!xyz")
    out = windows.windows_precheck(output() if raw is None else raw, options, "win01")
    return dict((r["id"], r) for r in out["check_results"]), out


def test_the_script_prints_exactly_the_keys_the_parser_knows():
    printed = set(re.findall(r"\bF (\w+) ", script()))
    assert printed == set(windows.SINGLE_KEYS) | set(windows.LIST_KEYS)


def test_the_encoded_command_stays_within_the_windows_command_line_limit():
    encoded = len(script().encode("utf-16-le")) * 4 // 3 + 4
    assert encoded + 100 < 8191


def test_parse_facts_reads_crlf_lines_and_lists():
    facts = windows.parse_facts(output()["stdout"] + "garbage line\r\nunknown_key=1\r\n")
    assert facts["os_version"] == "10.0.17763" and facts["physical_nic"] == ["Ethernet0"]
    assert "unknown_key" not in facts and len(facts["ip_address"]) == 2


def test_a_ready_windows_server_2019():
    found, out = results()
    judged = ["host.arch_64bit", "host.os_support", "migrate.os_supported", "migrate.system_disk_size",
              "migrate.system_disk_first", "migrate.disk_full", "migrate.nics", "migrate.ipv6", "migrate.qemu_ga",
              "migrate.password_policy"]
    assert [(i, found[i]["status"]) for i in judged if found[i]["status"] != "passed"] == []
    assert "Microsoft Windows Server 2019 Datacenter (10.0.17763) is supported as a cloud instance" in \
        found["migrate.os_supported"]["message"]
    assert found["migrate.system_disk_size"]["target"] == "disk 0 (C:)"
    for linux_only in windows.LINUX_ONLY:
        assert found[linux_only]["status"] == "skipped"
        assert "not applicable to a Windows host" in found[linux_only]["message"]
    assert (found["host.control_network"]["status"], found["host.control_network"]["cause"]) == ("error", "unsupported")
    assert "Not evaluated on this Windows host" in found["host.control_network"]["message"]
    assert found["host.oss_connectivity"]["status"] == "skipped"        # no region: skipped as on Linux
    assert found["files.unreadable"]["status"] == "skipped"
    assert out["schema_version"] == 2 and "Windows, judged on the controller" in out["msg"]


@pytest.mark.parametrize("version, build, product_type, backup, cloud", [
    ("6.0.6002", "6002", "3", "warning", "failed"),       # 2008: not below the minimum, not listed
    ("6.1.7601", "7601", "3", "passed", "failed"),        # 2008 R2
    ("6.3.9600", "9600", "3", "passed", "passed"),        # 2012 R2 (the 2012 entry matches it)
    ("10.0.20348", "20348", "3", "passed", "passed"),     # 2022
    ("10.0.26100", "26100", "3", "warning", "passed"),    # 2025
    ("5.2.3790", "3790", "3", "failed", "failed"),        # 2003
    ("10.0.19045", "19045", "1", "passed", "failed"),     # Windows 10
    ("10.0.22631", "22631", "1", "warning", "failed"),    # Windows 11
    ("10.0.17134", "17134", "3", "warning", "failed"),    # a semi-annual server build is no LTSC release
])
def test_windows_releases_against_both_lists(version, build, product_type, backup, cloud):
    raw = output(os_version=version, os_build=build, os_product_type=product_type, os_caption="Windows (localized)")
    found, _out = results(raw)
    assert found["host.os_support"]["status"] == backup, found["host.os_support"]
    assert found["migrate.os_supported"]["status"] == cloud, found["migrate.os_supported"]


def test_windows_10_is_explicitly_unsupported_as_an_instance():
    found, _out = results(output(os_version="10.0.19045", os_build="19045", os_product_type="1"))
    assert found["migrate.os_supported"]["code"] == "migrate.os_supported/unsupported_os"


def test_windows_findings():
    raw = output(processor_architecture="x86", system_disk_index="1", system_disk_size=str(600 * 1024 ** 3),
                 system_drive_free=str(1024 ** 3 // 2), physical_nic=["Ethernet0", "Ethernet1"],
                 ip_address=["Intel|2001:db8::5"], qemu_ga_service=["Running"])
    found, _out = results(raw, restore_password="/Abc123xyz")
    expect = {"host.arch_64bit": "kernel_32bit", "migrate.system_disk_size": "too_large", "migrate.system_disk_first": "not_first",
              "migrate.disk_full": "full", "migrate.nics": "several", "migrate.ipv6": "configured",
              "migrate.qemu_ga": "installed", "migrate.password_policy": "policy"}
    for check, code in expect.items():
        assert (found[check]["status"], found[check]["code"]) == ("failed", "%s/%s" % (check, code)), found[check]
    assert "2001:db8::5 on Intel (global)" in found["migrate.ipv6"]["message"]
    assert "starts with a slash" in found["migrate.password_policy"]["message"]
    assert "/Abc123xyz" not in repr(found)


def test_a_failed_gathering_is_an_error_of_each_judged_item():
    found, _out = results({"rc": 1, "stdout": "", "stderr": "Get-WmiObject : Access is denied.\r\n"})
    assert (found["host.arch_64bit"]["status"], found["host.arch_64bit"]["cause"]) == ("error", "permission")
    assert "Access is denied" in found["host.arch_64bit"]["message"]
    assert found["migrate.grub_version"]["status"] == "skipped"


def test_output_without_facts_is_a_protocol_error():
    found, _out = results({"rc": 0, "stdout": "'powershell.exe' is not recognized\r\n", "stderr": ""})
    assert found["host.os_support"]["cause"] == "protocol"


def test_migrate_items_are_skipped_unless_marked_and_skip_is_honoured():
    found, _out = results(migrate=False, skip=["host.arch_64bit"])
    assert found["migrate.os_supported"]["status"] == "skipped" and "migrate is false" in found["migrate.os_supported"]["message"]
    assert found["migrate.grub_version"]["status"] == "skipped" and "migrate is false" in found["migrate.grub_version"]["message"]
    assert found["host.arch_64bit"]["message"] == "Skipped by configuration (skip list)."


def test_invalid_options_are_refused_naming_the_option():
    with pytest.raises(ValueError) as err:
        windows.windows_precheck(output(), {"service_hosts": ["bad host!"]}, "win01")
    assert "service_hosts: malformed host" in str(err.value)
