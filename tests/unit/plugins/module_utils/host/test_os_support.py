"""host.arch_64bit, host.os_support and migrate.os_supported on fixture roots."""

import struct

import pytest

from host_engine import one, params, run
from linux_root import LinuxRoot, ubuntu_vm
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import engine, os_lists


def elf(bits, machine):
    return b"\x7fELF" + bytes([1 if bits == 32 else 2, 1, 1]) + b"\0" * 11 + struct.pack("<H", machine) + b"\0" * 40


@pytest.mark.parametrize("bits, status, code", [
    (64, "passed", "host.arch_64bit/passed"),
    (32, "failed", "host.arch_64bit/userspace_32bit"),
])
def test_arch_reads_the_userspace_below_the_root_and_leaves_the_kernel_alone(tmp_path, bits, status, code):
    root = LinuxRoot(tmp_path)
    root.file("/usr/bin/dash", elf(bits, 62 if bits == 64 else 3))
    root.link("/bin/sh", "/usr/bin/dash")   # absolute: must be read below the root, not on this machine
    result = one("host.arch_64bit", root=str(root))
    assert (result["status"], result["code"]) == (status, code), result
    assert "kernel not judged (another root)" in result["message"]
    assert result["details"]["machine"] is None


def test_arch_without_a_userspace_binary_below_the_root_warns(tmp_path):
    result = one("host.arch_64bit", root=str(LinuxRoot(tmp_path)))
    assert result["code"] == "host.arch_64bit/userspace_unknown"


@pytest.mark.parametrize("files, status, code, text", [
    ({"/etc/os-release": 'ID=ubuntu\nVERSION_ID="20.04"\n'}, "passed", "passed", "Ubuntu 20.04 is in"),
    ({"/etc/os-release": 'ID=ubuntu\nVERSION_ID="22.04"\n'}, "warning", "version_not_listed",
     "not among the versions the backup client lists for this distribution (14.04, 16.04, 18.04, 20.04)"),
    ({"/etc/os-release": 'ID=debian\nVERSION_ID="12"\n'}, "warning", "distribution_not_listed",
     "Debian 12 is not in the backup client's list"),
    ({"/etc/os-release": 'ID="centos"\nVERSION_ID="7"\n', "/etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n"},
     "passed", "passed", "CentOS 7.9.2009"),
    ({"/etc/os-release": 'ID="centos"\nVERSION_ID="7"\n', "/etc/centos-release": "CentOS Linux release 7.1.1503 (Core)\n"},
     "warning", "version_not_listed", "CentOS 7.1.1503"),
    ({"/etc/redhat-release": "CentOS release 6.9 (Final)\n"}, "passed", "passed", "CentOS 6.9"),
    ({"/etc/SuSE-release": "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n"},
     "passed", "passed", "SUSE Linux Enterprise Server 11.4"),
    ({"/etc/os-release": 'ID="sles"\nVERSION_ID="15.4"\n'}, "passed", "passed", "15.4"),
    ({"/etc/os-release": 'ID="alinux"\nVERSION_ID="3"\n'}, "passed", "passed", "Alibaba Cloud Linux 3"),
])
def test_os_support_against_the_backup_client_list(tmp_path, files, status, code, text):
    root = LinuxRoot(tmp_path)
    for path, content in files.items():
        root.file(path, content)
    result = one("host.os_support", root=str(root))
    assert (result["status"], result["code"]) == (status, "host.os_support/" + code), result
    assert text in result["message"]
    assert result["details"]["list_source"] == os_lists.BACKUP_CLIENT["source"]
    if status == "warning":
        assert "os_support_extra" in result["remediation"]


def test_os_support_extra_extends_the_list_and_validation_names_bad_entries(tmp_path):
    root = LinuxRoot(tmp_path)
    root.file("/etc/os-release", 'ID=rocky\nVERSION_ID="9.4"\n')
    result = one("host.os_support", root=str(root), os_support_extra=["debian:12", "rocky:9"])
    assert (result["status"], result["code"]) == ("passed", "host.os_support/listed_extra")
    problems = engine.validate(params(os_support_extra=["rocky 9", "Debian:12"]))
    assert "os_support_extra: 'rocky 9' is not id:version" in " ".join(problems)
    assert "os_support_extra: 'Debian:12'" in " ".join(problems)


def test_os_support_without_a_release_file_is_an_error(tmp_path):
    result = one("host.os_support", root=str(LinuxRoot(tmp_path)))
    assert (result["status"], result["cause"]) == ("error", "unsupported")


def _migrate(root, **extra):
    return dict((r["code"].split("/")[1], r) for r in run(["migrate.os_supported"], root=str(root), migrate=True, **extra))


@pytest.mark.parametrize("os_release, status", [
    ('ID=ubuntu\nVERSION_ID="20.04"\n', "passed"),
    ('ID=ubuntu\nVERSION_ID="22.04"\n', "failed"),
    ('ID=debian\nVERSION_ID="10"\n', "passed"),
    ('ID=debian\nVERSION_ID="12"\n', "failed"),
    ('ID="opensuse-leap"\nVERSION_ID="15.5"\n', "passed"),
    ('ID="rhel"\nVERSION_ID="8.9"\n', "passed"),
    ('ID="rhel"\nVERSION_ID="9.2"\n', "failed"),
])
def test_migrate_os_supported_against_the_cloud_instance_list(tmp_path, os_release, status):
    root = LinuxRoot(tmp_path)
    root.file("/etc/os-release", os_release)
    root.file("/etc/issue", "\\S\nKernel \\r on an \\m\n")
    results = run(["migrate.os_supported"], root=str(root), migrate=True)
    assert [r["status"] for r in results] == [status], results
    if status == "failed":
        assert "Ubuntu 10, 12, 14, 16, 17, 18, 19, 20" in results[0]["message"]


def test_migrate_os_supported_fails_when_issue_names_another_distribution(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/etc/issue", "CentOS release 6.10 (Final)\nKernel \\r on an \\m\n")
    found = _migrate(root)
    assert found["passed"]["status"] == "passed"
    assert found["issue_disagrees"]["status"] == "failed"
    assert "/etc/issue names CentOS, but os-release says Ubuntu 20.04" in found["issue_disagrees"]["message"]


def test_migrate_os_supported_fails_on_another_major_version_and_warns_without_issue(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/etc/issue", "Ubuntu 18.04.6 LTS \\n \\l\n")
    assert "/etc/issue names version 18" in _migrate(root)["issue_disagrees"]["message"]
    root.remove("/etc/issue")
    assert _migrate(root)["issue_missing"]["status"] == "warning"


def test_migrate_items_are_skipped_unless_the_host_is_marked(tmp_path):
    results = run(["@migrate"], root=str(ubuntu_vm(tmp_path)))
    assert len(results) == 18
    assert set(r["status"] for r in results) == {"skipped"}
    assert all("option migrate is false" in r["message"] for r in results)
