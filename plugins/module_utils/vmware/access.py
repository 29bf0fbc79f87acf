# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMware items about reaching vCenter: the login and the selection, the vCenter version, and the
network paths from the backup gateway to vCenter and to the ESXi hosts by the names vCenter uses."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.runner import parallel_map
from ansible_collections.cloudbackup.precheck.plugins.module_utils.vmware.common import sh

MIN_VCENTER_VERSION = "6.7"
ESXI_PORTS = (443, 902)
PORT_USES = {443: "the vSphere API and the host's HTTPS services", 902: "NFC, the path of the disk data"}
# Probes run side by side in batches, each bounded by connect_timeout: a black-holed fleet of
# hosts costs about one timeout per batch.
PROBE_BATCH = 64


def parse_version(text):
    """`6.7.0` -> (6, 7, 0); None when it is not dotted numbers."""
    if not re.match(r"^\d+(\.\d+)*$", str(text or "").strip()):
        return None
    return tuple(int(part) for part in str(text).strip().split("."))


def _count(number, word):
    return "%d %s%s" % (number, word, "" if number == 1 else "s")


def unmatched_result(ctx, option, entry):
    """A selection entry that selects nothing: vCenter shows an account only what it may see, so a
    missing folder or VM and a hidden one look the same from here."""
    user = ctx.user()
    what = {"vm_names": "no VM named", "vm_folders": "no folder", "vm_clusters": "no cluster",
            "vm_tags": "no VM with the tag", "vm_attributes": "no VM with the custom attribute"}[option]
    return R.error(
        "%s/%s" % (ctx.target, entry.lstrip("/")),
        "The selection %s: %s matches nothing on vCenter %s: %s %r is visible to %s. Either it does not exist, or "
        "the account lacks System.View on it (a No Access permission, or no permission on it or its parents)."
        % (option, entry, ctx.endpoint, what, entry, user), "permission",
        "Check the spelling against the vSphere Client (VMs and Templates view). If it exists, give %s the Read-only "
        "role on it, propagated: vSphere Client > the object > Permissions > Add > Read-only, Propagate to children; "
        "or govc permissions.set -principal %s -role ReadOnly -propagate=true <inventory path>."
        % (user, sh(user)), details={"option": option, "entry": entry, "user": user}, code="selection_unmatched")


def judge_connection(target, endpoint, user, about, elapsed_ms, api_version, selected, visible, templates):
    """The login and what the account sees: `about` is vCenter's AboutInfo as a dict."""
    return [R.passed(target, "Logged in to %s at %s as %s in %d ms (API %s); %s selected of %s the account sees."
                     % (about.get("fullName") or "vCenter", endpoint, user, elapsed_ms, about.get("apiVersion"),
                        _count(selected, "VM"), _count(visible, "VM")),
                     details={"user": user, "connect_ms": elapsed_ms, "api_version": api_version,
                              "selected": selected, "visible": visible, "templates": templates})]


@register(
    "vmware.connection", "vCenter reachable, login works and the selected VMs are visible", ("all_operations",),
    tags=("connectivity",),
    rule="Log in to vCenter within connect_timeout (DNS, TCP, TLS, the API version query and the login each "
         "bounded) and read the inventory in one PropertyCollector retrieval within call_timeout. Failures are "
         "classified: dns, refused, timeout, tls, login_failed (InvalidLogin), permission (NoPermission, with the "
         "privilege), protocol, driver_missing. Each selection entry that matches no visible object is an error "
         "(cause permission: hidden and absent look the same).",
    permissions="A vCenter account (Read-only role, System.View and System.Read, on the VMs and their parents).",
    versions="vCenter Server (API 6.5 and later) and ESXi (reported by vmware.vcenter_version); pyvmomi 8 or later.",
)
def connection(ctx):
    session = ctx.session()
    selected, unmatched = ctx.selection()
    inventory = ctx.inventory()
    visible = len([vm for vm in inventory.vms if not vm["template"]])
    out = judge_connection(ctx.target, ctx.endpoint, ctx.user(), ctx.about(), session.elapsed_ms, session.api_version,
                           len(selected), visible, len(inventory.vms) - visible)
    out.extend(unmatched_result(ctx, option, entry) for option, entry in unmatched)
    return out


def judge_version(about, minimum, target, where):
    details = {"api_type": about.get("apiType"), "version": about.get("version"), "build": about.get("build"),
               "full_name": about.get("fullName"), "minimum": minimum}
    name = about.get("fullName") or "%s %s" % (about.get("name"), about.get("version"))
    if about.get("apiType") != "VirtualCenter":
        return [R.failed(
            target, "%s is not vCenter Server but %s (apiType %s): the backup client is deployed to and backs up "
            "VMs through vCenter Server %s or later." % (where, name, about.get("apiType"), minimum),
            "Set hostname to the vCenter Server that manages this host (the ESXi Host Client shows it under Host > "
            "Manage > System), or add the host to a vCenter Server %s or later." % minimum,
            details, code="not_vcenter")]
    version, wanted = parse_version(about.get("version")), parse_version(minimum)
    if version is None:
        return [R.warning(target, "vCenter %s reports the version %r, which cannot be compared with %s."
                          % (where, about.get("version"), minimum),
                          "Check the version in the vSphere Client (Help > About VMware vSphere).", details,
                          code="unknown_version")]
    if version < wanted:
        return [R.failed(
            target, "vCenter %s runs %s, older than %s: the backup client needs vCenter %s or later."
            % (where, name, minimum, minimum),
            "Upgrade vCenter Server to %s or later (vCenter Server Management Interface, https://%s:5480 > Update; "
            "or the vCenter installer's Upgrade for a 6.5 appliance)." % (minimum, where.split(":")[0]),
            details, code="too_old")]
    return [R.passed(target, "vCenter %s runs %s (%s or later is supported)." % (where, name, minimum), details)]


@register(
    "vmware.vcenter_version", "vCenter Server 6.7 or later", ("all_operations",),
    tags=("version",),
    rule="ServiceContent.about: apiType is VirtualCenter (a standalone ESXi host fails) and version is "
         "min_vcenter_version (6.7) or later.",
    permissions="None beyond login (ServiceContent).",
    versions="Any.",
    options=dict(min_vcenter_version=dict(type="str", default=MIN_VCENTER_VERSION, description=(
        "The oldest vCenter Server version C(vmware.vcenter_version) accepts, as dotted numbers.",
    ))),
)
def vcenter_version(ctx):
    return judge_version(ctx.about(), ctx.params.get("min_vcenter_version") or MIN_VCENTER_VERSION, ctx.target,
                         ctx.endpoint)


def esxi_hosts(inventory, vms):
    """{host moid: {name, path, vms}} of the hosts running the given VMs."""
    hosts = {}
    for vm in vms:
        if vm["host"] and vm["host"] in inventory.entities:
            entry = hosts.setdefault(vm["host"], {"name": inventory.entities[vm["host"]]["name"],
                                                  "path": inventory.path(vm["host"]), "vms": []})
            entry["vms"].append(vm["name"])
    return hosts


def _probe_all(pairs, timeout):
    out = []
    for start in range(0, len(pairs), PROBE_BATCH):
        out.extend(parallel_map(lambda pair: probes.probe_tcp(pair[0], pair[1], timeout),
                                pairs[start:start + PROBE_BATCH]))
    return dict(zip(pairs, out))


def judge_reach(name, ports, probed, target, role, vms=()):
    """One result for vCenter or one ESXi host from its probes {(name, port): probe}."""
    failures = [(port, probed[(name, port)]) for port in ports if not probed[(name, port)]["ok"]]
    details = {"name": name, "ports": dict((str(p), probed[(name, p)]) for p in ports)}
    runs = ""
    if vms:
        details["vms"] = sorted(vms)
        runs = " (runs %s%s)" % (", ".join(sorted(vms)[:3]), " and %d more" % (len(vms) - 3) if len(vms) > 3 else "")
    if not failures:
        listed = ", ".join(map(str, ports))
        return R.passed(target, "%s %s%s answers on TCP %s from this host." % (role, name, runs, listed), details)
    cause = failures[0][1]["cause"]
    text = "; ".join("port %d (%s): %s" % (port, PORT_USES.get(port, "required"), probe["detail"])
                     for port, probe in failures)
    if cause == "dns":
        fix = ("Make %s resolve on this host (a DNS record, or /etc/hosts on the backup gateway): vCenter hands the "
               "host out by this name, so the gateway must reach it by exactly this name." % name)
    else:
        fix = ("Open TCP %s from this host (the backup gateway) to %s in every firewall on the way (on the host: "
               "vSphere Client > host > Configure > Firewall)." % (", ".join(str(p) for p, _probe in failures), name))
    return R.failed(target, "%s %s%s cannot be reached from this host: %s." % (role, name, runs, text), fix, details,
                    cause=cause, code="%s_%s" % ("vcenter" if not vms else "esxi", cause))


@register(
    "vmware.gateway_reach", "The gateway reaches vCenter and the ESXi hosts by the names vCenter uses",
    ("all_operations",),
    tags=("connectivity", "network"),
    rule="From the host that runs the check (the backup gateway): TCP to vCenter's hostname and port, and to every "
         "ESXi host running a selected VM on esxi_ports (443 and 902), by HostSystem.name, the name vCenter gives "
         "out; DNS included, each probe bounded by connect_timeout, probes side by side.",
    permissions="None beyond login (HostSystem.name through the inventory retrieval).",
    versions="Any.",
    options=dict(esxi_ports=dict(type="list", elements="int", minimum=1, maximum=65535, default=list(ESXI_PORTS), description=(
        "The TCP ports C(vmware.gateway_reach) probes on each ESXi host: 443 (API) and 902 (NFC, the disk data).",
    ))),
)
def gateway_reach(ctx):
    inventory = ctx.inventory()
    ports = ctx.params.get("esxi_ports") or list(ESXI_PORTS)
    hosts = esxi_hosts(inventory, ctx.selected_vms())
    vcenter = (ctx.settings["hostname"], int(ctx.settings["port"]))
    pairs = [vcenter] + sorted(set((h["name"], port) for h in hosts.values() for port in ports))
    probed = _probe_all(pairs, ctx.settings["connect_timeout"])
    out = [judge_reach(vcenter[0], [vcenter[1]], probed, ctx.target, "vCenter")]
    for host in sorted(hosts.values(), key=lambda h: h["path"]):
        out.append(judge_reach(host["name"], ports, probed, "%s%s" % (ctx.target, host["path"]), "ESXi host",
                               host["vms"]))
    return out
