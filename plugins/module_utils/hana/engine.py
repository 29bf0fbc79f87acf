# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SAP HANA engine: its options, their validation, and the context of a run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import connection as hana_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import database, installation
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana.gathering import HanaContext

OPTIONS = dict(hana_conn.CONNECTION_ARGS)
OPTIONS.update(
    root=dict(type="path", default="/", description=(
        "The directory the instance's files are read below: V(/) on the HANA host itself, or where its file "
        "systems are mounted (/usr/sap, the custom global.ini files, the backint agent and its parameter files).",
    )),
    sid=dict(type="str", description=(
        "The SAP system id (three characters, such as V(HDB)) of the instance to check. Not set: the only HANA "
        "instance found under O(root).",
    )),
    instance_number=dict(type="str", description=(
        "The two-digit instance number (V(00)) of the instance; it gives the default O(login_port) C(3<nn>13).",
    )),
    backup_user=dict(type="str", description=(
        "The database user the backup client logs in with, whose privileges C(hana.privileges) judges. Not set: "
        "O(login_user) (or the user of O(userstore_key)). Unquoted names are upper-cased, as HANA does.",
    )),
)

DESCRIPTION = (
    "Checks that one SAP HANA instance can be backed up through Backint, read-only: the instance's files below "
    "O(root) (the HANA instances of the host, the version manifest, global.ini of SYSTEMDB and of every tenant, the "
    "backint agent and its parameter files) and SYSTEMDB's monitoring views through SAP's driver hdbcli.",
    "Each file is read once and bounded in size; each statement once, bounded by O(statement_timeout). An instance "
    "that cannot be reached is an V(error) result of C(hana.connection), not a failed task; the file items still "
    "run.",
)

REQUIREMENTS = (
    "hdbcli (C(pip install hdbcli), SAP's driver from PyPI) for the Python interpreter that runs the module, for "
    "the items that read SYSTEMDB. Without it they are V(error) with cause V(driver_missing).",
)

NOTES = (
    "Only C(SELECT) statements are sent, on SYS.M_DATABASE, SYS.M_DATABASES, SYS.M_SYSTEM_OVERVIEW, "
    "SYS_DATABASES.M_BACKUP_CATALOG and SYS.EFFECTIVE_PRIVILEGES; user names and values are bound as parameters. "
    "Tenants are judged from SYSTEMDB, so no tenant connection is opened.",
    "Nothing is installed, created or changed: remediations are the statements (C(ALTER SYSTEM ALTER CONFIGURATION "
    "... WITH RECONFIGURE), C(GRANT)) and commands (hdbsql, hdbnsutil, sapcontrol) a HANA administrator runs.",
    "The options can be set once for every HANA module with C(module_defaults) and the action group "
    "C(group/cloudbackup.precheck.hana).",
)

EXAMPLES = r"""
- name: Check the HANA instance of this host as the backup user
  cloudbackup.precheck.hana_precheck:
    login_user: BACKUP
    login_password: "{{ vault_hana_backup_password }}"
  register: hana_checks

- name: Check instance HDB 00 through a key of the secure user store, over TLS
  cloudbackup.precheck.hana_precheck:
    sid: HDB
    instance_number: "00"
    userstore_key: BACKUP
    encrypt: true
    trust_store: /usr/sap/HDB/home/.ssl/trust.pem

- name: Only the file items (no database login), on a mounted copy of the host's file systems
  cloudbackup.precheck.hana_precheck:
    root: /mnt/hana01
    checks: ["@files"]
"""

_SID = re.compile(r"^[A-Za-z][A-Za-z0-9]{2}$")


def validate(params):
    problems = hana_conn.validate_connection(params)
    if params.get("sid") and not _SID.match(params["sid"]):
        problems.append("sid: %r is not a SAP system id (three letters or digits, starting with a letter, such as "
                        "HDB)" % params["sid"])
    number = params.get("instance_number")
    if number is not None and not re.match(r"^\d\d$", str(number)):
        problems.append("instance_number: %r is not an instance number (two digits, such as 00)" % (number,))
    if not os.path.isdir(params.get("root") or "/"):
        problems.append("root: %r is not a directory (the root the instance's files are read below)"
                        % params.get("root"))
    return problems


ENGINE = Engine("hana", OPTIONS, HanaContext, validate=validate, items=(installation, database),
                title="SAP HANA", description=DESCRIPTION, examples=EXAMPLES, requirements=REQUIREMENTS,
                notes=NOTES, instances="hana_instances")
