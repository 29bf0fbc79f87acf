# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network probes with a deadline each: DNS, TCP, TLS, an HTTP request, and a kernel route lookup.

Every probe returns a plain dict (`ok`, `step`, `cause`, `detail`, ...) instead of raising, so that
the judging code reads like the rule it applies and can be tested on plain dicts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import socket
import ssl
import subprocess
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import bounded


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def remaining(self):
        return max(0.001, self.end - time.monotonic())


def _fail(step, cause, detail, **extra):
    result = {"ok": False, "step": step, "cause": cause, "detail": detail}
    result.update(extra)
    return result


def resolve(host, port, deadline):
    """getaddrinfo has no timeout of its own: a lookup that outlives the deadline is abandoned."""
    try:
        infos = bounded.call(lambda: socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM), deadline.remaining(),
                             name="cloudbackup-precheck-resolve")
    except bounded.Abandoned:
        return _fail("dns", "timeout", "DNS lookup of %s did not answer in time" % host)
    except (socket.gaierror, UnicodeError) as exc:
        return _fail("dns", "dns", "DNS lookup of %s failed: %s" % (host, getattr(exc, "strerror", None) or exc))
    return {"ok": True, "addresses": [info[4][0] for info in infos], "infos": infos}


def _classify_socket_error(exc):
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ssl.SSLError):
        return "tls"
    if getattr(exc, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "unreachable"
    if getattr(exc, "errno", None) == errno.ETIMEDOUT:
        return "timeout"
    return "unreachable"


def tcp_connect(host, port, deadline):
    """DNS, then TCP to the first address that accepts. Returns the open socket in `sock`."""
    resolved = resolve(host, port, deadline)
    if not resolved["ok"]:
        return resolved
    last = None
    for family, socktype, proto, _name, sockaddr in resolved["infos"]:
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(deadline.remaining())
        try:
            sock.connect(sockaddr)
            return {"ok": True, "sock": sock, "address": sockaddr[0]}
        except (OSError, socket.timeout) as exc:
            sock.close()
            last = _fail("tcp", _classify_socket_error(exc),
                         "TCP connection to %s:%d (%s) failed: %s" % (host, port, sockaddr[0], _describe(exc)),
                         address=sockaddr[0])
            if last["cause"] == "timeout":
                break
    return last


def _describe(exc):
    if isinstance(exc, socket.timeout):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def probe_tcp(host, port, timeout):
    deadline = Deadline(timeout)
    started = time.monotonic()
    result = tcp_connect(host, port, deadline)
    if result["ok"]:
        result.pop("sock").close()
    result.pop("infos", None)
    result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    return result


def probe_https(host, port, timeout, validate_certs=True, ca_path=None):
    """DNS, TCP, TLS, then one HTTP request: any HTTP status line proves the data path works."""
    deadline = Deadline(timeout)
    started = time.monotonic()
    result = _probe_https(host, port, deadline, validate_certs, ca_path)
    result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    return result


def _probe_https(host, port, deadline, validate_certs, ca_path):
    connected = tcp_connect(host, port, deadline)
    if not connected["ok"]:
        return connected
    raw, address = connected["sock"], connected["address"]
    context = ssl.create_default_context(cafile=ca_path)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        raw.settimeout(deadline.remaining())
        tls = context.wrap_socket(raw, server_hostname=host)
    except (OSError, socket.timeout) as exc:
        raw.close()
        return _fail("tls", _classify_socket_error(exc),
                     "TLS handshake with %s:%d failed: %s" % (host, port, _describe(exc)), address=address)
    try:
        tls.settimeout(deadline.remaining())
        tls.sendall(("HEAD / HTTP/1.1\r\nHost: %s\r\nUser-Agent: cloudbackup-precheck\r\n"
                     "Connection: close\r\n\r\n" % host).encode("ascii"))
        head = tls.recv(256)
    except (OSError, socket.timeout) as exc:
        return _fail("http", _classify_socket_error(exc),
                     "HTTP request to %s:%d failed after TLS: %s" % (host, port, _describe(exc)), address=address)
    finally:
        tls.close()
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ")
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return _fail("http", "protocol", "%s:%d answered TLS but not HTTP (%r)" % (host, port, status_line[:40]),
                     address=address)
    return {"ok": True, "address": address, "http_status": int(parts[1]), "tls_version": tls.version()}


# `ip route get` answers a route of type blackhole/unreachable/prohibit with these errno texts.
_ROUTE_ERRORS = (
    ("Network is unreachable", "no_route"),
    ("No route to host", "unreachable"),
    ("Invalid argument", "blackhole"),
    ("Permission denied", "prohibit"),
)


def parse_ip_route_get(returncode, stdout, stderr):
    """Judge the output of `ip -j route get ADDR` (kept separate so it is testable on text)."""
    if returncode == 0:
        try:
            route = json.loads(stdout)[0]
        except (ValueError, IndexError, KeyError):
            return {"ok": False, "type": "unknown", "detail": "unreadable output of ip route get: %r" % stdout[:80]}
        rtype = route.get("type", "unicast")
        return {
            "ok": rtype not in ("unreachable", "blackhole", "prohibit"),
            "type": rtype,
            "dev": route.get("dev"),
            "gateway": route.get("gateway"),
            "prefsrc": route.get("prefsrc"),
            "detail": "",
        }
    for text, rtype in _ROUTE_ERRORS:
        if text in stderr:
            return {"ok": False, "type": rtype, "detail": stderr.strip()}
    return {"ok": False, "type": "unknown", "detail": stderr.strip() or "ip route get exited %d" % returncode}


def route_lookup(address, timeout):
    """The kernel's own answer (policy routing included), by `ip route get`; without iproute2,
    a UDP connect asks the kernel for a route too (no packet is sent) but cannot name the gateway."""
    try:
        proc = subprocess.run(["ip", "-j", "route", "get", address], capture_output=True, timeout=timeout,
                              check=False, universal_newlines=True)
        return parse_ip_route_get(proc.returncode, proc.stdout, proc.stderr)
    except (OSError, subprocess.TimeoutExpired):
        pass
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect((address, 9))
        return {"ok": True, "type": "unicast", "dev": None, "gateway": None, "prefsrc": sock.getsockname()[0],
                "detail": "route found by the kernel (iproute2 not installed: device and gateway unknown)"}
    except OSError as exc:
        rtype = {errno.ENETUNREACH: "no_route", errno.EHOSTUNREACH: "unreachable",
                 errno.EINVAL: "blackhole", errno.EACCES: "prohibit"}.get(exc.errno, "unknown")
        return {"ok": False, "type": rtype, "detail": _describe(exc)}
    finally:
        sock.close()
