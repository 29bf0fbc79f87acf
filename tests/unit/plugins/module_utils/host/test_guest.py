"""migrate.cloud_init, qemu_ga, shadow_writable, selinux and password_policy on fixture roots."""

import pytest

from host_engine import migrate, one, run
from linux_root import ubuntu_vm
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import guest
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.connection import FS_APPEND_FL, FS_IMMUTABLE_FL


def test_cloud_init_installed_and_enabled_passes(tmp_path):
    result = migrate("migrate.cloud_init", ubuntu_vm(tmp_path))
    assert result["status"] == "passed" and "package 23.1.2" in result["message"]


def test_cloud_init_absent_fails(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.dpkg({"grub-common": "2.04"})
    root.remove("/usr/bin/cloud-init")
    result = migrate("migrate.cloud_init", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.cloud_init/not_installed")
    assert "apt-get install cloud-init" in result["remediation"]


def test_cloud_init_disabled_or_not_enabled_fails(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.file("/etc/cloud/cloud-init.disabled", "")
    assert migrate("migrate.cloud_init", root)["code"] == "migrate.cloud_init/disabled"
    root.remove("/etc/cloud/cloud-init.disabled")
    root.remove("/etc/systemd/system/cloud-init.target.wants/cloud-init.service")
    assert migrate("migrate.cloud_init", root)["code"] == "migrate.cloud_init/not_enabled"


def test_cloud_init_on_an_rpm_system_without_rpm_is_judged_by_its_binary(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/var/lib/dpkg/status")
    root.file("/var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0")
    result = migrate("migrate.cloud_init", root)
    assert result["status"] == "passed" and result["details"]["package_database"].startswith("The RPM database")


def test_qemu_guest_agent_present_fails_absent_passes(tmp_path):
    root = ubuntu_vm(tmp_path)
    assert migrate("migrate.qemu_ga", root)["status"] == "passed"
    root.dpkg({"qemu-guest-agent": "1:4.2-3ubuntu6.27"})
    result = migrate("migrate.qemu_ga", root)
    assert (result["status"], result["code"]) == ("failed", "migrate.qemu_ga/installed")
    assert "package qemu-guest-agent 1:4.2-3ubuntu6.27" in result["message"]
    root.dpkg({})
    root.file("/usr/bin/qemu-ga", b"")
    assert "/usr/bin/qemu-ga" in migrate("migrate.qemu_ga", root)["message"]


def test_qemu_ga_unverifiable_without_a_package_database_warns(tmp_path):
    root = ubuntu_vm(tmp_path)
    root.remove("/var/lib/dpkg/status")
    result = migrate("migrate.qemu_ga", root)
    assert (result["status"], result["code"]) == ("warning", "migrate.qemu_ga/unverified")
    assert "No package database" in result["message"]


@pytest.mark.parametrize("flags, read_only, code", [
    (FS_IMMUTABLE_FL, False, "immutable"),
    (FS_APPEND_FL, False, "append_only"),
    (0, True, "read_only"),
])
def test_shadow_judge(flags, read_only, code):
    (result,) = guest.judge_shadow(True, flags, read_only)
    assert (result["status"], result["code"]) == ("failed", code)
    assert "instance creation fails" in result["message"]


def test_shadow_missing_and_writable(tmp_path):
    root = ubuntu_vm(tmp_path)
    assert migrate("migrate.shadow_writable", root)["status"] == "passed"
    root.remove("/etc/shadow")
    assert migrate("migrate.shadow_writable", root)["code"] == "migrate.shadow_writable/missing"


@pytest.mark.parametrize("config, status", [
    ("SELINUX=enforcing\nSELINUXTYPE=targeted\n", "warning"),
    ("# SELINUX=enforcing\nSELINUX=permissive\n", "passed"),
    ("SELINUX=disabled\n", "passed"),
])
def test_selinux_enforcing_warns(tmp_path, config, status):
    root = ubuntu_vm(tmp_path)
    root.file("/etc/selinux/config", config)
    result = migrate("migrate.selinux", root)
    assert result["status"] == status
    if status == "warning":
        assert "SELINUX=enforcing in /etc/selinux/config" in result["message"] and "autorelabel" in result["remediation"]


@pytest.mark.parametrize("password, windows, problem", [
    ("Abc123!x", False, None),
    ("Abcdefg1", False, None),
    ("abc12345", False, "uses 2 of the 4 character types"),
    ("Ab1!", False, "it has 4 characters (8 to 30 are allowed)"),
    ("A" * 20 + "b1" + "c" * 10, False, "it has 32 characters"),
    ("Abc 123 x", False, "contains 2 characters that are not allowed"),
    ('Abc123"xy', False, "contains 1 characters that are not allowed"),
    ("/Abc123xy", False, None),
    ("/Abc123xy", True, "starts with a slash"),
])
def test_password_policy(password, windows, problem):
    problems = guest.password_problems(password, windows)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_password_policy_item_never_shows_the_password(tmp_path):
    root = ubuntu_vm(tmp_path)
    secret = "weakpassword"
    result = migrate("migrate.password_policy", root, restore_password=secret)
    assert result["status"] == "failed" and "uses 1 of the 4 character types" in result["message"]
    assert secret not in repr(result)
    assert migrate("migrate.password_policy", root)["status"] == "skipped"
    assert one("migrate.password_policy", root=str(root), restore_password=secret)["status"] == "skipped"


def test_every_migrate_item_passes_on_the_ready_vm(tmp_path):
    results = run(["@migrate"], root=str(ubuntu_vm(tmp_path)), migrate=True, restore_password="Abc123!xyz")
    assert [(r["id"], r["status"]) for r in results if r["status"] != "passed"] == []
    assert len(results) == 18
