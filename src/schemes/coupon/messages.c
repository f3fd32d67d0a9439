/* The coupon scheme's messages: field specs, the coin message, the sealed
 * authorisation, and what each signature covers (see messages.h). */
#include "schemes/coupon/messages.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/common/vendor_cert.h"
#include "wire/cbor.h"

/* ---- field spec helpers ---- */

static void spec_begin(struct coupon_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->fields.f = s->f;
	s->fields.n = 0;
}

static struct obol_field *spec_add(struct coupon_spec *s, const char *name, enum obol_field_kind kind, void *value)
{
	struct obol_field *f = &s->f[s->fields.n++];
	f->name = name;
	f->key = (uint32_t)s->fields.n;
	f->kind = kind;
	f->value = value;
	return f;
}

static void add_uint(struct coupon_spec *s, const char *name, uint64_t *v, uint64_t min, uint64_t max)
{
	struct obol_field *f = spec_add(s, name, OBOL_FIELD_UINT, v);
	f->min = min;
	f->max = max;
}

static void add_int(struct coupon_spec *s, const char *name, int64_t *v)
{
	spec_add(s, name, OBOL_FIELD_INT, v);
}

static void add_bool(struct coupon_spec *s, const char *name, bool *v)
{
	spec_add(s, name, OBOL_FIELD_BOOL, v);
}

static void add_fixed(struct coupon_spec *s, const char *name, uint8_t *v, size_t len)
{
	struct obol_field *f = spec_add(s, name, OBOL_FIELD_FIXED, v);
	f->min = len;
	f->max = len;
}

static void add_fixed_opt(struct coupon_spec *s, const char *name, uint8_t *v, size_t len, bool *present)
{
	struct obol_field *f = spec_add(s, name, OBOL_FIELD_FIXED, v);
	f->min = len;
	f->max = len;
	f->optional = true;
	f->present = present;
}

static void add_bytes(struct coupon_spec *s, const char *name, uint8_t *v, size_t *len, size_t min, size_t max)
{
	struct obol_field *f = spec_add(s, name, OBOL_FIELD_BYTES, v);
	f->len = len;
	f->min = min;
	f->max = max;
}

static void add_amount(struct coupon_spec *s, const char *name, struct obol_amount *v)
{
	spec_add(s, name, OBOL_FIELD_AMOUNT, v);
}

static void add_coin(struct coupon_spec *s, struct coupon_coin *c)
{
	add_uint(s, "denom", &c->denom, 0, COUPON_DENOM_MAX);
	add_fixed(s, "coin_id", c->id, COUPON_ID_LEN);
	add_fixed(s, "prefix", c->prefix, OBOL_BLINDRSA_PREFIX_LEN);
	add_bytes(s, "coin_sig", c->sig, &c->sig_len, 64, COUPON_SIG_MAX);
}

/* ---- device link ---- */

void coupon_spec_buy(struct coupon_spec *s, struct coupon_buy *m)
{
	spec_begin(s);
	add_uint(s, "units", &m->units, 1, COUPON_UNITS_MAX);
	add_uint(s, "ahead", &m->ahead, 1, COUPON_AHEAD_MAX);
}

void coupon_spec_offer(struct coupon_spec *s, struct coupon_offer *m)
{
	spec_begin(s);
	add_bytes(s, "cert", m->cert, &m->cert_len, 1, COUPON_CERT_MAX);
	add_int(s, "deadline", &m->deadline);
	add_amount(s, "price", &m->price);
	add_uint(s, "units", &m->units, 1, COUPON_UNITS_MAX);
}

void coupon_spec_pay(struct coupon_spec *s, struct coupon_pay *m)
{
	spec_begin(s);
	add_coin(s, &m->coin);
	add_fixed(s, "auth", m->auth, COUPON_AUTH_LEN);
}

void coupon_spec_lock_reply(struct coupon_spec *s, struct coupon_lock_reply *m)
{
	spec_begin(s);
	add_fixed(s, "coin_id", m->coin_id, COUPON_ID_LEN);
	add_uint(s, "index", &m->index, 0, OBOL_HASHCHAIN_MAX_N);
	add_fixed(s, "token", m->token, COUPON_ID_LEN);
	add_int(s, "deadline", &m->deadline);
	add_fixed(s, "issuer_sig", m->issuer_sig, OBOL_SIGN_LEN);
}

void coupon_spec_token_req(struct coupon_spec *s, struct coupon_token_req *m)
{
	spec_begin(s);
	add_uint(s, "count", &m->count, 1, OBOL_HASHCHAIN_MAX_N);
}

void coupon_spec_token(struct coupon_spec *s, struct coupon_token *m)
{
	spec_begin(s);
	add_uint(s, "index", &m->index, 0, OBOL_HASHCHAIN_MAX_N);
	add_fixed(s, "token", m->token, COUPON_ID_LEN);
}

void coupon_spec_served(struct coupon_spec *s, struct coupon_served *m)
{
	spec_begin(s);
	add_uint(s, "unit", &m->unit, 1, COUPON_UNITS_MAX);
	add_uint(s, "count", &m->count, 1, COUPON_UNITS_MAX);
	add_bytes(s, "data", m->data, &m->data_len, 0, COUPON_DATA_MAX);
}

void coupon_spec_end(struct coupon_spec *s, struct coupon_end *m)
{
	spec_begin(s);
	add_uint(s, "reason", &m->reason, 0, 255);
}

void coupon_spec_receipt(struct coupon_spec *s, struct coupon_receipt *m)
{
	spec_begin(s);
	add_uint(s, "units", &m->units, 0, COUPON_UNITS_MAX);
	add_amount(s, "paid", &m->paid);
	add_uint(s, "coins", &m->coins, 0, COUPON_UNITS_MAX);
	add_bool(s, "settled", &m->settled);
}

void coupon_spec_error(struct coupon_spec *s, struct coupon_error *m)
{
	spec_begin(s);
	add_uint(s, "code", &m->code, 1, 65535);
	struct obol_field *f = spec_add(s, "name", OBOL_FIELD_TEXT, m->name);
	f->min = 1;
	f->max = COUPON_ERRNAME_MAX;
	f = spec_add(s, "last_index", OBOL_FIELD_UINT, &m->last_index);
	f->max = OBOL_HASHCHAIN_MAX_N;
	f->optional = true;
	f->present = &m->has_last_index;
	f = spec_add(s, "locked_until", OBOL_FIELD_INT, &m->locked_until);
	f->optional = true;
	f->present = &m->has_locked_until;
	add_fixed_opt(s, "issuer_sig", m->issuer_sig, OBOL_SIGN_LEN, &m->has_issuer_sig);
}

void coupon_error_set(struct coupon_error *m, obol_err e, const uint64_t *last_index)
{
	memset(m, 0, sizeof(*m));
	m->code = (uint64_t)e;
	if (obol_strlcpy_checked(m->name, obol_strerror(e), sizeof(m->name)) != OBOL_OK)
		m->name[0] = '\0';
	if (last_index) {
		m->last_index = *last_index;
		m->has_last_index = true;
	}
}

/* ---- issuer API ---- */

void coupon_spec_withdraw_req(struct coupon_spec *s, struct coupon_withdraw_req *m)
{
	spec_begin(s);
	struct obol_field *f = spec_add(s, "request_id", OBOL_FIELD_TEXT, m->request_id);
	f->min = 1;
	f->max = COUPON_REQUEST_ID_MAX;
	add_uint(s, "denom", &m->denom, 0, COUPON_DENOM_MAX);
	add_bytes(s, "blinded", m->blinded, &m->blinded_len, 64, COUPON_SIG_MAX);
}

void coupon_spec_withdraw_reply(struct coupon_spec *s, struct coupon_withdraw_reply *m)
{
	spec_begin(s);
	add_uint(s, "denom", &m->denom, 0, COUPON_DENOM_MAX);
	add_bytes(s, "blind_sig", m->blind_sig, &m->blind_sig_len, 64, COUPON_SIG_MAX);
}

void coupon_spec_lock_req(struct coupon_spec *s, struct coupon_lock_req *m)
{
	spec_begin(s);
	add_coin(s, &m->coin);
	add_fixed(s, "auth", m->auth, COUPON_AUTH_LEN);
	add_bytes(s, "cert", m->cert, &m->cert_len, 1, COUPON_CERT_MAX);
	add_int(s, "deadline", &m->deadline);
	add_fixed(s, "vendor_sig", m->vendor_sig, OBOL_SIGN_LEN);
}

void coupon_spec_settle_req(struct coupon_spec *s, struct coupon_settle_req *m)
{
	spec_begin(s);
	add_fixed(s, "coin_id", m->coin_id, COUPON_ID_LEN);
	add_uint(s, "index", &m->index, 0, OBOL_HASHCHAIN_MAX_N);
	add_fixed(s, "token", m->token, COUPON_ID_LEN);
	add_bool(s, "keep", &m->keep);
	add_bytes(s, "cert", m->cert, &m->cert_len, 1, COUPON_CERT_MAX);
	add_fixed(s, "vendor_sig", m->vendor_sig, OBOL_SIGN_LEN);
	add_fixed_opt(s, "lock", m->lock, COUPON_ID_LEN, &m->has_lock);
}

void coupon_spec_settle_reply(struct coupon_spec *s, struct coupon_settle_reply *m)
{
	spec_begin(s);
	add_fixed(s, "coin_id", m->coin_id, COUPON_ID_LEN);
	add_uint(s, "index", &m->index, 0, OBOL_HASHCHAIN_MAX_N);
	add_uint(s, "credited_tokens", &m->credited_tokens, 0, OBOL_HASHCHAIN_MAX_N);
	add_amount(s, "credited", &m->credited);
	add_bool(s, "locked", &m->locked);
	add_bool(s, "spent", &m->spent);
	add_fixed(s, "issuer_sig", m->issuer_sig, OBOL_SIGN_LEN);
	add_fixed_opt(s, "lock", m->lock, COUPON_ID_LEN, &m->has_lock);
}

void coupon_spec_status_req(struct coupon_spec *s, struct coupon_status_req *m)
{
	spec_begin(s);
	add_fixed(s, "coin_id", m->coin_id, COUPON_ID_LEN);
	add_bytes(s, "cert", m->cert, &m->cert_len, 1, COUPON_CERT_MAX);
	add_int(s, "time", &m->time);
	add_fixed(s, "vendor_sig", m->vendor_sig, OBOL_SIGN_LEN);
}

void coupon_spec_status_reply(struct coupon_spec *s, struct coupon_status_reply *m)
{
	spec_begin(s);
	add_fixed(s, "coin_id", m->coin_id, COUPON_ID_LEN);
	add_uint(s, "last_index", &m->last_index, 0, OBOL_HASHCHAIN_MAX_N);
	add_fixed(s, "last_token", m->last_token, COUPON_ID_LEN);
	add_uint(s, "credited_index", &m->credited_index, 0, OBOL_HASHCHAIN_MAX_N);
	add_bool(s, "locked", &m->locked);
	add_int(s, "locked_until", &m->locked_until);
	add_bool(s, "spent", &m->spent);
	add_fixed(s, "lock", m->lock, COUPON_ID_LEN);
}

void coupon_spec_coin_status_req(struct coupon_spec *s, struct coupon_coin_status_req *m)
{
	spec_begin(s);
	add_fixed(s, "box", m->box, COUPON_QUERY_LEN);
}

void coupon_spec_coin_status_reply(struct coupon_spec *s, struct coupon_coin_status_reply *m)
{
	spec_begin(s);
	add_bytes(s, "box", m->box, &m->box_len, 1, COUPON_STATUS_BOX_MAX);
}

void coupon_spec_coin_status(struct coupon_spec *s, struct coupon_coin_status *m)
{
	spec_begin(s);
	add_fixed(s, "coin_id", m->coin_id, COUPON_ID_LEN);
	add_fixed(s, "query", m->query, COUPON_ID_LEN);
	add_bool(s, "known", &m->known);
	add_uint(s, "last_index", &m->last_index, 0, OBOL_HASHCHAIN_MAX_N);
	add_uint(s, "credited_index", &m->credited_index, 0, OBOL_HASHCHAIN_MAX_N);
	add_bool(s, "locked", &m->locked);
	add_int(s, "locked_until", &m->locked_until);
}

void coupon_spec_refund_req(struct coupon_spec *s, struct coupon_refund_req *m)
{
	spec_begin(s);
	struct obol_field *f = spec_add(s, "request_id", OBOL_FIELD_TEXT, m->request_id);
	f->min = 1;
	f->max = COUPON_REQUEST_ID_MAX;
	add_coin(s, &m->coin);
	add_fixed(s, "box", m->box, COUPON_REFUND_LEN);
}

void coupon_spec_refund_reply(struct coupon_spec *s, struct coupon_refund_reply *m)
{
	spec_begin(s);
	add_fixed(s, "coin_id", m->coin_id, COUPON_ID_LEN);
	add_uint(s, "index", &m->index, 0, OBOL_HASHCHAIN_MAX_N);
	add_uint(s, "refunded_tokens", &m->refunded_tokens, 0, OBOL_HASHCHAIN_MAX_N);
	add_amount(s, "refunded", &m->refunded);
	add_uint(s, "account", &m->account, 0, INT64_MAX);
	add_fixed(s, "issuer_sig", m->issuer_sig, OBOL_SIGN_LEN);
}

/* ---- the coin message and the sealed authorisation ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void coupon_coin_message(uint8_t out[static COUPON_COIN_MSG_LEN], uint32_t denom,
			 const uint8_t coin_id[static COUPON_ID_LEN])
{
	size_t tag = sizeof(COUPON_COIN_TAG) - 1;
	memcpy(out, COUPON_COIN_TAG, tag);
	put_be32(out + tag, denom);
	memcpy(out + tag + 4, coin_id, COUPON_ID_LEN);
}

/* The sealed boxes to the issuer (authorisation, status query, refund): a
 * 4-byte magic, then fixed fields, in a libsodium sealed box. */
enum box_kind {
	BOX_RAW,   /* bytes */
	BOX_BE32,  /* uint32_t, big-endian */
	BOX_BE64,  /* uint64_t, big-endian */
	BOX_INDEX, /* uint64_t, big-endian, a chain index: below OBOL_HASHCHAIN_MAX_N */
};
struct box_part {
	void *p;
	size_t len;
	enum box_kind kind;
};
#define BOX_PLAIN_MAX 128
#define RAW(x, n) { (void *)(x), (n), BOX_RAW }
#define BE32(x) { (void *)(x), 4, BOX_BE32 }
#define BE64(x) { (void *)(x), 8, BOX_BE64 }
#define INDEX(x) { (void *)(x), 8, BOX_INDEX }

static obol_err box_seal(const char magic[static 4], const struct box_part *parts, size_t nparts,
			 const uint8_t pk[static OBOL_BOX_PK_LEN], uint8_t *out)
{
	uint8_t plain[BOX_PLAIN_MAX];
	size_t len = 4;
	memcpy(plain, magic, 4);
	for (size_t i = 0; i < nparts; len += parts[i++].len) {
		if (parts[i].kind == BOX_BE32)
			put_be32(plain + len, *(const uint32_t *)parts[i].p);
		else if (parts[i].kind != BOX_RAW)
			put_be64(plain + len, *(const uint64_t *)parts[i].p);
		else
			memcpy(plain + len, parts[i].p, parts[i].len);
	}
	obol_err e = obol_sealbox_seal(out, plain, len, pk);
	obol_wipe(plain, sizeof(plain));
	return e;
}

/* COUPON_AUTH_UNREADABLE when the box does not open, has another magic, or
 * names an index beyond any chain; nothing is filled then. */
static obol_err box_open(const char magic[static 4], const struct box_part *parts, size_t nparts, const uint8_t *box,
			 size_t box_len, const struct obol_box_opener *by)
{
	uint8_t plain[BOX_PLAIN_MAX];
	size_t off = 4;
	obol_err e = OBOL_E_COUPON_AUTH_UNREADABLE;
	if (box_len - OBOL_SEALBOX_OVERHEAD > sizeof(plain) || obol_sealbox_open_by(by, plain, box, box_len) != OBOL_OK ||
	    memcmp(plain, magic, 4) != 0)
		goto out;
	for (size_t i = 0; i < nparts; off += parts[i++].len)
		if (parts[i].kind == BOX_INDEX && get_be64(plain + off) >= OBOL_HASHCHAIN_MAX_N)
			goto out;
	off = 4;
	for (size_t i = 0; i < nparts; off += parts[i++].len) {
		const uint8_t *q = plain + off;
		if (parts[i].kind == BOX_BE32)
			*(uint32_t *)parts[i].p = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
		else if (parts[i].kind != BOX_RAW)
			*(uint64_t *)parts[i].p = get_be64(q);
		else
			memcpy(parts[i].p, q, parts[i].len);
	}
	e = OBOL_OK;
out:
	obol_wipe(plain, sizeof(plain));
	return e;
}

/* "OCA1" | coin id | p | token | T | H(C) */
#define AUTH_PARTS(a, t) \
	{ RAW((a)->coin_id, 32), INDEX(&(a)->index), RAW((a)->token, 32), BE64(t), RAW((a)->cert_hash, 32) }

obol_err coupon_auth_seal(const struct coupon_auth *a, const uint8_t issuer_box_pk[static OBOL_BOX_PK_LEN],
			  uint8_t out[static COUPON_AUTH_LEN])
{
	uint64_t t = (uint64_t)a->deadline;
	const struct box_part parts[] = AUTH_PARTS(a, &t);
	return box_seal(COUPON_AUTH_MAGIC, parts, OBOL_ARRAY_LEN(parts), issuer_box_pk, out);
}

obol_err coupon_auth_open_by(const uint8_t box[static COUPON_AUTH_LEN], const struct obol_box_opener *by,
			     struct coupon_auth *out)
{
	uint64_t t = 0;
	const struct box_part parts[] = AUTH_PARTS(out, &t);
	obol_err e = box_open(COUPON_AUTH_MAGIC, parts, OBOL_ARRAY_LEN(parts), box, COUPON_AUTH_LEN, by);
	out->deadline = (int64_t)t;
	return e;
}

obol_err coupon_auth_open(const uint8_t box[static COUPON_AUTH_LEN], const struct obol_box_keypair *kp,
			  struct coupon_auth *out)
{
	const struct obol_box_opener by = { .kp = kp };
	return coupon_auth_open_by(box, &by, out);
}

/* "OCQ1" | coin id | denom | q | token | reply key */
#define QUERY_PARTS(q) \
	{ RAW((q)->coin_id, 32), BE32(&(q)->denom), INDEX(&(q)->index), RAW((q)->token, 32), \
	  RAW((q)->reply_key, COUPON_REPLY_KEY_LEN) }

obol_err coupon_query_seal(const struct coupon_query *q, const uint8_t issuer_box_pk[static OBOL_BOX_PK_LEN],
			   uint8_t out[static COUPON_QUERY_LEN])
{
	const struct box_part parts[] = QUERY_PARTS(q);
	return box_seal(COUPON_QUERY_MAGIC, parts, OBOL_ARRAY_LEN(parts), issuer_box_pk, out);
}

obol_err coupon_query_open_by(const uint8_t box[static COUPON_QUERY_LEN], const struct obol_box_opener *by,
			      struct coupon_query *out)
{
	const struct box_part parts[] = QUERY_PARTS(out);
	return box_open(COUPON_QUERY_MAGIC, parts, OBOL_ARRAY_LEN(parts), box, COUPON_QUERY_LEN, by);
}

obol_err coupon_query_open(const uint8_t box[static COUPON_QUERY_LEN], const struct obol_box_keypair *kp,
			   struct coupon_query *out)
{
	const struct obol_box_opener by = { .kp = kp };
	return coupon_query_open_by(box, &by, out);
}

/* "OCF1" | coin id | p | token | account */
#define REFUND_PARTS(a) { RAW((a)->coin_id, 32), INDEX(&(a)->index), RAW((a)->token, 32), BE64(&(a)->account) }

obol_err coupon_refund_seal(const struct coupon_refund_auth *a, const uint8_t issuer_box_pk[static OBOL_BOX_PK_LEN],
			    uint8_t out[static COUPON_REFUND_LEN])
{
	const struct box_part parts[] = REFUND_PARTS(a);
	return box_seal(COUPON_REFUND_MAGIC, parts, OBOL_ARRAY_LEN(parts), issuer_box_pk, out);
}

obol_err coupon_refund_open_by(const uint8_t box[static COUPON_REFUND_LEN], const struct obol_box_opener *by,
			       struct coupon_refund_auth *out)
{
	const struct box_part parts[] = REFUND_PARTS(out);
	return box_open(COUPON_REFUND_MAGIC, parts, OBOL_ARRAY_LEN(parts), box, COUPON_REFUND_LEN, by);
}

obol_err coupon_refund_open(const uint8_t box[static COUPON_REFUND_LEN], const struct obol_box_keypair *kp,
			    struct coupon_refund_auth *out)
{
	const struct obol_box_opener by = { .kp = kp };
	return coupon_refund_open_by(box, &by, out);
}

obol_err coupon_coin_status_seal(const struct coupon_coin_status *st, const uint8_t key[static COUPON_REPLY_KEY_LEN],
				 struct coupon_coin_status_reply *out)
{
	struct coupon_coin_status copy = *st;
	struct coupon_spec spec;
	struct obol_filekey k;
	uint8_t plain[256], *sealed = NULL;
	size_t len, sealed_len;
	obol_err e;
	coupon_spec_coin_status(&spec, &copy);
	if ((e = obol_cbor_encode(&spec.fields, plain, sizeof(plain), &len)) != OBOL_OK)
		return e;
	obol_filekey_from_bytes(&k, key);
	e = obol_fileseal_seal(&k, plain, len, &sealed, &sealed_len);
	obol_filekey_wipe(&k);
	if (e != OBOL_OK)
		return e;
	if (sealed_len > sizeof(out->box))
		e = OBOL_E_INTERNAL;
	else {
		memcpy(out->box, sealed, sealed_len);
		out->box_len = sealed_len;
	}
	free(sealed);
	return e;
}

obol_err coupon_coin_status_open(const struct coupon_coin_status_reply *r, const uint8_t key[static COUPON_REPLY_KEY_LEN],
				 struct coupon_coin_status *out)
{
	struct coupon_spec spec;
	struct obol_filekey k;
	uint8_t *plain = NULL;
	size_t len = 0;
	obol_filekey_from_bytes(&k, key);
	obol_err e = obol_fileseal_open(&k, r->box, r->box_len, &plain, &len);
	obol_filekey_wipe(&k);
	if (e != OBOL_OK)
		return OBOL_E_COUPON_STATUS_REPLY_INVALID;
	memset(out, 0, sizeof(*out));
	coupon_spec_coin_status(&spec, out);
	e = obol_cbor_decode(plain, len, &spec.fields);
	obol_wipe(plain, len);
	free(plain);
	return e == OBOL_OK ? OBOL_OK : OBOL_E_COUPON_STATUS_REPLY_INVALID;
}

/* ---- signature digests ---- */

#define PART(p_, l_) ((struct obol_hash_part){ .p = (p_), .len = (l_) })

void coupon_digest_lock_req(uint8_t out[static OBOL_HASH_LEN], const struct coupon_lock_req *m,
			    const uint8_t cert_hash[static COUPON_ID_LEN])
{
	uint8_t denom[8], t[8];
	put_be64(denom, m->coin.denom);
	put_be64(t, (uint64_t)m->deadline);
	struct obol_hash_part parts[] = {
		PART(denom, 8), PART(m->coin.id, COUPON_ID_LEN), PART(m->coin.prefix, OBOL_BLINDRSA_PREFIX_LEN),
		PART(m->coin.sig, m->coin.sig_len), PART(m->auth, COUPON_AUTH_LEN), PART(cert_hash, COUPON_ID_LEN),
		PART(t, 8),
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

void coupon_digest_lock_reply(uint8_t out[static OBOL_HASH_LEN], const struct coupon_lock_reply *m,
			      const uint8_t cert_hash[static COUPON_ID_LEN])
{
	uint8_t idx[8], t[8];
	put_be64(idx, m->index);
	put_be64(t, (uint64_t)m->deadline);
	struct obol_hash_part parts[] = {
		PART(m->coin_id, COUPON_ID_LEN), PART(idx, 8), PART(m->token, COUPON_ID_LEN), PART(t, 8),
		PART(cert_hash, COUPON_ID_LEN),
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

void coupon_digest_settle_req(uint8_t out[static OBOL_HASH_LEN], const struct coupon_settle_req *m,
			      const uint8_t cert_hash[static COUPON_ID_LEN])
{
	uint8_t idx[8], keep = m->keep ? 1 : 0;
	put_be64(idx, m->index);
	struct obol_hash_part parts[] = {
		PART(m->coin_id, COUPON_ID_LEN), PART(idx, 8), PART(m->token, COUPON_ID_LEN), PART(&keep, 1),
		PART(cert_hash, COUPON_ID_LEN), PART(m->lock, COUPON_ID_LEN),
	};
	/* a legacy settle (no lock named) keeps its old digest */
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts) - (m->has_lock ? 0 : 1));
}

void coupon_digest_settle_reply(uint8_t out[static OBOL_HASH_LEN], const struct coupon_settle_reply *m,
				const uint8_t cert_hash[static COUPON_ID_LEN])
{
	uint8_t idx[8], cnt[8], flags[2] = { m->locked ? 1 : 0, m->spent ? 1 : 0 };
	char amt[OBOL_AMOUNT_STR_MAX];
	put_be64(idx, m->index);
	put_be64(cnt, m->credited_tokens);
	obol_amount_format(&m->credited, amt);
	struct obol_hash_part parts[] = {
		PART(m->coin_id, COUPON_ID_LEN), PART(idx, 8), PART(cnt, 8), PART(amt, strlen(amt)),
		PART(flags, 2), PART(cert_hash, COUPON_ID_LEN), PART(m->lock, COUPON_ID_LEN),
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts) - (m->has_lock ? 0 : 1));
}

void coupon_digest_status_req(uint8_t out[static OBOL_HASH_LEN], const struct coupon_status_req *m,
			      const uint8_t cert_hash[static COUPON_ID_LEN])
{
	uint8_t t[8];
	put_be64(t, (uint64_t)m->time);
	struct obol_hash_part parts[] = {
		PART(m->coin_id, COUPON_ID_LEN), PART(cert_hash, COUPON_ID_LEN), PART(t, 8),
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

void coupon_digest_refusal(uint8_t out[static OBOL_HASH_LEN], const struct coupon_refusal *r,
			   const uint8_t cert_hash[static COUPON_ID_LEN], const uint8_t box_hash[static COUPON_ID_LEN])
{
	uint8_t code[8], idx[8], t[8];
	put_be64(code, r->code);
	put_be64(idx, r->last_index);
	put_be64(t, (uint64_t)r->locked_until);
	struct obol_hash_part parts[] = {
		PART(code, 8), PART(r->coin_id, COUPON_ID_LEN), PART(idx, 8), PART(t, 8), PART(cert_hash, COUPON_ID_LEN),
		PART(box_hash, COUPON_ID_LEN),
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

bool coupon_refusal_names_state(uint64_t code)
{
	return code == OBOL_E_COUPON_INDEX_MISMATCH || code == OBOL_E_COUPON_COIN_LOCKED || code == OBOL_E_COUPON_COIN_SPENT;
}

void coupon_refusal_detail(const struct coupon_refusal *r, char *out, size_t cap)
{
	char sig[OBOL_B64_LEN(OBOL_SIGN_LEN)];
	if (obol_b64_encode(r->issuer_sig, OBOL_SIGN_LEN, sig, sizeof(sig)) != OBOL_OK)
		sig[0] = '\0';
	if (coupon_refusal_names_state(r->code))
		snprintf(out, cap, "last_index=%" PRIu64 " locked_until=%" PRId64 " sig=%s", r->last_index,
			 r->locked_until, sig);
	else
		snprintf(out, cap, "sig=%s", sig);
}

obol_err coupon_refusal_from_detail(const char *detail, struct coupon_refusal *r)
{
	unsigned long long last = 0;
	long long until = 0;
	char sig[OBOL_B64_LEN(OBOL_SIGN_LEN) + 1];
	size_t n;
	int used = 0;
	if (!detail)
		return OBOL_E_PEER_ERROR;
	if (strncmp(detail, "sig=", 4) == 0) {
		if (sscanf(detail, "sig=%88s%n", sig, &used) != 1)
			return OBOL_E_PEER_ERROR;
	} else if (sscanf(detail, "last_index=%llu locked_until=%lld sig=%88s%n", &last, &until, sig, &used) != 3) {
		return OBOL_E_PEER_ERROR;
	}
	if (detail[used] != '\0' || last > OBOL_HASHCHAIN_MAX_N ||
	    obol_b64_decode(sig, r->issuer_sig, OBOL_SIGN_LEN, &n, 1) != OBOL_OK)
		return OBOL_E_PEER_ERROR;
	r->last_index = last;
	r->locked_until = until;
	return OBOL_OK;
}

void coupon_error_from_refusal(struct coupon_error *m, const struct coupon_refusal *r)
{
	bool state = coupon_refusal_names_state(r->code);
	coupon_error_set(m, (obol_err)r->code, state ? &r->last_index : NULL);
	m->locked_until = r->locked_until;
	m->has_locked_until = state;
	memcpy(m->issuer_sig, r->issuer_sig, OBOL_SIGN_LEN);
	m->has_issuer_sig = true;
}

bool coupon_refusal_from_error(const struct coupon_error *m, const uint8_t coin_id[static COUPON_ID_LEN],
			       struct coupon_refusal *r)
{
	if (!m->has_issuer_sig || m->has_last_index != coupon_refusal_names_state(m->code) ||
	    m->has_locked_until != m->has_last_index)
		return false;
	memset(r, 0, sizeof(*r));
	r->code = m->code;
	memcpy(r->coin_id, coin_id, COUPON_ID_LEN);
	r->last_index = m->has_last_index ? m->last_index : 0;
	r->locked_until = m->has_locked_until ? m->locked_until : 0;
	memcpy(r->issuer_sig, m->issuer_sig, OBOL_SIGN_LEN);
	return true;
}

void coupon_digest_refund_reply(uint8_t out[static OBOL_HASH_LEN], const struct coupon_refund_reply *m)
{
	uint8_t idx[8], cnt[8], acc[8];
	char amt[OBOL_AMOUNT_STR_MAX];
	put_be64(idx, m->index);
	put_be64(cnt, m->refunded_tokens);
	put_be64(acc, m->account);
	obol_amount_format(&m->refunded, amt);
	struct obol_hash_part parts[] = {
		PART(m->coin_id, COUPON_ID_LEN), PART(idx, 8), PART(cnt, 8), PART(amt, strlen(amt)), PART(acc, 8),
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

/* ---- denominations, certificates, coins ---- */

obol_err coupon_denom_check(struct coupon_denom *d)
{
	if (!obol_currency_valid(d->value.currency) || obol_amount_is_negative(&d->value) ||
	    obol_amount_is_zero(&d->value) || d->n < 1 || d->n > OBOL_HASHCHAIN_MAX_N ||
	    d->valid_from > d->withdraw_until || d->withdraw_until > d->spend_until || d->spend_until > d->legal_end)
		return OBOL_E_COUPON_DENOM_CONFIG;
	if (obol_amount_div_exact(&d->token_value, &d->value, d->n) != OBOL_OK)
		return OBOL_E_COUPON_DENOM_CONFIG;
	return OBOL_OK;
}

obol_err coupon_tokens_for(const struct obol_amount *a, const struct obol_amount *tv, uint64_t *n)
{
	struct obol_amount whole;
	int cmp;
	obol_err e;
	if ((e = obol_amount_count_floor(a, tv, n)) != OBOL_OK || (e = obol_amount_mul(&whole, tv, *n)) != OBOL_OK ||
	    (e = obol_amount_cmp(&whole, a, &cmp)) != OBOL_OK)
		return e;
	if (cmp < 0)
		(*n)++;
	return OBOL_OK;
}

obol_err coupon_cert_open_obol(const uint8_t *cert, size_t len, const uint8_t issuer_pk[static OBOL_SIGN_PK_LEN],
			       struct coupon_cert *out)
{
	struct obol_vendor_cert c;
	if (obol_vendor_cert_decode(cert, len, &c) != OBOL_OK || c.valid_from >= c.valid_until ||
	    c.account > INT64_MAX)
		return OBOL_E_COUPON_CERT_INVALID;
	/* the signature alone (its chain at the present): validity is the
	 * caller's check, at its own now */
	if (obol_vendor_cert_verify_sig(&c, issuer_pk, obol_now()) != OBOL_OK)
		return OBOL_E_COUPON_CERT_INVALID;
	memset(out, 0, sizeof(*out));
	memcpy(out->vendor_pk, c.sign_pk, OBOL_SIGN_PK_LEN);
	out->vendor_account = (int64_t)c.account;
	out->valid_from = c.valid_from;
	out->valid_until = c.valid_until;
	obol_sha256(out->hash, cert, len);
	return OBOL_OK;
}

obol_err coupon_cert_check(coupon_cert_open_fn open, const uint8_t *cert, size_t len,
			   const uint8_t issuer_pk[static OBOL_SIGN_PK_LEN], int64_t now, struct coupon_cert *out)
{
	if (len == 0 || len > COUPON_CERT_MAX || open(cert, len, issuer_pk, out) != OBOL_OK)
		return OBOL_E_COUPON_CERT_INVALID;
	obol_sha256(out->hash, cert, len);
	if (now < out->valid_from || now >= out->valid_until)
		return OBOL_E_COUPON_CERT_EXPIRED;
	return OBOL_OK;
}

obol_err coupon_coin_verify(const struct coupon_coin *c, const struct coupon_denom *d)
{
	uint8_t prepared[OBOL_BLINDRSA_PREFIX_LEN + COUPON_COIN_MSG_LEN];
	if (c->denom != d->id)
		return OBOL_E_COUPON_COIN_SIGNATURE;
	memcpy(prepared, c->prefix, OBOL_BLINDRSA_PREFIX_LEN);
	coupon_coin_message(prepared + OBOL_BLINDRSA_PREFIX_LEN, d->id, c->id);
	if (obol_blindrsa_verify(d->key, prepared, sizeof(prepared), c->sig, c->sig_len) != OBOL_OK)
		return OBOL_E_COUPON_COIN_SIGNATURE;
	return OBOL_OK;
}
