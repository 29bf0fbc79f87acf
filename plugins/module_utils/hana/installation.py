# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SAP HANA items judged from the instance's files: how many instances, the version and container
mode, the backint agent, the backint settings and log mode of every database, system replication.

Each run function reads through the context; the judge_* functions take plain values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import instance_files as files
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana.gathering import (
    BACKINT_FLAGS, PARAMETER_FILES, database_target, version_numbers)

FILES_READ = "Reads files of the instance as the module's user (root or <sid>adm); no database privilege."


def remediation(fixes):
    """Statements to run in SYSTEMDB first, then the file fixes, deduplicated in order."""
    fixes = list(dict.fromkeys(fixes))
    statements = [f for f in fixes if f.startswith("ALTER")]
    others = [f for f in fixes if not f.startswith("ALTER")]
    parts = []
    if statements:
        parts.append("As an administrator in SYSTEMDB (hdbsql -d SYSTEMDB): " + " ".join(statements))
    parts.extend(f[0].upper() + f[1:] + "." for f in others)
    return " ".join(parts)


def layer_of(database, where):
    """The database whose layer to change: the tenant's own only when the value came from it."""
    return database if where == "DATABASE" else "SYSTEMDB"


def alter_configuration(database, section, key, value):
    """The statement a HANA administrator runs in SYSTEMDB to set one global.ini parameter."""
    layer = "'SYSTEM'" if database == "SYSTEMDB" else "'DATABASE', '%s'" % database
    return ("ALTER SYSTEM ALTER CONFIGURATION ('global.ini', %s) SET ('%s', '%s') = '%s' WITH RECONFIGURE;"
            % (layer, section, key, value))


# -- hana.instances ----------------------------------------------------------------------------------

def judge_instances(discovery, root, target):
    found = discovery["instances"]
    names = ["%s HDB%s" % (i["sid"], i["number"]) for i in found]
    details = {"instances": found, "sapservices": discovery["sapservices"], "root": root}
    if len(found) == 1:
        return [R.passed(target, "One SAP HANA instance is installed on this host: %s (%s)."
                         % (names[0], ", ".join(found[0]["sources"])), details)]
    if not found:
        return [R.failed(target, "No SAP HANA instance is installed under %s: /usr/sap/sapservices has no HDB entry "
                         "and there is no /usr/sap/<SID>/HDB<nn> directory." % root,
                         "Run the precheck on the HANA host (or set root to where its file systems are mounted).",
                         details, code="none")]
    return [R.failed(target, "%d SAP HANA instances are installed on this host (%s): the backup client installs on "
                     "one SAP HANA instance per environment, and a second gives \"Installation of HANA failed\"."
                     % (len(found), ", ".join(names)),
                     "Back up one instance from this host (set sid for it) and move the others to hosts of their "
                     "own, or back them up another way; sapcontrol -nr <nn> -function GetSystemInstanceList shows "
                     "them.", details, code="several")]


@register(
    "hana.instances", "Exactly one SAP HANA instance on the host", ("all_operations",),
    tags=("installation", "files"),
    references=("Seed:HANA_ONE_INSTANCE_PER_ENVIRONMENT",),
    rule="Exactly one HANA instance is installed: the HDB entries of /usr/sap/sapservices (classic sapstartsrv "
         "lines and the systemd form) and the /usr/sap/<SID>/HDB<nn> directories. A second instance makes the "
         "backup client installation fail (\"Installation of HANA failed\").",
    permissions=FILES_READ,
    versions="SAP HANA 1.0 and 2.0.",
)
def instances(ctx):
    return judge_instances(ctx.discovery(), ctx.root, ctx.target)


# -- hana.version and hana.container_mode --------------------------------------------------------------

def describe_version(numbers):
    major, revision, patch = numbers
    return "%d.0 SPS%02d revision %d%s" % (major, revision // 10, revision, ".%02d" % patch if patch else "")


def judge_version(version_text, mode, sid, source, target):
    numbers = version_numbers(version_text)
    details = {"version": version_text, "source": source, "multidb_mode": mode, "sid": sid}
    if numbers is None:
        return [R.warning(target, "The SAP HANA version of %s cannot be read from %s (%r), so its support by Backint "
                          "is unknown." % (sid, source, version_text),
                          "Check the version by hand (HDB version as %sadm): Backint needs 1.0 SPS09 revision 94 in "
                          "multitenant mode, or 2.0 SPS01 or later." % sid.lower(), details, code="unknown")]
    major, revision, _patch = numbers
    name = "SAP HANA %s" % describe_version(numbers)
    details["sps"] = revision // 10
    details["revision"] = revision
    update = "Update %s with hdblcm --action=update (as root, from the installation medium) to 2.0 SPS01 or later." % sid
    if major == 1 and revision < 94:
        return [R.failed(target, "%s runs %s: Backint needs SAP HANA 1.0 SPS09 revision 94 or later." % (sid, name),
                         update, details, code="too_old")]
    if major == 1 and (mode or "").lower() != "multidb":
        return [R.failed(target, "%s runs %s as a single-container system ([multidb] mode = %s): Backint does not "
                         "support SAP HANA 1.0 single-container systems." % (sid, name, mode or "singledb"),
                         "Convert %s to multitenant containers (hdbnsutil -convertToMultiDB as %sadm, with the system "
                         "stopped), or %s" % (sid, sid.lower(), update[0].lower() + update[1:]),
                         details, code="single_container")]
    if major == 2 and revision < 10:
        return [R.failed(target, "%s runs %s: Backint supports multitenant database containers from SAP HANA 2.0 "
                         "SPS01 on." % (sid, name), update, details, code="mdc_needs_sps01")]
    if major > 2:
        return [R.warning(target, "%s runs %s, a release Backint's documented requirements do not name." % (sid, name),
                          "Check that the backup service supports this release before installing the client.",
                          details, code="unknown_release")]
    return [R.passed(target, "%s runs %s%s, which Backint supports." % (
        sid, name, " in multitenant mode" if major == 1 else ""), details)]


def multidb_mode(ctx):
    _path, ini = ctx.ini()
    return ((ini or {}).get("multidb") or {}).get("mode")


@register(
    "hana.version", "SAP HANA version supported by Backint", ("all_operations",),
    tags=("installation", "files", "version"),
    references=("Seed:HANA_BACKINT_VERSIONS",),
    rule="SAP HANA 1.0 needs SPS09 revision 94 or later in multitenant (MDC) mode; 1.0 single-container systems "
         "are unsupported; SAP HANA 2.0 needs SPS01 or later. The version is the manifest's (release or "
         "fullversion), else SYS.M_DATABASE.VERSION.",
    permissions=FILES_READ + " Without a manifest: none beyond login (SYS.M_DATABASE).",
    versions="SAP HANA 1.0 and 2.0.",
)
def version(ctx):
    instance = ctx.instance()
    path, manifest = ctx.manifest()
    text = (manifest or {}).get("release") or (manifest or {}).get("fullversion")
    source = path
    if not text:
        text, source = ctx.server()["version"], "SYS.M_DATABASE.VERSION"
    return judge_version(text, multidb_mode(ctx), instance["sid"], source, ctx.target)


def judge_container_mode(mode, version_text, sid, path, target):
    numbers = version_numbers(version_text)
    details = {"mode": mode, "file": path, "version": version_text}
    if (mode or "").lower() == "multidb":
        return [R.passed(target, "%s runs multitenant database containers ([multidb] mode = multidb in %s)."
                         % (sid, path), details)]
    if mode is None and numbers and numbers[0] >= 2 and numbers[1] >= 10:
        return [R.passed(target, "%s runs SAP HANA 2.0 SPS01 or later, which is always multitenant (%s sets no "
                         "[multidb] mode)." % (sid, path), details)]
    return [R.failed(target, "%s is a single-container system ([multidb] mode = %s in %s): Backint needs "
                     "multitenant database containers." % (sid, mode or "not set", path),
                     "Convert %s to multitenant containers: stop the system and run hdbnsutil -convertToMultiDB as "
                     "%sadm; afterwards %s shows [multidb] mode = multidb." % (sid, sid.lower(), path), details)]


@register(
    "hana.container_mode", "SAP HANA runs multitenant database containers", ("all_operations",),
    tags=("installation", "files"),
    references=("Seed:HANA_BACKINT_VERSIONS",),
    rule="The [multidb] mode of the system layer's global.ini is multidb (SAP HANA 2.0 SPS01 and later are always "
         "multitenant).",
    permissions=FILES_READ,
    versions="SAP HANA 1.0 SPS09 and later, 2.0.",
)
def container_mode(ctx):
    path, _ini = ctx.ini()
    _manifest_path, manifest = ctx.manifest()
    return judge_container_mode(multidb_mode(ctx), (manifest or {}).get("release"), ctx.instance()["sid"], path,
                                ctx.target)


# -- hana.backint_agent ----------------------------------------------------------------------------------

def executable_by(state, owner):
    """Whether the mode lets <sid>adm ((uid, gid), or None: unknown here) execute the file."""
    mode = state.get("mode") or 0
    if owner is None:
        return bool(mode & 0o111)
    uid, gid = owner
    if state.get("uid") == uid:
        return bool(mode & 0o100)
    if state.get("gid") == gid:
        return bool(mode & 0o010)
    return bool(mode & 0o001)


def judge_backint_agent(state, owner, sid, target):
    path = state["path"]
    user = "%sadm" % sid.lower()
    details = dict(state, sidadm=None if owner is None else {"uid": owner[0], "gid": owner[1]})
    install = ("Install the backup client's backint agent for %s, so that %s is the agent (or a symbolic link to it) "
               "and is executable by %s: chmod 0750 %s; chown %s:sapsys %s." % (sid, path, user, path, user, path))
    if not state["exists"]:
        return [R.failed(target, "The backint agent %s of %s does not exist: HANA cannot send backups to the backup "
                         "service." % (path, sid), install, details, code="missing")]
    if not state.get("regular"):
        return [R.failed(target, "The backint agent %s of %s is not a regular file." % (path, sid), install, details,
                         code="not_a_file")]
    if not executable_by(state, owner):
        return [R.failed(target, "The backint agent %s of %s is not executable by %s (mode %04o): backups through "
                         "backint fail." % (path, sid, user, state["mode"]),
                         "chmod 0750 %s; chown %s:sapsys %s" % (path, user, path), details, code="not_executable")]
    return [R.passed(target, "The backint agent %s of %s exists and is executable by %s (mode %04o)."
                     % (path, sid, user, state["mode"]), details)]


@register(
    "hana.backint_agent", "The backint agent hdbbackint is installed and executable", ("backup", "restore"),
    tags=("backint", "files"),
    references=("Seed:HANA_BACKINT",),
    rule="/usr/sap/<SID>/SYS/global/hdb/opt/hdbbackint exists, is a regular file (or a link to one) and is "
         "executable by <sid>adm (its uid and gid from /etc/passwd; any execute bit when <sid>adm is not listed).",
    permissions=FILES_READ,
    versions="SAP HANA 1.0 SPS09 and later, 2.0.",
)
def backint_agent(ctx):
    sid = ctx.instance()["sid"]
    return judge_backint_agent(ctx.file_state(files.backint_agent(sid)), ctx.sidadm(), sid, ctx.target)


# -- the layers of global.ini ------------------------------------------------------------------------------

def effective(section, key, system, database):
    """(value, where) of one parameter for a database: its DATABASE layer wins over the SYSTEM layer."""
    for layer, name in ((database, "DATABASE"), (system, "SYSTEM")):
        value = ((layer or {}).get(section) or {}).get(key)
        if value is not None:
            return value, name
    return None, None


def _layer_text(name, database, system_path, path):
    return "%s in %s" % (name, system_path if database == "SYSTEMDB" or name == "SYSTEM" else path)


def judge_backint_params(layers, parameter_files, sid, target):
    """`layers`: [(database, ini path, system layer, database layer)]; `parameter_files`: path -> file_state."""
    out = []
    for database, path, system, layer in layers:
        problems, fixes, details = [], [], {"global_ini": path}
        if system is None and database == "SYSTEMDB":
            out.append(R.failed(database_target(target, database), "%s of %s does not exist: no backint setting is "
                                "made for %s." % (path, sid, database),
                                "; ".join(alter_configuration(database, "backup", key, "true") for key in BACKINT_FLAGS),
                                details, code="no_global_ini"))
            continue
        for key in BACKINT_FLAGS:
            value, where = effective("backup", key, system, layer)
            details[key] = value
            if str(value).lower() != "true":
                origin = " (%s)" % _layer_text(where, database, files.global_ini(sid), path) if where else ""
                problems.append("[backup] %s = %s%s" % (key, value if value is not None else "not set", origin))
                fixes.append(alter_configuration(layer_of(database, where), "backup", key, "true"))
        for key in PARAMETER_FILES:
            value, where = effective("backup", key, system, layer)
            details[key] = value
            if not value:
                problems.append("[backup] %s is not set" % key)
                fixes.append(alter_configuration(database, "backup", key, "<the agent's parameter file>"))
                continue
            state = parameter_files.get(value) or {"exists": False}
            if not state["exists"]:
                problems.append("the %s %s does not exist" % (key, value))
                fixes.append("create %s (the backint agent's parameter file) or point %s at the existing one"
                             % (value, key))
            elif not state.get("regular") or not state.get("readable"):
                problems.append("the %s %s is not a readable file" % (key, value))
                fixes.append("chmod 0640 %s; chown %sadm:sapsys %s" % (value, sid.lower(), value))
        name = "%s of %s" % (database, sid)
        if problems:
            out.append(R.failed(database_target(target, database), "Backint is not fully configured for %s: %s; "
                                "its backups (and log backups) do not go through backint."
                                % (name, "; ".join(problems)), remediation(fixes), details, code="not_configured"))
        else:
            out.append(R.passed(database_target(target, database), "Backint is configured for %s: %s and the "
                                "parameter files exist." % (name, ", ".join("%s = true" % k for k in BACKINT_FLAGS)),
                                details))
    return out


@register(
    "hana.backint_params", "Backint set in global.ini of SYSTEMDB and every tenant", ("backup", "log_backup"),
    tags=("backint", "files", "configuration"),
    references=("Seed:HANA_BACKINT",),
    rule="For SYSTEMDB and each tenant (the DB_<TENANT> layer wins over the system layer of global.ini): [backup] "
         "log_backup_using_backint and catalog_backup_using_backint are true, and data_backup_parameter_file, "
         "log_backup_parameter_file and catalog_backup_parameter_file are set to files that exist and are readable.",
    permissions=FILES_READ,
    versions="SAP HANA 1.0 SPS09 and later, 2.0.",
)
def backint_params(ctx):
    layers = ctx.layers()
    paths = set()
    for _database, _path, system, layer in layers:
        for key in PARAMETER_FILES:
            value, _where = effective("backup", key, system, layer)
            if value:
                paths.add(value)
    states = dict((path, ctx.file_state(path)) for path in sorted(paths))
    return judge_backint_params(layers, states, ctx.instance()["sid"], ctx.target)


# -- hana.log_mode -------------------------------------------------------------------------------------------

def judge_log_mode(layers, sid, target):
    out = []
    for database, path, system, layer in layers:
        log_mode, where = effective("persistence", "log_mode", system, layer)
        auto, auto_where = effective("persistence", "enable_auto_log_backup", system, layer)
        details = {"log_mode": log_mode or "normal", "log_mode_layer": where, "enable_auto_log_backup": auto or "yes",
                   "global_ini": path}
        problems, fixes = [], []
        if (log_mode or "normal").lower() != "normal":
            origin = _layer_text(where, database, files.global_ini(sid), path)
            problems.append("[persistence] log_mode = %s (%s)" % (log_mode, origin))
            fixes.append(alter_configuration(layer_of(database, where), "persistence", "log_mode", "normal"))
        if (auto or "yes").lower() not in ("yes", "true", "on", "1"):
            problems.append("[persistence] enable_auto_log_backup = %s (%s)"
                            % (auto, _layer_text(auto_where, database, files.global_ini(sid), path)))
            fixes.append(alter_configuration(layer_of(database, auto_where), "persistence", "enable_auto_log_backup",
                                             "yes"))
        name = "%s of %s" % (database, sid)
        if problems:
            out.append(R.failed(database_target(target, database), "Log backups are off for %s: %s; the log is "
                                "overwritten, so no point-in-time recovery is possible." % (name, "; ".join(problems)),
                                "%s Restart %s for log_mode to take effect, then take a complete data backup of it, "
                                "from which log backups start." % (remediation(fixes), database),
                                details, code="overwrite"))
        else:
            out.append(R.passed(database_target(target, database), "Log backups are on for %s: log_mode = normal, "
                                "enable_auto_log_backup = yes." % name, details))
    return out


@register(
    "hana.log_mode", "Log mode normal with automatic log backups", ("log_backup",),
    tags=("logging", "files", "configuration"),
    references=("Seed:HANA_LOG_MODE",),
    rule="For SYSTEMDB and each tenant: [persistence] log_mode is normal (overwrite means no log backups) and "
         "enable_auto_log_backup is yes (both defaults when not set).",
    permissions=FILES_READ,
    versions="SAP HANA 1.0 and 2.0.",
)
def log_mode(ctx):
    return judge_log_mode(ctx.layers(), ctx.instance()["sid"], ctx.target)


# -- hana.system_replication -----------------------------------------------------------------------------------

def judge_system_replication(section, masters, sid, path, target):
    """`section`: [system_replication] of the system layer; `masters`: [system_replication_site_masters]."""
    mode = (section or {}).get("actual_mode") or (section or {}).get("mode")
    details = {"mode": mode, "site_name": (section or {}).get("site_name"), "file": path,
               "primary": dict(masters or {})}
    if not mode or mode.lower() in ("none", "primary"):
        state = "the primary site" if mode and mode.lower() == "primary" else "not replicated"
        return [R.passed(target, "%s is %s ([system_replication] mode = %s in %s): backups can run here."
                         % (sid, state, mode or "not set", path), details)]
    primary = ", ".join(str(v) for v in (masters or {}).values()) or "the primary site (see hdbnsutil -sr_state)"
    return [R.failed(target, "%s is a system replication secondary ([system_replication] mode = %s in %s): backups "
                     "are impossible here; back up the primary %s." % (sid, mode, path, primary),
                     "Install the backup client on the primary (%s) instead; hdbnsutil -sr_state as %sadm shows the "
                     "sites." % (primary, sid.lower()), details, code="secondary")]


@register(
    "hana.system_replication", "Not a system replication secondary", ("backup",),
    tags=("replication", "files"),
    references=("Seed:HANA_SYSTEM_REPLICATION",),
    rule="The [system_replication] mode (actual_mode when set) of the system layer's global.ini is not a "
         "secondary's (sync, syncmem, async); a secondary names its primary from "
         "[system_replication_site_masters].",
    permissions=FILES_READ,
    versions="SAP HANA 1.0 SPS10 and later, 2.0.",
)
def system_replication(ctx):
    path, ini = ctx.ini()
    if ini is None:
        raise PrecheckError("unsupported", "%s does not exist, so the system replication mode of %s is unknown."
                            % (path, ctx.instance()["sid"]), "Check the option root and sid.")
    return judge_system_replication(ini.get("system_replication"), ini.get("system_replication_site_masters"),
                                    ctx.instance()["sid"], path, ctx.target)
