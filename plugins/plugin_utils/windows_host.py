# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host items of a Windows host, judged on the controller.

No Python module runs on Windows. The role runs a short PowerShell script there (`raw`, no module),
which prints `key=value` lines from WMI and the environment; this file parses them and judges them
with the same judging functions and the same registry as the Linux items, so that the judging is
tested where PowerShell cannot run. Items that read a Linux system are `skipped` as not applicable;
items that apply to Windows but are not gathered by the script are `error` with cause `unsupported`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import disks, guest, network, os_lists
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import migrating

# What the role's PowerShell script prints: single keys once, list keys once per value.
SINGLE_KEYS = ("os_caption", "os_version", "os_build", "os_product_type", "processor_architecture", "system_drive",
               "system_drive_size", "system_drive_free", "system_disk_index", "system_disk_size")
LIST_KEYS = ("physical_nic", "ip_address", "qemu_ga_service")
ARCH_64 = ("AMD64", "ARM64", "IA64")
SERVER_RELEASES = {"5.2": "2003", "6.0": "2008", "6.1": "2008 R2", "6.2": "2012", "6.3": "2012 R2"}
SERVER_BUILDS = {14393: "2016", 17763: "2019", 20348: "2022", 26100: "2025"}
CLIENT_RELEASES = {"5.1": "XP", "6.0": "Vista", "6.1": "7", "6.2": "8", "6.3": "8.1"}
LINUX_ONLY = ("migrate.root_lvm_span", "migrate.single_root_partition", "migrate.fstab", "migrate.dhcp",
              "migrate.grub_version", "migrate.grub_device_names", "migrate.virtio", "migrate.cloud_init",
              "migrate.shadow_writable", "migrate.selinux")


def parse_facts(text):
    """The script's output -> {key: value or [values]}; unknown lines are ignored."""
    facts = dict((key, []) for key in LIST_KEYS)
    for line in (text or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        if key in LIST_KEYS:
            if value:
                facts[key].append(value)
        elif key in SINGLE_KEYS:
            facts[key] = value
    return facts


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def product(facts):
    """Which Windows this is, by version, build and product type (not by the caption, which is localized)
    -> {"server": bool, "release": "2019" / "10" / None, "caption"}."""
    version = facts.get("os_version") or ""
    release = ".".join(version.split(".")[:2])
    build = _int(facts.get("os_build")) or _int((version.split(".") + ["", "", ""])[2])
    server = facts.get("os_product_type") in ("2", "3")
    if server:
        name = SERVER_RELEASES.get(release) or (SERVER_BUILDS.get(build) if release == "10.0" else None)
    else:
        name = CLIENT_RELEASES.get(release) or (("11" if build and build >= 22000 else "10") if release == "10.0"
                                                else None)
    return {"server": server, "release": name, "caption": facts.get("os_caption") or "Windows %s" % version,
            "version": version, "build": build}


def _display(prod):
    return "%s (%s)" % (prod["caption"], prod["version"])


def judge_arch(ctx):
    arch = ctx.facts.get("processor_architecture") or ""
    details = {"processor_architecture": arch}
    if not arch:
        raise PrecheckError("internal", "The PowerShell facts hold no processor architecture.")
    if arch.upper() in ARCH_64:
        return [R.passed(ctx.target, "64-bit Windows (%s)." % arch, details)]
    return [R.failed(ctx.target, "This is a 32-bit Windows (%s). The backup client supports no 32-bit system." % arch,
                     "Move the data to a 64-bit Windows Server before deploying the backup client.", details,
                     code="kernel_32bit")]


def judge_os_support(ctx):
    prod = product(ctx.facts)
    data = os_lists.BACKUP_CLIENT
    details = dict(prod, list_source=data["source"])
    listed = data["windows_server"] if prod["server"] else data["windows_client"]
    if prod["release"] and prod["release"] in listed:
        return [R.passed(ctx.target, "%s is supported by the backup client." % _display(prod), details)]
    year = _int((prod["release"] or "")[:4])
    if prod["server"] and year and year < data["windows_server_minimum"]:
        return [R.failed(ctx.target, "%s is older than Windows Server 2008: the backup client does not support it."
                         % _display(prod), "Upgrade to Windows Server 2008 R2 or later.", details, code="too_old")]
    return [R.warning(ctx.target, "%s is not in the backup client's list of supported Windows versions (Windows Server "
                      "%s; Windows %s)." % (_display(prod), ", ".join(data["windows_server"]),
                                            ", ".join(data["windows_client"])),
                      "Check the backup client's current list of supported operating systems.", details,
                      code="version_not_listed")]


def judge_os_supported(ctx):
    prod = product(ctx.facts)
    data = os_lists.CLOUD_INSTANCE
    details = dict(prod, list_source=data["source"])
    if prod["server"] and prod["release"] and os_lists.listed(data["windows_server"], prod["release"]):
        return [R.passed(ctx.target, "%s is supported as a cloud instance." % _display(prod), details)]
    if not prod["server"] and prod["release"] in data["windows_unsupported"]:
        return [R.failed(ctx.target, "%s is explicitly not supported as a cloud instance." % _display(prod),
                         "Restore or migrate this machine to another target (a VM).", details, code="unsupported_os")]
    return [R.failed(ctx.target, "%s is not supported as a cloud instance (supported: Windows Server %s)."
                     % (_display(prod), ", ".join(data["windows_server"])),
                     "Restore or migrate this machine to another target (a VM), or upgrade Windows first.", details,
                     code="not_supported")]


def _required(facts, key):
    value = _int(facts.get(key))
    if value is None:
        raise PrecheckError("internal", "The PowerShell facts hold no %s (WMI did not answer it)." % key,
                            "Check WMI on the host: `Get-WmiObject Win32_DiskDrive`.")
    return value


def _disk_label(facts):
    return "%s (%s)" % (_required(facts, "system_disk_index"), facts.get("system_drive") or "system drive")


def judge_system_disk_size(ctx):
    return [disks.judge_disk_size(_disk_label(ctx.facts), _required(ctx.facts, "system_disk_size"))]


def judge_system_disk_first(ctx):
    index = _required(ctx.facts, "system_disk_index")
    label = _disk_label(ctx.facts)
    if index == 0:
        return [R.passed("disk %s" % label, "The system disk is the first disk (disk 0).")]
    return [R.failed("disk %s" % label, "The system drive %s is on disk %d, not on the first disk (disk 0): the cloud "
                     "instance boots from its first disk and fails to start." % (ctx.facts.get("system_drive"), index),
                     "Make the system disk the VM's first disk in the hypervisor's disk settings.",
                     {"system_disk_index": index}, code="not_first")]


def judge_disk_full(ctx):
    size, free = _required(ctx.facts, "system_drive_size"), _required(ctx.facts, "system_drive_free")
    return disks.judge_disk_full({"blocks": size, "bfree": free, "bavail": free, "files": 0, "ffree": 0, "frsize": 1},
                                 label=ctx.facts.get("system_drive") or "system drive")


def judge_nics(ctx):
    nics = [{"name": name, "physical": True, "kind": None} for name in ctx.facts["physical_nic"]]
    return network.judge_nics(nics)


def judge_ipv6(ctx):
    addresses = []
    for entry in ctx.facts["ip_address"]:
        adapter, _sep, text = entry.rpartition("|")
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if address.version == 6:
            addresses.append((address, adapter or "an adapter"))
    return network.judge_ipv6(addresses)


def judge_qemu_ga(ctx):
    states = ctx.facts["qemu_ga_service"]
    if states:
        return [R.failed("qemu-guest-agent", "The QEMU guest agent service (QEMU-GA) is installed (%s): some services "
                         "the cloud instance needs become unavailable." % states[0],
                         "Uninstall the QEMU guest agent (Programs and Features) before the migration.",
                         {"state": states[0]}, code="installed")]
    return [R.passed("qemu-guest-agent", "The QEMU guest agent service (QEMU-GA) is not installed.")]


def judge_password(ctx):
    return guest.judge_password(ctx.params["restore_password"], windows=True)


JUDGES = {
    "host.arch_64bit": judge_arch,
    "host.os_support": judge_os_support,
    "migrate.os_supported": judge_os_supported,
    "migrate.system_disk_size": judge_system_disk_size,
    "migrate.system_disk_first": judge_system_disk_first,
    "migrate.disk_full": judge_disk_full,
    "migrate.nics": judge_nics,
    "migrate.ipv6": judge_ipv6,
    "migrate.qemu_ga": judge_qemu_ga,
    "migrate.password_policy": judge_password,
}


def _linux_only(check):
    def applies(ctx):
        return migrating(ctx) or ("%s reads a Linux system (boot loader, packages, /etc): not applicable to a Windows "
                                  "host." % check.id)
    return applies


# Items that, configured with nothing to check, give no result on Linux: on Windows they say so.
NOTHING_TO_CHECK = {
    "host.control_network": lambda params: not (params.get("control_route_addresses") or params.get("control_endpoints")),
}


def _nothing_to_check(check):
    def applies(ctx):
        if NOTHING_TO_CHECK[check.id](ctx.params):
            return "Neither control_route_addresses nor control_endpoints are configured: nothing to check."
        return None
    return applies


def _not_evaluated(check):
    def run(_ctx):
        raise PrecheckError("unsupported", "Not evaluated on this Windows host: %s runs as a Python module, which the "
                            "role never runs on Windows, and its PowerShell facts do not cover it." % check.id,
                            "Check it on the host by hand (see the collection's docs/host.md), or skip it for Windows "
                            "hosts with cloudbackup_precheck_skip.")
    return run


def _failed_gathering(message, cause):
    def run(_ctx):
        raise PrecheckError(cause, message, "Run the role with -vvv to see the PowerShell output of the host.")
    return run


def windows_check(check, gathering_problem=None):
    """The check as it runs on a Windows host: its Windows judge, not applicable, or not evaluated."""
    applies = check.applies
    if check.id in LINUX_ONLY:
        run, applies = None, _linux_only(check)
    elif check.id not in JUDGES:
        run = _not_evaluated(check)
        if check.id in NOTHING_TO_CHECK:
            applies = _nothing_to_check(check)
    elif gathering_problem:
        run = _failed_gathering(*gathering_problem)
    else:
        run = JUDGES[check.id]
    return registry.Check(check.id, check.title, check.engine, check.impact, run, tags=check.tags,
                          references=check.references, applies=applies)


def _gathering_problem(raw):
    if not isinstance(raw, dict) or raw.get("skipped"):
        return ("No PowerShell facts were gathered on this host.", "internal")
    if raw.get("rc") not in (0, None) or raw.get("failed"):
        text = (raw.get("stderr") or raw.get("msg") or "").strip().splitlines()
        cause = "permission" if any("denied" in line.lower() for line in text) else "internal"
        return ("The PowerShell gathering failed (exit %s): %s" % (raw.get("rc"), text[0][:200] if text else "no output"),
                cause)
    facts = parse_facts(raw.get("stdout"))
    if not facts.get("os_version"):
        return ("The PowerShell gathering printed no facts (is the remote shell PowerShell?).", "protocol")
    return None


def windows_precheck(raw, options, host):
    """What host_precheck returns, for a Windows host: `raw` is the registered result of the role's
    PowerShell task, `options` the host engine's options as the role passes them."""
    params = dict((name, spec.get("default")) for name, spec in engine.ENGINE.argument_spec.items())
    params.update(dict((k, v) for k, v in (options or {}).items() if v is not None))
    problems = engine.validate(dict(params, root="/"))
    if problems:
        raise ValueError("Invalid arguments: " + "; ".join(problems))
    selected, skipped = registry.select("host", params.get("checks") or ["all"], params.get("skip") or [])
    problem = _gathering_problem(raw)
    context = Context(params, host, secrets=[params.get("restore_password")])
    context.facts = {} if problem else parse_facts(raw.get("stdout"))
    results = runner.run_checks([windows_check(c, problem) for c in selected], context,
                                [windows_check(c) for c in skipped])
    summary = R.summarize(results)
    counts = ", ".join("%d %s" % (summary[s], s) for s in R.STATUSES if summary[s])
    return {"changed": False, "schema_version": R.SCHEMA_VERSION, "check_results": results, "summary": summary,
            "msg": "host precheck of %s (Windows, judged on the controller): %s." % (host, counts or "no checks")}
