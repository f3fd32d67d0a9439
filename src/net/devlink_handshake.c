/* The device link's handshake (contract in devlink.h): Noise NX in two clear
 * frames, the responder's credential in message 2, the refusal of version 1
 * peers. */
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "net/devlink_int.h"
#include "wire/cbor_item.h"

/* The body of HELLO and ACCEPT: {1: the Noise handshake message}, kept in
 * the link's record buffer (OBOL_NOISE_MSG_MAX bytes of room). */
struct hs_msg {
	uint8_t *msg;
	size_t len;
};

static void hs_msg_spec(struct hs_msg *m, struct obol_field f[1], struct obol_fields *spec)
{
	f[0] = (struct obol_field)OBOL_F_BYTES("noise", 1, m->msg, 1, OBOL_NOISE_MSG_MAX, &m->len);
	*spec = (struct obol_fields){ f, 1 };
}

/* The payload of message 2: {1: kind, 2: credential, 3: signature (SIGNED)}. */
struct credential {
	uint64_t kind;
	uint8_t cred[OBOL_DL_CRED_MAX];
	size_t cred_len;
	uint8_t sig[OBOL_DL_SIG_MAX];
	size_t sig_len;
	bool has_sig;
};

static void credential_spec(struct credential *c, struct obol_field f[3], struct obol_fields *spec)
{
	f[0] = (struct obol_field)OBOL_F_UINT("kind", 1, &c->kind, 0xffffffffu);
	f[1] = (struct obol_field)OBOL_F_BYTES("credential", 2, c->cred, 1, OBOL_DL_CRED_MAX, &c->cred_len);
	f[2] = (struct obol_field)OBOL_F_BYTES("sig", 3, c->sig, 1, OBOL_DL_SIG_MAX, &c->sig_len, OBOL_OPT(&c->has_sig));
	*spec = (struct obol_fields){ f, 3 };
}

void obol_devlink_binding(const uint8_t h1[32], const uint8_t static_pk[OBOL_BOX_PK_LEN], uint8_t out[32])
{
	static const char label[] = "obol-devlink-v2 static key";
	struct obol_hash_part parts[3] = { { label, sizeof label - 1 }, { h1, 32 }, { static_pk, OBOL_BOX_PK_LEN } };
	obol_sha256_parts(out, parts, 3);
}

/* A refusal of bytes that are no frame (WIRE_*), but for a stream cut short. */
static bool wire_refusal(obol_err e)
{
	return e > OBOL_E_WIRE_TRUNCATED && e <= OBOL_E_WIRE_UNEXPECTED_MESSAGE;
}

/* A bench link in clear (devlink.h) hashes another prologue, so that it
 * never completes a handshake with a link that is not one. */
static obol_err noise_init(struct obol_noise_handshake *hs, const struct obol_devlink *l, bool initiator,
			   const struct obol_box_keypair *s)
{
	static const char prologue[] = OBOL_DL_PROLOGUE, bench[] = OBOL_DL_PROLOGUE_BENCH_CLEARTEXT;
	struct obol_noise_init in = { .initiator = initiator,
				      .prologue = (const uint8_t *)(l->bench_cleartext ? bench : prologue),
				      .prologue_len = l->bench_cleartext ? sizeof bench - 1 : sizeof prologue - 1,
				      .s = s };
	return obol_noise_handshake_init(hs, &in);
}

/* The version a frame in rbuf (len bytes) claims: the second item of its
 * array. WIRE_MALFORMED when it does not get that far. */
static obol_err frame_version(const struct obol_devlink *l, size_t len, uint64_t *version)
{
	struct obol_cbor_reader r = { l->rbuf + OBOL_FRAME_HEADER_LEN, len - OBOL_FRAME_HEADER_LEN, 0 };
	struct obol_cbor_item arr, t, v;
	if (obol_cbor_next(&r, &arr) != OBOL_OK || arr.type != OBOL_CI_ARRAY || arr.u < 2 ||
	    obol_cbor_next(&r, &t) != OBOL_OK || obol_cbor_next(&r, &v) != OBOL_OK || v.type != OBOL_CI_UINT)
		return OBOL_E_WIRE_MALFORMED;
	*version = v.u;
	return OBOL_OK;
}

/* Reads one clear handshake frame of type `want` into m. A frame of
 * version 1 is DEVLINK_OLD_PEER; one that is no frame, the refusal of
 * obol_frame_decode (WIRE_*); an ERROR frame, the error it names; any other
 * frame, or `want` with another body, DEVLINK_HANDSHAKE. */
static obol_err read_hs_frame(struct obol_devlink *l, uint32_t want, struct hs_msg *m)
{
	const uint8_t *body;
	size_t len, body_len;
	uint64_t version;
	uint32_t type;
	struct obol_field f[1];
	struct obol_fields spec;
	obol_err e = obol_dl_read_clear(l, &len);
	if (e != OBOL_OK)
		return e;
	if (frame_version(l, len, &version) == OBOL_OK && version == 1)
		return OBOL_E_DEVLINK_OLD_PEER;
	if ((e = obol_frame_decode(l->rbuf, len, &type, &body, &body_len)) != OBOL_OK)
		return e;
	if (type == OBOL_DL_TYPE_ERROR)
		return obol_devlink_error_decode(body, body_len);
	hs_msg_spec(m, f, &spec);
	if (type != want || obol_cbor_decode(body, body_len, &spec) != OBOL_OK)
		return OBOL_E_DEVLINK_HANDSHAKE;
	return OBOL_OK;
}

static obol_err write_hs_frame(struct obol_devlink *l, uint32_t type, struct hs_msg *m)
{
	struct obol_field f[1];
	struct obol_fields spec;
	size_t n;
	obol_err e;
	hs_msg_spec(m, f, &spec);
	if ((e = obol_frame_encode(type, &spec, l->wbuf, sizeof l->wbuf, &n)) != OBOL_OK)
		return e;
	return obol_dl_write_raw(l, l->wbuf, n);
}

/* The refusal a version 1 wallet understands: a v1 ERROR frame
 * [1, 1, {1: 209, 2: "WIRE_VERSION"}]. */
static void tell_v1(struct obol_devlink *l)
{
	static const uint8_t frame[] = { 0,    0,    0,    21,  0x83, 0x01, 0x01, 0xa2, 0x01, 0x18, 0xd1, 0x02, 0x6c,
					 'W', 'I', 'R', 'E', '_', 'V', 'E', 'R', 'S', 'I', 'O', 'N' };
	_Static_assert(OBOL_E_WIRE_VERSION == 0xd1, "the v1 refusal names WIRE_VERSION");
	obol_err r = obol_dl_write_raw(l, frame, sizeof frame);
	(void)r;
}

/* The initiator's judgement of message 2's payload. */
static obol_err judge(struct obol_devlink *l, const struct obol_devlink_expect *x, const uint8_t *payload, size_t len,
		      const uint8_t h1[32], const uint8_t rs[OBOL_BOX_PK_LEN])
{
	struct credential c = { 0 };
	struct obol_field f[3];
	struct obol_fields spec;
	uint8_t binding[32];
	obol_err e;
	credential_spec(&c, f, &spec);
	if (obol_cbor_decode(payload, len, &spec) != OBOL_OK)
		return OBOL_E_DEVLINK_CREDENTIAL;
	memset(&l->peer, 0, sizeof l->peer);
	l->peer.kind = (enum obol_devlink_cred_kind)c.kind;
	memcpy(l->peer.static_pk, rs, OBOL_BOX_PK_LEN);
	switch (c.kind) {
	case OBOL_DL_CRED_VENDOR:
		if (x->issuer_pk == NULL || c.has_sig)
			return OBOL_E_DEVLINK_CREDENTIAL;
		if (obol_vendor_cert_decode(c.cred, c.cred_len, &l->peer.cert) != OBOL_OK)
			return OBOL_E_VENDOR_CERT_INVALID;
		if ((e = obol_vendor_cert_verify(&l->peer.cert, x->issuer_pk, obol_now())) != OBOL_OK)
			return e;
		/* The handshake proved rs; the certificate must name it. */
		if (!l->peer.cert.has_box_pk || memcmp(l->peer.cert.box_pk, rs, OBOL_BOX_PK_LEN) != 0)
			return OBOL_E_DEVLINK_IMPOSTOR;
		return OBOL_OK;
	case OBOL_DL_CRED_SIGNED:
		if (x->check == NULL || !c.has_sig)
			return OBOL_E_DEVLINK_CREDENTIAL;
		obol_devlink_binding(h1, rs, binding);
		return x->check(x->ctx, c.cred, c.cred_len, binding, c.sig, c.sig_len);
	default:
		return OBOL_E_DEVLINK_CREDENTIAL;
	}
}

obol_err obol_devlink_initiate(struct obol_devlink *l, const struct obol_devlink_expect *expect)
{
	/* The messages live in rec, the payload in wbuf (free until a frame
	 * is encoded there, after the payload's last use). */
	struct hs_msg m = { l->rec, 0 };
	uint8_t *payload = l->wbuf;
	struct obol_noise_handshake hs;
	uint8_t h1[32];
	size_t plen;
	obol_err e;
	if (l->secure || expect == NULL)
		return OBOL_E_INTERNAL;
	if ((e = noise_init(&hs, l, true, NULL)) != OBOL_OK ||
	    (e = obol_noise_write_message(&hs, NULL, 0, m.msg, OBOL_NOISE_MSG_MAX, &m.len)) != OBOL_OK)
		goto out;
	obol_noise_handshake_hash(&hs, h1);
	if ((e = write_hs_frame(l, OBOL_DL_TYPE_HELLO, &m)) != OBOL_OK)
		goto out;
	e = read_hs_frame(l, OBOL_DL_TYPE_ACCEPT, &m);
	if (wire_refusal(e))
		e = OBOL_E_DEVLINK_HANDSHAKE; /* no frame where ACCEPT belongs */
	if (e != OBOL_OK)
		goto out;
	if (obol_noise_read_message(&hs, m.msg, m.len, payload, OBOL_NOISE_MSG_MAX, &plen) != OBOL_OK) {
		e = OBOL_E_DEVLINK_HANDSHAKE;
		goto out;
	}
	if ((e = judge(l, expect, payload, plen, h1, obol_noise_remote_static(&hs))) != OBOL_OK ||
	    (e = obol_noise_split(&hs, &l->tx, &l->rx)) != OBOL_OK)
		goto out;
	obol_noise_handshake_hash(&hs, l->peer.handshake_hash);
	l->has_peer = true;
	l->secure = true;
out:
	if (e != OBOL_OK)
		memset(&l->peer, 0, sizeof l->peer);
	obol_noise_handshake_wipe(&hs);
	return e;
}

/* Message 2's payload for `me`, bound to h1 when it is signed. */
static obol_err credential_encode(const struct obol_devlink_identity *me, const uint8_t h1[32], uint8_t *out,
				  size_t cap, size_t *len)
{
	struct credential c = { 0 };
	struct obol_field f[3];
	struct obol_fields spec;
	uint8_t binding[32];
	obol_err e;
	c.kind = me->kind;
	if (me->cred_len == 0 || me->cred_len > sizeof c.cred)
		return OBOL_E_INVALID_ARGUMENT;
	memcpy(c.cred, me->cred, me->cred_len);
	c.cred_len = me->cred_len;
	if (me->kind == OBOL_DL_CRED_SIGNED) {
		if (me->sign == NULL)
			return OBOL_E_INVALID_ARGUMENT;
		obol_devlink_binding(h1, me->key->pk, binding);
		if ((e = me->sign(me->ctx, binding, c.sig, sizeof c.sig, &c.sig_len)) != OBOL_OK)
			return e;
		c.has_sig = true;
	}
	credential_spec(&c, f, &spec);
	return obol_cbor_encode(&spec, out, cap, len);
}

obol_err obol_devlink_respond(struct obol_devlink *l, const struct obol_devlink_identity *me)
{
	struct hs_msg m = { l->rec, 0 }; /* as in obol_devlink_initiate */
	uint8_t *payload = l->wbuf;
	struct obol_noise_handshake hs;
	uint8_t h1[32];
	size_t plen;
	obol_err e;
	memset(&hs, 0, sizeof hs);
	if (l->secure || me == NULL || me->key == NULL)
		return OBOL_E_INTERNAL;
	e = read_hs_frame(l, OBOL_DL_TYPE_HELLO, &m);
	if (e == OBOL_E_DEVLINK_OLD_PEER) {
		tell_v1(l);
		goto out;
	}
	if (e != OBOL_OK)
		goto refuse;
	if ((e = noise_init(&hs, l, false, me->key)) != OBOL_OK)
		goto out;
	/* Message 1 is the initiator's ephemeral key and an empty payload. */
	if (obol_noise_read_message(&hs, m.msg, m.len, payload, OBOL_NOISE_MSG_MAX, &plen) != OBOL_OK || plen != 0) {
		e = OBOL_E_DEVLINK_HANDSHAKE;
		goto refuse;
	}
	obol_noise_handshake_hash(&hs, h1);
	if ((e = credential_encode(me, h1, payload, OBOL_NOISE_MSG_MAX - 256, &plen)) != OBOL_OK)
		goto out;
	e = obol_noise_write_message(&hs, payload, plen, m.msg, OBOL_NOISE_MSG_MAX, &m.len);
	if (e == OBOL_E_KEY_INVALID) { /* a low-order ephemeral key from the initiator */
		e = OBOL_E_DEVLINK_HANDSHAKE;
		goto refuse;
	}
	if (e != OBOL_OK || (e = write_hs_frame(l, OBOL_DL_TYPE_ACCEPT, &m)) != OBOL_OK ||
	    (e = obol_noise_split(&hs, &l->rx, &l->tx)) != OBOL_OK)
		goto out;
	l->secure = true;
	goto out;
refuse:
	/* Transport failures, and an oversized frame (told already), end
	 * quietly; bytes that are no frame are told their WIRE_* refusal;
	 * anything else where HELLO belongs, or a message 1 we cannot use, is a
	 * failed handshake. Both told in clear. */
	if (e == OBOL_E_DEVLINK_CLOSED || e == OBOL_E_NETWORK || e == OBOL_E_WIRE_TRUNCATED ||
	    e == OBOL_E_WIRE_OVERSIZED)
		goto out;
	if (!wire_refusal(e))
		e = OBOL_E_DEVLINK_HANDSHAKE;
	obol_dl_tell(l, e);
out:
	obol_noise_handshake_wipe(&hs);
	return e;
}
