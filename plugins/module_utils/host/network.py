# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore and migration items on the network (seed 003): one physical NIC, no IPv6 address, and the
primary NIC configured by DHCP with a DHCP client installed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import ipaddress
import re
import socket

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host.gathering import migrating, parse_os_release

DHCP_CLIENTS = ("/sbin/dhclient", "/usr/sbin/dhclient", "/sbin/dhcpcd", "/usr/sbin/dhcpcd", "/usr/bin/dhcpcd",
                "/sbin/udhcpc", "/usr/sbin/udhcpc", "/bin/busybox")
# Network managers with a DHCP client of their own.
MANAGERS = {
    "NetworkManager": ("/usr/sbin/NetworkManager", "/sbin/NetworkManager"),
    "systemd-networkd": ("/lib/systemd/systemd-networkd", "/usr/lib/systemd/systemd-networkd"),
    "wicked": ("/usr/sbin/wicked", "/usr/sbin/wickedd-dhcp4"),
}


def read_interfaces(fs):
    """The NICs of /sys/class/net: name, whether physical (a device outside /sys/devices/virtual), and
    for virtual ones what they are."""
    nics = []
    for name in fs.listdir("/sys/class/net"):
        base = "/sys/class/net/" + name
        real = fs.host_path(fs.resolve(base))
        virtual = "/devices/virtual/" in real + "/" or not fs.exists(base + "/device")
        kind = None
        if virtual:
            # What sysfs itself shows; veth, ifb, dummy and tunnels show nothing more than being virtual.
            kind = ("loopback" if (fs.text(base + "/type") or "").strip() == "772" else
                    "bridge" if fs.isdir(base + "/bridge") else
                    "bond" if fs.isdir(base + "/bonding") else
                    "tun/tap" if fs.exists(base + "/tun_flags") else "virtual")
        nics.append({"name": name, "physical": not virtual, "kind": kind, "path": real,
                     "address": (fs.text(base + "/address") or "").strip() or None})
    return nics


def judge_nics(nics):
    physical = [n["name"] for n in nics if n["physical"]]
    ignored = ["%s (%s)" % (n["name"], n["kind"]) for n in nics if not n["physical"]]
    details = {"physical": physical, "ignored": ignored}
    note = (" Ignored: %s." % ", ".join(ignored)) if ignored else ""
    if len(physical) == 1:
        return [R.passed("nic %s" % physical[0], "One physical NIC, %s.%s" % (physical[0], note), details)]
    if not physical:
        return [R.warning("nics", "No physical NIC was found.%s The cloud instance gets a new NIC that this system has "
                          "no configuration for." % note,
                          "Make sure the system configures a new NIC by DHCP at boot (see migrate.dhcp).", details,
                          code="none")]
    return [R.failed("nics", "%d physical NICs (%s): a cloud instance made from this machine supports one network "
                     "interface.%s" % (len(physical), ", ".join(physical), note),
                     "Remove all NICs but the primary one from the VM before the migration (and their configuration "
                     "files), or attach the others as secondary interfaces after it.", details, code="several")]


@register(
    "migrate.nics", "Exactly one physical NIC", ("restore",),
    engine="host", tags=("migrate", "network"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="/sys/class/net has exactly one NIC backed by a device (lo, veth, bridges, bonds, tun/tap, ifb and anything "
         "under /sys/devices/virtual are ignored); several fail, none warns.",
    permissions="None (reads /sys/class/net).",
    versions="Linux.",
    applies=migrating,
)
def nics(ctx):
    ctx.fs.require_live_state("The network interfaces", "/sys/class/net")
    return judge_nics(read_interfaces(ctx.fs))


def parse_if_inet6(text):
    """/proc/net/if_inet6 -> [(address, interface)]."""
    found = []
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) >= 6 and len(fields[0]) == 32:
            address = ipaddress.ip_address(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(fields[0])))
            found.append((address, fields[5]))
    return found


def judge_ipv6(addresses, ipv6_enabled=True):
    offending = [(a, nic) for a, nic in addresses if not (a.is_link_local or a.is_loopback)]
    ignored = ["%s on %s" % (a, nic) for a, nic in addresses if (a.is_link_local or a.is_loopback)]
    details = {"addresses": ["%s on %s" % (a, nic) for a, nic in offending], "ignored": ignored,
               "ipv6_enabled": ipv6_enabled}
    if offending:
        shown = ", ".join("%s on %s (%s)" % (a, nic, "unique-local" if a in ipaddress.ip_network("fc00::/7")
                                             else "site-local" if a.is_site_local else "global")
                          for a, nic in offending)
        return [R.failed("ipv6", "IPv6 addresses are configured: %s. A cloud instance made from this machine does not "
                         "support IPv6." % shown,
                         "Remove the IPv6 configuration (IPV6INIT=no, `dhcp6: false`/`accept-ra: false` in netplan, or "
                         "`ipv6.method disabled` in NetworkManager) before the migration.", details, code="configured")]
    if not ipv6_enabled:
        return [R.passed("ipv6", "IPv6 is disabled in the kernel (no /proc/net/if_inet6).", details)]
    return [R.passed("ipv6", "No global or unique-local IPv6 address%s." % (
        " (link-local and loopback ignored: %s)" % ", ".join(ignored) if ignored else ""), details)]


@register(
    "migrate.ipv6", "No IPv6 address", ("restore",),
    engine="host", tags=("migrate", "network"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="/proc/net/if_inet6 lists no global, unique-local (fc00::/7) or site-local address; link-local and loopback "
         "addresses are ignored.",
    permissions="None (reads /proc/net/if_inet6).",
    versions="Linux.",
    applies=migrating,
)
def ipv6(ctx):
    ctx.fs.require_live_state("The IPv6 addresses", "/proc/net")
    text = ctx.fs.text("/proc/net/if_inet6")
    return judge_ipv6(parse_if_inet6(text), ipv6_enabled=text is not None)


# DHCP ------------------------------------------------------------------------------------------

def parse_default_route(text):
    """The interface of the IPv4 default route in /proc/net/route, or None."""
    for line in (text or "").splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[1] == "00000000" and fields[7] == "00000000":
            flags = int(fields[3], 16)
            if flags & 0x1:  # RTF_UP
                return fields[0]
    return None


def _ifupdown(fs, nic):
    included = ["/etc/network/interfaces.d/" + name for name in fs.listdir("/etc/network/interfaces.d")]
    for path in ["/etc/network/interfaces"] + included:
        for number, line in enumerate(fs.lines(path) or [], 1):
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 4 and fields[0] == "iface" and fields[1] == nic and fields[2] == "inet":
                return {"file": path, "line": number, "method": fields[3], "dhcp": fields[3] == "dhcp",
                        "manager": "ifupdown"}
    return None


def _ifcfg(fs, nic):
    for directory in ("/etc/sysconfig/network-scripts", "/etc/sysconfig/network"):
        for name in fs.listdir(directory):
            if not name.startswith("ifcfg-"):
                continue
            values = parse_os_release(fs.text("%s/%s" % (directory, name)) or "")
            if values.get("DEVICE", name[len("ifcfg-"):]) != nic:
                continue
            proto = values.get("BOOTPROTO", "none").lower()
            return {"file": "%s/%s" % (directory, name), "method": "BOOTPROTO=%s" % proto,
                    "dhcp": proto.startswith("dhcp"),
                    "manager": "wicked" if directory.endswith("/network") else "network-scripts"}
    return None


def _ini_sections(text):
    sections, current = {}, None
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
        elif current is not None and "=" in line and not line.startswith(("#", ";")):
            key, _eq, value = line.partition("=")
            current[key.strip()] = value.strip()
    return sections


def _networkmanager(fs, nic):
    directory = "/etc/NetworkManager/system-connections"
    for name in fs.listdir(directory):
        sections = _ini_sections(fs.text("%s/%s" % (directory, name)))
        if sections.get("connection", {}).get("interface-name") != nic:
            continue
        method = sections.get("ipv4", {}).get("method", "auto")
        return {"file": "%s/%s" % (directory, name), "method": "ipv4.method=%s" % method, "dhcp": method == "auto",
                "manager": "NetworkManager"}
    return None


def _networkd(fs, nic):
    for directory in ("/etc/systemd/network", "/run/systemd/network", "/lib/systemd/network"):
        for name in fs.listdir(directory):
            if not name.endswith(".network"):
                continue
            sections = _ini_sections(fs.text("%s/%s" % (directory, name)))
            patterns = sections.get("Match", {}).get("Name", "").split()
            if not any(fnmatch.fnmatch(nic, p) for p in patterns):
                continue
            value = sections.get("Network", {}).get("DHCP", "no").lower()
            return {"file": "%s/%s" % (directory, name), "method": "DHCP=%s" % value,
                    "dhcp": value in ("yes", "true", "ipv4", "both"), "manager": "systemd-networkd"}
    return None


def _netplan(fs, nic):
    """netplan YAML without a YAML parser (modules run with the standard library only): the block of the NIC
    under `ethernets:` and its `dhcp4` key."""
    for name in fs.listdir("/etc/netplan"):
        if not name.endswith((".yaml", ".yml")):
            continue
        lines = fs.lines("/etc/netplan/" + name) or []
        for index, line in enumerate(lines):
            match = re.match(r"^(\s+)%s:\s*$" % re.escape(nic), line.split("#", 1)[0])
            if not match:
                continue
            indent = len(match.group(1))
            dhcp = False
            for inner in lines[index + 1:]:
                stripped = inner.split("#", 1)[0]
                if stripped.strip() and len(stripped) - len(stripped.lstrip()) <= indent:
                    break
                value = re.match(r"^\s+dhcp4:\s*(\S+)", stripped)
                if value:
                    dhcp = value.group(1).strip("'\"").lower() in ("true", "yes", "on")
            return {"file": "/etc/netplan/" + name, "method": "dhcp4: %s" % ("true" if dhcp else "false"),
                    "dhcp": dhcp, "manager": "netplan"}
    return None


def nic_configuration(fs, nic):
    for reader in (_netplan, _networkmanager, _networkd, _ifcfg, _ifupdown):
        found = reader(fs, nic)
        if found:
            return found
    return None


def judge_dhcp(nic, config, clients, managers):
    details = {"nic": nic, "configuration": config, "dhcp_clients": clients, "managers": managers}
    target = "nic %s" % nic
    if config is None:
        if "NetworkManager" in managers:
            return [R.passed(target, "%s has no configuration file, and NetworkManager configures such a NIC by DHCP "
                             "(its default connection)." % nic, details, code="networkmanager_default")]
        return [R.warning(target, "No network configuration for %s was found (netplan, NetworkManager, "
                          "systemd-networkd, ifcfg, /etc/network/interfaces): the cloud instance may come up without "
                          "network." % nic, "Configure %s by DHCP." % nic, details, code="not_found")]
    if not config["dhcp"]:
        return [R.failed(target, "%s is not configured by DHCP (%s in %s): the cloud instance gets its address by DHCP "
                         "and stays unreachable." % (nic, config["method"], config["file"]),
                         "Configure %s by DHCP in %s (BOOTPROTO=dhcp, `iface %s inet dhcp`, `dhcp4: true`, "
                         "ipv4.method=auto or DHCP=yes)." % (nic, config["file"], nic), details, code="static")]
    own_client = config["manager"] in ("NetworkManager", "systemd-networkd", "wicked") or (
        config["manager"] == "netplan" and managers)
    if not own_client and not clients:
        return [R.failed(target, "%s is configured by DHCP (%s) but no DHCP client is installed (dhclient, dhcpcd)."
                         % (nic, config["file"]),
                         "Install a DHCP client: `yum install dhclient` or `apt-get install isc-dhcp-client`.",
                         details, code="no_client")]
    return [R.passed(target, "%s is configured by DHCP (%s, %s)." % (nic, config["method"], config["file"]), details)]


@register(
    "migrate.dhcp", "Primary NIC configured by DHCP", ("restore",),
    engine="host", tags=("migrate", "network"),
    references=("Seed003:VMwareRestoreToECS",),
    rule="The NIC of the IPv4 default route (else the only physical NIC) is configured by DHCP in netplan, "
         "NetworkManager, systemd-networkd, ifcfg or /etc/network/interfaces, and a DHCP client is installed "
         "(dhclient, dhcpcd, or the network manager's own).",
    permissions="root (NetworkManager's connection files are readable by root only).",
    versions="Linux.",
    applies=migrating,
)
def dhcp(ctx):
    ctx.fs.require_live_state("The primary NIC", "/sys/class/net")
    nic = parse_default_route(ctx.fs.text("/proc/net/route"))
    if nic is None:
        physical = [n["name"] for n in read_interfaces(ctx.fs) if n["physical"]]
        if len(physical) != 1:
            return [R.warning("nics", "There is no IPv4 default route and not exactly one physical NIC (%s): the primary "
                              "NIC is unknown." % (", ".join(physical) or "none"),
                              "Give the host a default route through its primary NIC.", code="no_primary")]
        nic = physical[0]
    clients = [path for path in DHCP_CLIENTS if ctx.fs.exists(path)]
    managers = [name for name, paths in sorted(MANAGERS.items()) if any(ctx.fs.exists(p) for p in paths)]
    return judge_dhcp(nic, nic_configuration(ctx.fs, nic), clients, managers)
