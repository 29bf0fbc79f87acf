# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore and migration items on the guest system (seed 003): cloud-init present and enabled, no
QEMU guest agent, a writable /etc/shadow, SELinux not enforcing, and the restore password policy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import string

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import packages as installed
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import migrating, parse_os_release
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.connection import (
    FS_APPEND_FL, FS_IMMUTABLE_FL, inode_flags)

CLOUD_INIT_BINARIES = ("/usr/bin/cloud-init", "/usr/local/bin/cloud-init")
QEMU_GA_BINARIES = ("/usr/bin/qemu-ga", "/usr/sbin/qemu-ga", "/usr/local/bin/qemu-ga")
QEMU_GA_PACKAGES = ("qemu-guest-agent", "qemu-ga")
ST_RDONLY = getattr(os, "ST_RDONLY", 1)
# Seed 003: the special characters a restore password may contain.
PASSWORD_SPECIALS = "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/"


def cloud_init_state(fs, packages):
    """What the root says of cloud-init: installed (package or binary), disabled marker, enabled units."""
    package = (packages or {}).get("installed", {}).get("cloud-init")
    binary = [path for path in CLOUD_INIT_BINARIES if fs.exists(path)]
    links = []
    for directory in fs.listdir("/etc/systemd/system"):
        if directory.endswith(".wants"):
            links.extend("/etc/systemd/system/%s/%s" % (directory, n) for n in fs.listdir("/etc/systemd/system/" + directory)
                         if n.startswith("cloud-init") or n in ("cloud-config.service", "cloud-final.service"))
    for level in ("2", "3", "4", "5"):
        links.extend("/etc/rc%s.d/%s" % (level, n) for n in fs.listdir("/etc/rc%s.d" % level)
                     if n.startswith("S") and "cloud-init" in n)
    return {"package": package, "binaries": binary, "enabled_by": links,
            "disabled_by": [p for p in ("/etc/cloud/cloud-init.disabled",) if fs.exists(p)]}


def judge_cloud_init(state, package_problem):
    details = dict(state, package_database=package_problem or "read")
    if not state["package"] and not state["binaries"]:
        note = (" (the package database could not be read: %s)" % package_problem) if package_problem else ""
        return [R.failed("cloud-init", "cloud-init is not installed%s: the cloud instance cannot set its host name, "
                         "password, network and NTP source." % note,
                         "Install cloud-init: `yum install cloud-init` or `apt-get install cloud-init`, then "
                         "`systemctl enable cloud-init-local cloud-init cloud-config cloud-final`.", details,
                         code="not_installed")]
    if state["disabled_by"]:
        return [R.failed("cloud-init", "cloud-init is installed but disabled by %s." % state["disabled_by"][0],
                         "Remove %s." % state["disabled_by"][0], details, code="disabled")]
    if not state["enabled_by"]:
        return [R.failed("cloud-init", "cloud-init is installed but none of its services is enabled (no link in "
                         "/etc/systemd/system/*.wants or /etc/rc?.d).",
                         "`systemctl enable cloud-init-local cloud-init cloud-config cloud-final`.", details,
                         code="not_enabled")]
    what = "package %s" % state["package"] if state["package"] else state["binaries"][0]
    return [R.passed("cloud-init", "cloud-init is installed (%s) and enabled (%s)." % (what, state["enabled_by"][0]),
                     details)]


@register(
    "migrate.cloud_init", "cloud-init installed and enabled", ("restore",),
    engine="host", tags=("migrate", "guest"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="cloud-init is installed (the package database, or its binary) and enabled (a systemd *.wants link or a "
         "SysV start link), and /etc/cloud/cloud-init.disabled does not exist.",
    permissions="None.",
    versions="Linux; dpkg's database is read directly, an RPM database with this machine's rpm.",
    applies=migrating,
)
def cloud_init(ctx):
    packages, problem = installed.packages(ctx)
    return judge_cloud_init(cloud_init_state(ctx.fs, packages), problem)


def judge_qemu_ga(packages, binaries, package_problem):
    found = [(name, packages["installed"][name]) for name in QEMU_GA_PACKAGES
             if packages and name in packages["installed"]]
    details = {"packages": found, "binaries": binaries, "package_database": package_problem or "read"}
    if found or binaries:
        what = ("package %s %s" % found[0]) if found else binaries[0]
        return [R.failed("qemu-guest-agent", "The QEMU guest agent is installed (%s): some services the cloud instance "
                         "needs become unavailable." % what,
                         "Remove it before the migration: `yum remove qemu-guest-agent` or `apt-get purge "
                         "qemu-guest-agent`.", details, code="installed")]
    if package_problem:
        return [R.warning("qemu-guest-agent", "No qemu-ga binary was found, but the package database could not be read "
                          "(%s)." % package_problem, "Check with the package manager: `rpm -q qemu-guest-agent`.",
                          details, code="unverified")]
    return [R.passed("qemu-guest-agent", "The QEMU guest agent is not installed.", details)]


@register(
    "migrate.qemu_ga", "QEMU guest agent not installed", ("restore",),
    engine="host", tags=("migrate", "guest"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="Neither the qemu-guest-agent package nor a qemu-ga binary is installed; without a readable package "
         "database, no binary warns.",
    permissions="None.",
    versions="Linux; dpkg's database is read directly, an RPM database with this machine's rpm.",
    applies=migrating,
)
def qemu_ga(ctx):
    packages, problem = installed.packages(ctx)
    return judge_qemu_ga(packages, [p for p in QEMU_GA_BINARIES if ctx.fs.exists(p)], problem)


def judge_shadow(exists, flags, read_only):
    details = {"inode_flags": flags, "read_only_file_system": read_only}
    if not exists:
        return [R.failed("/etc/shadow", "/etc/shadow is missing: the cloud instance cannot set the root password, and "
                         "instance creation fails.", "Restore /etc/shadow (`pwconv` rebuilds it from /etc/passwd).",
                         details, code="missing")]
    problems = []
    if flags is not None and flags & FS_IMMUTABLE_FL:
        problems.append(("immutable", "it is immutable (chattr +i)", "chattr -i /etc/shadow"))
    if flags is not None and flags & FS_APPEND_FL:
        problems.append(("append_only", "it is append-only (chattr +a)", "chattr -a /etc/shadow"))
    if read_only:
        problems.append(("read_only", "its file system is mounted read-only", "mount -o remount,rw /"))
    if problems:
        return [R.failed("/etc/shadow", "/etc/shadow cannot be modified: %s. The cloud instance cannot set the password, "
                         "and instance creation fails." % " and ".join(p[1] for p in problems),
                         "Run `%s`." % "` and `".join(p[2] for p in problems), details, code=problems[0][0])]
    note = "" if flags is not None else " (its file system has no inode flags to check)"
    return [R.passed("/etc/shadow", "/etc/shadow is neither immutable nor on a read-only file system%s." % note, details)]


@register(
    "migrate.shadow_writable", "/etc/shadow modifiable", ("restore",),
    engine="host", tags=("migrate", "guest"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="/etc/shadow exists, has neither the immutable nor the append-only inode flag (FS_IOC_GETFLAGS), and its file "
         "system is not mounted read-only (statvfs).",
    permissions="root (to open /etc/shadow for its flags).",
    versions="Linux.",
    applies=migrating,
)
def shadow_writable(ctx):
    real = ctx.fs.resolve("/etc/shadow")
    if not os.path.lexists(real):
        return judge_shadow(False, None, False)
    read_only = bool(os.statvfs(os.path.dirname(real)).f_flag & ST_RDONLY)
    return judge_shadow(True, inode_flags(real), read_only)


def judge_selinux(config, enforcing_now):
    details = {"config": config, "enforcing_now": enforcing_now}
    if config is None:
        return [R.passed("selinux", "No /etc/selinux/config: SELinux is not configured.", details)]
    mode = config.get("SELINUX", "").lower()
    if mode == "enforcing":
        return [R.warning("selinux", "SELinux is enforcing (SELINUX=enforcing in /etc/selinux/config): a cloud instance "
                          "made from this machine may fail to start (file contexts are not relabelled).",
                          "Set SELINUX=permissive (or disabled) in /etc/selinux/config before the migration, and "
                          "re-enable it on the instance after `touch /.autorelabel`.", details, code="enforcing")]
    return [R.passed("selinux", "SELinux is %s in /etc/selinux/config." % (mode or "not set"), details)]


@register(
    "migrate.selinux", "SELinux not enforcing", ("restore",),
    engine="host", tags=("migrate", "guest"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="SELINUX=enforcing in /etc/selinux/config warns (the instance may fail to start).",
    permissions="None.",
    versions="Linux.",
    applies=migrating,
)
def selinux(ctx):
    text = ctx.fs.text("/etc/selinux/config")
    enforce = ctx.fs.text("/sys/fs/selinux/enforce")
    return judge_selinux(None if text is None else parse_os_release(text),
                         None if enforce is None else enforce.strip() == "1")


def password_problems(password, windows=False):
    """What is wrong with a restore password by seed 003's rules, never quoting it."""
    problems = []
    if not 8 <= len(password) <= 30:
        problems.append("it has %d characters (8 to 30 are allowed)" % len(password))
    classes = [any(c in string.ascii_uppercase for c in password), any(c in string.ascii_lowercase for c in password),
               any(c in string.digits for c in password), any(c in PASSWORD_SPECIALS for c in password)]
    if sum(classes) < 3:
        problems.append("it uses %d of the 4 character types (upper case, lower case, digits, special characters), "
                        "3 are required" % sum(classes))
    bad = [c for c in password if not (c in string.ascii_letters or c in string.digits or c in PASSWORD_SPECIALS)]
    if bad:
        problems.append("it contains %d characters that are not allowed" % len(bad))
    if windows and password.startswith("/"):
        problems.append("it starts with a slash, which Windows does not allow")
    return problems


def judge_password(password, windows=False):
    system = "Windows administrator" if windows else "root"
    problems = password_problems(password, windows)
    if problems:
        return [R.failed("restore password", "The %s password for the cloud instance is refused: %s." % (
            system, "; ".join(problems)),
            "Choose 8 to 30 characters with at least three of upper case, lower case, digits and the special "
            "characters %s%s." % (PASSWORD_SPECIALS, ", not starting with /" if windows else ""),
            code="policy")]
    return [R.passed("restore password", "The %s password meets the cloud instance's password policy." % system)]


def _no_password(ctx):
    reason = migrating(ctx)
    if reason:
        return reason
    if not ctx.params.get("restore_password"):
        return "No restore_password is given."
    return None


@register(
    "migrate.password_policy", "Restore password meets the cloud instance's policy", ("restore",),
    engine="host", tags=("migrate", "guest"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="restore_password has 8-30 characters, at least three of upper case, lower case, digits and the special "
         "characters ()`~!@#$%^&*-_+=|{}[]:;'<>,.?/, nothing else, and on Windows does not start with /. The "
         "password is never shown.",
    permissions="None.",
    versions="Any.",
    applies=_no_password,
    options=dict(
        restore_password=dict(type="str", no_log=True, description=(
            "The root (Linux) or administrator (Windows) password the cloud instance is to get, checked against its "
            "password policy; never shown in any result.",
        )),
    ),
)
def password_policy(ctx):
    return judge_password(ctx.params["restore_password"])
