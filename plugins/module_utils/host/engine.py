# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host engine: its options, their validation, and the context of a run (the host itself)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import (
    boot, checks, disks, files, guest, network, os_support, paths, services)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import HostContext

DESCRIPTION = (
    "Runs a selection of the host check items in one task: the network paths to object storage, the control "
    "network and the service endpoints, the operating system, restore target directories, the files of the backup "
    "paths (C(files.*)), and, for a host marked with O(migrate), its readiness to be restored or migrated as a cloud "
    "instance (C(migrate.*)).",
    "Every network probe and command is bounded by O(timeout) and the probes run concurrently; the walk of the "
    "backup paths is bounded by O(walk_max_entries), O(walk_max_seconds) and O(walk_max_depth).",
    "Everything is read below O(root): the live host by default, or a machine image mounted elsewhere.",
)

NOTES = (
    "Read-only: files are read, commands only report (C(blkid), C(rpm -qa), C(grub-install --version), C(zstd -dc) "
    "of an initramfs, C(lsinitramfs)); nothing is written. A command that is not installed is reported or replaced "
    "by a documented fallback, never a traceback.",
    "The walk of the backup paths runs in a child process as O(agent_user) (root switches to that account; the "
    "kernel answers access(2) for it), which opens no file and is killed when it overruns O(walk_max_seconds).",
    "Windows hosts never run this module: the role gathers their facts with a short PowerShell command and judges "
    "them on the controller (see the collection's docs/host.md).",
)

EXAMPLES = r"""
- name: Check the data path to object storage and the control network
  cloudbackup.precheck.host_precheck:
    region: cn-hangzhou
    control_endpoints:
      - hbr-vpc.cn-hangzhou.aliyuncs.com:443
    timeout: 5
  register: host_checks

- name: Only the network items, with an explicit endpoint (any HTTPS endpoint works)
  cloudbackup.precheck.host_precheck:
    oss_endpoint: https://mystorageaccount.blob.core.windows.net
    checks: ['@network']

- name: Fail when any host check failed
  cloudbackup.precheck.host_precheck:
    region: cn-hangzhou
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0

- name: Files the agent (running as user backup) would skip, and whether this VM can become a cloud instance
  cloudbackup.precheck.host_precheck:
    backup_paths: [/srv/data, /home]
    agent_user: backup
    migrate: true
    restore_password: "{{ vault_instance_root_password }}"
    checks: ['@files', '@migrate', '@os']

- name: Check a machine image mounted at /mnt/image before migrating it
  cloudbackup.precheck.host_precheck:
    root: /mnt/image
    migrate: true
    checks: ['@migrate']
"""

OPTIONS = dict(
    timeout=dict(type="float", exclusive_minimum=0, maximum=86400, default=5.0, description=(
        "Seconds each probe may take in all (DNS, TCP, TLS and HTTP together). Probes run concurrently, so a host "
        "whose endpoints are all silent takes about one timeout.",
        "Also the bound of each command the items run (C(rpm -qa), C(blkid), C(grub-install --version)).",
    )),
    root=dict(type="path", default="/", description=(
        "The directory the checked system is read under: V(/) for the live host, or where a machine image is "
        "mounted, to check it before a migration. /etc, /boot, /var/lib, /proc and /sys are read below it; items "
        "that need a running system's /proc and /sys are V(error) with cause V(unsupported) for an image that lacks "
        "them. Symbolic links are resolved inside it.",
    )),
    migrate=dict(type="bool", default=False, description=(
        "This host is to be restored or migrated as a cloud instance: run the C(migrate.*) items. When V(false), "
        "they are V(skipped) with that reason.",
    )),
    agent_user=dict(type="str", default="root", description=(
        "The account the backup agent runs as. Access to the backup paths and restore targets is tested as this "
        "account (its uid, gid and groups, by the kernel); another account than the precheck's own needs root.",
    )),
    backup_paths=dict(type="list", elements="path", default=[], description=(
        "The paths the file backup plan covers, as the checked system sees them (below O(root)). The C(files.*) "
        "items walk them; without any, they are V(skipped).",
    )),
    walk_max_entries=dict(type="int", minimum=1, default=100000, description=(
        "The walk of O(backup_paths) stops after this many entries in all; the items then say where it stopped.",
    )),
    walk_max_seconds=dict(type="float", exclusive_minimum=0, maximum=86400, default=30.0, description=(
        "The walk of O(backup_paths) stops after this many seconds; a file system that hangs is abandoned a few "
        "seconds later.",
    )),
    walk_max_depth=dict(type="int", minimum=1, default=64, description=(
        "Directories deeper than this below a backup path are not entered (and are reported).",
    )),
    max_listed=dict(type="int", minimum=1, default=20, description=(
        "How many paths each finding of the walk names; the rest are counted.",
    )),
)


def _validate_paths(params, problems):
    root = params.get("root") or "/"
    if not os.path.isabs(root) or not os.path.isdir(root):
        problems.append("root: %r is not an existing directory (the live host is /)" % root)
    for option in ("backup_paths", "restore_target_paths"):
        for path in params.get(option) or []:
            if not str(path).startswith("/"):
                problems.append("%s: %r is not an absolute path (as the checked system sees it, for example /srv/data)"
                                % (option, path))
    if not (params.get("agent_user") or "").strip():
        problems.append("agent_user: must name an account, for example root or backup")


def _validate_limits(params, problems):
    for entry in params.get("os_support_extra") or []:
        if not os_support.EXTRA_ENTRY.match(entry.strip()):
            problems.append("os_support_extra: %r is not id:version with the os-release ID (for example debian:12, "
                            "rocky:9)" % entry)
    for value in params.get("service_hosts") or []:
        try:
            checks.parse_endpoint(value, 443, "service_hosts")
        except ValueError as exc:
            problems.append(str(exc))


def validate(params):
    problems = []
    _validate_paths(params, problems)
    _validate_limits(params, problems)
    if params.get("region") and not checks.REGION.match(params["region"]):
        problems.append("region: %r is not a region id (for example cn-hangzhou, ap-southeast-1)" % params["region"])
    for option, values in (("oss_endpoint", [params.get("oss_endpoint")] if params.get("oss_endpoint") else []),
                           ("control_endpoints", params.get("control_endpoints") or []),
                           ("probe_endpoints", params.get("probe_endpoints") or [])):
        for value in values:
            try:
                host, port = checks.parse_endpoint(value, None, option)
                if option in ("control_endpoints", "probe_endpoints") and port is None:
                    problems.append("%s: %r has no port (valid form: host:port)" % (option, value))
            except ValueError as exc:
                problems.append(str(exc))
    for address in params.get("control_route_addresses") or []:
        try:
            if ipaddress.ip_address(address) not in checks.CONTROL_NETWORK:
                problems.append("control_route_addresses: %s is outside %s" % (address, checks.CONTROL_NETWORK))
        except ValueError:
            problems.append("control_route_addresses: %r is not an IPv4 address (for example 100.64.0.1)" % address)
    return problems


def host_context(params):
    return HostContext(params)


ENGINE = Engine("host", OPTIONS, host_context, validate=validate, concurrent=True,
                items=(checks, os_support, services, paths, files, disks, network, boot, guest), title="Host",
                description=DESCRIPTION, examples=EXAMPLES, notes=NOTES, endpoint_prober=checks.probe_silent)
