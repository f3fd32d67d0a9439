#!/usr/bin/python3
"""An independent check of obol's published test vectors.

Reads tests/vectors/obol/*.json and, for every vector, rebuilds from its
inputs alone the bytes each hash and signature covers, following the layouts
of docs/protocol.md, section "Signed bytes" (not obol's code), compares them
with the bytes the vector records, and verifies the signature or hash with
libraries of its own: python3-nacl (Ed25519), python3-cryptography (RSA-PSS),
python3-cbor2 (CBOR), hashlib. It also checks tests/vectors/rfc9474.txt
(RFC 9474 Appendix A) with plain integer arithmetic.

Prints "PASS name" or "FAIL name: why" per vector; exits 1 on any failure.
"""
import base64
import glob
import hashlib
import json
import os
import struct
import sys

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
import nacl.bindings as aead
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, SealedBox
from nacl.pwhash import argon2id
from nacl.signing import SigningKey, VerifyKey

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
VEC_DIR = os.environ.get("OBOL_VECTORS_DIR") or os.path.join(ROOT, "tests", "vectors", "obol")


# ---- the notation of docs/protocol.md, "Signed bytes" -------------------

def u8(v):
    return struct.pack(">B", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    """8-byte big-endian; a signed value in two's complement."""
    return struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)


def lp(b):
    """A part: its 4-byte big-endian length, then its bytes."""
    return u32(len(b)) + b


def parts(*ps):
    return b"".join(lp(p) for p in ps)


def text1(s):
    """Text with a one-byte length (codex)."""
    b = s.encode()
    assert len(b) < 256
    return u8(len(b)) + b


def sha256(b):
    return hashlib.sha256(b).digest()


def h(s):
    return bytes.fromhex(s)


def amount_units(text):
    """'EUR:1.25' -> ('EUR', 125000000): 10^-8 units."""
    cur, num = text.split(":")
    whole, _, frac = num.partition(".")
    assert len(frac) <= 8 and not num.startswith("-")
    return cur, int(whole) * 10**8 + int((frac + "0" * 8)[:8])


def ed25519_message(context, msg):
    """What Ed25519 signs: "obol-sig-v1" NUL context NUL msg."""
    return b"obol-sig-v1\x00" + context.encode() + b"\x00" + msg


# ---- layouts, one function per heading of "Signed bytes" ----------------
# Each returns the fields it can rebuild: signed_bytes, hash_input, digest,
# encoded, hash. Every one it returns must equal the vector's.

def codex_cert(i, v):
    body = (b"OCXC" + u8(1) + u64(i["user_id"]) + text1(i["name"]) + u8(i["kind"]) + h(i["sign_pk"])
            + h(i["box_pk"]) + u64(i["not_after"]))
    return {"signed_bytes": body, "encoded": body + h(v["sig"]["hex"])}


def codex_state(i, v):
    cur, bal = amount_units(i["balance"])
    cur2, dep = amount_units(i["deposit"])
    assert cur == cur2
    ver = i.get("version", 1)
    limits = b""
    if ver >= 2:  # the offline limits
        limits = u64(amount_units(i["token_max"])[1]) + u64(amount_units(i["spent_max"])[1])
    body = (b"OCXS" + u8(ver) + u64(i["user_id"]) + text1(i["name"]) + u64(i["epoch"]) + u64(bal) + u64(dep)
            + text1(cur) + limits + u64(i["tx_total"]) + u64(i["tx_limit"]) + u64(i["not_after"])
            + u64(i["issued"]) + u64(i["perf"]))
    enc = body + h(v["sig"]["hex"])
    return {"signed_bytes": body, "encoded": enc, "hash": sha256(enc)}


def codex_token(i, v):
    cur, units = amount_units(i["amount"])
    ver = i.get("version", 1)
    spent = u64(amount_units(i["spent"])[1]) if ver >= 2 else b""  # the payer's running total
    body = (b"OCXT" + u8(ver) + h(i["id"]) + u64(i["payer_id"]) + text1(i["payer_name"]) + u64(i["payee_id"])
            + text1(i["payee_name"]) + u64(units) + text1(cur) + u64(i["time"]) + u64(i["epoch"])
            + u64(i["seq"]) + spent + h(i["prev"]))
    enc = body + h(v["sig"]["hex"])
    return {"signed_bytes": body, "encoded": enc, "hash": sha256(enc)}


def codex_ack(i, v):
    body = b"OCXA" + u8(1) + h(i["token_hash"]) + u64(i["payee_id"]) + u64(i["time"])
    return {"signed_bytes": body, "encoded": body + h(v["sig"]["hex"])}


def codex_refusal(i, v):
    body = (b"OCXR" + u8(1) + h(i["token_id"]) + h(i["token_hash"]) + u64(i["payer_id"]) + u64(i["payee_id"])
            + u64(i["time"]) + u32(i["reason"]))
    return {"signed_bytes": body, "encoded": body + h(v["sig"]["hex"])}


def codex_blacklist(i, v):
    ids = i["ids"]
    assert ids == sorted(set(ids))
    body = b"OCXB" + u8(1) + u64(i["version"]) + u64(i["issued"]) + u32(len(ids)) + b"".join(u64(x) for x in ids)
    return {"signed_bytes": body, "encoded": body + h(v["sig"]["hex"])}


def codex_blacklist_page(i, v):
    es = i["entries"]
    users = [e[0] for e in es]
    assert users == sorted(set(users)) and all(i["after"] < x <= i["through"] for x in users)
    assert i["since"] <= i["version"]
    body = (b"OCXP" + u8(1) + u64(i["version"]) + u64(i["issued"]) + u64(i["since"]) + u64(i["after"])
            + u64(i["through"]) + u32(len(es)) + b"".join(u64(e[0]) + u64(e[1]) for e in es))
    return {"signed_bytes": body, "encoded": body + h(v["sig"]["hex"])}


def codex_log(i, v):
    tag = b"codex-log-v1"
    if "state_hash" in i:
        hin = parts(tag, h(i["state_hash"]))
    else:
        hin = parts(tag, h(i["prev"]), u8(i["kind"]) + u64(i["seq"]) + u64(i["time"]), h(i["token_hash"]))
    return {"hash_input": hin, "hash": sha256(hin)}


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def keys_document(i, v):
    # the canonical text: keys sorted, no white space, UTF-8
    canon = json.dumps(i["keys"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    served = json.loads(v["encoded_json"])
    if served != {"keys": i["keys"], "sig": b64url(h(v["sig"]["hex"]))}:
        raise ValueError("the served document is not {keys, sig}")
    return {"signed_bytes": canon}


def vendor_certificate(i, v):
    m = {1: i["vendor_id"], 2: i["name"], 3: i["account"], 4: h(i["sign_pk"])}
    if "box_pk" in i:
        m[5] = h(i["box_pk"])
    m[6] = i["valid_from"]
    m[7] = i["valid_until"]
    signed = cbor2.dumps(m)
    m[8] = h(v["sig"]["hex"])
    enc = cbor2.dumps(m)
    return {"signed_bytes": signed, "encoded_cbor": enc, "hash": sha256(enc)}


def key_announcement(i, v):
    # the fields the kind carries, in key order; 12: the master's signature
    names = [(1, "kind"), (2, "currency"), (3, "serial"), (4, "key"), (5, "valid_from"), (6, "use_until"),
             (7, "accept_until"), (8, "legal_end"), (9, "value"), (10, "tokens"), (11, "revoked")]
    binary = {"key", "revoked"}
    m = {}
    for k, name in names:
        if name in i:
            m[k] = h(i[name]) if name in binary else (amt(i[name]) if name == "value" else i[name])
    signed = cbor2.dumps(m)
    m[12] = h(v["sig"]["hex"])
    kid = h(i["revoked"]) if i["kind"] == 4 else sha256(h(i["key"]))
    return {"signed_bytes": signed, "encoded_cbor": cbor2.dumps(m), "key_id": kid}


def request_auth(i, v):
    bh = sha256(i["body"].encode())
    hin = parts(i["method"].encode(), i["path"].encode(), bh, str(i["account"]).encode(), str(i["time"]).encode())
    d = sha256(hin)
    header = "%d:%d:%s" % (i["account"], i["time"], b64url(h(v["sig"]["hex"])))
    return {"body_hash": bh, "hash_input": hin, "digest": d, "signed_bytes": d, "header": header}


def amt(text):
    """An amount's canonical text: no trailing zeros of the fraction, no '.' when it is 0."""
    cur, units = amount_units(text)
    whole, frac = divmod(units, 10**8)
    canon = "%s:%d" % (cur, whole) + ("." + ("%08d" % frac).rstrip("0") if frac else "")
    if canon != text:
        raise ValueError("amount %r is not canonical (%s)" % (text, canon))
    return text


def payment_receipt(i, v):
    pid = sha256(h(i["payment_body"]))
    m = {1: i["scheme"], 2: i["vendor_id"], 3: amt(i["amount"]), 4: i["units"], 5: i["time"], 6: pid}
    signed = cbor2.dumps(m)
    m[7] = h(v["sig"]["hex"])
    return {"id": pid, "signed_bytes": signed, "encoded_cbor": cbor2.dumps(m)}


def devlink_binding(i, v):
    hin = parts(b"obol-devlink-v2 static key", h(i["h1"]), h(i["static_pk"]))
    return {"hash_input": hin, "hash": sha256(hin)}


def wallet_file(i, v):
    sealed = h(v["sealed"])
    header, nonce, ct = sealed[:58], sealed[34:58], sealed[58:]
    if "passphrase" in i:
        key = argon2id.kdf(32, i["passphrase"].encode(), h(i["salt"]), opslimit=i["opslimit"],
                           memlimit=i["memlimit_kib"] * 1024)
        want = b"OBOLSEAL" + u8(1) + u8(1) + u32(i["opslimit"]) + u32(i["memlimit_kib"]) + h(i["salt"])
    else:
        key = h(i["key"])
        want = b"OBOLSEAL" + u8(1) + u8(0) + u32(0) + u32(0) + bytes(16)
    if header[:34] != want:
        raise ValueError("the header is not magic | version | kdf | opslimit | memlimit | salt")
    plain = aead.crypto_aead_xchacha20poly1305_ietf_decrypt(ct, header, nonce, key)
    if plain != i["plaintext"].encode():
        raise ValueError("the file opens to another plaintext")
    return {"_checked": "sealed"}


def payword_vcert_body(i):
    cur, units = amount_units(i["token_value"])
    name = i["username"].encode()
    return (b"OPWC" + u8(1) + u64(i["serial"]) + u64(i["scope"]) + u64(i["first_order"]) + u64(i["n"]) + u64(units)
            + cur.encode().ljust(12, b"\0") + h(i["root"]) + h(i["user_pk"]) + u64(i["issued"])
            + u64(i["not_after"]) + u8(len(name)) + name)


def payword_vendor_certificate(i, v):
    body = payword_vcert_body(i)
    enc = body + h(v["sig"]["hex"])
    return {"signed_bytes": body, "encoded": enc, "hash": sha256(enc)}


def payword_user_certificate(i, v):
    return {"encoded": b"OPWU" + h(i["vendor_certificate"]) + h(i["seed"]), "_checked": "format"}


def payword_range(i, v):
    assert i["from"] <= i["to"]
    return {"signed_bytes": b"OPWS" + u64(i["serial"]) + u64(i["vendor"]) + u64(i["from"]) + u64(i["to"])}


def payword_position(i, v):
    return {"signed_bytes": b"OPWP" + u64(i["serial"]) + u64(i["next"])}


def payword_fetch(i, v):
    return {"signed_bytes": b"OPWF" + u64(i["vendor"]) + u64(i["auth"]) + u64(i["time"]) + text1(i["product"])}


def payword_revocation_list(i, v):
    ss = i["serials"]
    assert ss == sorted(set(ss))
    return {"signed_bytes": b"OPWR" + u64(i["seq"]) + u64(i["issued"]) + u64(len(ss)) + b"".join(u64(x) for x in ss)}


def payword_revocation_list_page(i, v):
    ss = i["serials"]
    assert ss == sorted(set(ss)) and all(i["after"] < x <= i["through"] for x in ss)
    return {"signed_bytes": b"OPWL" + u64(i["issued"]) + u64(i["since"]) + u64(i["after"]) + u64(i["through"])
            + u64(len(ss)) + b"".join(u64(x) for x in ss)}


def hash_iter(x, k):
    for _ in range(k):
        x = sha256(x)
    return x


def payword_token(i, v):
    k0, n, order = i["first_order"], i["n"], i["order"]
    tok = hash_iter(h(i["seed"]), k0 + n - 1 - order)
    root = hash_iter(h(i["seed"]), n)
    if hash_iter(tok, order - k0 + 1) != root:
        raise ValueError("the token does not hash to the root")
    return {"token": tok, "root": root, "_checked": "chain"}


def mgf1_sha384(seed, length):
    out, c = b"", 0
    while len(out) < length:
        out += hashlib.sha384(seed + struct.pack(">I", c)).digest()
        c += 1
    return out[:length]


def emsa_pss_encode_sha384(msg, salt, embits):
    """RFC 8017 section 9.1.1 with SHA-384 and MGF1-SHA-384."""
    emlen = (embits + 7) // 8
    mh = hashlib.sha384(msg).digest()
    hh = hashlib.sha384(b"\0" * 8 + mh + salt).digest()
    db = b"\0" * (emlen - len(salt) - len(hh) - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, mgf1_sha384(hh, emlen - len(hh) - 1)))
    masked = bytes([masked[0] & (0xFF >> (8 * emlen - embits))]) + masked[1:]
    return masked + hh + b"\xbc"


def coupon_coin(i, v, keys):
    coin_id = hash_iter(h(i["seed"]), i["n"])
    msg = b"obol coupon v1" + u32(i["denom"]) + coin_id
    prepared = h(i["prefix"]) + msg
    pub = keys[v["sig"]["key"]].public_numbers()
    n, e = pub.n, pub.e
    klen = (n.bit_length() + 7) // 8
    em = int.from_bytes(emsa_pss_encode_sha384(prepared, h(i["salt"]), n.bit_length() - 1), "big")
    r = int(i["r"], 16)
    blinded = em * pow(r, e, n) % n                       # RFC 9474 section 4.2
    sig = int(v["blind_sig"], 16) * pow(r, -1, n) % n      # section 4.4
    if sig.to_bytes(klen, "big") != h(v["sig"]["hex"]):
        raise ValueError("sig is not blind_sig * r^-1 mod n")
    return {"coin_id": coin_id, "coin_message": msg, "signed_bytes": prepared,
            "blinded_msg": blinded.to_bytes(klen, "big")}


def coupon_authorisation(i, v):
    sk = PrivateKey(h(i["issuer_box_sk"]))
    if bytes(sk.public_key) != h(i["issuer_box_pk"]):
        raise ValueError("the box key pair does not match")
    plain = b"OCA1" + h(i["coin_id"]) + u64(i["index"]) + h(i["token"]) + u64(i["deadline"]) + h(i["cert_hash"])
    if SealedBox(sk).decrypt(h(v["sealed"])) != plain:
        raise ValueError("the sealed box opens to another plaintext")
    return {"plaintext": plain, "_checked": "sealed box"}


def carries_sig(i, v):
    """An API body (field names as the inputs', byte strings in base64url)
    holds exactly the inputs and the signature."""
    body = json.loads(v["encoded_json"])
    sig = b64url(h(v["sig"]["hex"]))
    for k, x in body.items():
        if k.endswith("_sig") and x == sig:
            continue
        if k not in i:
            raise ValueError("the JSON body has a field %s that is no input" % k)
        want = i[k]
        if isinstance(want, str) and ":" not in want:  # bytes, not an amount
            want = b64url(h(want))
        if x != want:
            raise ValueError("the JSON body's %s is not the input's" % k)
    if sig not in body.values():
        raise ValueError("the JSON body does not carry the signature")


def coupon_digest(hin, v, extra=None):
    if "encoded_json" in v:
        carries_sig(v["inputs"], v)
    d = sha256(hin)
    out = {"hash_input": hin, "digest": d, "signed_bytes": d}
    out.update(extra or {})
    return out


def coupon_lock_request(i, v):
    ch = sha256(h(i["cert"]))
    return coupon_digest(parts(u64(i["denom"]), h(i["coin_id"]), h(i["prefix"]), h(i["coin_sig"]), h(i["auth"]), ch,
                               u64(i["deadline"])), v, {"cert_hash": ch})


def coupon_lock_reply(i, v):
    locked = cbor2.dumps({1: h(i["coin_id"]), 2: i["index"], 3: h(i["token"]), 4: i["deadline"],
                          5: h(v["sig"]["hex"])})
    return coupon_digest(parts(h(i["coin_id"]), u64(i["index"]), h(i["token"]), u64(i["deadline"]),
                               h(i["cert_hash"])), v, {"encoded_cbor": locked})


def coupon_settle_request(i, v):
    ch = sha256(h(i["cert"]))
    lock = [h(i["lock"])] if "lock" in i else []  # the lock this settle ends or checkpoints
    return coupon_digest(parts(h(i["coin_id"]), u64(i["index"]), h(i["token"]), u8(1 if i["keep"] else 0), ch, *lock),
                         v, {"cert_hash": ch})


def coupon_settle_reply(i, v):
    lock = [h(i["lock"])] if "lock" in i else []
    return coupon_digest(parts(h(i["coin_id"]), u64(i["index"]), u64(i["credited_tokens"]), i["credited"].encode(),
                               u8(i["locked"]) + u8(i["spent"]), h(i["cert_hash"]), *lock), v)


def coupon_refusal(i, v):
    return coupon_digest(parts(u64(i["code"]), h(i["coin_id"]), u64(i["last_index"]), u64(i["locked_until"]),
                               h(i["cert_hash"]), h(i["box_hash"])), v)


def coupon_refund_reply(i, v):
    return coupon_digest(parts(h(i["coin_id"]), u64(i["index"]), u64(i["refunded_tokens"]), i["refunded"].encode(),
                               u64(i["account"])), v)


def coupon_status_request(i, v):
    ch = sha256(h(i["cert"]))
    return coupon_digest(parts(h(i["coin_id"]), ch, u64(i["time"])), v, {"cert_hash": ch})


# ecash bytes: a label or byte string as put(), an integer as bare u64
put = lp
DOC = {}


def ecash_cert_digest_of(i, sig):
    return sha256(parts(b"obol-ecash-cert-digest-v1", h(i["key"]),
                        u64(i["account"]) + u64(i["issued"]) + u64(i["expiry"]), sig))


def ecash_certificate(i, v):
    signed = put(b"obol-ecash-cert-v1") + put(h(i["key"])) + u64(i["account"]) + u64(i["issued"]) + u64(i["expiry"])
    hin = parts(b"obol-ecash-cert-digest-v1", h(i["key"]), u64(i["account"]) + u64(i["issued"]) + u64(i["expiry"]),
                h(v["sig"]["hex"]))
    enc = cbor2.dumps({1: h(i["key"]), 2: i["account"], 3: i["issued"], 4: i["expiry"], 5: h(v["sig"]["hex"])})
    return {"signed_bytes": signed, "hash_input": hin, "digest": sha256(hin), "encoded_cbor": enc}


def ecash_coin_digest_of(i):
    t = u64(i["issued"]) + u64(i["expiry"])
    if "owner" in i:  # a coin with its owner key (v2)
        return parts(b"obol-ecash-coin-digest-v2", h(i["serial"]), i["value"].encode(), t, h(i["owner"]))
    return parts(b"obol-ecash-coin-digest-v1", h(i["serial"]), i["value"].encode(), t)


def ecash_coin(i, v):
    owned = "owner" in i
    signed = (put(b"obol-ecash-coin-v2" if owned else b"obol-ecash-coin-v1") + put(h(i["serial"]))
              + put(i["value"].encode()) + u64(i["issued"]) + u64(i["expiry"]) + (put(h(i["owner"])) if owned else b""))
    hin = ecash_coin_digest_of(i)
    m = {1: h(i["serial"]), 2: i["value"], 3: i["issued"], 4: i["expiry"], 5: h(v["sig"]["hex"])}
    if owned:
        m[6] = h(i["owner"])
    enc = cbor2.dumps(m)
    return {"signed_bytes": signed, "hash_input": hin, "digest": sha256(hin), "encoded_cbor": enc}


def ecash_claim(i, v):
    ids = [sha256(h(DOC["keys"][k]["spki"])) for k in i["signers"]]
    signed = (put(b"obol-ecash-claim-v1") + put(sha256(ecash_coin_digest_of(i))) + put(h(i["payee"])) + u64(i["ts"])
              + put(h(i["prev"])) + u64(len(ids)) + b"".join(put(x) for x in ids))
    hin = parts(b"obol-ecash-claim-link-v1", signed, h(v["sig"]["hex"]))
    if "owner_sig" in v:
        # the first claim on an owned coin: the coin's owner key signs the same bytes
        o = v["owner_sig"]
        if o["alg"] != "ed25519" or "owner" not in i or h(i["prev"]) != bytes(32):
            raise ValueError("an owner signature where none belongs")
        VerifyKey(h(i["owner"])).verify(ed25519_message(o["context"], signed), h(o["hex"]))
    elif "owner" in i and h(i["prev"]) == bytes(32):
        raise ValueError("the first claim on an owned coin lacks the owner's signature")
    if h(i["prev"]) != bytes(32):
        # a later claim continues an earlier one of the same coin
        links = [ecash_claim(x["inputs"], x)["link"] for x in DOC["by_name"].values()
                 if x["layout"] == "ecash claim" and x is not v and x["inputs"]["serial"] == i["serial"]]
        if h(i["prev"]) not in links:
            raise ValueError("prev is no earlier claim's link")
    return {"signed_bytes": signed, "hash_input": hin, "link": sha256(hin)}


def ecash_bank_nonce_answer(i, v):
    signed = put(b"obol-ecash-bank-nonce-v1") + put(i["purpose"].encode()) + put(h(i["nonce"]))
    out = {}
    if i["purpose"] == "topup" and "orders" in i:  # each coin ordered with its owner key
        hin = put(b"obol-ecash-topup-v2") + b"".join(put(o["value"].encode()) + put(h(o["owner"])) for o in i["orders"])
        out = {"hash_input": hin, "digest": sha256(hin)}
    elif i["purpose"] == "topup":
        hin = parts(b"obol-ecash-topup-v1", *(x.encode() for x in i["values"]))
        out = {"hash_input": hin, "digest": sha256(hin)}
    elif i["purpose"] in ("deposit", "refund"):
        hin = put(b"obol-ecash-deposit-v1") + b"".join(put(h(c["serial"])) + put(h(c["last_link"]))
                                                       for c in i["coins"])
        out = {"hash_input": hin, "digest": sha256(hin)}
    if out:
        signed += put(out["digest"])
    out["signed_bytes"] = signed
    return out


def ecash_payment_nonce_answer(i, v):
    return {"signed_bytes": put(b"obol-ecash-pay-nonce-v1") + put(h(i["nonce"])) + put(h(i["merchant"]))}


def ecash_revocation_list(i, v):
    if "revoked" in i:  # each key with the time its revocation took effect
        ids = [h(x["id"]) for x in i["revoked"]]
        assert ids == sorted(set(ids))
        return {"signed_bytes": put(b"obol-ecash-revocations-v2") + u64(i["seq"]) + u64(i["issued"]) + u64(len(ids))
                + b"".join(put(h(x["id"])) + u64(x["at"]) for x in i["revoked"])}
    ids = [h(x) for x in i["ids"]]
    assert ids == sorted(set(ids))
    return {"signed_bytes": put(b"obol-ecash-revocations-v1") + u64(i["seq"]) + u64(i["issued"]) + u64(len(ids))
            + b"".join(put(x) for x in ids)}


def ecash_directory(i, v):
    if "entries" in i:  # a block of registrations [first, first + span)
        body = b""
        for e in i["entries"]:
            cv = DOC["by_name"][e["certificate"]]
            body += u64(e["seq"]) + put(ecash_cert_digest_of(cv["inputs"], h(cv["sig"]["hex"])))
        return {"signed_bytes": put(b"obol-ecash-directory-v2") + u64(i["issued"]) + u64(i["first"])
                + u64(i["span"]) + u64(len(i["entries"])) + body}
    digests = []
    for name in i["certificates"]:
        cv = DOC["by_name"][name]
        digests.append(ecash_cert_digest_of(cv["inputs"], h(cv["sig"]["hex"])))
    return {"signed_bytes": put(b"obol-ecash-directory-v1") + u64(i["issued"]) + u64(len(digests))
            + b"".join(put(d) for d in digests)}


def ecash_devlink_merchant(i, v):
    return {"signed_bytes": put(b"obol-devlink-v2 ecash merchant") + put(h(i["binding"]))}


LAYOUTS = {
    "ecash certificate": ecash_certificate,
    "ecash coin": ecash_coin,
    "ecash claim": ecash_claim,
    "ecash bank nonce answer": ecash_bank_nonce_answer,
    "ecash payment nonce answer": ecash_payment_nonce_answer,
    "ecash revocation list": ecash_revocation_list,
    "ecash directory": ecash_directory,
    "ecash device-link merchant signature": ecash_devlink_merchant,
    "coupon coin": coupon_coin,
    "coupon refusal": coupon_refusal,
    "coupon refund reply": coupon_refund_reply,
    "coupon authorisation": coupon_authorisation,
    "coupon lock request": coupon_lock_request,
    "coupon lock reply": coupon_lock_reply,
    "coupon settle request": coupon_settle_request,
    "coupon settle reply": coupon_settle_reply,
    "coupon status request": coupon_status_request,
    "payword vendor certificate": payword_vendor_certificate,
    "payword user certificate": payword_user_certificate,
    "payword range": payword_range,
    "payword position": payword_position,
    "payword product request": payword_fetch,
    "payword revocation list": payword_revocation_list,
    "payword revocation list page": payword_revocation_list_page,
    "payword token": payword_token,
    "GET /keys": keys_document,
    "vendor certificate": vendor_certificate,
    "key announcement": key_announcement,
    "request authentication": request_auth,
    "device-link binding": devlink_binding,
    "payment receipt": payment_receipt,
    "wallet file": wallet_file,
    "codex certificate": codex_cert,
    "codex state": codex_state,
    "codex token": codex_token,
    "codex acknowledgement": codex_ack,
    "codex refusal": codex_refusal,
    "codex blacklist": codex_blacklist,
    "codex blacklist page": codex_blacklist_page,
    "codex log chain": codex_log,
}


NEEDS_KEYS = {coupon_coin}


# ---- signatures ----------------------------------------------------------

def load_keys(doc):
    keys = {}
    for name, k in doc["keys"].items():
        if k["alg"] == "ed25519":
            sk = SigningKey(h(k["seed"]))
            if bytes(sk.verify_key) != h(k["pk"]):
                raise ValueError("key %s: the seed does not give the public key" % name)
            keys[name] = VerifyKey(h(k["pk"]))
        elif k["alg"] == "rsa":
            keys[name] = serialization.load_der_public_key(h(k["spki"]))
    return keys


def minimal(x):
    return x.to_bytes((x.bit_length() + 7) // 8, "big")


RING_CIPHERS = {"ring-rst-rsa-v1": (b"obol-ringsig-E-v1\0", 4), "ring-rst-rsa-v2": (b"obol-ringsig-E-v2\0", 8)}


def ring_verify(pubs, msg, sig, alg):
    """Rivest-Shamir-Tauman over RSA keys as src/crypto/ringsig.c's header
    describes it (seed 002 section 4.1); alg names E_k's tag and rounds."""
    etag, rounds = RING_CIPHERS[alg]
    ns = [k.public_numbers().n for k in pubs]
    es = [k.public_numbers().e for k in pubs]
    blen = max((n.bit_length() + 7) // 8 for n in ns) + 20
    if len(sig) != (len(pubs) + 1) * blen:
        raise InvalidSignature()
    kh = hashlib.sha256(b"obol-ringsig-v1\0" + u32(len(pubs)))
    for n, e in zip(ns, es):
        kh.update(lp(minimal(n)) + lp(minimal(e)))
    kh.update(u64(len(msg)) + msg)
    k = kh.digest()

    def ek(buf):
        a = blen // 2
        left, right = bytearray(buf[:a]), bytearray(buf[a:])
        for j in range(rounds):
            src, dst = (left, right) if j % 2 == 0 else (right, left)
            pad = hashlib.shake_256(etag + k + struct.pack(">H", blen) + u8(j) + bytes(src))
            pad = pad.digest(len(dst))
            for t in range(len(dst)):
                dst[t] ^= pad[t]
        return bytes(left + right)

    def g(i, x):
        q, r = divmod(x, ns[i])
        if (q + 1) * ns[i] > 1 << (8 * blen):
            return x
        return q * ns[i] + pow(r, es[i], ns[i])

    v = sig[:blen]
    c = v
    for i in range(len(pubs)):
        xi = int.from_bytes(sig[(i + 1) * blen:(i + 2) * blen], "big")
        yi = g(i, xi).to_bytes(blen, "big")
        c = ek(bytes(a ^ b for a, b in zip(yi, c)))
    if c != v:
        raise InvalidSignature()


def verify_sig(sig, keys, msg):
    s = h(sig["hex"])
    if sig["alg"] in RING_CIPHERS:
        ring_verify([keys[n] for n in sig["keys"]], msg, s, sig["alg"])
        return
    key = keys[sig["key"]]
    if sig["alg"] == "ed25519":
        key.verify(ed25519_message(sig["context"], msg), s)
    elif sig["alg"] == "rsassa-pss-sha512-mgf1sha512-salt64":
        key.verify(s, msg, padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64), hashes.SHA512())
    elif sig["alg"] == "rsassa-pss-sha384-mgf1sha384-salt48":
        key.verify(s, msg, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
    else:
        raise ValueError("unknown signature algorithm " + sig["alg"])


def check_vector(v, keys):
    build = LAYOUTS.get(v["layout"])
    if build is None:
        raise ValueError("no layout %r in this verifier" % v["layout"])
    mine = build(v["inputs"], v, keys) if build in NEEDS_KEYS else build(v["inputs"], v)
    if not mine:
        raise ValueError("the layout rebuilt nothing")
    checked = mine.pop("_checked", None)
    for field, value in mine.items():
        if field not in v:
            raise ValueError("the vector has no %s to compare with" % field)
        if isinstance(value, bytes):
            if value.hex() != v[field]:
                raise ValueError("%s differs from the layout's" % field)
        elif value != v[field]:
            raise ValueError("%s differs from the layout's" % field)
    if "sig" in v:
        signed = mine.get("signed_bytes")
        if signed is None:
            raise ValueError("a signature but no signed bytes rebuilt")
        verify_sig(v["sig"], keys, signed)
    elif "hash" not in mine and "digest" not in mine and checked is None:
        raise ValueError("neither a signature nor a hash was checked")


# ---- RFC 9474 Appendix A -------------------------------------------------

def read_rfc9474(path):
    secs, cur = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            cur = secs.setdefault(line[1:-1], {})
            continue
        k, _, val = line.partition(" =")
        cur[k] = val.strip()
    return secs


def check_rfc9474(path, report):
    secs = read_rfc9474(path)
    key = secs.pop("key")
    n, e, d = int(key["n"], 16), int(key["e"], 16), int(key["d"], 16)
    p, q = int(key["p"], 16), int(key["q"], 16)
    klen = (n.bit_length() + 7) // 8
    if p * q != n or pow(pow(7, e, n), d, n) != 7:
        report("rfc9474/key", "p*q != n or d is not e's inverse")
        return
    pub = rsa.RSAPublicNumbers(e, n).public_key()
    for name, v in secs.items():
        why = None
        try:
            slen = int(v["sLen"])
            prepared = h(v["msg_prefix"]) + h(v["msg"])
            inv, bm, bs, sig = (int(v[k], 16) for k in ("inv", "blinded_msg", "blind_sig", "sig"))
            # blind_sig = blinded_msg^d; sig = blind_sig * inv (Sections 4.3, 4.4)
            if pow(bm, d, n) != bs:
                why = "blind_sig is not blinded_msg^d mod n"
            elif bs * inv % n != sig:
                why = "sig is not blind_sig * inv mod n"
            else:
                # blinded_msg = encoded * r^e with r = inv^-1: so
                # blinded_msg * inv^e = encoded, which must verify as PSS
                em = bm * pow(inv, e, n) % n
                if pow(sig, e, n) != em:
                    why = "blinded_msg does not unblind to sig^e"
                pub.verify(sig.to_bytes(klen, "big"), prepared,
                           padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=slen), hashes.SHA384())
                if slen != len(h(v["salt"])):
                    why = "sLen is not the salt's length"
        except (InvalidSignature, KeyError, ValueError) as ex:
            why = "%s: %s" % (type(ex).__name__, ex)
        report("rfc9474/" + name, why)


def main():
    results = []

    def report(name, why):
        results.append(why is None)
        print("PASS %s" % name if why is None else "FAIL %s: %s" % (name, why))

    files = sorted(glob.glob(os.path.join(VEC_DIR, "*.json")))
    if not files:
        report("vectors", "no vector files in " + VEC_DIR)
    for path in files:
        fname = os.path.basename(path)[:-5]
        try:
            doc = json.load(open(path))
            keys = load_keys(doc)
        except (ValueError, KeyError) as ex:
            report(fname, "unreadable: %s" % ex)
            continue
        if not doc["vectors"]:
            report(fname, "no vectors")
        DOC.clear()
        DOC.update(keys=doc["keys"], by_name={v.get("name"): v for v in doc["vectors"]})
        for v in doc["vectors"]:
            why = None
            try:
                check_vector(v, keys)
            except (InvalidSignature, BadSignatureError):
                why = "the signature does not verify over the rebuilt bytes"
            except CryptoError:
                why = "the sealed bytes do not open"
            except (KeyError, ValueError, AssertionError, TypeError) as ex:
                why = "%s: %s" % (type(ex).__name__, ex)
            report("%s/%s" % (fname, v.get("name")), why)
    check_rfc9474(os.path.join(ROOT, "tests", "vectors", "rfc9474.txt"), report)
    print("vectors: %d checked, %d failed" % (len(results), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
