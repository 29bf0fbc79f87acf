"""Fixture trees of SAP HANA installations, built under a test's directory: what a HANA host's
/usr/sap holds (sapservices, HDB<nn>, the manifest, custom global.ini of SYSTEMDB and each tenant,
the backint agent and its parameter files) for the releases and faults the tests need.

`build(root, name)` writes the tree `name` of TREES below `root` and returns root."""

import os

PARAMS_DIR = "/usr/sap/{sid}/SYS/global/hdb/opt/hdbconfig"

# Releases as the manifest's `release:` line writes them.
RELEASES = {
    "1.0 SPS12": "1.00.122.05",
    "1.0 SPS09 rev 97": "1.00.097.00",
    "2.0 SPS00": "2.00.002.00",
    "2.0 SPS07": "2.00.070.00",
}


def _backint_section(sid, **override):
    params = PARAMS_DIR.format(sid=sid)
    section = {
        "log_backup_using_backint": "true",
        "catalog_backup_using_backint": "true",
        "data_backup_parameter_file": params + "/param.ini",
        "log_backup_parameter_file": params + "/param.ini",
        "catalog_backup_parameter_file": params + "/param.ini",
    }
    section.update(override)
    return dict((k, v) for k, v in section.items() if v is not None)


def instance(sid="HDB", number="00", release="2.0 SPS07", mode="multidb", tenants=("HDB",), backup=None,
             tenant_layers=None, persistence=None, agent="executable", params=("param.ini",), replication=None,
             sapservices="systemd"):
    """One instance's description; the keyword arguments name the faults."""
    return dict(sid=sid, number=number, release=release, mode=mode, tenants=tuple(tenants),
                backup=_backint_section(sid, **(backup or {})), tenant_layers=dict(tenant_layers or {}),
                persistence=dict(persistence or {}), agent=agent, params=tuple(params),
                replication=replication, sapservices=sapservices)


TREES = {
    "sps12_single": [instance(release="1.0 SPS12", mode="singledb", tenants=(), sapservices="classic")],
    "sps09_mdc": [instance(release="1.0 SPS09 rev 97", sapservices="classic")],
    "sps00": [instance(release="2.0 SPS00")],
    "sps07": [instance(mode=None, tenants=("HDB", "ERP"))],
    "two_instances": [instance(), instance(sid="HQ2", number="10", sapservices="classic")],
    "overwrite": [instance(mode=None, persistence={"log_mode": "overwrite"})],
    "tenant_without_backint": [instance(mode=None, tenants=("HDB", "ERP"), tenant_layers={
        "ERP": {"backup": {"log_backup_using_backint": "false", "catalog_backup_using_backint": "false"}}})],
    "missing_param_file": [instance(mode=None, backup={
        "log_backup_parameter_file": PARAMS_DIR.format(sid="HDB") + "/log_param.ini"})],
    "no_agent": [instance(mode=None, agent=None)],
    "agent_not_executable": [instance(mode=None, agent="plain")],
    "unreadable_manifest": [instance(release="unknown")],
    "secondary": [instance(mode=None, replication={"mode": "sync", "actual_mode": "sync", "site_name": "SITE_B"})],
    "empty": [],
}


def _write(root, path, text, mode=0o644):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)
    os.chmod(full, mode)


def _ini(sections):
    lines = []
    for section, values in sections.items():
        lines.append("[%s]" % section)
        lines.extend("%s = %s" % (k, v) for k, v in values.items())
        lines.append("")
    return "\n".join(lines)


def _sapservices_line(item):
    sid, number = item["sid"], item["number"]
    profile = "pf=/usr/sap/{0}/SYS/profile/{0}_HDB{1}_hana01".format(sid, number)
    if item["sapservices"] == "classic":
        return ("LD_LIBRARY_PATH=/usr/sap/{0}/HDB{1}/exe:$LD_LIBRARY_PATH;export LD_LIBRARY_PATH;"
                "/usr/sap/{0}/HDB{1}/exe/sapstartsrv {2} -D -u {3}adm").format(sid, number, profile, sid.lower())
    return "systemctl --no-ask-password start SAP{0}_{1} # sapstartsrv {2}".format(sid, number, profile)


def _write_instance(root, item):
    sid, number = item["sid"], item["number"]
    base = "/usr/sap/%s" % sid
    os.makedirs(os.path.join(str(root), base.lstrip("/"), "HDB%s" % number, "work"), exist_ok=True)
    release = RELEASES.get(item["release"], item["release"])  # a release of its own: an unreadable manifest
    _write(root, "%s/HDB%s/exe/manifest" % (base, number),
           "release: %s\nfullversion: %s.1700000000 Build 1700000000-1530\n" % (release, release))
    sections = {"persistence": dict({"basepath_logvolumes": "/hana/log/%s" % sid}, **item["persistence"]),
                "backup": item["backup"]}
    if item["mode"]:
        sections["multidb"] = {"mode": item["mode"]}
    if item["replication"]:
        sections["system_replication"] = item["replication"]
        sections["system_replication_site_masters"] = {"1": "hana02:30001"}
    config = "%s/SYS/global/hdb/custom/config" % base
    _write(root, config + "/global.ini", _ini(sections))
    for tenant in item["tenants"]:
        _write(root, "%s/DB_%s/global.ini" % (config, tenant), _ini(item["tenant_layers"].get(tenant, {})))
    agent = "%s/SYS/global/hdb/opt/hdbbackint" % base
    if item["agent"]:
        _write(root, agent, "#!/bin/sh\nexit 0\n", 0o755 if item["agent"] == "executable" else 0o644)
    for name in item["params"]:
        _write(root, "%s/%s" % (PARAMS_DIR.format(sid=sid), name), "#backint agent parameters\n", 0o640)


def build(root, name):
    """Write the tree `name` below `root` (a directory); returns root as a str."""
    items = TREES[name]
    os.makedirs(os.path.join(str(root), "usr", "sap"), exist_ok=True)
    if items:
        _write(root, "/usr/sap/sapservices", "#!/bin/sh\n" + "".join(_sapservices_line(i) + "\n" for i in items))
    for item in items:
        _write_instance(root, item)
    return str(root)
