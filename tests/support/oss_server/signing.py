"""OSS4-HMAC-SHA256 verification of the Authorization header, as Alibaba Cloud's API reference
describes it ("Include a V4 signature in the Authorization header"):

    Authorization: OSS4-HMAC-SHA256 Credential=<AccessKeyId>/<SignDate>/<SignRegion>/oss/aliyun_v4_request,
                   [AdditionalHeaders=<h1;h2>,] Signature=<hex>

    CanonicalRequest = VERB \\n CanonicalURI \\n CanonicalQueryString \\n CanonicalHeaders \\n
                       AdditionalHeaders \\n HashedPayload
    StringToSign     = "OSS4-HMAC-SHA256" \\n x-oss-date \\n <SignDate>/<SignRegion>/<product>/aliyun_v4_request \\n
                       hex(SHA256(CanonicalRequest))
    SigningKey       = HMAC(HMAC(HMAC(HMAC("aliyun_v4" + secret, SignDate), SignRegion), product), "aliyun_v4_request")
    Signature        = hex(HMAC(SigningKey, StringToSign))

The canonical URI is the resource `/<bucket>/<key>` whatever the addressing style (`/<bucket>/` for a
bucket operation), URI-encoded except `/`; the query keys and values are URI-encoded, sorted, and a
key without a value stands alone; the canonical headers are every `x-oss-*` header, `content-type`,
`content-md5` and the additional headers, lower-case, trimmed and sorted; the hashed payload is the
`x-oss-content-sha256` header (`UNSIGNED-PAYLOAD`). OSS on CloudBox signs with the product
`oss-cloudbox` and the CloudBox id as the region.
"""
import datetime
import hashlib
import hmac
import re
from urllib.parse import quote

ALGORITHM = "OSS4-HMAC-SHA256"
TERMINATOR = "aliyun_v4_request"
MAX_SKEW = datetime.timedelta(minutes=15)  # "more than 15 minutes ... OSS rejects the request with 403"

_AUTH = re.compile(r"^OSS4-HMAC-SHA256 (?P<fields>.+)$")


class SignatureFailure(Exception):
    """Why a request is not authenticated: the OSS error code, HTTP status and message."""

    def __init__(self, code, message, status=403, extra=None):
        super(SignatureFailure, self).__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.extra = extra or {}


def uri_encode(text, keep_slash):
    return quote(text, safe="-_.~" + ("/" if keep_slash else ""))


def canonical_uri(bucket, key):
    if not bucket:
        return "/"
    return uri_encode("/%s/%s" % (bucket, key or ""), keep_slash=True)


def canonical_query(pairs):
    encoded = sorted((uri_encode(k, False), uri_encode(v, False)) for k, v in pairs)
    return "&".join(k if v == "" else "%s=%s" % (k, v) for k, v in encoded)


def parse_authorization(value):
    """The header's fields, or SignatureFailure naming what is malformed."""
    match = _AUTH.match(value or "")
    if not match:
        raise SignatureFailure("AccessDenied", "Authorization header is invalid or not OSS4-HMAC-SHA256.")
    fields = {}
    for part in match.group("fields").split(","):
        name, _equals, val = part.strip().partition("=")
        fields[name] = val
    if "Credential" not in fields or "Signature" not in fields:
        raise SignatureFailure("AccessDenied", "Authorization header lacks Credential or Signature.")
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != TERMINATOR:
        raise SignatureFailure("AccessDenied", "Invalid credential scope in the Authorization header: %s."
                               % fields["Credential"].split("/", 1)[-1])
    additional = fields.get("AdditionalHeaders")
    names = additional.split(";") if additional is not None else []
    if additional is not None and ("" in names or names != sorted(n.lower() for n in names)):
        # Documented: lower-case, sorted, no empty element (a trailing semicolon is rejected).
        raise SignatureFailure("InvalidArgument", "AdditionalHeaders is invalid: %r." % additional, 400)
    return {"access_key_id": scope[0], "date": scope[1], "region": scope[2], "product": scope[3],
            "additional": names, "signature": fields["Signature"]}


def canonical_headers(headers, additional):
    """`headers`: lower-case name -> value."""
    chosen = {}
    for name, value in headers.items():
        if name.startswith("x-oss-") or name in ("content-type", "content-md5") or name in additional:
            chosen[name] = value.strip()
    return "".join("%s:%s\n" % (name, chosen[name]) for name in sorted(chosen))


def string_to_sign(method, bucket, key, query_pairs, headers, auth):
    request = "\n".join([
        method, canonical_uri(bucket, key), canonical_query(query_pairs),
        canonical_headers(headers, auth["additional"]), ";".join(auth["additional"]),
        headers.get("x-oss-content-sha256", ""),
    ])
    scope = "/".join([auth["date"], auth["region"], auth["product"], TERMINATOR])
    digest = hashlib.sha256(request.encode("utf-8")).hexdigest()
    return "\n".join([ALGORITHM, headers.get("x-oss-date", ""), scope, digest])


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signature(secret, auth, text):
    key = _hmac(("aliyun_v4" + secret).encode("utf-8"), auth["date"])
    for part in (auth["region"], auth["product"], TERMINATOR):
        key = _hmac(key, part)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(method, bucket, key, query_pairs, headers, credentials, scopes, now):
    """Authenticate one request. `headers`: lower-case name -> value; `credentials`: access key id
    -> {"secret", "token"}; `scopes`: the (region, product) pairs this endpoint serves. Returns
    (access key id, (region, product) of the request), or raises SignatureFailure with the error
    OSS gives."""
    if "authorization" not in headers:
        raise SignatureFailure("AccessDenied", "AccessDenied: anonymous access is not allowed here.")
    auth = parse_authorization(headers["authorization"])
    stamp = headers.get("x-oss-date", "")
    try:
        when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise SignatureFailure("AccessDenied", "x-oss-date is missing or not in ISO 8601 basic format.")
    if abs(now - when) > MAX_SKEW:
        raise SignatureFailure("RequestTimeTooSkewed", "The difference between the request time and the current "
                               "time is too large.", extra={"RequestTime": stamp,
                                                            "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")})
    if auth["date"] != stamp[:8]:
        raise SignatureFailure("AccessDenied", "The date of the credential scope does not match x-oss-date.")
    if "x-oss-content-sha256" not in headers:
        raise SignatureFailure("AccessDenied", "x-oss-content-sha256 header is required for V4 signatures.")
    entry = credentials.get(auth["access_key_id"])
    if entry is None:
        raise SignatureFailure("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our "
                               "records.", extra={"OSSAccessKeyId": auth["access_key_id"]})
    if entry.get("token") and headers.get("x-oss-security-token") != entry["token"]:
        raise SignatureFailure("InvalidAccessKeyId", "The security token you provided is invalid.",
                               extra={"OSSAccessKeyId": auth["access_key_id"]})
    scope = (auth["region"], auth["product"])
    if scope not in scopes:
        raise SignatureFailure("SignatureDoesNotMatch", "Invalid signing region or product in the credential "
                               "scope: %s/%s (this endpoint serves %s)." % (
                                   scope[0], scope[1], ", ".join("%s/%s" % s for s in sorted(scopes))))
    text = string_to_sign(method, bucket, key, query_pairs, headers, auth)
    if not hmac.compare_digest(signature(entry["secret"], auth, text), auth["signature"]):
        raise SignatureFailure("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                               "signature you provided. Check your key and signing method.",
                               extra={"OSSAccessKeyId": auth["access_key_id"], "StringToSign": text})
    return auth["access_key_id"], scope
