"""Network endpoints on 127.0.0.1 for the tests: an HTTPS server with a self-signed certificate, a
listener that accepts and never answers, and a port that refuses. Each stops promptly."""

import http.server
import socket
import ssl
import subprocess
import threading


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port():
    """A port nothing listens on: bound and released, so the kernel refuses connections to it."""
    return free_port()


def self_signed_cert(directory, name="localhost"):
    """A certificate for `name` and 127.0.0.1, made with openssl; returns (cert, key) paths."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=%s" % name, "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % name,
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802 (the stdlib's naming)
        self.send_response(403)
        self.end_headers()

    def log_message(self, *args):
        pass


class HttpsServer:
    """Answers every HEAD with 403, as object storage does without credentials."""

    def __init__(self, cert, key):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentListener:
    """Accepts TCP connections and never sends a byte: the black hole that hangs unbounded clients."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while not self.stopping:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.sock.close()
        for conn in self.accepted:
            conn.close()


class BlackHole:
    """A port whose SYNs are dropped: a listener whose accept queue is full and never drained, so
    a TCP connect hangs as it does towards a firewalled address."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fillers = []

    def __enter__(self):
        for _attempt in range(8):
            filler = socket.socket()
            filler.settimeout(0.2)
            try:
                filler.connect(("127.0.0.1", self.port))
            except OSError:
                filler.close()
                break
            self.fillers.append(filler)
        return self

    def __exit__(self, *exc):
        for filler in self.fillers:
            filler.close()
        self.sock.close()
