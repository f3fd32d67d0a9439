/* The ecash bank key rotates (ecash_rotate.h). */
#include "issuer/ecash_rotate.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "issuer/signer.h"
#include "schemes/ecash/bank.h"

/* One row of ecash_bank_key and its announcement, when requested. */
struct bank_row {
	int64_t id, created;
	EVP_PKEY *k; /* private, or public once moved to the signing process */
	bool moved;
	uint8_t der[OBOL_KEY_PUB_MAX]; /* DER public key */
	size_t der_len;
	uint8_t kid[32];
	bool requested, announced; /* an announcement requested; signed by the master */
	struct obol_key_announce a;
};

static void rows_free(struct bank_row *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(r[i].k);
}

/* The announcement of row r's key (the signed one if any, else the last
 * requested). A database without the key tables has none. */
static obol_err row_announcement(struct obol_store *s, struct bank_row *r)
{
	struct obol_stmt *st = NULL;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT signed, sig FROM key_announcements WHERE key_id = ? AND kind = ?"
					  " ORDER BY serial", &st);
	if (e == OBOL_E_STORE_QUERY)
		return OBOL_OK; /* no component "keys" (a bare scheme test) */
	if (e == OBOL_OK)
		e = obol_stmt_bindf(st, "bi", r->kid, sizeof(r->kid), (int64_t)OBOL_KEY_ECASH_BANK);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_key_announce a;
		size_t len;
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		bool sig = !obol_stmt_column_is_null(st, 1);
		if ((e = obol_key_announce_from_signed_bytes(b, len, &a)) != OBOL_OK)
			break;
		if (r->announced)
			continue;
		r->requested = true;
		r->announced = sig;
		r->a = a;
	}
	obol_stmt_finish(st);
	return e;
}

/* x->der: the DER SubjectPublicKeyInfo of x->k (KEY_ANNOUNCE_INVALID when
 * it does not fit). */
static obol_err row_public_der(struct bank_row *x)
{
	uint8_t *pub = NULL;
	size_t pub_len = 0;
	obol_err e = obol_rsa_public_to_der(x->k, &pub, &pub_len);
	if (e != OBOL_OK)
		return e;
	if (pub_len > sizeof(x->der))
		e = OBOL_E_KEY_ANNOUNCE_INVALID;
	else
		memcpy(x->der, pub, pub_len);
	x->der_len = e == OBOL_OK ? pub_len : 0;
	OPENSSL_free(pub);
	return e;
}

/* The newest ECASH_ROTATE_ROWS bank keys, oldest first, with their
 * announcements. */
static obol_err rows_read(struct obol_store *s, struct bank_row *r, size_t *n)
{
	struct obol_stmt *st = NULL;
	bool row;
	*n = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT id, sk, created FROM ecash_bank_key ORDER BY id DESC LIMIT ?", &st);
	if (e == OBOL_OK)
		e = obol_stmt_bindf(st, "i", (int64_t)ECASH_ROTATE_ROWS);
	while (e == OBOL_OK && *n < ECASH_ROTATE_ROWS && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct bank_row *x = &r[*n];
		size_t len;
		const uint8_t *der = obol_stmt_column_blob(st, 1, &len);
		memset(x, 0, sizeof(*x));
		x->id = obol_stmt_column_int64(st, 0);
		x->created = obol_stmt_column_int64(st, 2);
		if (obol_rsa_private_from_der(der, len, &x->k) != OBOL_OK) {
			if ((e = obol_rsa_public_from_der(der, len, &x->k)) != OBOL_OK)
				break;
			x->moved = true;
		}
		(*n)++;
		if ((e = row_public_der(x)) != OBOL_OK)
			break;
		obol_sha256(x->kid, x->der, x->der_len);
	}
	obol_stmt_finish(st);
	/* oldest first */
	for (size_t i = 0; e == OBOL_OK && i < *n / 2; i++) {
		struct bank_row t = r[i];
		r[i] = r[*n - 1 - i];
		r[*n - 1 - i] = t;
	}
	for (size_t i = 0; e == OBOL_OK && i < *n; i++)
		e = row_announcement(s, &r[i]);
	if (e != OBOL_OK) {
		rows_free(r, *n);
		*n = 0;
	}
	return e;
}

/* How long what a bank key signed lives past its use: the longer of a
 * coin's and a certificate's lifetime, then the deposit window (the
 * scheme's settings, row 1, else ecash_bank_init's defaults). */
static obol_err accept_span(struct obol_store *s, const char *currency, EVP_PKEY *k, int64_t *span)
{
	struct ecash_bank b;
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = ecash_bank_init(&b, k, currency);
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_prepare(s, "SELECT coin_lifetime, cert_lifetime, deposit_window FROM ecash_bank_key"
				 " ORDER BY id LIMIT 1", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (obol_stmt_column_int64(st, 0) > 0)
			b.coin_lifetime = obol_stmt_column_int64(st, 0);
		if (obol_stmt_column_int64(st, 1) > 0)
			b.cert_lifetime = obol_stmt_column_int64(st, 1);
		if (obol_stmt_column_int64(st, 2) > 0)
			ecash_bank_set_deposit_window(&b, obol_stmt_column_int64(st, 2));
	}
	obol_stmt_finish(st);
	*span = (b.coin_lifetime > b.cert_lifetime ? b.coin_lifetime : b.cert_lifetime) + b.deposit_window;
	ecash_bank_clear(&b);
	return e;
}

/* The windows of the key after prev (NULL: the first key, drawn at
 * created). */
static void windows(const struct obol_key_announce *prev, int64_t created, int64_t use_s, int64_t span,
		    int64_t legal_s, int64_t now, struct obol_key_announce *a)
{
	if (prev == NULL)
		a->valid_from = created < now ? created : now;
	else
		a->valid_from = prev->use_until > now ? prev->use_until : now;
	a->use_until = a->valid_from + use_s;
	a->accept_until = a->use_until + span;
	a->legal_end = a->accept_until + legal_s;
}

/* Row x (id and created set), prev's successor, drawn in the signer's
 * store link names (RSA of prev's size): x holds its public half, as a key
 * moved by `issuer signer import`, and so does the row stored here
 * (ecash_bank_key.sk the public DER), so that no private bank key is ever
 * in this database once the issuer has a signer. */
static obol_err successor_in_signer(struct obol_store *s, const struct obol_signer_link *link, EVP_PKEY *prev,
				    struct bank_row *x)
{
	size_t len = 0;
	obol_err e = obol_signer_draw(link, OBOL_SIGNER_KEY_BANK, (unsigned)(obol_rsa_modulus_len(prev) * 8), x->der,
				      sizeof(x->der), &len);
	if (e == OBOL_OK)
		e = obol_rsa_public_from_der(x->der, len, &x->k);
	if (e != OBOL_OK)
		return e;
	x->der_len = len;
	x->moved = true;
	return obol_store_run(s, NULL, "INSERT INTO ecash_bank_key (id, sk, created) VALUES (?, ?, ?)", "ibi", x->id,
			      x->der, x->der_len, x->created);
}

obol_err ecash_rotate_plan(struct obol_store *s, const char *currency, int64_t bank_use_s, int64_t lookahead_s,
			   int64_t coin_legal_s, int64_t now, const struct obol_signer_link *link,
			   struct obol_key_announce *out, size_t cap, size_t *n, size_t *drawn)
{
	struct bank_row *r = calloc(ECASH_ROTATE_ROWS + ECASH_ROTATE_STEPS, sizeof(*r));
	size_t nr = 0;
	int64_t span = 0;
	*n = 0;
	*drawn = 0;
	obol_err e = r != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && (bank_use_s <= 0 || lookahead_s <= 0 || coin_legal_s < 0))
		e = OBOL_E_INVALID_ARGUMENT;
	if (e == OBOL_OK)
		e = rows_read(s, r, &nr);
	if (e != OBOL_OK || nr == 0)
		goto out;
	if ((e = accept_span(s, currency, r[0].k, &span)) != OBOL_OK)
		goto out;
	/* the windows of every key, announced or to announce, oldest first */
	for (size_t i = 0; i < nr; i++) {
		if (r[i].requested)
			continue;
		memset(&r[i].a, 0, sizeof(r[i].a));
		windows(i > 0 ? &r[i - 1].a : NULL, r[i].created, bank_use_s, span, coin_legal_s, now, &r[i].a);
	}
	/* successors while the newest stops signing within the lookahead */
	for (int step = 0; step < ECASH_ROTATE_STEPS && r[nr - 1].a.use_until < now + lookahead_s; step++) {
		struct bank_row *prev = &r[nr - 1], *x = &r[nr];
		uint8_t *der = NULL;
		size_t len = 0;
		memset(x, 0, sizeof(*x));
		x->id = prev->id + 1;
		x->created = now;
		if (link != NULL && link->linked) {
			if ((e = successor_in_signer(s, link, prev->k, x)) != OBOL_OK)
				break;
			nr++;
		} else {
			if ((e = obol_rsa_generate((unsigned)(obol_rsa_modulus_len(prev->k) * 8), &x->k)) != OBOL_OK)
				break;
			nr++;
			if ((e = obol_rsa_private_to_der(x->k, &der, &len)) == OBOL_OK)
				e = obol_store_run(s, NULL, "INSERT INTO ecash_bank_key (id, sk, created) VALUES (?, ?, ?)",
						   "ibi", x->id, der, len, now);
			obol_rsa_der_free(der, len);
			if (e == OBOL_OK)
				e = row_public_der(x);
		}
		if (e != OBOL_OK)
			break;
		windows(&prev->a, now, bank_use_s, span, coin_legal_s, now, &x->a);
		(*drawn)++;
	}
	for (size_t i = 0; e == OBOL_OK && i < nr; i++) {
		struct obol_key_announce *a;
		if (r[i].requested)
			continue;
		if (*n == cap) {
			e = OBOL_E_WIRE_OVERSIZED;
			break;
		}
		a = &out[(*n)++];
		*a = r[i].a;
		a->kind = OBOL_KEY_ECASH_BANK;
		if (strlen(currency) >= sizeof(a->currency)) {
			e = OBOL_E_AMOUNT_SYNTAX;
			break;
		}
		strcpy(a->currency, currency);
		memcpy(a->key, r[i].der, r[i].der_len);
		a->key_len = r[i].der_len;
	}
out:
	if (r != NULL)
		rows_free(r, nr);
	free(r);
	if (e != OBOL_OK)
		*n = 0;
	return e;
}

obol_err ecash_rotate_keys(struct obol_store *s, int64_t now, struct ecash_bank_keys *out, bool *moved)
{
	struct bank_row *r = calloc(ECASH_ROTATE_ROWS, sizeof(*r));
	size_t nr = 0, nann = 0;
	*moved = false;
	ecash_bank_keys_init(out);
	obol_err e = r != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = rows_read(s, r, &nr);
	if (e == OBOL_OK && nr == 0)
		e = OBOL_E_KEYS_UNKNOWN;
	for (size_t i = 0; e == OBOL_OK && i < nr; i++) {
		const struct obol_key_announce *a = &r[i].a;
		if (!r[i].announced)
			continue;
		nann++;
		if (now >= a->legal_end)
			continue; /* its coins are no longer refunded: of no use */
		if ((e = ecash_bank_keys_add(out, r[i].k, a->valid_from, a->use_until, a->accept_until, a->legal_end)) ==
		    OBOL_OK)
			*moved |= r[i].moved;
	}
	/* before the first ceremony: the first key, unbounded */
	if (e == OBOL_OK && nann == 0) {
		*moved = r[0].moved;
		e = ecash_bank_keys_one(out, r[0].k);
	}
	if (e != OBOL_OK)
		ecash_bank_keys_clear(out);
	if (r != NULL)
		rows_free(r, nr);
	free(r);
	return e;
}
