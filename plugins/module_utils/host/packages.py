# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The installed packages of the system under the root.

dpkg's status file is text and is read directly (any root, no dpkg needed). The RPM database is
binary (Berkeley DB, NDB or SQLite by release): it is read with this machine's `rpm --root`, and
without rpm it is reported as unreadable rather than guessed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

DPKG_STATUS = "/var/lib/dpkg/status"
RPM_DATABASES = ("/var/lib/rpm", "/usr/lib/sysimage/rpm")
STATUS_LIMIT = 64 * 1024 * 1024


def parse_dpkg_status(text):
    """dpkg's status file (deb822 stanzas) -> {package: version} of the packages in state `installed`."""
    installed = {}
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            key, _colon, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if fields.get("package") and fields.get("status", "").split()[-1:] == ["installed"]:
            installed[fields["package"]] = fields.get("version", "")
    return installed


def parse_rpm_query(text):
    installed = {}
    for line in text.splitlines():
        name, _tab, version = line.partition("\t")
        if name:
            installed[name] = version
    return installed


def packages(ctx, causes=("unsupported", "driver_missing", "internal", "permission")):
    """The installed packages of the run, read once: ({"manager", "source", "installed": {name: version}},
    None), or (None, why they cannot be read here)."""
    return ctx.optional("packages", lambda: installed_packages(ctx.fs), causes)


def installed_packages(fs):
    text = fs.text(DPKG_STATUS, limit=STATUS_LIMIT)
    if text is not None:
        return {"manager": "dpkg", "source": DPKG_STATUS, "installed": parse_dpkg_status(text)}
    database = next((path for path in RPM_DATABASES if fs.listdir(path)), None)
    if database is None:
        raise PrecheckError("unsupported", "No package database under %s (neither %s nor an RPM database in %s)."
                            % (fs.root, DPKG_STATUS, " or ".join(RPM_DATABASES)), "")
    rpm = fs.find_command("rpm")
    if rpm is None:
        raise PrecheckError("driver_missing", "The RPM database %s of %s cannot be read: rpm is not installed on this "
                            "machine." % (database, fs.root),
                            "Install rpm on the machine that runs the precheck, or run it on the checked system.")
    argv = [rpm, "-qa", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n"]
    if not fs.live:
        argv[1:1] = ["--root", fs.root]
    code, out, err = fs.run(argv)
    if code != 0:
        raise PrecheckError("internal", "rpm -qa on %s failed (exit %d): %s" % (fs.root, code, err.strip()[:200]), "")
    return {"manager": "rpm", "source": database, "installed": parse_rpm_query(out)}
