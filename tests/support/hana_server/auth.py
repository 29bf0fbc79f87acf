"""The server side of SCRAMSHA256 as HANA does it: the client sends a 64-byte challenge, the server
a 16-byte salt and a 48-byte server challenge; the client proves the password with
proof = HMAC(SHA256(key), salt + server challenge + client challenge) XOR key, where
key = SHA256(HMAC(password, salt)). The server here knows the password, so it computes the proof
the client must send and compares."""
import hashlib
import hmac
import os

METHOD = b"SCRAMSHA256"


def challenge():
    """(salt, server challenge) for one login."""
    return os.urandom(16), os.urandom(48)


def expected_proof(password, salt, server_challenge, client_challenge):
    key = hashlib.sha256(hmac.new(password.encode("utf-8"), salt, hashlib.sha256).digest()).digest()
    signature = hmac.new(hashlib.sha256(key).digest(), salt + server_challenge + client_challenge,
                         hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(signature, key))


def offered(fields):
    """{method: client challenge} from the fields of an AUTHENTICATE request (user, then pairs)."""
    pairs = fields[1:]
    return dict((pairs[i], pairs[i + 1]) for i in range(0, len(pairs) - 1, 2))
