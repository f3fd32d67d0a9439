/* The vendor daemon as an ecash merchant (seed 002 §3.3.2, §3.3.3, §3.5.1):
 * payments are verified with no network (the bank key from the cached GET
 * /keys document, the cached revocation list), every accepted coin is stored
 * with its registry entry and its deposit queued in the outbox in the same
 * durable unit of work, and only then is the receipt sent.
 *
 * A payment is two messages from the wallet (merchant.h): PAY is checked in
 * full but for the new claims' signatures and kept in the link's session,
 * READY answers it; SIGN brings the signatures, and the coins are stored and
 * their deposit queued before the signed RECEIPT goes back.
 *
 * Vendor tables (component "ecash"):
 *   ecash_merchant  (id = 1, sk: our RSA key (PKCS#8 DER), cert: the bank's certificate JSON or NULL,
 *                    next_sk: the key a renewal is registering, until its certificate is kept)
 *   ecash_received  (serial, held: the coin and its chain, nonce n, sigma1 σ1, at,
 *                    outbox: the deposit's outbox row, result: the bank's answer,
 *                    expiry: the coin's, from component "ecash-vendor-prune"; NULL
 *                    for the coins received before; the prune reads it, prune.h)
 *   ecash_lists     (name "revocations": the list put together from the bank's
 *                    signed pages, JSON; refreshed in the background, ecash_vendor_rl.c)
 * At the first start the daemon registers its key with the bank (online,
 * authenticated as the vendor's account); later starts need no network, but
 * renew the key when its certificate has less than a quarter of its life
 * left and the bank answers (deposits queued under the old one still count:
 * the bank takes an expired depositor certificate of the same account). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "schemes/ecash/customer.h"
#include "schemes/ecash/messages.h"
#include "vendor/outbox.h"
#include "vendor/prune.h"
#include "vendor/receipt.h"
#include "vendor/ecash_vendor_int.h"
#include "vendor/vendor.h"
#include "vendor/vendor_files.h"
#include "wire/json.h"

_Static_assert(ECASH_MSG_HELLO >= OBOL_DL_ECASH_MIN && ECASH_MSG_SIGN <= OBOL_DL_ECASH_MAX,
	       "ecash frame types lie in the ecash range");

static const struct obol_migration ecash_vendor_steps[] = {
	{ "CREATE TABLE ecash_merchant (id BIGINT PRIMARY KEY, sk BYTEA NOT NULL, cert TEXT);"
	  "CREATE TABLE ecash_received (serial BYTEA PRIMARY KEY, held TEXT NOT NULL, nonce BYTEA NOT NULL,"
	  " sigma1 BYTEA NOT NULL, at BIGINT NOT NULL, outbox BIGINT NOT NULL, result TEXT);"
	  "CREATE TABLE ecash_lists (name TEXT PRIMARY KEY, body TEXT NOT NULL);",
	  NULL },
	{ "ALTER TABLE ecash_merchant ADD COLUMN next_sk BYTEA;", NULL },
};

obol_err ecash_vendor_migrate(struct obol_store *s)
{
	obol_err e = obol_store_migrate(s, "ecash", ecash_vendor_steps, OBOL_ARRAY_LEN(ecash_vendor_steps));
	return e == OBOL_OK ? obol_vendor_prune_ecash_migrate(s) : e;
}

/* ---- start: key, certificate, bank key, revocation list, registry ---- */

static obol_err exec1(struct obol_store *s, const char *sql, const void *b1, size_t l1, const char *t2)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	if (e != OBOL_OK)
		return e;
	if (b1 != NULL)
		e = obol_stmt_bind_blob(st, 1, b1, l1);
	if (e == OBOL_OK && t2 != NULL)
		e = obol_stmt_bind_text(st, b1 != NULL ? 2 : 1, t2);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

/* In its own transaction (start runs before the group committer). */
static obol_err exec_tx(struct obol_store *s, const char *sql, const void *b1, size_t l1, const char *t2)
{
	obol_err e = obol_store_begin(s);
	if (e != OBOL_OK)
		return e;
	e = exec1(s, sql, b1, l1, t2);
	if (e == OBOL_OK)
		return obol_store_commit(s);
	obol_store_rollback(s);
	return e;
}

static obol_err load_key(struct obol_store *s, struct ecash_vendor *ev, json_t **cert)
{
	struct obol_stmt *st;
	bool row;
	*cert = NULL;
	obol_err e = obol_stmt_prepare(s, "SELECT sk, cert FROM ecash_merchant WHERE id = 1", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *der = obol_stmt_column_blob(st, 0, &len);
		e = obol_rsa_private_from_der(der, len, &ev->sk);
		if (e == OBOL_OK && !obol_stmt_column_is_null(st, 1)) {
			json_error_t jerr;
			*cert = json_loads(obol_stmt_column_text(st, 1), 0, &jerr);
		}
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK || ev->sk != NULL)
		return e;
	/* First start: our merchant key pair. */
	uint8_t *der = NULL;
	size_t len = 0;
	if ((e = obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &ev->sk)) == OBOL_OK &&
	    (e = obol_rsa_private_to_der(ev->sk, &der, &len)) == OBOL_OK)
		e = exec_tx(s, "INSERT INTO ecash_merchant (id, sk, cert) VALUES (1, ?, NULL)", der, len, NULL);
	obol_rsa_der_free(der, len);
	return e;
}

/* §3.2 for the merchant: nonce, signed nonce under key sk, the bank's
 * certificate (*cert, JSON). */
static obol_err register_key(struct obol_vendor *v, EVP_PKEY *sk, json_t **cert)
{
	struct obol_http_client *c = NULL;
	struct ecash_nonce_reply nr;
	struct ecash_nonce_spec nsp;
	struct ecash_register_req m = { 0 };
	struct ecash_register_spec rsp;
	json_t *req = NULL, *rep = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	obol_err e = obol_vendor_issuer_client(v, &c);
	if (e == OBOL_OK && (req = json_pack("{s:s}", "purpose", "register")) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_http_post_json(c, "/ecash/nonce", req, OBOL_HTTP_AUTH, &rep);
	if (e == OBOL_OK) {
		ecash_nonce_reply_spec(&nsp, &nr);
		e = obol_json_decode(rep, &nsp.s);
	}
	json_decref(req);
	json_decref(rep);
	req = rep = NULL;
	if (e == OBOL_OK)
		e = obol_rsa_public_to_der(sk, &der, &len);
	if (e == OBOL_OK && len > sizeof(m.key))
		e = OBOL_E_ECASH_KEY_WEAK;
	if (e == OBOL_OK) {
		memcpy(m.nonce, nr.nonce, ECASH_NONCE_LEN);
		memcpy(m.key, der, len);
		m.key_len = len;
		e = ecash_customer_register_answer(sk, m.nonce, m.sig, &m.sig_len);
	}
	if (e == OBOL_OK) {
		ecash_register_req_spec(&rsp, &m);
		e = obol_json_encode(&rsp.s, &req);
	}
	if (e == OBOL_OK)
		e = obol_http_post_json(c, "/ecash/register", req, OBOL_HTTP_AUTH, &rep);
	if (e == OBOL_OK) {
		*cert = rep;
		rep = NULL;
	}
	OPENSSL_free(der);
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
	return e;
}

/* Registers our key (first start) and keeps its certificate. */
static obol_err first_register(struct obol_vendor *v, struct ecash_vendor *ev, struct obol_store *s, json_t **cert)
{
	char *text = NULL;
	obol_err e = register_key(v, ev->sk, cert);
	if (e == OBOL_OK && (text = obol_json_dump_canonical(*cert)) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = exec_tx(s, "UPDATE ecash_merchant SET cert = ? WHERE id = 1", NULL, 0, text);
	free(text);
	return e;
}

/* Whether the merchant key's certificate is due for renewal: less than a
 * quarter of its life left (or past its end). */
static bool merchant_renewal_due(const struct ecash_cert *cert, int64_t now)
{
	return cert->expiry - now < (cert->expiry - cert->issued) / 4;
}

/* Case 10 (renewal): a certificate with less than a quarter of its life
 * left is replaced by one on a new key, drawn and kept as next_sk first so
 * that a crash in between registers the same key again (the bank answers
 * the same certificate). On success *cert and *sk are the new ones (the
 * old *sk freed). */
static obol_err renew(struct obol_vendor *v, EVP_PKEY **sk, struct obol_store *s, json_t **cert)
{
	struct obol_stmt *st;
	bool row;
	EVP_PKEY *next = NULL;
	json_t *nc = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	char *text = NULL;
	obol_err e = obol_stmt_prepare(s, "SELECT next_sk FROM ecash_merchant WHERE id = 1 AND next_sk IS NOT NULL", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const uint8_t *d = obol_stmt_column_blob(st, 0, &len);
		e = obol_rsa_private_from_der(d, len, &next);
	}
	obol_stmt_finish(st);
	if (e == OBOL_OK && next == NULL && (e = obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &next)) == OBOL_OK &&
	    (e = obol_rsa_private_to_der(next, &der, &len)) == OBOL_OK)
		e = exec_tx(s, "UPDATE ecash_merchant SET next_sk = ? WHERE id = 1", der, len, NULL);
	obol_rsa_der_free(der, len);
	der = NULL;
	if (e == OBOL_OK)
		e = register_key(v, next, &nc);
	if (e == OBOL_OK && (text = obol_json_dump_canonical(nc)) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_store_begin(s);
	if (e == OBOL_OK) {
		e = obol_store_run(s, NULL, "UPDATE ecash_merchant SET sk = next_sk, cert = ?, next_sk = NULL WHERE id = 1",
				   "t", text);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	if (e == OBOL_OK) {
		EVP_PKEY_free(*sk);
		*sk = next;
		next = NULL;
		json_decref(*cert);
		*cert = nc;
		nc = NULL;
	}
	free(text);
	json_decref(nc);
	EVP_PKEY_free(next);
	return e;
}

obol_err ecash_vendor_registry_load(struct ecash_merchant *m, struct obol_store *s)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT serial FROM ecash_received", &st);
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *serial = obol_stmt_column_blob(st, 0, &len);
		if (len != ECASH_SERIAL_LEN || (e = ecash_merchant_remember(m, serial)) != OBOL_OK) {
			e = e == OBOL_OK ? OBOL_E_INTERNAL : e;
			break;
		}
	}
	obol_stmt_finish(st);
	return e;
}

static void ecash_vendor_stop(struct obol_vendor *v, void *state);

static obol_err ecash_vendor_start(struct obol_vendor *v, struct obol_store *s, void **state)
{
	struct ecash_vendor *ev = calloc(1, sizeof(*ev));
	json_t *keys = NULL, *certj = NULL;
	struct ecash_cert cert;
	int64_t window = 0, now = obol_now();
	obol_err e = ev ? ecash_vendor_migrate(s) : OBOL_E_NO_MEMORY;
	if (e != OBOL_OK) {
		free(ev);
		return e;
	}
	pthread_mutex_init(&ev->mu, NULL);
	*state = ev;
	/* The bank keys from the issuer's verified (possibly cached) key
	 * document: its announced bank keys with their windows (bank_keys.h). */
	const char *b64 = NULL;
	if (obol_vendor_issuer_keys(v, false, &keys) == OBOL_OK) {
		b64 = json_string_value(json_object_get(json_object_get(keys, "ecash"), "bank_key"));
		window = json_integer_value(json_object_get(json_object_get(keys, "ecash"), "deposit_window"));
	}
	if (b64 == NULL) {
		obol_log_warn("ecash: the issuer publishes no bank key; ecash payments are off");
		goto out;
	}
	if ((e = ecash_bank_keys_from_doc(keys, true, &ev->bank_pk)) != OBOL_OK)
		goto out;
	if ((e = load_key(s, ev, &certj)) != OBOL_OK)
		goto out;
	if (certj == NULL && (e = first_register(v, ev, s, &certj)) != OBOL_OK) {
		obol_log_warn("ecash: cannot register the merchant key with the bank (%s); ecash payments are off",
			      obol_strerror(e));
		e = OBOL_OK;
		goto out;
	}
	if ((e = ecash_cert_from_json(certj, &cert)) != OBOL_OK)
		goto out;
	if (merchant_renewal_due(&cert, now)) {
		obol_err r = renew(v, &ev->sk, s, &certj);
		if (r == OBOL_OK && (e = ecash_cert_from_json(certj, &cert)) != OBOL_OK)
			goto out;
		if (r == OBOL_OK)
			obol_log_info("ecash: merchant key renewed; the new certificate expires at %lld", (long long)cert.expiry);
		else
			obol_log_warn("ecash: the merchant key's certificate expires at %lld and could not be renewed: %s",
				      (long long)cert.expiry, obol_strerror(r));
	}
	if ((e = ecash_customer_init(&ev->me, ev->sk, &ev->bank_pk, &cert, cert.account, cert.issued)) != OBOL_OK)
		goto out;
	ecash_merchant_init(&ev->m, &ev->bank_pk, ev->sk, &cert);
	if (window > 0)
		ev->m.pol.transfer_max_age = window / 2;
	if ((e = ecash_vendor_rl_load(v, ev, s)) != OBOL_OK || (e = ecash_vendor_registry_load(&ev->m, s)) != OBOL_OK ||
	    (e = ecash_vendor_rl_start(v, ev)) != OBOL_OK)
		goto out;
	ev->ready = true;
	char hex[17];
	obol_hex_encode(ev->me.id, 8, hex);
	obol_log_info("ecash: merchant key %s, %zu coins received so far", hex, ev->m.nseen);
out:
	if (e != OBOL_OK) {
		ecash_vendor_stop(v, ev);
		*state = NULL;
	}
	json_decref(keys);
	json_decref(certj);
	return e;
}

static void ecash_vendor_stop(struct obol_vendor *v, void *state)
{
	struct ecash_vendor *ev = state;
	(void)v;
	if (ev == NULL)
		return;
	ecash_vendor_rl_stop(ev);
	ecash_merchant_free(&ev->m);
	EVP_PKEY_free(ev->sk);
	ecash_bank_keys_clear(&ev->bank_pk);
	pthread_mutex_destroy(&ev->mu);
	free(ev);
}

/* While the daemon runs (the vendor's renewal worker, src/vendor/renew.h):
 * the merchant key is renewed as at a start when due, on the vendor store
 * opened for it. The new key and certificate take the place of the old ones
 * between two payments (under ev->mu); the old key is retired in our
 * customer state, so the coins received under it stay ours to deposit. */
static void ecash_vendor_renew_running(struct obol_vendor *v, void *state, int64_t now)
{
	struct ecash_vendor *ev = state;
	struct obol_store *s = NULL;
	struct ecash_cert cur, cert;
	struct ecash_customer was;
	EVP_PKEY *nk = NULL;
	json_t *certj = NULL;
	char path[PATH_MAX], url[PATH_MAX + 8];
	obol_err e;
	if (ev == NULL || !ev->ready)
		return;
	pthread_mutex_lock(&ev->mu);
	cur = ev->me.cert;
	pthread_mutex_unlock(&ev->mu);
	if (!merchant_renewal_due(&cur, now))
		return;
	if ((e = obol_vendor_file_path(obol_vendor_dir(v), "vendor.db", path)) != OBOL_OK)
		goto out;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	if ((e = obol_store_open(url, false, &s)) != OBOL_OK || (e = renew(v, &nk, s, &certj)) != OBOL_OK ||
	    (e = ecash_cert_from_json(certj, &cert)) != OBOL_OK)
		goto out;
	pthread_mutex_lock(&ev->mu);
	was = ev->me;
	e = ecash_customer_init(&ev->me, nk, &ev->bank_pk, &cert, cert.account, cert.issued);
	if (e == OBOL_OK) {
		ev->me.pol = was.pol;
		ev->me.nretired = was.nretired;
		memcpy(ev->me.retired, was.retired, sizeof(ev->me.retired));
		ecash_customer_retire(&ev->me, was.id);
		ev->m.sk = nk;
		ev->m.cert = cert;
		ecash_key_id_der(cert.key, cert.key_len, ev->m.id);
		EVP_PKEY_free(ev->sk);
		ev->sk = nk;
		nk = NULL;
	} else {
		ev->me = was;
	}
	pthread_mutex_unlock(&ev->mu);
out:
	if (e == OBOL_OK)
		obol_log_info("ecash: merchant key renewed; the new certificate expires at %lld", (long long)cert.expiry);
	else
		obol_log_warn("ecash: the merchant key's certificate expires at %lld and could not be renewed: %s",
			      (long long)cur.expiry, obol_strerror(e));
	EVP_PKEY_free(nk);
	json_decref(certj);
	obol_store_close(s);
}

/* ---- sessions ---- */

/* A link's payment between PAY and SIGN. */
struct ecash_session {
	struct ecash_payment p;
	bool have;
	uint8_t pay_id[OBOL_RECEIPT_ID_LEN]; /* the PAY's body names the payment (vendor/receipt.h) */
};

static obol_err ecash_open(struct obol_vendor *v, void **session)
{
	(void)v;
	*session = calloc(1, sizeof(struct ecash_session));
	return *session ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static void ecash_close(struct obol_vendor *v, void *session)
{
	struct ecash_session *ss = session;
	(void)v;
	ecash_payment_clear(&ss->p);
	free(ss);
}

struct store_unit {
	const struct ecash_payment *p;
	const json_t *deposit;
	int64_t now;
};

obol_err ecash_vendor_received_add(struct obol_store *s, const struct ecash_payment *p, int64_t outbox_row,
				   int64_t now)
{
	obol_err e = OBOL_OK;
	for (size_t i = 0; e == OBOL_OK && i < p->ncoins; i++) {
		const struct ecash_held_coin *h = &p->coins[i];
		struct obol_stmt *st;
		json_t *j = NULL;
		char *text = NULL;
		bool row;
		if ((e = ecash_coins_to_json(h, 1, &j)) == OBOL_OK && (text = obol_json_dump_canonical(j)) == NULL)
			e = OBOL_E_NO_MEMORY;
		json_decref(j);
		if (e == OBOL_OK && (e = obol_stmt_prepare(s, "INSERT INTO ecash_received (serial, held, nonce, sigma1, at, "
							      "outbox, result, expiry) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
							      &st)) == OBOL_OK) {
			if ((e = obol_stmt_bind_blob(st, 1, h->coin.serial, ECASH_SERIAL_LEN)) == OBOL_OK &&
			    (e = obol_stmt_bind_text(st, 2, text)) == OBOL_OK &&
			    (e = obol_stmt_bind_blob(st, 3, p->nonce, ECASH_NONCE_LEN)) == OBOL_OK &&
			    (e = obol_stmt_bind_blob(st, 4, p->sigma1, p->sigma1_len)) == OBOL_OK &&
			    (e = obol_stmt_bind_int64(st, 5, now)) == OBOL_OK &&
			    (e = obol_stmt_bind_int64(st, 6, outbox_row)) == OBOL_OK &&
			    (e = obol_stmt_bind_int64(st, 7, h->coin.expiry)) == OBOL_OK)
				e = obol_stmt_step(st, &row);
			obol_stmt_finish(st);
		}
		free(text);
		if (e == OBOL_E_STORE_CONSTRAINT)
			e = OBOL_E_ECASH_COIN_ALREADY_HELD;
	}
	return e;
}

/* §3.5.1 registry rows and the deposit, in one durable unit. */
static obol_err store_payment(struct obol_store *s, void *arg)
{
	struct store_unit *u = arg;
	int64_t row_id = 0;
	obol_err e = obol_outbox_enqueue(s, "ecash", "deposit", "/ecash/deposit", u->deposit, 0, &row_id);
	return e == OBOL_OK ? ecash_vendor_received_add(s, u->p, row_id, u->now) : e;
}

/* The deposit request for the coins of a payment, signed now (§3.3.3, §5.5);
 * its nonce is also its idempotency key at the bank. */
static obol_err deposit_body(struct ecash_vendor *ev, const struct ecash_payment *p, json_t **out)
{
	struct ecash_deposit_req m = { 0 };
	struct ecash_deposit_req_spec sp;
	obol_random(m.nonce, sizeof(m.nonce));
	m.cert = ev->me.cert;
	m.coins = p->coins; /* borrowed for the encoding */
	m.ncoins = p->ncoins;
	obol_err e = ecash_customer_coins_answer(&ev->me, ECASH_ENTRY_DEPOSIT, m.nonce, m.coins, m.ncoins, NULL, m.sig,
						 &m.sig_len);
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &m, false)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_encode(&sp.s, out));
	return e;
}

obol_err ecash_vendor_bank_keys_refresh(struct obol_vendor *v, struct ecash_vendor *ev)
{
	json_t *keys = NULL;
	struct ecash_bank_keys fresh;
	size_t added = 0;
	obol_err e = obol_vendor_issuer_keys(v, true, &keys);
	if (e == OBOL_OK && (e = ecash_bank_keys_from_doc(keys, false, &fresh)) == OBOL_OK) {
		pthread_mutex_lock(&ev->mu);
		e = ecash_bank_keys_merge(&ev->bank_pk, &fresh, false, &added);
		pthread_mutex_unlock(&ev->mu);
		ecash_bank_keys_clear(&fresh);
	}
	json_decref(keys);
	if (added > 0)
		obol_log_info("ecash: %zu new bank key(s) from the issuer", added);
	return e;
}

/* PAY: every check but the new claims' signatures, with no network (but
 * for a coin or certificate under a bank key it does not know yet: the
 * issuer's keys are read again once); the payment waits in the session for
 * SIGN. */
static obol_err on_pay(struct obol_vendor *v, struct ecash_vendor *ev, struct ecash_session *ss, const uint8_t *body,
		       size_t len, struct obol_vendor_out *out)
{
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec sp;
	struct ecash_ready r;
	struct ecash_ready_spec rsp;
	obol_err e = ecash_payment_spec(&sp, &p, true);
	if (e == OBOL_OK)
		e = ecash_payment_done(&sp, obol_cbor_decode(body, len, &sp.s));
	if (e != OBOL_OK)
		return e;
	pthread_mutex_lock(&ev->mu);
	e = ecash_merchant_verify(&ev->m, &p, obol_now());
	pthread_mutex_unlock(&ev->mu);
	if (e == OBOL_E_ECASH_BANK_KEY_UNKNOWN && ecash_vendor_bank_keys_refresh(v, ev) == OBOL_OK) {
		pthread_mutex_lock(&ev->mu);
		e = ecash_merchant_verify(&ev->m, &p, obol_now());
		pthread_mutex_unlock(&ev->mu);
	}
	if (e != OBOL_OK) {
		obol_log_info("ecash: payment refused: %s", obol_strerror(e));
		ecash_payment_clear(&p);
		return e;
	}
	ecash_payment_clear(&ss->p);
	ss->p = p;
	ss->have = true;
	obol_receipt_payment_id(body, len, ss->pay_id);
	memcpy(r.nonce, p.nonce, ECASH_NONCE_LEN);
	ecash_ready_spec(&rsp, &r);
	return obol_vendor_out_add(out, ECASH_MSG_READY, &rsp.s);
}

/* SIGN: the signatures; then the coins and their deposit are stored in one
 * durable unit, and only then the signed receipt goes back. */
static obol_err on_sign(struct obol_vendor *v, struct ecash_vendor *ev, struct ecash_session *ss, const uint8_t *body,
			size_t len, struct obol_vendor_out *out)
{
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec sp;
	struct ecash_receipt rc;
	struct ecash_receipt_spec rsp;
	json_t *dep = NULL;
	obol_err e;
	if (!ss->have)
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	ecash_signatures_spec(&sp, &sg, true);
	if ((e = ecash_signatures_done(&sp, obol_cbor_decode(body, len, &sp.s))) != OBOL_OK)
		return e;
	if ((e = ecash_payment_attach(&ss->p, &sg)) != OBOL_OK) {
		ecash_signatures_clear(&sg);
		return e;
	}
	ss->have = false; /* one SIGN per PAY */
	pthread_mutex_lock(&ev->mu);
	int64_t now = obol_now();
	e = ecash_merchant_verify_sigs(&ev->m, &ss->p);
	if (e == OBOL_OK)
		e = deposit_body(ev, &ss->p, &dep);
	if (e == OBOL_OK) {
		struct store_unit u = { .p = &ss->p, .deposit = dep, .now = now };
		e = obol_vendor_run(v, store_payment, &u);
	}
	if (e == OBOL_OK)
		e = ecash_merchant_accept(&ev->m, &ss->p, &rc);
	pthread_mutex_unlock(&ev->mu);
	json_decref(dep);
	if (e == OBOL_OK) {
		const struct ecash_claim *sg1 = ecash_payment_signers(&ss->p);
		char v64[OBOL_AMOUNT_STR_MAX];
		obol_vendor_outbox_kick(v);
		obol_amount_format(&rc.value, v64);
		obol_log_info("ecash: accepted %s in %zu coin%s (%s)", v64, ss->p.ncoins, ss->p.ncoins == 1 ? "" : "s",
			      sg1->ncerts > 1 ? "ring" : "signed");
		ecash_receipt_spec(&rsp, &rc);
		if ((e = obol_vendor_out_add(out, ECASH_MSG_RECEIPT, &rsp.s)) == OBOL_OK)
			e = obol_vendor_receipt_add(v, out, &(struct obol_vendor_receipt_req){
				.scheme = "ecash", .amount = &rc.value, .units = 1, .pay_id = ss->pay_id });
	} else {
		obol_log_info("ecash: payment refused at its signatures: %s", obol_strerror(e));
	}
	ecash_payment_clear(&ss->p);
	return e;
}

static obol_err ecash_on_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body,
			       size_t body_len, struct obol_vendor_out *out)
{
	struct ecash_vendor *ev = obol_vendor_scheme_state(v, "ecash");
	struct ecash_session *ss = session;
	if (ev == NULL || !ev->ready)
		return OBOL_E_ECASH_NOT_REGISTERED;
	if (type == ECASH_MSG_HELLO) {
		struct ecash_hello h;
		struct ecash_hello_spec hsp;
		struct ecash_offer offer;
		struct ecash_offer_spec osp;
		ecash_hello_spec(&hsp, &h);
		obol_err e = obol_cbor_decode(body, body_len, &hsp.s);
		if (e != OBOL_OK)
			return e;
		pthread_mutex_lock(&ev->mu);
		e = ecash_merchant_offer(&ev->m, obol_vendor_price(v), obol_now(), &offer);
		pthread_mutex_unlock(&ev->mu);
		if (e != OBOL_OK)
			return e;
		ecash_offer_spec(&osp, &offer);
		return obol_vendor_out_add(out, ECASH_MSG_OFFER, &osp.s);
	}
	if (type == ECASH_MSG_PAY)
		return on_pay(v, ev, ss, body, body_len, out);
	if (type == ECASH_MSG_SIGN)
		return on_sign(v, ev, ss, body, body_len, out);
	return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
}

obol_err ecash_vendor_deposit_answered(struct obol_store *s, int64_t row_id, obol_err result, const json_t *reply)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = OBOL_OK;
	if (result != OBOL_OK) {
		obol_log_warn("ecash: deposit refused by the bank: %s", obol_strerror(result));
		if ((e = obol_stmt_prepare(s, "UPDATE ecash_received SET result = ? WHERE outbox = ?", &st)) != OBOL_OK)
			return e;
		if ((e = obol_stmt_bind_text(st, 1, obol_strerror(result))) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 2, row_id)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
		return e;
	}
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(reply, "results"), i, r) {
		const char *serial = json_string_value(json_object_get(r, "serial"));
		const char *name = json_string_value(json_object_get(r, "name"));
		uint8_t sb[ECASH_SERIAL_LEN];
		size_t n;
		if (serial == NULL || name == NULL || obol_b64_decode(serial, sb, sizeof(sb), &n, 1) != OBOL_OK)
			continue;
		if (strcmp(name, "OK") != 0)
			obol_log_warn("ecash: the bank refused coin %s: %s", serial, name);
		if ((e = obol_stmt_prepare(s, "UPDATE ecash_received SET result = ? WHERE serial = ?", &st)) != OBOL_OK)
			return e;
		if ((e = obol_stmt_bind_text(st, 1, name)) == OBOL_OK && (e = obol_stmt_bind_blob(st, 2, sb, n)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
		if (e != OBOL_OK)
			return e;
	}
	obol_log_info("ecash: deposit credited %s", json_string_value(json_object_get(reply, "credited")));
	return OBOL_OK;
}

/* The bank answered a queued deposit: note each coin's outcome. */
static obol_err ecash_outbox_done(struct obol_vendor *v, struct obol_store *s, int64_t row_id, const char *kind,
				  obol_err result, const json_t *reply)
{
	struct ecash_vendor *ev = obol_vendor_scheme_state(v, "ecash");
	(void)kind;
	/* The bank answered: if the list could not be fetched lately, now it can. */
	if (ev != NULL)
		ecash_vendor_rl_kick(ev);
	return ecash_vendor_deposit_answered(s, row_id, result, reply);
}

/* In process: the revocation list's refresh (no thread there). */
static void ecash_tick(struct obol_vendor *v, void *state)
{
	struct ecash_vendor *ev = state;
	(void)v;
	if (ev != NULL)
		ecash_vendor_rl_tick(ev);
}

OBOL_VENDOR_SCHEME(ecash_vendor_scheme, .name = "ecash", .type_min = OBOL_DL_ECASH_MIN, .type_max = OBOL_DL_ECASH_MAX,
		   .start = ecash_vendor_start, .stop = ecash_vendor_stop, .open = ecash_open, .on_frame = ecash_on_frame,
		   .close = ecash_close, .outbox_done = ecash_outbox_done, .tick = ecash_tick,
		   .renew = ecash_vendor_renew_running)
