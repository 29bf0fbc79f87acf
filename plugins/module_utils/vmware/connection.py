# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vCenter connection layer: a bounded login through pyvmomi, bounded calls, and errors
classified into the causes of results.ERROR_CAUSES.

pyvmomi's SmartConnect asks the server for its API versions over a connection without any timeout,
so a vCenter that accepts TCP and never answers TLS hangs it forever. This layer does that step
itself (DNS, TCP, TLS and one HTTP GET, each under the connect deadline), then opens pyvmomi's SOAP
stub with a socket timeout, and runs every SOAP call in a thread it stops waiting for at its
deadline, so that a server that trickles bytes cannot hold a play either.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl
import time
import xml.etree.ElementTree as ET

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import probes
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.bounded import Abandoned
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.bounded import call as bounded_call
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, missing_driver

try:  # Python 3; the module never runs on Python 2, but sanity imports it there
    import http.client as http_client
except ImportError:  # pragma: no cover
    import httplib as http_client  # pylint: disable=import-error

CONNECTION_CHECK = "vmware.connection"
VERSIONS_PATH = "/sdk/vimServiceVersions.xml"

# The names and meanings of community.vmware's connection options, which VMware users already know.
CONNECTION_ARGS = dict(
    hostname=dict(type="str", required=True, description=(
        "The vCenter Server name or address, as the backup gateway reaches it (the FQDN the vCenter certificate "
        "names, when O(validate_certs) is on).",
    )),
    port=dict(type="int", minimum=1, maximum=65535, default=443, description=(
        "The HTTPS port of the vSphere API on vCenter.",
    )),
    username=dict(type="str", required=True, description=(
        "The vCenter account, with its SSO domain (V(backup@vsphere.local)). Read-only access is enough; what the "
        "account cannot see is reported, never guessed.",
    )),
    password=dict(type="str", no_log=True, description=(
        "The password of O(username). Never shown in results, messages or logs.",
    )),
    validate_certs=dict(type="bool", default=True, description=(
        "Whether the vCenter certificate must be trusted (by O(ca_path) or the system CAs) and name O(hostname). "
        "Turn off only for a test vCenter.",
    )),
    ca_path=dict(type="path", existing_file=True, description=(
        "A PEM file of the CA that signed the vCenter certificate, usually the VMCA root certificate "
        "(C(https://<vcenter>/certs/download.zip)).",
    )),
    connect_timeout=dict(type="float", exclusive_minimum=0, maximum=86400, default=10.0, role_default="timeout", description=(
        "Seconds allowed to connect and log in: DNS, TCP, TLS, the API version query and the login, each bounded, "
        "together bounded. A vCenter that accepts TCP and never answers is reported as V(timeout) after this time.",
        "Also the time each ESXi and vCenter port probe of C(vmware.gateway_reach) may take.",
    )),
    call_timeout=dict(type="float", exclusive_minimum=0, maximum=86400, default=120.0, description=(
        "Seconds the inventory retrieval (one PropertyCollector call for every VM, with its continuations) may "
        "take after login.",
    )),
)


def load_driver():
    """pyvmomi's modules, or a classified `driver_missing` error naming the interpreter."""
    try:
        from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise missing_driver("The vSphere driver pyvmomi", "pyvmomi", exc, CONNECTION_CHECK,
                             where="on the host that runs the check, usually the backup gateway")
    return {"SoapAdapter": SoapAdapter, "VmomiSupport": VmomiSupport, "vim": vim, "vmodl": vmodl}


def endpoint(hostname, port):
    """How results name the vCenter: `host`, or `host:port` when the port is not 443."""
    host = "[%s]" % hostname if ":" in hostname else hostname
    return host if int(port) == 443 else "%s:%d" % (host, int(port))


def bounded(function, seconds, what, where):
    """function() within `seconds`, or a `timeout` PrecheckError; its own exceptions are re-raised.

    If vCenter never answers, the call is abandoned and the module exits without it."""
    try:
        return bounded_call(function, seconds, name="vmware-call")
    except Abandoned:
        raise PrecheckError(
            "timeout", "vCenter %s did not answer within %gs while %s." % (where, seconds, what),
            "Check that vCenter runs and answers (vSphere Client, or https://%s/ui in a browser from this host), "
            "and raise the timeout if it is only slow." % where, details={"step": what, "timeout": seconds})


def ssl_context(validate_certs, ca_path):
    context = ssl.create_default_context(cafile=ca_path or None)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _network_error(exc, settings, step):
    where = endpoint(settings["hostname"], settings["port"])
    details = {"step": step, "error": "%s: %s" % (type(exc).__name__, exc)}
    if isinstance(exc, ssl.SSLCertVerificationError) or (isinstance(exc, ssl.CertificateError)):
        return PrecheckError(
            "tls", "The certificate of vCenter %s is not trusted: %s." % (where, getattr(exc, "verify_message", exc)),
            "Give ca_path the PEM file of the CA that signed the vCenter certificate (the VMCA root: download it "
            "from https://%s/certs/download.zip), and use the name the certificate carries as hostname; "
            "validate_certs: false only for a test vCenter." % where, source=CONNECTION_CHECK, details=details)
    if isinstance(exc, ssl.SSLError):
        return PrecheckError(
            "tls", "The TLS handshake with vCenter %s failed: %s." % (where, exc),
            "Check that %s is the vCenter HTTPS port (443 by default) and that this host's OpenSSL accepts the "
            "server's TLS versions." % settings["port"], source=CONNECTION_CHECK, details=details)
    if isinstance(exc, socket.timeout):
        what = "the TLS handshake" if step == "tls" else "the API version query"
        return PrecheckError(
            "timeout", "vCenter %s accepted TCP but did not answer %s within %gs."
            % (where, what, settings["connect_timeout"]),
            "Check that %s is vCenter's HTTPS port and that vCenter answers (a proxy or load balancer that "
            "accepts and holds connections looks like this); or raise connect_timeout." % settings["port"],
            source=CONNECTION_CHECK, details=details)
    return PrecheckError(
        "unreachable", "vCenter %s is not reachable (%s): %s." % (where, step, getattr(exc, "strerror", None) or exc),
        "Check the route and firewall from this host (the backup gateway) to %s." % where,
        source=CONNECTION_CHECK, details=details)


def choose_version(document, driver):
    """The newest API version both pyvmomi and the server's vimServiceVersions.xml know."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return None
    offered = set()
    for namespace in root.findall("namespace"):
        if (namespace.findtext("name") or "") != "urn:vim25":
            continue
        offered.add(namespace.findtext("version"))
        offered.update(v.text for v in namespace.findall("priorVersions/version"))
    support = driver["VmomiSupport"]
    for version in support.GetServiceVersions("vim25"):
        if support.versionIdMap.get(version) in offered:
            return version
    return None


def discover(settings, context, driver):
    """DNS, TCP, TLS and the GET of vimServiceVersions.xml, each under the connect deadline:
    (api version, seconds spent)."""
    where = endpoint(settings["hostname"], settings["port"])
    deadline = probes.Deadline(settings["connect_timeout"])
    started = time.monotonic()
    connected = probes.tcp_connect(settings["hostname"], int(settings["port"]), deadline)
    if not connected["ok"]:
        raise _probe_error(connected, settings)
    raw = connected["sock"]
    try:
        raw.settimeout(deadline.remaining())
        tls = context.wrap_socket(raw, server_hostname=settings["hostname"])
    except (OSError, ValueError) as exc:
        raw.close()
        raise _network_error(exc, settings, "tls")
    connection = http_client.HTTPSConnection(settings["hostname"], int(settings["port"]), context=context)
    connection.sock = tls
    try:
        tls.settimeout(deadline.remaining())
        connection.request("GET", VERSIONS_PATH, headers={"User-Agent": "cloudbackup-precheck"})
        response = connection.getresponse()
        body = response.read(1 << 20)
    except http_client.HTTPException as exc:
        raise PrecheckError(
            "protocol", "%s does not answer HTTP like vCenter: %s." % (where, exc),
            "Check hostname and port: they must name the vCenter web service (port 443).",
            source=CONNECTION_CHECK, details={"step": "http"})
    except OSError as exc:
        raise _network_error(exc, settings, "http")
    finally:
        connection.close()
    version = choose_version(body, driver) if response.status == 200 else None
    if version is None:
        raise PrecheckError(
            "protocol", "%s answered %s %s to %s: it is not a vSphere API endpoint (vCenter or ESXi)."
            % (where, response.status, response.reason, VERSIONS_PATH),
            "Check hostname and port: they must name vCenter itself, not a load balancer page or another service.",
            source=CONNECTION_CHECK, details={"step": "http", "http_status": response.status})
    return version, time.monotonic() - started


def _probe_error(probe, settings):
    """A PrecheckError for a failed DNS or TCP step of core.probes.tcp_connect."""
    where = endpoint(settings["hostname"], settings["port"])
    details = {"step": probe["step"], "error": probe["detail"]}
    if probe["step"] == "dns":
        return PrecheckError(
            probe["cause"], "The vCenter name %s does not resolve from this host: %s."
            % (settings["hostname"], probe["detail"]),
            "Check hostname, and that this host's resolver (/etc/resolv.conf) knows the vCenter FQDN; the backup "
            "gateway must reach vCenter by that name.", source=CONNECTION_CHECK, details=details)
    if probe["cause"] == "refused":
        return PrecheckError(
            "refused", "vCenter %s refused the connection: nothing listens on port %s." % (where, settings["port"]),
            "Check hostname and port (vCenter serves the API on 443), and that the vpxd and envoy services run "
            "(vCenter appliance: service-control --status).", source=CONNECTION_CHECK, details=details)
    if probe["cause"] == "timeout":
        return PrecheckError(
            "timeout", "vCenter %s did not accept TCP within %gs: %s."
            % (where, settings["connect_timeout"], probe["detail"]),
            "Check the route and the firewalls from this host to %s (TCP %s), or raise connect_timeout."
            % (where, settings["port"]), source=CONNECTION_CHECK, details=details)
    return PrecheckError(
        "unreachable", "vCenter %s is not reachable: %s." % (where, probe["detail"]),
        "Check the route and firewall from this host (the backup gateway) to %s." % where,
        source=CONNECTION_CHECK, details=details)


def classify_fault(exc, where, what, driver, source=None):
    """A PrecheckError for a vSphere fault or a socket error raised by a SOAP call (NotAuthenticated
    is a NoPermission in vSphere's fault tree: it is asked first)."""
    vim = driver["vim"]
    details = {"fault": type(exc).__name__, "call": what}
    if isinstance(exc, vim.fault.InvalidLogin):
        return PrecheckError(
            "login_failed", "vCenter %s refused the login (InvalidLogin): wrong user name or password, or the "
            "account is locked or disabled." % where,
            "Check username (with its domain, for example backup@vsphere.local) and password; in the vSphere "
            "Client, Administration > Single Sign On > Users and Groups shows whether the account is locked.",
            source=CONNECTION_CHECK, details=details)
    if isinstance(exc, vim.fault.NotAuthenticated):
        return PrecheckError("login_failed", "vCenter %s ended the session while %s (NotAuthenticated)." % (where, what),
                             "Run again; if it repeats, check the vCenter session timeout and the account.",
                             source=source, details=details)
    if isinstance(exc, vim.fault.NoPermission):
        privilege = getattr(exc, "privilegeId", None) or "unknown"
        obj = getattr(exc, "object", None)
        name = obj._moId if obj is not None else "the object"  # pylint: disable=protected-access
        details.update({"privilege": privilege, "object": name})
        return PrecheckError(
            "permission", "The vCenter account may not %s on %s: privilege %s on %s is missing (NoPermission)."
            % (what, where, privilege, name),
            "Give the account a role holding %s on that object (vSphere Client: select it > Permissions > Add, "
            "propagate to children; or govc permissions.set -principal <user> -role <role> -propagate <path>)."
            % privilege, source=source, details=details)
    if isinstance(exc, (OSError, socket.timeout)):
        cause = "timeout" if isinstance(exc, socket.timeout) else "unreachable"
        return PrecheckError(cause, "The connection to vCenter %s failed while %s: %s." % (where, what, exc),
                             "Check vCenter and the network path from this host; raise call_timeout if it is slow.",
                             source=source, details=details)
    message = getattr(exc, "msg", None) or str(exc)
    return PrecheckError("internal", "vCenter %s answered %s while %s: %s." % (where, type(exc).__name__, what, message),
                         "Check the vCenter logs (vpxd.log) around this time.", source=source, details=details)


class Session:
    """A logged-in vCenter session: bounded calls, and a logout that never hangs the module."""

    def __init__(self, driver, settings, service_content, stub, elapsed_ms, api_version):
        self.driver = driver
        self.settings = settings
        self.content = service_content
        self.stub = stub
        self.elapsed_ms = elapsed_ms
        self.api_version = api_version
        self.where = endpoint(settings["hostname"], settings["port"])
        self.logged_out = False

    def call(self, function, what, source=None, timeout=None):
        """function() under call_timeout, with vSphere faults classified."""
        try:
            return bounded(function, timeout or self.settings["call_timeout"], what, self.where)
        except PrecheckError as exc:
            exc.source = exc.source or source
            raise
        except Exception as exc:  # pylint: disable=broad-except
            raise classify_fault(exc, self.where, what, self.driver, source=source)

    def logout(self):
        if self.logged_out:
            return
        self.logged_out = True
        try:
            bounded(self.content.sessionManager.Logout, self.settings["connect_timeout"], "logging out", self.where)
        except Exception:  # pylint: disable=broad-except
            pass  # the session expires by itself on vCenter; nothing is left to undo


def connect(settings):
    """Log in within connect_timeout (each step bounded), or raise a classified PrecheckError."""
    driver = load_driver()
    where = endpoint(settings["hostname"], settings["port"])
    context = ssl_context(settings["validate_certs"], settings["ca_path"])
    started = time.monotonic()
    version, spent = discover(settings, context, driver)
    stub = driver["SoapAdapter"].SoapStubAdapter(
        host=settings["hostname"], port=int(settings["port"]), version=version, sslContext=context,
        httpConnectionTimeout=max(settings["connect_timeout"], settings["call_timeout"]),
        connectionPoolTimeout=-1)
    instance = driver["vim"].ServiceInstance("ServiceInstance", stub)
    remaining = max(0.5, settings["connect_timeout"] - spent)

    def login():
        service_content = instance.RetrieveContent()
        service_content.sessionManager.Login(settings["username"], settings["password"] or "")
        return service_content

    try:
        service_content = bounded(login, remaining, "logging in", where)
    except PrecheckError as exc:
        exc.source = CONNECTION_CHECK
        raise
    except ssl.SSLError as exc:
        raise _network_error(exc, settings, "tls")
    except Exception as exc:  # pylint: disable=broad-except
        raise classify_fault(exc, where, "logging in", driver, source=CONNECTION_CHECK)
    return Session(driver, settings, service_content, stub, int((time.monotonic() - started) * 1000), version)
