# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host item: outbound connectivity to the backup service, storage and identity endpoints (seed 004,
Azure UserErrorVMInternetConnectivityIssue)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.runner import parallel_map
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.checks import parse_endpoint
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import parse_os_release

PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
                   "no_proxy", "NO_PROXY")

_FIX = {
    "dns": "Make the host resolve %(host)s: check /etc/resolv.conf and that the DNS servers resolve public (or "
           "private-link) names of the service.",
    "refused": "Something refuses TCP %(port)d to %(host)s: a host firewall or a proxy rejects it; allow outbound "
               "TCP %(port)d.",
    "timeout": "Allow outbound TCP %(port)d to %(host)s: in a network security group use the service tags of the "
               "backup service, storage and identity; check the host firewall and any load balancer in the path.",
    "unreachable": "The host has no route to %(host)s: give it outbound internet access (a NAT gateway or a public "
                   "address) or a private endpoint.",
}


def without_credentials(value):
    """A proxy URL without its user and password: `http://user:secret@proxy:3128` -> `http://proxy:3128`."""
    return re.sub(r"(^|//)[^/@\s]*@", r"\1", value)


def proxy_settings(environ, etc_environment):
    """The proxy variables of the precheck's own environment and of /etc/environment, credentials removed."""
    found = {}
    for source, values in (("environment", environ), ("/etc/environment", etc_environment)):
        for name in PROXY_VARIABLES:
            if values.get(name):
                found.setdefault(name, {"value": without_credentials(values[name]), "from": source})
    return found


def _proxy_note(proxies):
    used = [(n, p) for n, p in sorted(proxies.items()) if n.lower() != "no_proxy"]
    if not used:
        return ""
    return " A proxy is set (%s)." % ", ".join("%s=%s from %s" % (n, p["value"], p["from"]) for n, p in used)


def judge_service(host, port, probe, proxies):
    target = "%s:%d" % (host, port)
    details = {"step": probe.get("step"), "address": probe.get("address"), "elapsed_ms": probe.get("elapsed_ms"),
               "proxy": proxies}
    note = _proxy_note(proxies)
    if probe["ok"]:
        return R.passed(target, "%s resolves and accepts TCP (%s, %d ms).%s"
                        % (target, probe["address"], probe["elapsed_ms"], note), details)
    fix = _FIX.get(probe["cause"], "Check the network path to %(host)s:%(port)d.") % {"host": host, "port": port}
    if note:
        fix += (" This host has a proxy configured: if it reaches the internet only through it, configure the backup "
                "agent to use the proxy and allow %s there." % host)
    return R.failed(target, "Service endpoint %s is not reachable directly (step %s, %s): %s. The backup agent cannot "
                    "contact the service.%s" % (target, probe["step"], probe["cause"], probe["detail"], note),
                    fix, details, cause=probe["cause"])


def _not_configured(ctx):
    if not ctx.params.get("service_hosts"):
        return "No service_hosts are configured: there is no backup service, storage or identity endpoint to test."
    return None


@register(
    "host.outbound_services", "Backup service, storage and identity endpoints reachable", ("all_operations",),
    tags=("network", "connectivity"),
    references=("Azure:UserErrorVMInternetConnectivityIssue",),
    rule="Each configured service host (backup service, storage, identity) resolves and accepts TCP on its port "
         "(443 by default), all probed concurrently; proxy variables of the environment and /etc/environment are "
         "reported (without credentials).",
    permissions="None (outbound network only).",
    versions="Any host with Python 3.",
    applies=_not_configured,
    options=dict(
        service_hosts=dict(type="list", elements="str", default=[], description=(
            "The endpoints the backup agent must reach directly, as V(host) or V(host:port) (port 443 by default): "
            "the backup service, its storage and its identity provider, for example "
            "V(pod01-manag1.wus.backup.windowsazure.com), V(mystorage.blob.core.windows.net) and "
            "V(login.microsoftonline.com).",
        )),
    ),
)
def outbound_services(ctx):
    endpoints = [parse_endpoint(value, 443, "service_hosts") for value in ctx.params.get("service_hosts") or []]
    etc_environment = parse_os_release(ctx.fs.text("/etc/environment") or "")
    proxies = proxy_settings(os.environ, etc_environment)
    timeout = ctx.params["timeout"]
    return parallel_map(lambda ep: judge_service(ep[0], ep[1], probes.probe_tcp(ep[0], ep[1], timeout), proxies),
                        endpoints)
