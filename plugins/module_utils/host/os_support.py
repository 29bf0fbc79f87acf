# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host items on the operating system: supported by the backup client, and supported as a cloud instance
after a restore or migration (seed 003). host.arch_64bit is in checks.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import os_lists
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import migrating, parse_os_release

EXTRA_ENTRY = re.compile(r"^(?P<id>[a-z0-9][a-z0-9._-]*):(?P<version>[0-9][0-9A-Za-z. ]*)$")


# Distributions -----------------------------------------------------------------------------------

_RELEASE_FILES = (
    # (file, os-release ID, pattern of the version) for systems older than os-release.
    ("/etc/centos-release", "centos", r"release\s+(\d+(?:\.\d+)*)"),
    ("/etc/redhat-release", None, r"release\s+(\d+(?:\.\d+)*)"),
    ("/etc/SuSE-release", None, None),
    ("/etc/lsb-release", None, None),
    ("/etc/debian_version", "debian", r"^(\d+(?:\.\d+)*)"),
)


def _redhat_id(text):
    lowered = text.lower()
    if "centos" in lowered:
        return "centos"
    if "red hat" in lowered:
        return "rhel"
    return None


def distribution(fs, os_release):
    """The distribution: {"id", "version", "name", "source"}, from os-release and, on systems older than
    os-release or where os-release lacks the minor version (CentOS 7 says VERSION_ID="7"), the release files."""
    found = {"id": os_release.get("ID", "").lower() or None, "version": os_release.get("VERSION_ID") or None,
             "name": os_release.get("PRETTY_NAME") or os_release.get("NAME"), "source": os_release.get("_source")}
    for path, fixed_id, pattern in _RELEASE_FILES:
        text = fs.text(path, limit=4096)
        if text is None:
            continue
        if path == "/etc/SuSE-release":
            values = dict((k.strip(), v.strip()) for k, _e, v in (line.partition("=") for line in text.splitlines()[1:]))
            dist_id = "opensuse" if "opensuse" in text.lower() else "sles"
            version = values.get("VERSION", "") + ("." + values["PATCHLEVEL"] if values.get("PATCHLEVEL") else "")
            candidate = {"id": dist_id, "version": version or None, "name": text.splitlines()[0].strip()}
        elif path == "/etc/lsb-release":
            values = parse_os_release(text)
            if not values.get("DISTRIB_ID"):
                continue
            candidate = {"id": values["DISTRIB_ID"].lower(), "version": values.get("DISTRIB_RELEASE"),
                         "name": values.get("DISTRIB_DESCRIPTION")}
        else:
            match = re.search(pattern, text.strip())
            dist_id = fixed_id or _redhat_id(text)
            if not match or not dist_id:
                continue
            candidate = {"id": dist_id, "version": match.group(1), "name": text.strip().splitlines()[0]}
        if found["id"] is None:
            found.update(candidate, source=path)
        elif candidate["id"] == found["id"] and candidate["version"] and found["version"] and \
                candidate["version"].startswith(found["version"] + ".") and found["id"] != "debian":
            found.update(version=candidate["version"], source="%s, %s" % (found["source"], path))
    return found


def _display(dist):
    name = os_lists.DISTRIBUTION_NAMES.get(dist["id"], (dist["name"] or dist["id"],))[0]
    return "%s %s" % (name, dist["version"] or "(version unknown)")


def parse_extra(entries):
    """`id:version` entries of os_support_extra -> {id: (versions,)}."""
    extra = {}
    for entry in entries or []:
        match = EXTRA_ENTRY.match(entry.strip())
        if match:
            extra[match.group("id")] = extra.get(match.group("id"), ()) + (match.group("version").strip(),)
    return extra


def judge_backup_client_linux(target, dist, extra_entries):
    data = os_lists.BACKUP_CLIENT
    details = {"id": dist["id"], "version": dist["version"], "name": dist["name"], "read_from": dist["source"],
               "list_source": data["source"]}
    if not dist["id"]:
        return [R.error(target, "The distribution could not be read: no /etc/os-release, /usr/lib/os-release or "
                        "release file under the root.", "unsupported", details=details)]
    extra = parse_extra(extra_entries).get(dist["id"], ())
    if dist["version"] and os_lists.listed(extra, dist["version"]):
        return [R.passed(target, "%s is supported by the backup client (listed by os_support_extra)."
                         % _display(dist), details, code="listed_extra")]
    versions = data["linux"].get(dist["id"])
    if versions and dist["version"] and os_lists.listed(versions, dist["version"]):
        return [R.passed(target, "%s is in the backup client's list of supported systems." % _display(dist), details)]
    fix = ("Check the backup client's current list of supported operating systems; if this system is supported, "
           "add '%s:%s' to os_support_extra." % (dist["id"], dist["version"] or "VERSION"))
    if versions:
        return [R.warning(target, "%s is not among the versions the backup client lists for this distribution (%s)."
                          % (_display(dist), ", ".join(versions)), fix, details, code="version_not_listed")]
    names = ", ".join(os_lists.DISTRIBUTION_NAMES.get(k, (k,))[0] for k in sorted(data["linux"]))
    return [R.warning(target, "%s is not in the backup client's list of supported systems (%s)."
                      % (_display(dist), names), fix, details, code="distribution_not_listed")]


@register(
    "host.os_support", "Operating system supported by the backup client", ("all_operations",),
    tags=("os",),
    references=("Seed003:Appendix",),
    rule="The distribution (os-release ID) and version are in the backup client's list of supported systems, a "
         "data table with its source (Alibaba Cloud Backup, Supported sources), extended by os_support_extra; "
         "Windows: Windows Server 2008 or later. A version not listed warns; only what the source rules out fails.",
    permissions="None (reads /etc/os-release and the release files).",
    versions="Linux (Windows hosts are judged on the controller from PowerShell facts: see docs/host.md).",
    options=dict(
        os_support_extra=dict(type="list", elements="str", default=[], description=(
            "Systems to treat as supported by the backup client beyond its published list, as V(id:version) "
            "with the os-release ID, for example V(debian:12) or V(rocky:9). A version matches itself and its "
            "updates (V(rocky:9) matches 9.4).",
        )),
    ),
)
def os_support(ctx):
    return judge_backup_client_linux(ctx.target, distribution(ctx.fs, ctx.os_release()),
                                     ctx.params.get("os_support_extra"))


# What /etc/issue says: agetty escapes (\S, \r, \n, ...) are not a distribution name.
_ISSUE_ESCAPE = re.compile(r"\\[A-Za-z4-6](\{[^}]*\})?")


def judge_issue(target, dist, issue):
    """ECS detects the distribution from /etc/issue*: a missing file warns, a file naming another
    distribution (or another major version) fails."""
    if issue is None:
        return R.warning(target, "/etc/issue is missing: the cloud instance service detects the distribution from "
                         "/etc/issue*, and instance creation can fail.",
                         "Restore the distribution's /etc/issue (reinstall the package that owns it: `rpm -qf "
                         "/etc/issue` or `dpkg -S /etc/issue`).", code="issue_missing")
    text = _ISSUE_ESCAPE.sub(" ", issue).lower()
    names = dict((k, v[1]) for k, v in os_lists.DISTRIBUTION_NAMES.items())
    mentioned = sorted(k for k, needles in names.items() if any(n in text for n in needles))
    expected = names.get(dist["id"], ())
    if mentioned and not any(n in text for n in expected):
        return R.failed(target, "/etc/issue names %s, but os-release says %s: the cloud instance service detects the "
                        "distribution from /etc/issue*, and instance creation fails."
                        % (" / ".join(os_lists.DISTRIBUTION_NAMES[k][0] for k in mentioned), _display(dist)),
                        "Restore the distribution's own /etc/issue (reinstall the package that owns it).",
                        details={"issue": issue[:200]}, code="issue_disagrees")
    major = (dist["version"] or "").split(".")[0]
    numbers = re.findall(r"\b(\d+)(?:\.\d+)*\b", text)
    if mentioned and major and numbers and major not in numbers:
        return R.failed(target, "/etc/issue names version %s, but os-release says %s." % (numbers[0], _display(dist)),
                        "Restore the distribution's own /etc/issue (reinstall the package that owns it).",
                        details={"issue": issue[:200]}, code="issue_disagrees")
    return None


def judge_cloud_instance_linux(target, dist, issue):
    data = os_lists.CLOUD_INSTANCE
    details = {"id": dist["id"], "version": dist["version"], "read_from": dist["source"], "list_source": data["source"]}
    if not dist["id"]:
        return [R.error(target, "The distribution could not be read: no os-release or release file under the root.",
                        "unsupported", details=details)]
    versions = data["linux"].get(dist["id"])
    found = []
    if versions and dist["version"] and os_lists.listed(versions, dist["version"]):
        found.append(R.passed(target, "%s is supported as a cloud instance." % _display(dist), details))
    else:
        supported = "; ".join("%s %s" % (os_lists.DISTRIBUTION_NAMES.get(k, (k,))[0], ", ".join(v))
                              for k, v in sorted(data["linux"].items()))
        found.append(R.failed(target, "%s is not supported as a cloud instance after a restore or migration "
                              "(supported: %s)." % (_display(dist), supported),
                              "Restore or migrate this machine to another target (a VM), or move its workload to a "
                              "supported system first.", details, code="not_supported"))
    issue_finding = judge_issue(target, dist, issue)
    if issue_finding:
        found.append(issue_finding)
    return found


@register(
    "migrate.os_supported", "Operating system supported as a cloud instance", ("restore",),
    engine="host", tags=("migrate", "os"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="The os-release ID and VERSION_ID are in the list for restore or migration to a cloud instance (CentOS 6-8, "
         "Ubuntu 10-20, Debian 7-10, SUSE 11/12/15, openSUSE 13/42/15, RHEL 5-8; Windows Server 2012-2025), and "
         "/etc/issue does not name another distribution (a missing /etc/issue warns).",
    permissions="None (reads /etc/os-release, the release files and /etc/issue).",
    versions="Linux; Windows hosts are judged on the controller.",
    applies=migrating,
)
def os_supported(ctx):
    dist = distribution(ctx.fs, ctx.os_release())
    return judge_cloud_instance_linux(ctx.target, dist, ctx.fs.text("/etc/issue", limit=4096))
