# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SAP HANA gathering: the instance's files below `root` and the monitoring views of SYSTEMDB, each
read once per run through the context. Only SELECTs are sent; names and values are bound."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context, instance_target
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import connection as hana_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import instance_files as files

INSTANCES_CHECK = "hana.instances"

# The [backup] keys of global.ini that make a database back up through backint.
BACKINT_FLAGS = ("log_backup_using_backint", "catalog_backup_using_backint")
PARAMETER_FILES = ("data_backup_parameter_file", "log_backup_parameter_file", "catalog_backup_parameter_file")

# The data backups that M_BACKUP_CATALOG lists (log backups are left out: there are many of them).
DATA_BACKUP_TYPES = ("complete data backup", "incremental data backup", "differential data backup")
BACKUP_STATES = ("successful", "running")

STATEMENTS = {
    "server": "SELECT SYSTEM_ID, DATABASE_NAME, VERSION FROM SYS.M_DATABASE",
    "databases": "SELECT DATABASE_NAME, ACTIVE_STATUS, ACTIVE_STATUS_DETAILS FROM SYS.M_DATABASES",
    "overview": "SELECT SECTION, NAME, STATUS, VALUE FROM SYS.M_SYSTEM_OVERVIEW WHERE SECTION IN (?, ?)",
    "backups": ("SELECT DATABASE_NAME, ENTRY_TYPE_NAME, STATE_NAME, BACKUP_ID, SYS_START_TIME "
                "FROM SYS_DATABASES.M_BACKUP_CATALOG WHERE ENTRY_TYPE_NAME IN (?, ?, ?) AND STATE_NAME IN (?, ?) "
                "ORDER BY SYS_START_TIME DESC"),
    "privileges": ("SELECT PRIVILEGE, IS_VALID FROM SYS.EFFECTIVE_PRIVILEGES "
                   "WHERE USER_NAME = ? AND OBJECT_TYPE = ?"),
    "current_user": "SELECT CURRENT_USER FROM SYS.DUMMY",
}

# At most so many data backups are read (newest first): enough to find the last complete one.
MAX_BACKUP_ROWS = 2000


def user_name(name):
    """HANA's name of a user: unquoted names are upper case, "quoted" ones kept as written."""
    name = str(name or "").strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1]
    return name.upper()


def resolve_settings(params):
    return {
        "host": params.get("login_host") or "localhost",
        "port": params.get("login_port"),
        "user": params.get("login_user"),
        "password": params.get("login_password"),
        "userstore_key": params.get("userstore_key"),
        "encrypt": params.get("encrypt"),
        "validate_certificate": params.get("validate_certificate"),
        "trust_store": params.get("trust_store"),
        "connect_timeout": params.get("connect_timeout") or 10.0,
        "statement_timeout": params.get("statement_timeout") or 30.0,
    }


class HanaContext(Context):
    """One HANA instance: its files below `root`, and one SYSTEMDB connection opened on first use."""

    def __init__(self, params):
        super(HanaContext, self).__init__(params, None, secrets=[params.get("login_password")])
        self.root = params.get("root") or "/"
        self.settings = resolve_settings(params)
        if self.settings["port"] is None:
            number = params.get("instance_number")
            if number is None:
                try:
                    number = self.instance()["number"]
                except PrecheckError:
                    number = "00"  # the items say why no instance was found
            self.settings["port"] = int("3%s13" % number)
        endpoint = "%s:%s" % (self.settings["host"], self.settings["port"])
        if self.settings["userstore_key"]:
            endpoint = "key %s" % self.settings["userstore_key"]
        self.settings["endpoint"] = endpoint
        self.target = instance_target(endpoint, params.get("label"))

    # -- files --------------------------------------------------------------------------------------

    def discovery(self):
        return self.cached("discovery", lambda: files.discover_instances(self.root))

    def instance(self):
        """The instance the items check: the option sid, or the only one found under root."""
        found = self.discovery()["instances"]
        sid = (self.params.get("sid") or "").upper()
        number = self.params.get("instance_number")
        if sid:
            matching = [i for i in found if i["sid"] == sid and (number is None or i["number"] == number)]
            if matching:
                return matching[0]
            if number is not None:
                return {"sid": sid, "number": number, "sources": []}
            raise PrecheckError(
                "unsupported", "No instance of SAP HANA system %s is installed under %s (no HDB<nn> directory in "
                "/usr/sap/%s, no HDB entry in /usr/sap/sapservices)." % (sid, self.root, sid),
                "Check the option sid (found: %s) and root." % (", ".join(i["sid"] for i in found) or "none"),
                source=INSTANCES_CHECK)
        if len(found) == 1:
            return found[0]
        if not found:
            raise PrecheckError(
                "unsupported", "No SAP HANA instance is installed under %s: no HDB entry in /usr/sap/sapservices and "
                "no /usr/sap/<SID>/HDB<nn> directory." % self.root,
                "Run the check on the HANA host, or set root to where its file systems are mounted.",
                source=INSTANCES_CHECK)
        names = ", ".join("%s HDB%s" % (i["sid"], i["number"]) for i in found)
        raise PrecheckError(
            "unsupported", "%d SAP HANA instances are installed under %s (%s): set the option sid to say which one "
            "the other checks judge." % (len(found), self.root, names),
            "Set sid (and instance_number) for this entry of cloudbackup_precheck_hana_instances.",
            source=INSTANCES_CHECK)

    def read(self, path):
        """The text of one file of the instance (None when absent), read once."""
        def produce():
            try:
                return files.read_text(self.root, path)
            except files.FileProblem as exc:
                raise PrecheckError("permission", "%s cannot be read: %s." % (path, exc.reason),
                                    "Run the check as root or as <sid>adm, who can read %s." % path,
                                    details={"file": path})
        return self.cached(("file", path), produce)

    def ini(self, tenant=None):
        """(path, {section: {key: value}} or None) of the system layer's or a tenant's global.ini."""
        path = files.global_ini(self.instance()["sid"], tenant)
        text = self.read(path)
        return path, (None if text is None else files.parse_ini(text))

    def tenants(self):
        """The tenants: those SYSTEMDB lists when connected, else the DB_<TENANT> config directories."""
        return self.cached("tenants", lambda: files.tenants_on_disk(self.root, self.instance()["sid"]))

    def layers(self):
        """[(database, ini path, system layer, database layer or None)] for SYSTEMDB and each tenant."""
        system_path, system = self.ini()
        rows = [("SYSTEMDB", system_path, system, None)]
        for tenant in self.tenants():
            path, layer = self.ini(tenant)
            rows.append((tenant, path, system, layer))
        return rows

    def manifest(self):
        """(path, {key: value}) of the first manifest found, or (None, None)."""
        instance = self.instance()
        for path in files.manifests(instance["sid"], instance["number"]):
            text = self.read(path)
            if text is not None:
                return path, files.parse_manifest(text)
        return None, None

    def file_state(self, path):
        return self.cached(("state", path), lambda: files.file_state(self.root, path))

    def sidadm(self):
        """(uid, gid) of <sid>adm from the root's /etc/passwd, or None when it is not listed there."""
        name = "%sadm" % self.instance()["sid"].lower()
        text = self.read("/etc/passwd") or ""
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) >= 4 and fields[0] == name and fields[2].isdigit() and fields[3].isdigit():
                return int(fields[2]), int(fields[3])
        return None

    # -- SYSTEMDB -----------------------------------------------------------------------------------

    def connection(self):
        return self.cached("connection", lambda: hana_conn.connect(self.settings))

    def query(self, key, args=(), what=None, max_rows=10000):
        return self.connection().query(STATEMENTS[key], args, what=what, max_rows=max_rows)

    def server(self):
        def read():
            rows = self.query("server", what="SYS.M_DATABASE")
            system_id, database, version = rows[0] if rows else (None, None, None)
            return {"sid": system_id, "database": database, "version": version,
                    "connect_ms": self.connection().elapsed_ms}
        return self.cached("server", read)

    def databases(self):
        """(rows of SYS.M_DATABASES as dicts, None) or (None, reason) without the privilege or view."""
        def read():
            return [{"name": name, "active": active, "details": details}
                    for name, active, details in self.query("databases", what="SYS.M_DATABASES")]
        return self.optional("databases", read, unavailable_causes=("permission", "unsupported"))

    def overview(self):
        def read():
            return [{"section": s, "name": n, "status": st, "value": v}
                    for s, n, st, v in self.query("overview", ("Services", "System"), what="SYS.M_SYSTEM_OVERVIEW")]
        return self.cached("overview", read)

    def backups(self):
        def read():
            rows = self.query("backups", DATA_BACKUP_TYPES + BACKUP_STATES, what="SYS_DATABASES.M_BACKUP_CATALOG",
                              max_rows=MAX_BACKUP_ROWS)
            return [{"database": d, "type": t, "state": s, "backup_id": b, "start": str(start) if start else None}
                    for d, t, s, b, start in rows]
        return self.cached("backups", read)

    def backup_user(self):
        """The user whose privileges are judged: backup_user, the login user, or the userstore key's user."""
        if self.params.get("backup_user"):
            return user_name(self.params["backup_user"])
        if self.settings["user"]:
            return user_name(self.settings["user"])
        return self.cached("current_user", lambda: str(self.query("current_user", what="CURRENT_USER")[0][0]))

    def privileges(self):
        def read():
            user = self.backup_user()
            rows = self.query("privileges", (user, "SYSTEMPRIVILEGE"), what="SYS.EFFECTIVE_PRIVILEGES of %s" % user)
            return [privilege for privilege, valid in rows if str(valid).upper() != "FALSE"]
        return self.cached("privileges", read)


def database_target(target, database):
    """The target of one database's result: the instance, then the database."""
    return "%s/%s" % (target, database)


def version_numbers(text):
    """`2.00.070.00.1700000000` -> (2, 70, 0): major, revision, patch; None when unreadable."""
    match = re.match(r"^\s*(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?", str(text or ""))
    if not match:
        return None
    return int(match.group(1)), int(match.group(3)), int(match.group(4) or 0)
