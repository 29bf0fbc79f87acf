# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server check items for restores (seed 004): TDE certificates present and backed up, the
restore file list within Azure Backup's 20,000-byte limit, the configured databases exist, no
same-name database on a restore target, and every SQL Server instance of the host answers (one
faulty instance hides the host as a restore target). The options, their validation and the shared
helpers are in common.py.

The judge_* functions take plain rows and options and are unit-tested without a server. Every
statement is a SELECT; the instances of the host are probed with a TDS pre-login, without a login.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.endpoints import endpoint_of
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.runner import parallel_map
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.common import (
    ENDPOINT, PEER_OPTIONS, V2008, VIEW_ANY_DATABASE, rows_by_id, can_see_definitions, database_check, database_files, as_int,
    database_names,
    login_of, lower_keys, major_version, num, plural,
    summary_check, as_text, who_fix, normalize_thumbprint, read_rows, sql_string, state_permission, unreadable)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.connection import quote_name

AZURE_BIN = "C:\\Program Files\\Azure Workload Backup\\bin"
RESTORE_OVERRIDE_DIR = AZURE_BIN + "\\plugins\\SQL*"
EXTENSION_OVERRIDES = AZURE_BIN + "\\ExtensionSettingsOverrides.json"


# -- statements -------------------------------------------------------------------------------

ENCRYPTION_KEYS_COLUMNS = ("k.database_id", "k.encryption_state", "k.encryptor_thumbprint", "k.key_algorithm",
                           "k.key_length", "k.percent_complete")
ENCRYPTION_KEYS_COLUMNS_2012 = ("k.encryptor_type",)

CERTIFICATES_SQL = """SELECT c.name, c.thumbprint, c.pvt_key_encryption_type_desc, c.pvt_key_last_backup_date,
 c.expiry_date, c.subject
 FROM master.sys.certificates AS c"""

# Before 2012 sys.dm_database_encryption_keys has no encryptor_type: an encryptor thumbprint found here
# rather than among the certificates is an asymmetric key (an EKM key, for TDE).
ASYMMETRIC_KEYS_SQL = "SELECT ak.name, ak.thumbprint FROM master.sys.asymmetric_keys AS ak"

ENCRYPTION_STATES = {0: "NONE", 1: "UNENCRYPTED", 2: "ENCRYPTION_IN_PROGRESS", 3: "ENCRYPTED",
                     4: "KEY_CHANGE_IN_PROGRESS", 5: "DECRYPTION_IN_PROGRESS", 6: "PROTECTION_CHANGE_IN_PROGRESS"}


# -- judging: TDE certificates ----------------------------------------------------------------

def _certificate_fix(certificate):
    quoted = quote_name(certificate)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", str(certificate))
    return ("USE [master]; BACKUP CERTIFICATE %s TO FILE = N'<secure path>\\%s.cer' WITH PRIVATE KEY (FILE = "
            "N'<secure path>\\%s.pvk', ENCRYPTION BY PASSWORD = N'<strong password>'); and keep the files and the "
            "password apart from the database backups: a restore on another server needs them." % (quoted, stem, stem))


def judge_tde(databases, keys, certificates, label, can_see_certificates=True, backup_date_known=True, login=None,
              asymmetric_keys=None, major=None):
    """`keys`: {database_id: sys.dm_database_encryption_keys row}; `certificates`: master's
    sys.certificates rows; `asymmetric_keys`: master's sys.asymmetric_keys rows, read where the keys
    have no encryptor_type (before 2012). Transitional encryption states fail (backups and encryption
    scans are serialized); an encrypted database whose certificate is missing from master, or whose
    private key was never backed up, fails. `major`: the release, for the remediations."""
    by_thumbprint = dict((normalize_thumbprint(c.get("thumbprint")), c) for c in certificates or [])
    asymmetric = set(normalize_thumbprint(k.get("thumbprint")) for k in asymmetric_keys or [])
    results = []
    for database in databases:
        name, quoted, target = database_names(database, label)
        key = (keys or {}).get(database.get("database_id"))
        if not key:
            if database.get("is_encrypted"):
                results.append(R.warning(target, "Database %s on %s is marked encrypted (sys.databases.is_encrypted) "
                                                 "but has no database encryption key row." % (quoted, label),
                                         "Check it: SELECT * FROM sys.dm_database_encryption_keys WHERE database_id = "
                                         "DB_ID(%s);" % sql_string(name), {"database": name}))
            continue
        state = as_int(key.get("encryption_state"))
        state_desc = ENCRYPTION_STATES.get(state, "state %s" % state)
        thumbprint = normalize_thumbprint(key.get("encryptor_thumbprint"))
        encryptor = str(key.get("encryptor_type") or (
            "ASYMMETRIC KEY" if thumbprint in asymmetric and thumbprint not in by_thumbprint else "CERTIFICATE")).upper()
        details = {"database": name, "encryption_state": state_desc,
                   "encryptor_thumbprint": ("0x%s" % thumbprint) if thumbprint else None, "encryptor_type": key.get("encryptor_type"),
                   "key_algorithm": key.get("key_algorithm"), "percent_complete": num(key.get("percent_complete"))}
        if state in (0, 1, None) and not database.get("is_encrypted"):
            continue  # no key, or a key of an unencrypted database: nothing to protect
        if state in (2, 4, 5, 6):
            results.append(R.failed(
                target, "Database %s on %s is in the transitional TDE state %s (%.0f%% done): backups and encryption "
                        "changes are serialized, so a backup fails or waits until the scan ends (Azure "
                        "UserErrorFileManipulationIsNotAllowedDuringBackup)."
                        % (quoted, label, state_desc, num(key.get("percent_complete")) or 0),
                "Let the encryption scan finish (SELECT encryption_state, percent_complete FROM "
                "sys.dm_database_encryption_keys WHERE database_id = DB_ID(%s);)%s" % (
                    sql_string(name), "; if it was suspended: ALTER DATABASE %s SET ENCRYPTION RESUME;" % quoted
                    if (major or 0) >= 15 else "."), details))
            continue
        if "ASYMMETRIC" in encryptor:
            results.append(R.warning(
                target, "Database %s on %s is encrypted by an asymmetric key (thumbprint 0x%s, usually in an EKM "
                        "provider such as Azure Key Vault): whether it is backed up cannot be seen from SQL Server, and a "
                        "restore target needs access to the same key." % (quoted, label, thumbprint),
                "Make sure the key is kept in the key store (its own backup or soft delete) and that every restore "
                "target has the EKM provider and a credential for it.", details))
            continue
        certificate = by_thumbprint.get(thumbprint)
        if certificate is None:
            if not can_see_certificates:
                results.append(R.error(target, "Database %s on %s is encrypted with TDE by the certificate with "
                                               "thumbprint 0x%s, which the login may not see in master (it needs VIEW "
                                               "ANY DEFINITION), so whether its private key was backed up is unknown."
                                       % (quoted, label, thumbprint), "permission",
                                       "GRANT VIEW ANY DEFINITION TO %s;" % who_fix(login),
                                       dict(details, permission="VIEW ANY DEFINITION")))
            else:
                results.append(R.failed(
                    target, "Database %s on %s is encrypted with TDE by a certificate with thumbprint 0x%s that is not "
                            "in master: its backups cannot be restored anywhere without that certificate (Azure "
                            "UserErrorCannotFindServerCertificateWithThumbprint)." % (quoted, label, thumbprint),
                    "Find the certificate (SELECT name, thumbprint FROM master.sys.certificates;) or restore it into "
                    "master from its backup (CREATE CERTIFICATE [<name>] FROM FILE = N'<path>.cer' WITH PRIVATE KEY "
                    "(FILE = N'<path>.pvk', DECRYPTION BY PASSWORD = N'<password>');), then back it up.", details))
            continue
        cert_name = certificate.get("name")
        details.update({"certificate": cert_name, "pvt_key_last_backup_date": as_text(
            certificate.get("pvt_key_last_backup_date")), "certificate_expiry_date": as_text(certificate.get("expiry_date"))})
        if not backup_date_known:
            results.append(R.warning(
                target, "Database %s on %s is encrypted with TDE by certificate %s; this SQL Server version does not "
                        "record whether its private key was backed up (pvt_key_last_backup_date)."
                        % (quoted, label, quote_name(cert_name)), _certificate_fix(cert_name), details))
        elif certificate.get("pvt_key_last_backup_date") is None:
            results.append(R.failed(
                target, "Database %s on %s is encrypted with TDE by certificate %s (thumbprint 0x%s), whose private key "
                        "was never backed up (pvt_key_last_backup_date is NULL): if this server is lost, no backup of %s "
                        "can be restored elsewhere (Azure UserErrorCannotFindServerCertificateWithThumbprint)."
                        % (quoted, label, quote_name(cert_name), thumbprint, quoted), _certificate_fix(cert_name),
                details))
        else:
            results.append(R.passed(target, "Database %s on %s is encrypted with TDE by certificate %s, whose private "
                                            "key was backed up on %s." % (quoted, label, quote_name(cert_name),
                                                                          details["pvt_key_last_backup_date"]), details))
    return results


def judge_source_certificates(thumbprints, certificates, label, can_see_certificates=True, login=None):
    """On a restore target: each source TDE certificate (by thumbprint) must be in master with its private key."""
    by_thumbprint = dict((normalize_thumbprint(c.get("thumbprint")), c) for c in certificates or [])
    results = []
    for given in thumbprints or []:
        thumbprint = normalize_thumbprint(given)
        target = "%s certificate 0x%s" % (label, thumbprint)
        certificate = by_thumbprint.get(thumbprint)
        details = {"thumbprint": "0x%s" % thumbprint}
        fix = ("Copy the certificate of the source server here: on the source, BACKUP CERTIFICATE [<name>] TO FILE = "
               "N'<path>.cer' WITH PRIVATE KEY (FILE = N'<path>.pvk', ENCRYPTION BY PASSWORD = N'<password>'); on "
               "this server: USE [master]; CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'<password>'; (if there is "
               "none) CREATE CERTIFICATE [<name>] FROM FILE = N'<path>.cer' WITH PRIVATE KEY (FILE = N'<path>.pvk', "
               "DECRYPTION BY PASSWORD = N'<password>');")
        if certificate is None and not can_see_certificates:
            results.append(R.error(target, "The source TDE certificate with thumbprint 0x%s is not visible in master on "
                                           "the restore target %s: the login lacks VIEW ANY DEFINITION, so whether it "
                                           "is there is unknown." % (thumbprint, label), "permission",
                                   "GRANT VIEW ANY DEFINITION TO %s;" % who_fix(login),
                                   dict(details, permission="VIEW ANY DEFINITION")))
        elif certificate is None:
            results.append(R.failed(target, "The source TDE certificate with thumbprint 0x%s is not in master on the "
                                            "restore target %s: restoring the encrypted backups here fails (Azure "
                                            "UserErrorCannotFindServerCertificateWithThumbprint)." % (thumbprint, label),
                                    fix, details))
        elif str(certificate.get("pvt_key_encryption_type_desc") or "").upper() == "NO_PRIVATE_KEY":
            results.append(R.failed(target, "The source TDE certificate %s (thumbprint 0x%s) is in master on the "
                                            "restore target %s without its private key, which a restore needs to "
                                            "decrypt the database encryption key." % (
                                                quote_name(certificate.get("name")), thumbprint, label),
                                    "Drop it and create it again with its private key: " + fix,
                                    dict(details, certificate=certificate.get("name"))))
        else:
            results.append(R.passed(target, "The source TDE certificate %s (thumbprint 0x%s) is in master on the restore "
                                            "target %s with its private key." % (
                                                quote_name(certificate.get("name")), thumbprint, label),
                                    dict(details, certificate=certificate.get("name"))))
    return results


# -- judging: the file list of a restore ------------------------------------------------------

def file_list_json(files):
    """The file list of one database as Azure Backup builds it (seed 004, "Size limit for files"):
    `[{"path":"<physical name>","logicalName":"<logical name>","isDir":false},...]`, compact, in
    file_id order, JSON-escaped (a backslash counts twice), non-ASCII characters as UTF-8. FILESTREAM
    containers and full-text catalogs are directories (isDir true)."""
    entries = []
    for row in sorted(files or [], key=lambda f: as_int(f.get("file_id")) or 0):
        is_dir = str(row.get("type_desc") or "").upper() in ("FILESTREAM", "FULLTEXT")
        entries.append({"path": str(row.get("physical_name") or ""), "logicalName": str(row.get("logical_name") or ""),
                        "isDir": is_dir})
    return json.dumps(entries, separators=(",", ":"), ensure_ascii=False)


def file_list_bytes(files):
    return len(file_list_json(files).encode("utf-8"))


def judge_file_path_length(databases, files, limit, warn_percent, label, can_see_files=True, login=None):
    """Per selected database: over `limit` bytes warns (the restore cannot choose target paths; the
    override file is named), from `warn_percent` of the limit warns as close, else passes."""
    threshold = int(limit * warn_percent / 100.0)
    results = []
    for database in databases:
        name, quoted, target = database_names(database, label)
        rows = (files or {}).get(database.get("database_id")) or []
        details = {"database": name, "limit_bytes": limit, "warn_from_bytes": threshold}
        if database.get("source_database_id") is not None:
            results.append(R.skipped(target, "Database %s on %s is a database snapshot, which is not backed up."
                                     % (quoted, label), details))
            continue
        if not rows:
            if can_see_files:
                results.append(R.warning(target, "sys.master_files lists no file of database %s on %s, so the size of "
                                                 "its restore file list is unknown." % (quoted, label),
                                         "Check it: SELECT name, physical_name FROM sys.master_files WHERE database_id "
                                         "= DB_ID(%s);" % sql_string(name), details))
            else:
                results.append(R.error(target, "The login may not see the files of database %s on %s in "
                                               "sys.master_files (it needs VIEW ANY DEFINITION), so the size of its "
                                               "restore file list is unknown." % (quoted, label), "permission",
                                       "GRANT VIEW ANY DEFINITION TO %s;" % who_fix(login),
                                       dict(details, permission="VIEW ANY DEFINITION")))
            continue
        size = file_list_bytes(rows)
        longest = max(rows, key=lambda f: len(str(f.get("physical_name") or "")))
        details.update({"bytes": size, "files": len(rows), "longest_path": longest.get("physical_name"),
                        "longest_path_chars": len(str(longest.get("physical_name") or "")),
                        "override_file": "%s\\%s.json" % (RESTORE_OVERRIDE_DIR, name)})
        override = ("Before a restore that must place files elsewhere, create %s\\%s.json with one entry per file, "
                    "[{\"Path\": \"<restore path>\", \"LogicalName\": \"<logical name>\", \"IsDir\": \"false\"}, ...] "
                    "(SELECT mf.name AS LogicalName, mf.physical_name FROM sys.master_files AS mf WHERE mf.database_id "
                    "= DB_ID(%s); lists them), or shorten the list: fewer files or shorter paths (ALTER DATABASE %s "
                    "MODIFY FILE (NAME = N'<logical name>', FILENAME = N'<shorter path>'); takes effect when the "
                    "database is next taken offline)." % (RESTORE_OVERRIDE_DIR, name, sql_string(name), quoted))
        what = "The restore file list of database %s on %s is %d bytes (%s, longest path %d characters)" % (
            quoted, label, size, plural(len(rows), "file"), details["longest_path_chars"])
        if size > limit:
            results.append(R.warning(target, "%s, over Azure Backup's limit of %d bytes: a restore cannot choose the "
                                             "target file paths and puts the files in SQL Server's default paths, unless "
                                             "the override file %s\\%s.json is in place."
                                     % (what, limit, RESTORE_OVERRIDE_DIR, name), override, details))
        elif size >= threshold:
            results.append(R.warning(target, "%s, close to Azure Backup's limit of %d bytes (warning from %d%%, %d "
                                             "bytes): a few more files or longer paths, and restores can no longer "
                                             "choose the target file paths." % (what, limit, warn_percent, threshold),
                                     override, details))
        else:
            results.append(R.passed(target, "%s, within Azure Backup's limit of %d bytes." % (what, limit), details))
    return results


# -- judging: configured databases and restore targets ----------------------------------------

def _find(databases, name, case_sensitive=False):
    """(row, exact) of the database named `name`: exact first, then, unless the server's collation is
    case-sensitive, case-insensitively (the server compares database names by its collation)."""
    for database in databases:
        if database.get("name") == name:
            return database, True
    if case_sensitive:
        return None, False
    for database in databases:
        if str(database.get("name") or "").lower() == str(name).lower():
            return database, False
    return None, False


def judge_database_exists(names, databases, label, can_see_all=True, login=None, case_sensitive=False):
    results = []
    for name in names or []:
        target = label + "/" + name
        quoted = quote_name(name)
        found, exact = _find(databases, name, case_sensitive)
        near, _exact = _find(databases, name) if found is None and case_sensitive else (None, False)
        if found is not None:
            text = "Database %s exists on %s" % (quoted, label)
            if not exact:
                text += " as %s (the names differ in case only)" % quote_name(found["name"])
            results.append(R.passed(target, text + " (state %s)." % (found.get("state_desc") or "unknown"),
                                    {"database": found["name"], "configured": name,
                                     "state": found.get("state_desc")}))
        elif not can_see_all:
            results.append(R.error(target, "Database %s is not among the databases the login may see on %s; without "
                                           "VIEW ANY DATABASE it sees only master, tempdb and its own databases, so "
                                           "whether %s exists is unknown." % (quoted, label, quoted), "permission",
                                   "GRANT VIEW ANY DATABASE TO %s;" % who_fix(login),
                                   {"database": name, "permission": "VIEW ANY DATABASE"}))
        elif near is not None:
            results.append(R.failed(target, "Database %s does not exist on %s, whose collation compares names "
                                            "case-sensitively: %s differs in case, so backups of %s fail (Azure "
                                            "UserErrorSQLPODoesNotExist)." % (quoted, label, quote_name(near["name"]),
                                                                              quoted),
                                    "Configure the name as the server has it (%s) in the databases option."
                                    % near["name"], {"database": name, "similar": near["name"]}))
        else:
            results.append(R.failed(target, "Database %s does not exist on %s: it was dropped or renamed, so its "
                                            "backups fail (Azure UserErrorSQLPODoesNotExist)." % (quoted, label),
                                    "Check what happened to it (SELECT name, create_date FROM sys.databases ORDER BY "
                                    "create_date DESC;). If it was dropped by mistake, restore it to its original "
                                    "location; if it was renamed, configure the new name; if it is gone for good, "
                                    "remove it from the databases option and stop its protection.",
                                    {"database": name}))
    return results


def judge_restore_target(names, databases, overwrite, label, can_see_all=True, login=None, case_sensitive=False):
    results = []
    for name in names or []:
        target = label + "/" + name
        quoted = quote_name(name)
        found, _exact = _find(databases, name, case_sensitive)
        details = {"database": name, "overwrite": overwrite}
        if found is None and not can_see_all:
            results.append(R.error(target, "Whether a database %s already exists on the restore target %s is unknown: "
                                           "the login lacks VIEW ANY DATABASE." % (quoted, label), "permission",
                                   "GRANT VIEW ANY DATABASE TO %s;" % who_fix(login),
                                   dict(details, permission="VIEW ANY DATABASE")))
        elif found is None:
            results.append(R.passed(target, "No database named %s exists on the restore target %s, so the restore can "
                                            "create it." % (quoted, label), details))
        elif overwrite:
            details["existing_state"] = found.get("state_desc")
            results.append(R.passed(target, "Database %s exists on the restore target %s and overwrite is planned: the "
                                            "restore replaces it and its data." % (quote_name(found["name"]), label),
                                    details))
        else:
            details["existing_state"] = found.get("state_desc")
            results.append(R.failed(target, "Database %s already exists on the restore target %s: a restore under that "
                                            "name without force overwrite fails (Azure "
                                            "UserErrorCannotRestoreExistingDBWithoutForceOverwrite)."
                                    % (quote_name(found["name"]), label),
                                    "Restore under another name, or choose force overwrite for the restore (and set "
                                    "overwrite: true here), or rename the existing database first: ALTER DATABASE %s "
                                    "MODIFY NAME = %s;" % (quote_name(found["name"]), quote_name(found["name"] + "_old")),
                                    details))
    return results


# -- judging: the other instances of the host -------------------------------------------------

def instance_inquiry_name(peer):
    """The SQL Server instance name Azure Backup lists: the named instance, MSSQLSERVER for a default
    instance on 1433, else the entry's name."""
    if peer.get("instance_name"):
        return peer["instance_name"]
    if peer.get("login_port") in (None, 1433):
        return "MSSQLSERVER"
    return peer.get("name") or "<instance name of %s>" % peer.get("label")


def judge_instances(probes, host):
    """`probes`: [{label, name, instance, ok, reason, detail, self}] for every instance configured on
    the host. Every instance must answer the TDS pre-login: one faulty instance hides the host as a
    restore target."""
    faulty = [p for p in probes if not p["ok"]]
    results = []
    names = ",".join(instance_inquiry_name(p) for p in faulty)
    for probe in probes:
        details = dict((k, v) for k, v in probe.items() if k not in ("ok",))
        what = probe["label"]
        if probe["ok"]:
            results.append(R.passed(probe["label"], "SQL Server instance %s on host %s answers (TDS pre-login%s)." % (
                what, host, ", version %s" % probe["server_version"] if probe.get("server_version") else ""),
                details))
            continue
        results.append(R.failed(
            probe["label"],
            "SQL Server instance %s on host %s is not reachable (%s: %s): while one instance of a host is faulty, "
            "the host does not appear as a restore target for any of its %d instances."
            % (what, host, probe.get("reason") or "unknown", probe.get("detail") or "no answer", len(probes)),
            "Start or repair the instance (its service, TCP/IP, the firewall, the port). To restore to the healthy "
            "instances meanwhile: in %s add \"whitelistedInstancesForInquiry\": \"%s\" (seed 004 names the faulty "
            "instances there), run Rediscover DBs in the portal, and remove the entry after the restore. If the "
            "instance is gone for good, uninstall it or leave it out of peer_instances." % (EXTENSION_OVERRIDES, names),
            details))
    return results


def probe_instance(entry, timeout, silent=()):
    """TCP (after a SQL Server Browser lookup for a named instance) and a TDS pre-login, no login.
    An endpoint in `silent` did not answer TCP in the host's earlier probe: it is not waited for again."""
    settings = sqlserver_conn.resolve_settings({
        "login_host": entry.get("login_host") or "localhost", "login_port": entry.get("login_port"),
        "instance_name": entry.get("instance_name"), "encrypt": False, "connect_timeout": timeout,
        "label": entry.get("name")})
    endpoint = endpoint_of(dict(entry, login_host=entry.get("login_host") or "localhost"), ENDPOINT)
    if endpoint in silent:
        found = {"cause": "timeout", "reason": "timeout",
                 "detail": "%s did not answer TCP when this host probed its engines' endpoints earlier in this run"
                           % endpoint}
    else:
        found = sqlserver_conn.diagnose(settings, timeout)
    result = {"label": settings["label"], "name": entry.get("name"), "instance_name": entry.get("instance_name"),
              "login_port": entry.get("login_port"), "self": bool(entry.get("self"))}
    # `tls` here means the server answered the pre-login and requires encryption: it is up.
    result["ok"] = found.get("cause") in (None, "tls")
    for key in ("reason", "detail", "server_version", "port"):
        if found.get(key) is not None:
            result[key] = found[key]
    return result


# -- gathering --------------------------------------------------------------------------------

def _can_see_all_databases(ctx):
    permissions = ctx.permissions()
    return permissions.get("is_sysadmin") == 1 or permissions.get("view_any_database") != 0


def _certificates(ctx):
    rows, exc = read_rows(ctx, "certificates", CERTIFICATES_SQL, "certificates in master (sys.certificates)")
    return ([lower_keys(r) for r in rows] if rows is not None else None), exc


def _asymmetric_keys(ctx):
    """master's asymmetric keys where the encryption keys do not say their encryptor's type (before 2012)."""
    if major_version(ctx.server()) >= 11:
        return [], None
    rows, exc = read_rows(ctx, "asymmetric_keys", ASYMMETRIC_KEYS_SQL, "asymmetric keys in master (sys.asymmetric_keys)")
    return ([lower_keys(r) for r in rows] if rows is not None else None), exc


# -- the check items --------------------------------------------------------------------------

@register(
    "sqlserver.tde_certificate", "TDE certificates are present and backed up", ("backup", "restore"),
    tags=("databases", "encryption"),
    references=("Azure:UserErrorCannotFindServerCertificateWithThumbprint",),
    rule="Per selected TDE database (sys.dm_database_encryption_keys): a transitional encryption_state (2, 4, 5, 6) "
         "fails; its certificate missing from master.sys.certificates fails; a certificate whose private key was "
         "never backed up (pvt_key_last_backup_date NULL) fails; an asymmetric (EKM) encryptor warns. On a "
         "restore_target, each of source_certificate_thumbprints must be in master with its private key.",
    permissions="VIEW SERVER STATE (sys.dm_database_encryption_keys; error 300 without it) and VIEW ANY DEFINITION "
                "(sys.certificates and, before 2012, sys.asymmetric_keys in master list only what the login owns "
                "without it); without them an error (cause permission) when a database is encrypted or a thumbprint "
                "is to be found. " + VIEW_ANY_DATABASE,
    versions=V2008 + (" (TDE: Enterprise and Developer editions, Standard from 2019). encryptor_type is read from "
                      "2012: before, an encryptor found among master's asymmetric keys rather than its certificates "
                      "is an EKM key. ENCRYPTION RESUME is printed from 2019."),
    options=dict(
        source_certificate_thumbprints=dict(type="list", elements="str", default=[], description=(
            "On a restore target, the SHA-1 thumbprints (40 hexadecimal digits, V(0x) optional) of the TDE "
            "certificates of the source servers. Each must be in C(master.sys.certificates) with its private key.",
        )),
    ),
)
def tde_certificate(ctx):
    server = ctx.server()
    login = login_of(ctx)
    selection = ctx.selection()
    columns = ENCRYPTION_KEYS_COLUMNS + (ENCRYPTION_KEYS_COLUMNS_2012 if major_version(server) >= 11 else ())
    keys, exc = read_rows(ctx, "encryption_keys", "SELECT %s FROM sys.dm_database_encryption_keys AS k"
                          % ", ".join(columns), "database encryption keys (sys.dm_database_encryption_keys)")
    if keys is None and any(d.get("is_encrypted") for d in selection["selected"]):
        return [unreadable(ctx.target, exc, state_permission(server), login)]
    keyed = rows_by_id(keys)
    selected_ids = set(d.get("database_id") for d in selection["selected"])
    thumbprints = ctx.params.get("source_certificate_thumbprints") if ctx.params.get("restore_target") else []
    keyed_selected = [k for i, k in keyed.items() if i in selected_ids and as_int(k.get("encryption_state"))]
    certificates, exc = _certificates(ctx) if thumbprints or keyed_selected else ([], None)
    if certificates is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login)]
    asymmetric, exc = _asymmetric_keys(ctx) if keyed_selected else ([], None)
    if asymmetric is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login)]
    visible = can_see_definitions(ctx)
    major = major_version(server)
    findings = judge_tde(selection["selected"], keyed, certificates, ctx.target, visible, login=login,
                         asymmetric_keys=asymmetric, major=major)
    source = judge_source_certificates(thumbprints, certificates, ctx.target, visible, login)
    passes = [r for r in findings if r["status"] == "passed"]
    issues = [r for r in findings if r["status"] != "passed"]
    details = {}
    if keys is None:
        details["note"] = ("sys.dm_database_encryption_keys is not readable (%s): a decryption in progress would not "
                           "be seen" % state_permission(server))
    text = ("No selected database on %s is encrypted with TDE" % ctx.target if not passes else
            "The TDE certificates of the %s encrypted on %s are in master and backed up"
            % (plural(len(passes), "database"), ctx.target))
    return source + passes + summary_check(ctx, "TDE", lambda sel: issues, text, details)


@register(
    "sqlserver.file_path_length", "The restore file list fits Azure Backup's 20,000-byte limit", ("restore",),
    tags=("databases", "files", "restore"),
    references=("Azure:sql-troubleshoot#size-limit-for-files",),
    rule="Per selected database, the byte length of the JSON file list [{\"path\",\"logicalName\",\"isDir\"}] that "
         "Azure Backup builds from sys.master_files (compact, JSON-escaped, UTF-8): over file_list_limit_bytes "
         "(default 20000) warns that a restore cannot choose target paths, naming the override file "
         "<db>.json in C:\\Program Files\\Azure Workload Backup\\bin\\plugins\\SQL*; from file_list_warn_percent "
         "(default 90) of the limit warns as close; the measured size is reported.",
    permissions="VIEW ANY DEFINITION (or CREATE DATABASE, ALTER ANY DATABASE) to see sys.master_files, which lists "
                "no file without it rather than refusing: an error (cause permission). " + VIEW_ANY_DATABASE,
    versions=V2008 + " (sys.master_files).",
    options=dict(
        file_list_limit_bytes=dict(type="int", minimum=1, default=20000, description=(
            "The size in bytes above which Azure Backup stores a database's file list differently and a restore "
            "cannot choose the target file paths (C(sqlserver.file_path_length)).",
        )),
        file_list_warn_percent=dict(type="int", minimum=1, maximum=100, default=90, description=(
            "C(sqlserver.file_path_length) warns from this percentage of O(file_list_limit_bytes).",
        )),
    ),
)
def file_path_length(ctx):
    files, exc = database_files(ctx)
    login = login_of(ctx)
    if files is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login)]
    if not files and not can_see_definitions(ctx):
        return [R.error(ctx.target, "sys.master_files shows the login '%s' no file on %s: it needs VIEW ANY DEFINITION "
                                    "(or CREATE DATABASE, ALTER ANY DATABASE) to see them, so the size of the restore "
                                    "file lists is unknown." % (login, ctx.target), "permission",
                        "GRANT VIEW ANY DEFINITION TO %s;" % quote_name(login), {"permission": "VIEW ANY DEFINITION"})]
    return database_check(ctx, "the restore file list", lambda sel: judge_file_path_length(
        sel["selected"], files, ctx.params.get("file_list_limit_bytes") or 20000,
        ctx.params.get("file_list_warn_percent") or 90, ctx.target, can_see_definitions(ctx), login))


@register(
    "sqlserver.database_exists", "The configured databases exist", ("backup",),
    tags=("databases",),
    references=("Azure:UserErrorSQLPODoesNotExist",),
    rule="Each name in the databases option is in sys.databases: exactly, or differing in case only where the "
         "server's collation (SERVERPROPERTY('Collation')) compares names case-insensitively, which passes with a "
         "note; a missing one fails, and so does one differing in case on a case-sensitive collation. Skipped when "
         "databases is empty.",
    permissions="VIEW ANY DATABASE (granted to public by default); without it a name that is not visible is an "
                "error (cause permission), never failed or passed.",
    versions=V2008 + " (sys.databases).",
    applies=lambda ctx: None if ctx.params.get("databases") else
    "No databases are configured (option databases), so none is checked for existence.",
    options=dict(
        databases=dict(type="list", elements="str", default=[], description=(
            "The databases the backup plan protects. C(sqlserver.database_exists) fails for each one that is not in "
            "C(sys.databases) (names compared exactly, then case-insensitively).",
            "When empty, C(sqlserver.database_exists) is V(skipped).",
        )),
    ),
)
def database_exists(ctx):
    return judge_database_exists(ctx.params.get("databases"), ctx.databases(), ctx.target,
                                 _can_see_all_databases(ctx), login_of(ctx), ctx.server().get("case_sensitive"))


@register(
    "sqlserver.restore_target", "No same-name database on a restore target", ("restore",),
    tags=("databases", "restore"),
    references=("Azure:UserErrorCannotRestoreExistingDBWithoutForceOverwrite",),
    rule="With restore_target true, each name in restore_databases must not exist on the instance (compared as the "
         "server's collation compares names) unless overwrite is true; a same-name database fails. restore_target true with no restore_databases warns. "
         "Skipped when restore_target is false.",
    permissions="VIEW ANY DATABASE; without it an error (cause permission).",
    versions=V2008 + " (sys.databases).",
    applies=lambda ctx: None if ctx.params.get("restore_target") else
    "This instance is not a restore target (restore_target: false).",
    options=dict(
        restore_databases=dict(type="list", elements="str", default=[], description=(
            "The names of the databases restores will create on this instance (with O(restore_target)). A database "
            "of the same name fails C(sqlserver.restore_target) unless O(overwrite) is true.",
        )),
        overwrite=dict(type="bool", default=False, description=(
            "The restores onto this instance will use force overwrite, so an existing database of the same name is "
            "replaced (and C(sqlserver.restore_target) passes).",
        )),
    ),
)
def restore_target(ctx):
    names = ctx.params.get("restore_databases") or []
    if not names:
        return [R.warning(ctx.target, "%s is a restore target (restore_target: true) but restore_databases names no "
                                      "database, so same-name conflicts were not checked." % ctx.target,
                          "Name the databases that restores will create here in restore_databases.")]
    return judge_restore_target(names, ctx.databases(), bool(ctx.params.get("overwrite")), ctx.target,
                                _can_see_all_databases(ctx), login_of(ctx), ctx.server().get("case_sensitive"))


@register(
    "sqlserver.instances_healthy", "Every SQL Server instance of the host answers", ("restore",),
    tags=("connectivity", "restore"),
    references=("Azure:sql-troubleshoot#faulty-instance-in-a-vm-with-multiple-sql-server-instances",),
    rule="This instance and each of peer_instances (the other instances configured on the same host; the role passes "
         "them to the first instance of the host) are probed at once with TCP (after a SQL Server Browser lookup for a "
         "named instance) and a TDS pre-login, without a login, within connect_timeout. One that does not answer "
         "fails, naming it, with the whitelistedInstancesForInquiry workaround of ExtensionSettingsOverrides.json. "
         "Skipped when peer_instances is empty.",
    permissions="None (no login; TCP to each instance's port and UDP 1434 for named instances).",
    versions="Any SQL Server version (TDS pre-login).",
    applies=lambda ctx: None if ctx.params.get("peer_instances") else
    "One SQL Server instance is configured for this host (peer_instances is empty).",
    options=dict(
        peer_instances=dict(type="list", elements="dict", default=[], options=PEER_OPTIONS, version_added="0.1.0", description=(
            "The other SQL Server instances configured on the same host, for C(sqlserver.instances_healthy), which "
            "probes this instance and each of them with a TDS pre-login (no login, within O(connect_timeout), all at"
            " once). Only how to reach them; no credentials.",
            "The role passes them to the first instance of each host.",
        )),
    ),
)
def instances_healthy(ctx):
    params = ctx.params
    me = {"name": params.get("label"), "login_host": params.get("login_host"), "login_port": params.get("login_port"),
          "instance_name": params.get("instance_name"), "self": True}
    entries = [me] + [dict(peer) for peer in params.get("peer_instances") or []]
    timeout = float(params.get("connect_timeout") or 10.0)
    silent = set(params.get("unanswered_endpoints") or [])
    probes = parallel_map(lambda entry: probe_instance(entry, timeout, silent), entries)
    return judge_instances(probes, params.get("login_host") or "localhost")
