# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host check items: the object-storage data path, the control network (seeds 000-003), and the
machine's word size (seed 003)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import platform
import re
import threading

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.runner import parallel_map

CONTROL_NETWORK = ipaddress.ip_network("100.64.0.0/10")

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")
REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")


def parse_endpoint(value, default_port, option):
    """`host`, `host:port`, `[v6]:port` or `https://host[:port][/path]` -> (host, port).

    Raises ValueError naming the option and the valid forms."""
    forms = "valid forms: host, host:port, [ipv6]:port or https://host[:port]"
    text = value.strip()
    match = re.match(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<hostport>[^/]+)(?P<path>/.*)?$", text)
    if not match or (match.group("scheme") and match.group("scheme").lower() != "https"):
        raise ValueError("%s: malformed endpoint %r (%s)" % (option, value, forms))
    hostport = match.group("hostport")
    v6 = re.match(r"^\[(?P<host>[0-9A-Fa-f:.]+)\](?::(?P<port>[^:]*))?$", hostport)
    if v6:
        host, port = v6.group("host"), v6.group("port")
    elif hostport.count(":") == 1:
        host, port = hostport.split(":")
    elif ":" in hostport:
        raise ValueError("%s: malformed endpoint %r: put an IPv6 address in brackets (%s)" % (option, value, forms))
    else:
        host, port = hostport, None
    if not (v6 or _HOSTNAME.match(host)):
        raise ValueError("%s: malformed host %r in %r (%s)" % (option, host, value, forms))
    if port is None or port == "":
        if port == "":
            raise ValueError("%s: empty port in %r (%s)" % (option, value, forms))
        return host, default_port
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("%s: port %r in %r is out of range (valid ports: 1-65535)" % (option, port, value))
    return host, int(port)


def oss_endpoint(params):
    """The explicit endpoint wins; else the region's internal (VPC) endpoint."""
    if params.get("oss_endpoint"):
        return parse_endpoint(params["oss_endpoint"], 443, "oss_endpoint")
    if params.get("region"):
        return "oss-%s-internal.aliyuncs.com" % params["region"], 443
    return None


def _oss_not_configured(ctx):
    if oss_endpoint(ctx.params) is None:
        return "Neither region nor oss_endpoint is set: there is no object-storage endpoint to test."
    return None


_NETWORK_FIX = {
    "dns": "Make the host resolve %(host)s: use the VPC's DNS servers (on Alibaba Cloud ECS 100.100.2.136 and "
           "100.100.2.138) or a resolver that knows the internal endpoint, and check that the region id is right.",
    "refused": "Something at %(address)s refuses port %(port)d: check the endpoint, and that no proxy or firewall "
               "on the host rejects outbound TCP %(port)d.",
    "timeout": "Allow outbound TCP %(port)d to %(host)s in the security group, network ACL and host firewall; "
               "on premises, route it through the VPN or leased line into the VPC.",
    "unreachable": "The host has no route to %(host)s: add a route to the VPC (VPN, leased line or VPC gateway).",
    "tls": "A TLS-intercepting proxy or a wrong endpoint answered: exempt %(host)s from TLS inspection, or set "
           "ca_path to the CA that signs it.",
    "protocol": "Port %(port)d of %(host)s does not speak HTTPS: check the endpoint.",
}


def judge_oss(host, port, probe):
    target = "%s:%d" % (host, port)
    if probe["ok"]:
        return [R.passed(target, "%s is reachable: %s, HTTP %d in %d ms." % (
            target, probe.get("tls_version"), probe["http_status"], probe["elapsed_ms"]),
            details={"address": probe["address"], "http_status": probe["http_status"],
                     "tls_version": probe.get("tls_version"), "elapsed_ms": probe["elapsed_ms"]})]
    fix = _NETWORK_FIX.get(probe["cause"], "Check the network path to %(host)s:%(port)d.")
    return [R.failed(target, "Object storage %s is not usable (step %s, %s): %s. Backup and restore data "
                     "cannot be transferred." % (target, probe["step"], probe["cause"], probe["detail"]),
                     fix % {"host": host, "port": port, "address": probe.get("address", host)},
                     details={"step": probe["step"], "address": probe.get("address"), "elapsed_ms": probe["elapsed_ms"]},
                     cause=probe["cause"])]


@register(
    "host.oss_connectivity", "Object-storage endpoint reachable over the VPC", ("backup", "restore"),
    tags=("network", "connectivity"),
    references=("HBR:OSS_INTERNAL_ENDPOINT_CONNECTIVITY",),
    rule="The region's internal object-storage endpoint (oss-<region>-internal.aliyuncs.com, or oss_endpoint) "
         "resolves and accepts TCP and TLS on its port, and answers an HTTP request (any status passes). "
         "DNS failure, refused, timeout and TLS failure are reported as distinct causes.",
    permissions="None (outbound network only).",
    versions="Any host with Python 3.",
    applies=_oss_not_configured,
    options=dict(
        region=dict(type="str", description=(
            "The cloud region id, for example V(cn-hangzhou). The object-storage endpoint tested is then "
            "C(oss-<region>-internal.aliyuncs.com:443), the endpoint reached from a VPC.",
            "Ignored when O(oss_endpoint) is set. With neither, C(host.oss_connectivity) is V(skipped).",
        )),
        oss_endpoint=dict(type="str", description=(
            "The object-storage endpoint to test instead of the region's, as V(host), V(host:port), V([ipv6]:port) "
            "or V(https://host[:port]). Any HTTPS endpoint works, for example an Azure blob host. The default port "
            "is 443.",
        )),
        validate_certs=dict(type="bool", default=True, description=(
            "Verify the object-storage endpoint's TLS certificate and host name. A failed verification is reported "
            "as a V(tls) failure.",
        )),
        ca_path=dict(type="path", existing_file=True, description=(
            "A PEM file of CA certificates to verify the endpoint with, instead of the system's.",
        )),
    ),
)
def oss_connectivity(ctx):
    host, port = oss_endpoint(ctx.params)
    probe = probes.probe_https(host, port, ctx.params["timeout"], ctx.params["validate_certs"], ctx.params.get("ca_path"))
    return judge_oss(host, port, probe)


def _network_of(address):
    """The /11 half of 100.64.0.0/10 that an address probes, for a target a person recognizes."""
    return str(ipaddress.ip_network(address + "/11", strict=False))


def judge_route(address, route):
    target = "route %s" % _network_of(address)
    details = {"probe_address": address, "type": route["type"], "dev": route.get("dev"),
               "gateway": route.get("gateway"), "source": route.get("prefsrc")}
    if route["ok"]:
        via = (" via %s" % route["gateway"]) if route.get("gateway") else ""
        dev = (" dev %s" % route["dev"]) if route.get("dev") else ""
        return R.passed(target, "Route to %s found:%s%s." % (_network_of(address), via, dev) if (via or dev)
                        else "Route to %s found (%s)." % (_network_of(address), route["detail"]), details)
    if route["type"] == "no_route":
        return R.failed(target, "No route to the control network %s (looked up %s): the backup service cannot "
                        "manage this host." % (_network_of(address), address),
                        "Add a route for 100.64.0.0/10 towards the VPC: on ECS through the VPC gateway (check that "
                        "no custom route table removed it); on premises through the VPN or leased line.",
                        details, cause="unreachable")
    return R.failed(target, "The route to %s is of type %s (%s): traffic to the control network is dropped."
                    % (_network_of(address), route["type"], route["detail"]),
                    "Remove the %s route that covers %s (see `ip route show table all` and `ip rule`), so that "
                    "100.64.0.0/10 is routed towards the VPC." % (route["type"], address),
                    details, cause="unreachable")


def judge_control_endpoint(host, port, probe):
    target = "%s:%d" % (host, port)
    if probe["ok"]:
        return R.passed(target, "Control endpoint %s accepts TCP (%s, %d ms)." % (
            target, probe["address"], probe["elapsed_ms"]),
            details={"address": probe["address"], "elapsed_ms": probe["elapsed_ms"]})
    return R.failed(target, "Control endpoint %s is not reachable (step %s, %s): %s." % (
        target, probe["step"], probe["cause"], probe["detail"]),
        _NETWORK_FIX.get(probe["cause"], "Check the network path to %(host)s:%(port)d.")
        % {"host": host, "port": port, "address": probe.get("address") or host},
        details={"step": probe["step"], "address": probe.get("address"), "elapsed_ms": probe["elapsed_ms"]},
        cause=probe["cause"])


@register(
    "host.control_network", "Control network routed and control endpoints reachable", ("all_operations",),
    tags=("network", "connectivity"),
    references=("HBR:SERVICE_CONNECTIVITY",),
    rule="The kernel has a usable route (not unreachable, blackhole or prohibit) to an address in each of "
         "100.64.0.0/11 and 100.96.0.0/11, and every configured control endpoint accepts TCP.",
    permissions="None (reads the routing table with `ip route get`; outbound network only).",
    versions="Linux hosts; without iproute2 the gateway is not reported.",
    options=dict(
        control_endpoints=dict(type="list", elements="str", default=[], description=(
            "Control-plane endpoints of the backup service, each V(host:port), that must accept TCP.",
        )),
        control_route_addresses=dict(type="list", elements="str", default=["100.64.0.1", "100.96.0.1"], description=(
            "Addresses inside 100.64.0.0/10 whose kernel route is looked up, one per half of the control network "
            "(100.64.0.0/11 and 100.96.0.0/11).",
        )),
    ),
)
def control_network(ctx):
    endpoints = [parse_endpoint(e, None, "control_endpoints") for e in ctx.params.get("control_endpoints") or []]
    addresses = list(ctx.params.get("control_route_addresses") or [])
    timeout = ctx.params["timeout"]

    def probe(item):
        kind, value = item
        if kind == "route":
            return judge_route(value, probes.route_lookup(value, timeout))
        return judge_control_endpoint(value[0], value[1], probes.probe_tcp(value[0], value[1], timeout))

    return parallel_map(probe, [("route", a) for a in addresses] + [("tcp", e) for e in endpoints])


# -- machine and userspace word size (seed 003: the backup client supports no 32-bit system) --------

_MACHINES_32 = ("i386", "i486", "i586", "i686", "x86", "armv6l", "armv7l", "armv7", "arm", "mips", "ppc", "s390")
_ELF_CLASSES = {1: 32, 2: 64}


def elf_bits(path):
    """The word size of an ELF executable from its header's EI_CLASS byte, or None when unreadable."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(5)
    except (IOError, OSError):
        return None
    if header[:4] != b"\x7fELF" or len(header) < 5:
        return None
    return _ELF_CLASSES.get(header[4])


def judge_arch_64bit(machine, userspace_bits, binary, target):
    """`machine` is None for another root than the live host: an image's kernel is not the one running."""
    details = {"machine": machine, "userspace_bits": userspace_bits, "userspace_binary": binary}
    kernel = "kernel %s" % machine if machine else "kernel not judged (another root)"
    if machine and machine.lower() in _MACHINES_32:
        return [R.failed(target, "%s runs a 32-bit kernel (%s): the backup client supports no 32-bit system."
                         % (target, machine), "Migrate the workload to a 64-bit OS (x86_64 or aarch64) before "
                         "rolling out the backup client; `uname -m` shows the kernel's machine type.",
                         details=details, code="kernel_32bit")]
    if userspace_bits is None:
        return [R.warning(target, "The word size of the userspace of %s is unknown: %s is not a readable ELF "
                          "executable, so a 32-bit userspace on a 64-bit kernel cannot be ruled out." % (target, binary),
                          "Set userspace_binary to an executable of the system (for example /bin/sh), or check "
                          "`getconf LONG_BIT` on the host.", details=details, code="userspace_unknown")]
    if userspace_bits == 32:
        return [R.failed(target, "%s has a 32-bit userspace (%s is ELF32) on %s: the backup client supports no "
                         "32-bit system." % (target, binary, kernel),
                         "Reinstall a 64-bit distribution; `getconf LONG_BIT` on the host prints 32 today.",
                         details=details, code="userspace_32bit")]
    return [R.passed(target, "%s is 64-bit: %s, userspace ELF64 (%s)." % (target, kernel, binary),
                     details=details)]


@register(
    "host.arch_64bit", "Machine and userspace are 64-bit", ("all_operations",),
    tags=("os",),
    references=(),
    rule="The kernel's machine type (platform.machine(), as uname -m; the live host only) is not a 32-bit one, and "
         "the userspace is 64-bit (the ELF class of userspace_binary, /bin/sh by default, below root, links "
         "resolved inside it): the backup client supports no 32-bit system. An unreadable userspace_binary warns.",
    permissions="None (reads the ELF header of userspace_binary).",
    versions="Any Linux.",
    options=dict(
        userspace_binary=dict(type="path", default="/bin/sh", description=(
            "An executable of the system whose ELF class tells the word size of its userspace for "
            "C(host.arch_64bit), as the checked system sees it (below O(root)).",
        )),
    ),
)
def arch_64bit(ctx):
    binary = ctx.params["userspace_binary"]
    machine = platform.machine() if ctx.fs.live else None
    return judge_arch_64bit(machine, elf_bits(ctx.fs.resolve(binary)), binary, ctx.target)


def probe_silent(endpoints, params):
    """Start a TCP probe of the instances' endpoints (core.module's `probe_endpoints`), all at once
    and beside the host checks, within the host's timeout; the function returned gives those that
    did not answer (a TCP timeout: refused is an answer)."""
    timeout = params["timeout"]
    box = {}

    def work():
        outcomes = parallel_map(lambda text: probes.probe_tcp(*parse_endpoint(text, None, "probe_endpoints") + (timeout,)),
                                endpoints)
        box["silent"] = [text for text, outcome in zip(endpoints, outcomes)
                         if not outcome["ok"] and outcome.get("step") == "tcp" and outcome["cause"] == "timeout"]

    thread = threading.Thread(target=work)
    thread.daemon = True
    thread.start()

    def silent():
        thread.join(timeout + 1)
        return box.get("silent", [])
    return silent
