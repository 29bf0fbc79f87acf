# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of a SAP HANA installation, read below a root directory, every read bounded.

/usr/sap/sapservices (classic lines that start sapstartsrv, and the systemd form that only names
the profile in a comment), the instance directories /usr/sap/<SID>/HDB<nn>, the manifest of the
installed version, the custom global.ini of the system layer and of each tenant (DB_<TENANT>/),
the backint agent and its parameter files. Nothing is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

# Bounds of what is read: a file bigger than this is read up to it, a directory up to so many entries.
MAX_FILE_BYTES = 1024 * 1024
MAX_ENTRIES = 2000

SAPSERVICES = "usr/sap/sapservices"
USR_SAP = "usr/sap"

# `pf=/usr/sap/HDB/SYS/profile/HDB_HDB00_host`: the profile of instance HDB00 of system HDB.
_PROFILE = re.compile(r"pf=\S*/usr/sap/([A-Z][A-Z0-9]{2})/SYS/profile/\1_([A-Z]+)(\d\d)_\S+")
_SID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_HDB_DIR = re.compile(r"^HDB(\d\d)$")


class FileProblem(Exception):
    """A file that exists but cannot be read (permission, not a regular file)."""

    def __init__(self, path, reason):
        super(FileProblem, self).__init__("%s: %s" % (path, reason))
        self.path = path
        self.reason = reason


def under(root, path):
    """`path` (absolute on the HANA host) below `root`."""
    return os.path.join(root, str(path).lstrip("/"))


def read_text(root, path, limit=MAX_FILE_BYTES):
    """The text of a file (at most `limit` bytes), or None when it does not exist."""
    full = under(root, path)
    try:
        with open(full, "rb") as handle:
            data = handle.read(limit)
    except (IOError, OSError) as exc:
        if getattr(exc, "errno", None) == 2:
            return None
        raise FileProblem(path, getattr(exc, "strerror", None) or str(exc))
    return data.decode("utf-8", "replace")


def list_dir(root, path, limit=MAX_ENTRIES):
    """Up to `limit` names of a directory, sorted; [] when it does not exist."""
    try:
        names = []
        for entry in os.scandir(under(root, path)):
            names.append(entry.name)
            if len(names) >= limit:
                break
        return sorted(names)
    except (IOError, OSError):
        return []


def file_state(root, path):
    """What a file is: {exists, regular, mode, uid, gid, size}; follows symlinks as the agent would."""
    try:
        info = os.stat(under(root, path))
    except (IOError, OSError):
        return {"exists": False, "path": path}
    return {"exists": True, "path": path, "regular": stat.S_ISREG(info.st_mode), "mode": stat.S_IMODE(info.st_mode),
            "uid": info.st_uid, "gid": info.st_gid, "size": info.st_size,
            "readable": os.access(under(root, path), os.R_OK)}


# -- instances ------------------------------------------------------------------------------------

def parse_sapservices(text):
    """[(SID, instance type, number, form)] of /usr/sap/sapservices, classic or systemd lines."""
    found = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        match = _PROFILE.search(line)
        if not match or (line.startswith("#") and "systemctl" not in line):
            continue
        form = "systemd" if "systemctl" in line else "classic"
        entry = (match.group(1), match.group(2), match.group(3), form)
        if entry not in found:
            found.append(entry)
    return found


def discover_instances(root):
    """The HANA instances of the host: {"instances": [{sid, number, sources}], "files": {...}}.

    An instance is an HDB entry of /usr/sap/sapservices or a directory /usr/sap/<SID>/HDB<nn>."""
    instances = {}
    text = read_text(root, SAPSERVICES)
    for sid, kind, number, form in parse_sapservices(text):
        if kind == "HDB":
            instances.setdefault((sid, number), set()).add("%s (%s)" % ("/" + SAPSERVICES, form))
    for sid in list_dir(root, USR_SAP):
        if not _SID.match(sid):
            continue
        for name in list_dir(root, "%s/%s" % (USR_SAP, sid)):
            match = _HDB_DIR.match(name)
            if match and os.path.isdir(under(root, "%s/%s/%s" % (USR_SAP, sid, name))):
                instances.setdefault((sid, match.group(1)), set()).add("/%s/%s/%s" % (USR_SAP, sid, name))
    return {
        "sapservices": None if text is None else "/" + SAPSERVICES,
        "instances": [{"sid": sid, "number": number, "sources": sorted(sources)}
                      for (sid, number), sources in sorted(instances.items())],
    }


# -- paths of one instance -------------------------------------------------------------------------

def config_dir(sid):
    return "/usr/sap/%s/SYS/global/hdb/custom/config" % sid


def global_ini(sid, tenant=None):
    """The custom global.ini of the system layer, or of a tenant's DATABASE layer."""
    if tenant:
        return "%s/DB_%s/global.ini" % (config_dir(sid), tenant)
    return "%s/global.ini" % config_dir(sid)


def backint_agent(sid):
    return "/usr/sap/%s/SYS/global/hdb/opt/hdbbackint" % sid


def manifests(sid, number):
    """Where the manifest of the installed version is: the instance's exe directory first."""
    return ("/usr/sap/%s/HDB%s/exe/manifest" % (sid, number), "/usr/sap/%s/SYS/exe/hdb/manifest" % sid)


def tenants_on_disk(root, sid):
    """The tenants that have a DATABASE layer directory (DB_<TENANT>) in the custom config."""
    return [name[3:] for name in list_dir(root, config_dir(sid)) if name.startswith("DB_") and len(name) > 3]


# -- file formats -----------------------------------------------------------------------------------

def parse_ini(text):
    """{section: {key: value}} of a HANA .ini file (keys and sections lower case, `#` and `;` comments)."""
    sections = {}
    section = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        header = re.match(r"^\[\s*([^\]]+?)\s*\]$", line)
        if header:
            section = sections.setdefault(header.group(1).lower(), {})
            continue
        if section is None or "=" not in line:
            continue
        key, value = line.split("=", 1)
        section[key.strip().lower()] = value.strip()
    return sections


def parse_manifest(text):
    """{key: value} of a HANA manifest (`release: 2.00.070.00`, `fullversion: ...`, `sp-number: 070`)."""
    values = {}
    for raw in (text or "").splitlines():
        key, sep, value = raw.partition(":")
        if sep and key.strip():
            values[key.strip().lower()] = value.strip()
    return values
