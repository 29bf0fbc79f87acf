# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host gathering: the context of a host run and the data sets several items share (mounts, the
distribution, the agent's account), each read once under the root and memoized.

Parsers are plain functions of text, so that they are tested on text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pwd
import socket

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.connection import Root


def unescape_mount_field(text):
    """mountinfo and fstab write space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        text = text.replace(code, char)
    return text


def parse_mountinfo(text):
    """/proc/<pid>/mountinfo (proc(5)) -> one dict per mount, in mount order."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields or len(fields) < 7:
            continue
        sep = fields.index("-")
        if len(fields) < sep + 3:
            continue
        major, _colon, minor = fields[2].partition(":")
        mounts.append({
            "id": fields[0],
            "parent": fields[1],
            "major": int(major) if major.isdigit() else None,
            "minor": int(minor) if minor.isdigit() else None,
            "root": unescape_mount_field(fields[3]),
            "mountpoint": unescape_mount_field(fields[4]),
            "options": fields[5].split(","),
            "fstype": fields[sep + 1],
            "source": unescape_mount_field(fields[sep + 2]),
            "super_options": fields[sep + 3].split(",") if len(fields) > sep + 3 else [],
        })
    return mounts


def mount_of(mounts, path):
    """The mount that holds `path`: the longest mount point that is a prefix of it, the last mounted
    winning (a later mount on the same point hides the earlier one)."""
    best = None
    for mount in mounts:
        point = mount["mountpoint"].rstrip("/") or "/"
        if path == point or point == "/" or path.startswith(point + "/"):
            if best is None or len(point) >= len(best["mountpoint"].rstrip("/") or "/"):
                best = mount
    return best


def mounts_below(mounts, path):
    """Mounts whose mount point lies strictly below `path` (not walked: the walk stays on one file system)."""
    prefix = path.rstrip("/") + "/"
    return [m for m in mounts if m["mountpoint"].startswith(prefix) and m["mountpoint"] != path]


def parse_os_release(text):
    """os-release(5): KEY=value lines, values optionally quoted."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _eq, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        values[key.strip()] = value
    return values


def migrating(ctx):
    """`applies` of the items that judge a restore or migration to a cloud instance."""
    if not ctx.params.get("migrate"):
        return "This host is not marked for a restore or migration to a cloud instance (option migrate is false)."
    return None


def parse_passwd(text):
    accounts = {}
    for line in (text or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 7 and fields[2].isdigit() and fields[3].isdigit():
            accounts[fields[0]] = (int(fields[2]), int(fields[3]))
    return accounts


def parse_group(text, user):
    groups = []
    for line in (text or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 4 and fields[2].isdigit() and user in fields[3].split(","):
            groups.append(int(fields[2]))
    return groups


class HostContext(Context):
    """A host run: the options, the root everything is read under, and the data sets, each read once."""

    def __init__(self, params):
        self.fs = Root(params.get("root") or "/", params.get("timeout") or 5.0)
        name = socket.gethostname()
        target = name if self.fs.live else "%s:%s" % (name, self.fs.root)
        super(HostContext, self).__init__(params, target, secrets=[params.get("restore_password")])

    def mounts(self):
        def read():
            self.fs.require_live_state("The mount table", "/proc/self/mountinfo")
            text = self.fs.text("/proc/self/mountinfo")
            if text is None:
                raise PrecheckError("unsupported", "%s has no /proc/self/mountinfo." % self.fs.root,
                                    "Mount /proc (the precheck reads /proc/self/mountinfo).")
            return parse_mountinfo(text)
        return self.cached("mounts", read)

    def os_release(self):
        """os-release under the root (/etc/os-release, else /usr/lib/os-release), {} when neither exists."""
        def read():
            for path in ("/etc/os-release", "/usr/lib/os-release"):
                text = self.fs.text(path)
                if text is not None:
                    values = parse_os_release(text)
                    values["_source"] = path
                    return values
            return {}
        return self.cached("os_release", read)

    def agent_account(self):
        """The account the backup agent runs as: (name, uid, gid, groups). The live host asks NSS
        (LDAP accounts included); another root is read from its own /etc/passwd and /etc/group."""
        def read():
            name = self.params.get("agent_user") or "root"
            if self.fs.live:
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:
                    raise PrecheckError("internal", "The agent account %s does not exist on this host." % name,
                                        "Set agent_user to the account the backup agent runs as.")
                return name, entry.pw_uid, entry.pw_gid, sorted(set(os.getgrouplist(name, entry.pw_gid)))
            accounts = parse_passwd(self.fs.text("/etc/passwd"))
            if name not in accounts:
                raise PrecheckError("internal", "The agent account %s is not in %s/etc/passwd." % (name, self.fs.root),
                                    "Set agent_user to the account the backup agent runs as.")
            uid, gid = accounts[name]
            return name, uid, gid, sorted(set([gid] + parse_group(self.fs.text("/etc/group"), name)))
        return self.cached("agent_account", read)
