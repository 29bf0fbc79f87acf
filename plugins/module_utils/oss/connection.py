# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OSS client (alibabacloud-oss-v2): its configuration from the options, every call bounded in
time, and every failure classified into a PrecheckError that names the bucket and the fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import re
import socket
import ssl
import time

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import bounded
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError

try:
    import alibabacloud_oss_v2 as oss
    import requests
    import requests.adapters
    HAS_SDK = True
    SDK_IMPORT_ERROR = None
except ImportError as exc:  # reported by oss.connection as driver_missing, never a traceback
    HAS_SDK = False
    SDK_IMPORT_ERROR = str(exc)

CONNECTION_CHECK = "oss.connection"

CONNECTION_ARGS = dict(
    endpoint=dict(type="str", description=[
        "The OSS endpoint: a host (V(oss-cn-hangzhou.aliyuncs.com)), V(host:port), or a URL with its scheme "
        "(V(https://oss-cn-hangzhou-internal.aliyuncs.com), V(http://127.0.0.1:9000)).",
        "Without it, the public (or, with O(internal_endpoint), the internal) endpoint of O(region) is used."]),
    region=dict(type="str", description=[
        "The region id of the buckets, such as V(cn-hangzhou); V4 signatures are scoped to it.",
        "May be left out when O(endpoint) is a region endpoint such as V(oss-cn-hangzhou.aliyuncs.com)."]),
    internal_endpoint=dict(type="bool", default=False, description=[
        "Use the region's internal endpoint (V(oss-<region>-internal.aliyuncs.com)) when O(endpoint) is not set, "
        "as a backup gateway inside Alibaba Cloud does."]),
    access_key_id=dict(type="str", description=[
        "The AccessKey id of the RAM user (or the temporary id of an STS token) that reads the buckets."]),
    access_key_secret=dict(type="str", no_log=True, description=[
        "The AccessKey secret that goes with O(access_key_id). Keep it in Ansible Vault; it never appears in "
        "any output, report or fact."]),
    security_token=dict(type="str", no_log=True, description=[
        "The STS security token, when O(access_key_id) and O(access_key_secret) are temporary STS credentials."]),
    cloudbox_id=dict(type="str", description=[
        "The CloudBox id (V(cb-...)) when the buckets are OSS on CloudBox buckets; requests are then signed for "
        "CloudBox. Such buckets cannot be backed up by Cloud Backup (C(oss.cloudbox))."]),
    path_style=dict(type="bool", default=False, description=[
        "Address buckets path-style (V(endpoint/bucket/key)) instead of virtual-hosted (V(bucket.endpoint/key)). "
        "An endpoint that is an IP address is always path-style."]),
    validate_certs=dict(type="bool", default=True, role_default="validate_certs", description=[
        "Verify the endpoint's TLS certificate."]),
    ca_path=dict(type="path", existing_file=True, description=[
        "A PEM bundle of CA certificates to verify the endpoint with, instead of the system's."]),
    connect_timeout=dict(type="float", exclusive_minimum=0, maximum=86400, default=5.0, role_default="timeout", description=[
        "Seconds to wait for the TCP and TLS connection of each API call."]),
    read_timeout=dict(type="float", exclusive_minimum=0, maximum=86400, default=10.0, description=[
        "Seconds to wait for each answer. Every call is bounded by O(connect_timeout) + O(read_timeout), DNS "
        "lookup included, and is tried once."]),
)

# The RAM action that authorizes each operation, for the message of an AccessDenied.
ACTIONS = {
    "GetBucketInfo": "oss:GetBucketInfo",
    "ListBucketInventory": "oss:GetBucketInventory",
    "GetBucketInventory": "oss:GetBucketInventory",
    "ListObjectsV2": "oss:ListObjects",
    "GetObject": "oss:GetObject",
    "GetObjectAcl": "oss:GetObjectAcl",
}

# Service error codes that mean the credentials, not the permissions, are wrong.
CREDENTIAL_CODES = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidSecurityToken", "SecurityTokenExpired",
                    "RequestTimeTooSkewed", "InvalidAccessKeySecret")

# The failures that say the endpoint itself cannot be used: later calls fail at once with the same
# error, so that a dead endpoint costs one timeout, not one per bucket and item.
ENDPOINT_CAUSES = ("dns", "refused", "tls", "unreachable")

_REGION_ENDPOINT = re.compile(r"^(?:https?://)?oss-(?P<region>[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com(?::\d+)?/?$")
_CLOUDBOX_ENDPOINT = re.compile(r"^(?:https?://)?(?P<id>cb-[a-z0-9]+)\.(?P<region>[a-z0-9-]+)\."
                                r"oss-cloudbox(?:-control)?\.aliyuncs\.com(?::\d+)?/?$")


def endpoint_region(endpoint):
    """The region named by a region or CloudBox endpoint, or None."""
    for pattern in (_REGION_ENDPOINT, _CLOUDBOX_ENDPOINT):
        match = pattern.match(endpoint or "")
        if match:
            return match.group("region")
    return None


def endpoint_cloudbox(endpoint):
    match = _CLOUDBOX_ENDPOINT.match(endpoint or "")
    return match.group("id") if match else None


def resolve_settings(params):
    """The options a client needs, with the region and the endpoint that will be used filled in."""
    settings = dict((name, params.get(name)) for name in CONNECTION_ARGS)
    settings["region"] = settings["region"] or endpoint_region(settings["endpoint"])
    settings["cloudbox_id"] = settings["cloudbox_id"] or endpoint_cloudbox(settings["endpoint"])
    if settings["endpoint"]:
        settings["endpoint_label"] = re.sub(r"/+$", "", settings["endpoint"])
    else:
        settings["endpoint_label"] = "oss-%s%s.aliyuncs.com" % (
            settings["region"], "-internal" if settings["internal_endpoint"] else "")
    return settings


def validate_connection(params):
    problems = []
    if not params.get("access_key_id") or not params.get("access_key_secret"):
        problems.append("access_key_id and access_key_secret: both are required (the AccessKey pair of a RAM user "
                        "that may read the buckets, or the temporary pair of an STS token with security_token)")
    if not params.get("region") and not endpoint_region(params.get("endpoint")):
        problems.append("region: required unless endpoint is a region endpoint (oss-<region>.aliyuncs.com); "
                        "for example cn-hangzhou")
    if params.get("region") and not re.match(r"^[a-z0-9]+(-[a-z0-9]+)+$", params["region"]):
        problems.append("region: %r is not a region id (valid form: cn-hangzhou, ap-southeast-1)" % params["region"])
    endpoint = params.get("endpoint")
    if endpoint and not re.match(r"^(https?://)?[A-Za-z0-9.\-\[\]:]+/?$", endpoint):
        problems.append("endpoint: %r is not a host, host:port or URL (valid forms: oss-cn-hangzhou.aliyuncs.com, "
                        "https://host:port)" % endpoint)
    for name in ("connect_timeout", "read_timeout"):
        value = params.get(name)
        if value is None or value <= 0:
            problems.append("%s: must be a positive number of seconds, got %r" % (name, value))
    if params.get("cloudbox_id") and not re.match(r"^cb-[a-z0-9]+$", params["cloudbox_id"]):
        problems.append("cloudbox_id: %r is not a CloudBox id (valid form: cb-f8z7yvzgwfkl9q0h)" % params["cloudbox_id"])
    return problems


if HAS_SDK:
    class _CaBundleAdapter(requests.adapters.HTTPAdapter):
        """Verifies with a CA bundle file: the SDK itself only knows verify on or off."""

        def __init__(self, ca_path):
            # No retries at this layer either: every call is tried once, within its bounds.
            super(_CaBundleAdapter, self).__init__(max_retries=requests.adapters.Retry(
                total=False, redirect=False, raise_on_status=False))
            self.ca_path = ca_path

        def send(self, request, **kwargs):
            if kwargs.get("verify") is True:
                kwargs["verify"] = self.ca_path
            return super(_CaBundleAdapter, self).send(request, **kwargs)


def _chain(exc):
    """The exception and everything it wraps (the SDK wraps requests, which wraps urllib3 and socket)."""
    seen, stack, found = set(), [exc], []
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen or not isinstance(current, BaseException):
            continue
        seen.add(id(current))
        found.append(current)
        stack.extend([getattr(current, "__cause__", None), getattr(current, "__context__", None),
                      getattr(current, "reason", None)])
        if hasattr(current, "unwrap"):
            stack.append(current.unwrap())
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
    return found


def _names(chain):
    return set(type(e).__name__ for e in chain)


def _service_error(chain):
    for exc in chain:
        if type(exc).__name__ == "ServiceError" and getattr(exc, "code", None):
            return exc
    return None


class OssCallError(PrecheckError):
    """A classified failure of one API call; `code` is the OSS error code for a service error."""

    def __init__(self, cause, message, remediation="", code=None, status=None, details=None):
        super(OssCallError, self).__init__(cause, message, remediation, details=details)
        self.code = code
        self.status = status


def policy_statement(action, bucket):
    """The RAM policy statement that grants `action`: object actions apply to bucket/*."""
    resource = "acs:oss:*:*:%s%s" % (bucket, "/*" if action in ("oss:GetObject", "oss:GetObjectAcl") else "")
    return '{"Effect": "Allow", "Action": ["%s"], "Resource": ["%s"]}' % (action, resource)


def classify(exc, operation, bucket, settings, subject=None):
    """Turn an SDK exception into an OssCallError that names the call, the bucket and the fix."""
    chain = _chain(exc)
    names = _names(chain)
    endpoint = settings["endpoint_label"]
    what = "%s of %s" % (operation, subject or "oss://%s" % bucket)
    service = _service_error(chain)
    if service is not None:
        code, status = service.code, getattr(service, "status_code", None)
        text = (getattr(service, "message", None) or code).rstrip(".")
        details = {"code": code, "http_status": status, "request_id": getattr(service, "request_id", None),
                   "operation": operation, "bucket": bucket}
        action = ACTIONS.get(operation)
        if code == "AccessDenied":
            return OssCallError(
                "permission", "%s was denied (AccessDenied: %s): the AccessKey %s lacks the RAM action %s on bucket %s."
                % (what, text, settings["access_key_id"], action, bucket),
                "Grant %s on %s to the RAM user of this AccessKey: RAM console > Identities > Users > the user > "
                "Permissions > Grant Permission, with a custom policy statement %s. Check that the bucket policy "
                "does not deny it either (OSS console > %s > Permission Control > Bucket Policy)."
                % (action, bucket, policy_statement(action, bucket), bucket),
                code=code, status=status, details=dict(details, action=action))
        if code in CREDENTIAL_CODES:
            fix = ("Synchronize this host's clock (chrony or NTP): OSS rejects requests more than 15 minutes off."
                   if code == "RequestTimeTooSkewed" else
                   "Check access_key_id, access_key_secret and security_token (no spaces, the pair of one "
                   "AccessKey, an STS token not expired), and that region (%s) is the bucket's region."
                   % settings["region"])
            return OssCallError("login_failed", "%s was rejected by %s (%s: %s): the credentials or the signature "
                                "are not accepted." % (what, endpoint, code, text), fix, code=code, status=status,
                                details=details)
        return OssCallError("protocol", "%s failed at %s (HTTP %s, %s: %s)." % (what, endpoint, status, code, text),
                            "See the OSS error center for %s (the request id is in the details)." % code,
                            code=code, status=status, details=details)
    details = {"operation": operation, "bucket": bucket, "endpoint": endpoint,
               "error": "; ".join("%s: %s" % (type(e).__name__, e) for e in chain[-1:])}
    if names & {"NameResolutionError", "gaierror"}:
        return OssCallError("dns", "The endpoint %s could not be resolved (DNS) for %s." % (endpoint, what),
                            "Check endpoint/region and this host's resolver; inside Alibaba Cloud use the "
                            "internal endpoint oss-<region>-internal.aliyuncs.com.", details=details)
    if "ConnectionRefusedError" in names or any(getattr(e, "errno", None) == errno.ECONNREFUSED for e in chain):
        return OssCallError("refused", "The endpoint %s refused the connection for %s." % (endpoint, what),
                            "Check the endpoint and port, and that no firewall rejects HTTPS (443) to it.",
                            details=details)
    if names & {"SSLError", "SSLCertVerificationError"} or any(isinstance(e, ssl.SSLError) for e in chain):
        return OssCallError("tls", "The TLS connection to %s failed for %s: %s." % (endpoint, what, chain[-1]),
                            "Check validate_certs and ca_path (a proxy that intercepts TLS needs its CA in ca_path), "
                            "and that the endpoint speaks HTTPS.", details=details)
    if names & {"ReadTimeout", "ConnectTimeout", "ReadTimeoutError", "ConnectTimeoutError", "timeout",
                "TimeoutError"} or any(isinstance(e, socket.timeout) for e in chain):
        return OssCallError("timeout", "%s timed out at %s (connect_timeout %gs, read_timeout %gs)."
                            % (what, endpoint, settings["connect_timeout"], settings["read_timeout"]),
                            "Check the network path to %s (route, firewall, proxy), or raise the timeouts for a "
                            "slow link." % endpoint, details=details)
    if names & {"RemoteDisconnected", "ProtocolError", "ConnectionResetError", "ConnectionError"}:
        return OssCallError("unreachable", "The connection to %s was closed without an answer to %s." % (
            endpoint, what), "Check for a proxy or firewall between this host and %s that drops connections."
            % endpoint, details=details)
    return OssCallError("internal", "%s failed: %s: %s." % (what, type(exc).__name__, exc), details=details)


class Client:
    """One SDK client for a run. `call()` runs one operation within its time bound and classifies
    its failure; after the endpoint itself failed, later calls fail at once with that error."""

    def __init__(self, settings):
        self.settings = settings
        self.bound = float(settings["connect_timeout"]) + float(settings["read_timeout"]) + 1.0
        self.down = None
        self._client = oss.Client(self._config()) if HAS_SDK else None

    def _config(self):
        settings = self.settings
        config = oss.config.load_default()
        config.credentials_provider = oss.credentials.StaticCredentialsProvider(
            settings["access_key_id"], settings["access_key_secret"], settings["security_token"] or None)
        config.region = settings["region"]
        if settings["endpoint"]:
            config.endpoint = settings["endpoint"]
        config.use_internal_endpoint = bool(settings["internal_endpoint"])
        config.use_path_style = bool(settings["path_style"])
        if settings["cloudbox_id"]:
            config.cloud_box_id = settings["cloudbox_id"]
        config.connect_timeout = float(settings["connect_timeout"])
        config.readwrite_timeout = float(settings["read_timeout"])
        config.retry_max_attempts = 1
        config.insecure_skip_verify = not settings["validate_certs"]
        config.user_agent = "cloudbackup-precheck"
        if settings["ca_path"] and settings["validate_certs"]:
            config.http_client = oss.transport.RequestsHttpClient(
                adapter=_CaBundleAdapter(settings["ca_path"]), connect_timeout=config.connect_timeout,
                readwrite_timeout=config.readwrite_timeout)
        return config

    def call(self, operation, request, bucket, subject=None, read_body=False):
        """Run `operation` (the SDK method's API name) with `request`; `read_body` reads a GetObject
        body within the same bound. Returns the result (or (result, bytes))."""
        if self.down is not None:
            raise self.down
        method = getattr(self._client, re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower())

        def work():
            result = method(request)
            return (result, result.body.read()) if read_body else result

        started = time.monotonic()
        try:
            return bounded.call(work, self.bound, name="oss-call")  # a late answer is simply dropped
        except bounded.Abandoned:
            failure = OssCallError(
                "timeout", "%s of %s did not finish within %gs at %s (DNS lookup, connection and answer)."
                % (operation, subject or "oss://%s" % bucket, self.bound, self.settings["endpoint_label"]),
                "Check the network path and the resolver, or raise connect_timeout/read_timeout.",
                details={"operation": operation, "bucket": bucket})
        except Exception as exc:  # pylint: disable=broad-except
            failure = classify(exc, operation, bucket, self.settings, subject)
        failure.details["elapsed_ms"] = int((time.monotonic() - started) * 1000)
        if failure.cause in ENDPOINT_CAUSES or (failure.cause == "timeout" and operation == "GetBucketInfo"):
            self.down = failure
        raise failure
