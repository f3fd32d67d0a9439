#!/usr/bin/python3
"""The device link's session (docs/protocol.md "Device link") spoken by an
independent Noise implementation, dissononce (Debian's python3-dissononce),
against obol's C code, in both roles:

  wallet ADDR VENDOR_DIR   the initiator, against `obol vendor serve`: checks
                           that the handshake proves the box key of the
                           vendor's certificate (DIR/vendor.keys, DIR/vendor.cert)
                           and carries that certificate; sends frames of types
                           no scheme owns and reads the vendor's encrypted ERROR
                           answers; then sends a record with one bit flipped
                           and reads the vendor's DEVLINK_TAMPERED.
  vendor LISTEN VENDOR_DIR the responder, for `obol wallet pay`: proves the
                           vendor's box key with its certificate, reads the
                           wallet's first frame (a coupon BUY, version 2) and
                           refuses it with an encrypted ERROR frame NOT_FOUND,
                           which the wallet must report by name.

Prints "ok: ..." lines and exits 0, or prints "error: ..." and exits 1."""
import base64
import json
import os
import socket
import struct
import sys

from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.keypair import KeyPair
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.hash.sha256 import SHA256Hash
from dissononce.processing.handshakepatterns.interactive.NX import NXHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState

PROLOGUE = b"obol-devlink-v2"
HELLO, ACCEPT, ERROR = 2, 3, 1
COUPON_BUY = 16
NOT_FOUND, DEVLINK_TAMPERED, WIRE_UNKNOWN_TYPE = 6, 444, 208


def fail(why):
    print("error: " + why)
    sys.exit(1)


def b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---- the little CBOR the link's envelopes need (RFC 8949, definite lengths) ----

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def cbor_uint(n):
    return cbor_head(0, n)


def cbor_bytes(b):
    return cbor_head(2, len(b)) + b


def cbor_text(t):
    return cbor_head(3, len(t)) + t.encode()


def frame(ftype, body_map):
    """4-byte length | [type, 2, body]; body_map is the encoded map."""
    cbor = cbor_head(4, 3) + cbor_uint(ftype) + cbor_uint(2) + body_map
    return struct.pack(">I", len(cbor)) + cbor


def read_head(buf, pos):
    ib = buf[pos]
    major, info = ib >> 5, ib & 31
    pos += 1
    if info < 24:
        return major, info, pos
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return major, int.from_bytes(buf[pos:pos + size], "big"), pos + size


def read_item(buf, pos):
    """Decodes uints, byte and text strings, arrays and maps."""
    major, n, pos = read_head(buf, pos)
    if major == 0:
        return n, pos
    if major in (2, 3):
        v = buf[pos:pos + n]
        return (v if major == 2 else v.decode()), pos + n
    if major == 4:
        out = []
        for _ in range(n):
            v, pos = read_item(buf, pos)
            out.append(v)
        return out, pos
    if major == 5:
        out = {}
        for _ in range(n):
            k, pos = read_item(buf, pos)
            v, pos = read_item(buf, pos)
            out[k] = v
        return out, pos
    fail("unexpected CBOR major type %d" % major)


def parse_frame(data):
    """A whole frame (header included) -> (type, version, body dict)."""
    (length,) = struct.unpack(">I", data[:4])
    if length != len(data) - 4:
        fail("frame length %d for %d bytes" % (length, len(data) - 4))
    arr, end = read_item(data, 4)
    if end != len(data) or len(arr) != 3:
        fail("not a frame: %r" % (arr,))
    return arr[0], arr[1], arr[2]


# ---- stream I/O ----

def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            fail("the peer closed the link after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def recv_clear_frame(s):
    head = recv_exact(s, 4)
    return head + recv_exact(s, struct.unpack(">I", head)[0])


def send_record(s, cs, plain, flip=False):
    ct = bytearray(cs.encrypt_with_ad(b"", plain))
    if flip:
        ct[len(ct) // 2] ^= 0x10
    s.sendall(struct.pack(">H", len(ct)) + bytes(ct))


def recv_record(s, cs):
    (n,) = struct.unpack(">H", recv_exact(s, 2))
    return cs.decrypt_with_ad(b"", recv_exact(s, n))


def recv_frame(s, cs):
    """The frames of the session: one record per frame here (obol's writer
    starts each frame in a record of its own; small frames fit one)."""
    plain = recv_record(s, cs)
    return parse_frame(plain)


def noise():
    return HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), SHA256Hash()), X25519DH())


def vendor_files(vendor_dir):
    with open(os.path.join(vendor_dir, "vendor.keys")) as f:
        keys = json.load(f)
    with open(os.path.join(vendor_dir, "vendor.cert")) as f:
        cert = b64(f.read().strip())
    return b64(keys["box_sk"]), b64(keys["box_pk"]), cert


def credential(cert):
    """Message 2's payload: {1: kind VENDOR (1), 2: certificate}."""
    return cbor_head(5, 2) + cbor_uint(1) + cbor_uint(1) + cbor_uint(2) + cbor_bytes(cert)


def error_body(code, name):
    return cbor_head(5, 2) + cbor_uint(1) + cbor_uint(code) + cbor_uint(2) + cbor_text(name)


def split_host(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


# ---- the two roles ----

def as_wallet(addr, vendor_dir):
    _, box_pk, cert = vendor_files(vendor_dir)
    s = socket.create_connection(split_host(addr), timeout=10)
    hs = noise()
    hs.initialize(NXHandshakePattern(), True, PROLOGUE)
    m1 = bytearray()
    hs.write_message(b"", m1)
    s.sendall(frame(HELLO, cbor_head(5, 1) + cbor_uint(1) + cbor_bytes(bytes(m1))))
    ftype, version, body = parse_frame(recv_clear_frame(s))
    if ftype != ACCEPT or version != 2:
        fail("expected ACCEPT of version 2, got type %d version %d" % (ftype, version))
    payload = bytearray()
    ciphers = hs.read_message(body[1], payload)
    if ciphers is None:
        fail("the handshake did not end after message 2")
    tx, rx = ciphers
    if hs.rs.data != box_pk:
        fail("the static key proven is not the vendor's box key")
    print("ok: the handshake proves the vendor's box key")
    if bytes(payload) != credential(cert):
        fail("message 2 does not carry the vendor's certificate as its credential")
    print("ok: message 2 carries the vendor certificate (kind 1)")
    for t in (9, 250):
        send_record(s, tx, frame(t, cbor_head(5, 0)))
        ftype, version, body = recv_frame(s, rx)
        if ftype != ERROR or version != 2 or body.get(1) != WIRE_UNKNOWN_TYPE:
            fail("frame type %d: answer %r" % (t, (ftype, version, body)))
        print("ok: an encrypted frame of type %d is answered %s" % (t, body.get(2)))
    send_record(s, tx, frame(9, cbor_head(5, 0)), flip=True)
    ftype, _, body = recv_frame(s, rx)
    if ftype != ERROR or body.get(1) != DEVLINK_TAMPERED:
        fail("a flipped bit: answer %r" % ((ftype, body),))
    print("ok: a record with a flipped bit is answered %s" % body.get(2))
    s.close()


def as_vendor(listen, vendor_dir):
    box_sk, box_pk, cert = vendor_files(vendor_dir)
    ls = socket.socket()
    ls.bind(split_host(listen))
    ls.listen(1)
    print("listening on %s:%d" % ls.getsockname(), flush=True)
    s, _ = ls.accept()
    s.settimeout(10)
    ftype, version, body = parse_frame(recv_clear_frame(s))
    if ftype != HELLO or version != 2:
        fail("expected HELLO of version 2, got type %d version %d" % (ftype, version))
    dh = X25519DH()
    static = dh.generate_keypair(PrivateKey(box_sk))
    if static.public.data != box_pk:
        fail("vendor.keys: the box key pair does not match")
    hs = noise()
    hs.initialize(NXHandshakePattern(), False, PROLOGUE, s=static)
    payload = bytearray()
    hs.read_message(body[1], payload)
    if payload:
        fail("message 1 has a payload")
    m2 = bytearray()
    rx, tx = hs.write_message(credential(cert), m2)
    s.sendall(frame(ACCEPT, cbor_head(5, 1) + cbor_uint(1) + cbor_bytes(bytes(m2))))
    print("ok: the wallet's handshake completes against this vendor", flush=True)
    ftype, version, body = recv_frame(s, rx)
    if ftype != COUPON_BUY or version != 2:
        fail("expected a coupon BUY of version 2, got type %d version %d" % (ftype, version))
    print("ok: the wallet's first frame is a coupon BUY, version 2 (%d fields)" % len(body), flush=True)
    send_record(s, tx, frame(ERROR, error_body(NOT_FOUND, "NOT_FOUND")))
    try:
        s.recv(1)
    except OSError:
        pass
    s.close()


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("wallet", "vendor"):
        fail("usage: devlink_noise.py wallet ADDR VENDOR_DIR | vendor LISTEN VENDOR_DIR")
    (as_wallet if sys.argv[1] == "wallet" else as_vendor)(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
