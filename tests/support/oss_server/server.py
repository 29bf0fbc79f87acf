"""The OSS API test server: HTTP(S) on 127.0.0.1, one thread per connection, path-style and
virtual-hosted addressing, V4 signatures verified, every answer checked against the reference."""
import datetime
import email.utils
import http.server
import ipaddress
import itertools
import logging
import socket
import ssl
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

from . import reference, responses, signing
from .scenario import Scenario

log = logging.getLogger("oss_server")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AliyunOSS"
    sys_version = ""

    def log_message(self, fmt, *args):
        log.debug("%s " + fmt, self.client_address[0], *args)

    def do_GET(self):  # noqa: N802 (the stdlib's naming)
        self.server.owner.handle(self)

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET  # noqa: N815 (refused by the reference: read-only)


class _HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, address = super(_HttpServer, self).get_request()
        self.owner.connections.append(sock)
        return sock, address


class OssServer:
    """`with OssServer(scenario) as srv:` ... `srv.endpoint`, `srv.records`; see README.md."""

    def __init__(self, scenario=None, host="127.0.0.1", port=0, tls=None, now=None):
        self.scenario = Scenario.load(scenario, now=now)
        self.host = host
        self.port = port
        self.tls = tls  # (cert path, key path) to serve HTTPS
        self.records = []
        self.problems = []   # responses that did not conform to the reference: a server bug
        self.connections = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd = None
        self._thread = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self):
        if self.scenario.mode == "refuse":
            # Nothing listens: the port is bound and released, so the kernel refuses connections.
            with socket.socket() as sock:
                sock.bind((self.host, self.port))
                self.port = sock.getsockname()[1]
            return self
        self._httpd = _HttpServer((self.host, self.port), _Handler)
        self._httpd.owner = self
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        for sock in self.connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._thread.join(5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    @property
    def endpoint(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", self.host, self.port)

    def operations(self):
        return [r["operation"] for r in self.records]

    # -- one request --------------------------------------------------------------------------

    def _route(self, handler):
        """(bucket, key, query) from the Host header and the path: a Host that is an address or
        `localhost` means path-style (`/bucket/key`), any other `bucket.domain` virtual-hosted."""
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        host = (handler.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        path = unquote(parts.path)
        try:
            ipaddress.ip_address(host)
            path_style = True
        except ValueError:
            path_style = host in ("localhost", "") or "." not in host
        if path_style:
            bucket, _slash, key = path.lstrip("/").partition("/")
        else:
            bucket, key = host.split(".", 1)[0], path.lstrip("/")
        return bucket or None, key or None, query

    def _wait(self, seconds):
        """Sleep, but wake when the server stops, so that stop() stays prompt."""
        self._stopping.wait(seconds)

    def handle(self, handler):
        scenario = self.scenario
        request_id = "%024X" % next(self._ids)
        bucket_name, key, query = self._route(handler)
        record = {"method": handler.command, "path": handler.path, "bucket": bucket_name, "key": key,
                  "query": query, "operation": None, "access_key_id": None, "status": None, "code": None}
        with self._lock:
            self.records.append(record)
        if scenario.mode == "silent":
            self._wait(3600)
            handler.close_connection = True
            return
        try:
            operation, spec = reference.identify(handler.command, bucket_name, key, query)
            record["operation"] = operation
            headers = dict((k.lower(), v) for k, v in handler.headers.items())
            access_key_id, scope = signing.verify(
                handler.command, bucket_name, key, list(query.items()), headers, scenario.credentials,
                scenario.scopes(), datetime.datetime.now(datetime.timezone.utc))
            record["access_key_id"] = access_key_id
            if scenario.mode == "drop" and (not scenario.drop_on or operation in scenario.drop_on):
                handler.close_connection = True  # read the request, then hang up without a reply
                return
            if scenario.delay and (not scenario.delay_on or operation in scenario.delay_on):
                self._wait(scenario.delay)
            bucket = scenario.bucket(bucket_name, scope)
            if bucket is None:
                raise responses.ApiError(404, "NoSuchBucket", "The specified bucket does not exist.",
                                         BucketName=bucket_name)
            if scenario.is_denied(access_key_id, spec["action"], bucket.name):
                raise responses.ApiError(403, "AccessDenied", "You have no right to access this object because "
                                         "of bucket acl or RAM policy (%s)." % spec["action"])
            status, body, extra = self._answer(operation, bucket, key, query)
        except reference.Unsupported as exc:
            status, body, extra = self._error(responses.ApiError(
                405 if handler.command != "GET" else 501,
                "MethodNotAllowed" if handler.command != "GET" else "NotImplemented", str(exc)), request_id, handler)
        except reference.BadParameter as exc:
            status, body, extra = self._error(responses.ApiError(
                400, "InvalidArgument", str(exc), ArgumentName=exc.name, ArgumentValue=exc.value), request_id, handler)
        except signing.SignatureFailure as exc:
            status, body, extra = self._error(responses.ApiError(exc.status, exc.code, exc.message, **exc.extra),
                                              request_id, handler)
        except responses.ApiError as exc:
            status, body, extra = self._error(exc, request_id, handler)
        record["status"] = status
        record["code"] = extra.pop("code", None)
        self._send(handler, status, body, extra, request_id)

    def _answer(self, operation, bucket, key, query):
        if operation == "GetBucketInfo":
            body = responses.bucket_info(self.scenario, bucket)
        elif operation == "ListBucketInventory":
            body = responses.list_inventory(bucket, query.get("continuation-token"))
        elif operation == "GetBucketInventory":
            body = responses.get_inventory(bucket, query["inventoryId"])
        elif operation == "ListObjectsV2":
            body = responses.list_objects_v2(self.scenario, bucket, query)
        else:
            obj = bucket.objects.get(key)
            if obj is None:
                raise responses.ApiError(404, "NoSuchKey", "The specified key does not exist.", Key=key,
                                         BucketName=bucket.name)
            if operation == "GetObjectAcl":
                body = responses.object_acl(self.scenario, obj)
            else:
                data = responses.get_object(bucket, obj)
                return 200, data, {"Content-Type": obj.content_type, "ETag": obj.etag,
                                   "Last-Modified": email.utils.format_datetime(obj.modified, usegmt=True),
                                   "x-oss-object-type": obj.object_type, "x-oss-storage-class": obj.storage_class}
        problems = reference.check_response(operation, body)
        if problems:
            self.problems.extend(problems)
            raise responses.ApiError(500, "InternalError", "test server bug: %s" % "; ".join(problems))
        return 200, body, {"Content-Type": "application/xml"}

    def _error(self, error, request_id, handler):
        body = responses.error_body(error, request_id, handler.headers.get("Host", self.host))
        if error.code != "InternalError":
            problems = reference.check_error(body)
            if problems:
                self.problems.extend(problems)
        return error.status, body, {"Content-Type": "application/xml", "code": error.code}

    def _send(self, handler, status, body, headers, request_id):
        try:
            handler.send_response(status)
            handler.send_header("x-oss-request-id", request_id)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)
        except OSError:
            handler.close_connection = True  # the client went away (its timeout): nothing to answer
