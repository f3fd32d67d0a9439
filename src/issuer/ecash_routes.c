/* The bank's endpoints (seed 002 §3.2, §3.3.1, §3.3.3, §4, §5.3, §5.5, §6):
 *   POST /ecash/nonce        authenticated: {"purpose": "register"|"topup"} -> {"nonce", "expiry"}
 *   POST /ecash/register     authenticated, idempotent by nonce: {nonce, key, sig} -> certificate
 *   POST /ecash/topup        authenticated, idempotent by nonce: {nonce, cert, values[], sig}
 *                            -> {"coins": [...], "total"}; debits the account
 *   POST /ecash/deposit      authenticated, idempotent by nonce: {nonce, cert, coins, claims, sig}
 *                            -> {"results": [{serial, value, code, name, evidence?}], "credited"}
 *   GET  /ecash/revocations  the signed revocation list
 *   GET  /ecash/directory    the signed directory of registered certificates (ring members)
 * A deposit's nonce is drawn by the depositor (a vendor's outbox replays the
 * same body after a lost reply): the bank's spent registry and the request's
 * idempotency make a replay harmless, and the signature still binds the
 * depositor's certified key to the nonce and the coins. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/ecash_issuer.h"
#include "store/ledger.h"
#include "wire/json.h"

/* Consumes a bank nonce issued to `account` for `purpose`. */
static obol_err nonce_take(struct obol_store *s, const uint8_t nonce[static ECASH_NONCE_LEN], int64_t account,
			   const char *purpose, int64_t now)
{
	struct obol_stmt *st;
	bool row;
	int64_t expiry = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT expiry FROM ecash_nonces WHERE nonce = ? AND account = ? AND "
					  "purpose = ? AND used = 0", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, nonce, ECASH_NONCE_LEN)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, account)) == OBOL_OK && (e = obol_stmt_bind_text(st, 3, purpose)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row)
			e = OBOL_E_ECASH_NONCE_UNKNOWN;
		else
			expiry = obol_stmt_column_int64(st, 0);
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	if (now > expiry)
		return OBOL_E_ECASH_NONCE_EXPIRED;
	e = obol_stmt_prepare(s, "UPDATE ecash_nonces SET used = ? WHERE nonce = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, now)) == OBOL_OK && (e = obol_stmt_bind_blob(st, 2, nonce, ECASH_NONCE_LEN)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

static obol_err request_id_of(const uint8_t nonce[static ECASH_NONCE_LEN], char out[OBOL_B64_LEN(ECASH_NONCE_LEN)])
{
	return obol_b64_encode(nonce, ECASH_NONCE_LEN, out, OBOL_B64_LEN(ECASH_NONCE_LEN));
}

/* ---- POST /ecash/nonce ---- */

struct nonce_unit {
	int64_t account;
	const char *purpose;
	struct ecash_nonce_reply reply;
};

static obol_err nonce_insert(struct obol_store *s, void *arg)
{
	struct nonce_unit *u = arg;
	struct obol_stmt *st;
	bool row;
	obol_random(u->reply.nonce, ECASH_NONCE_LEN);
	u->reply.expiry = obol_now() + ECASH_NONCE_LIFETIME;
	obol_err e = obol_stmt_prepare(s, "INSERT INTO ecash_nonces (nonce, account, purpose, expiry, used) "
					  "VALUES (?, ?, ?, ?, 0)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, u->reply.nonce, ECASH_NONCE_LEN)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, u->account)) == OBOL_OK &&
	    (e = obol_stmt_bind_text(st, 3, u->purpose)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 4, u->reply.expiry)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

static obol_err post_nonce(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct ecash_nonce_req m;
	struct ecash_nonce_spec sp, rsp;
	struct nonce_unit u;
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e != OBOL_OK)
		return e;
	ecash_nonce_req_spec(&sp, &m);
	if ((e = obol_json_decode(req->json, &sp.s)) != OBOL_OK)
		return e;
	if (strcmp(m.purpose, "register") != 0 && strcmp(m.purpose, "topup") != 0) {
		obol_http_reply_detail(rep, "purpose is \"register\" or \"topup\"");
		return OBOL_E_INVALID_ARGUMENT;
	}
	u.account = acc.id;
	u.purpose = m.purpose;
	if ((e = obol_issuer_run(iss, nonce_insert, &u)) != OBOL_OK)
		return e;
	ecash_nonce_reply_spec(&rsp, &u.reply);
	return obol_json_encode(&rsp.s, &rep->body);
}
OBOL_ROUTE(route_ecash_nonce, "POST", "/ecash/nonce", post_nonce)

/* ---- POST /ecash/register ---- */

struct register_unit {
	struct ecash_issuer_state *st;
	int64_t account;
	struct ecash_register_req m;
};

static obol_err register_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct register_unit *u = arg;
	struct ecash_cert cert;
	struct obol_stmt *st;
	uint8_t id[ECASH_ID_LEN];
	char *text = NULL;
	bool row;
	int64_t now = obol_now();
	obol_err e = nonce_take(s, u->m.nonce, u->account, "register", now);
	if (e != OBOL_OK)
		return e;
	ecash_key_id_der(u->m.key, u->m.key_len, id);
	e = ecash_issuer_cert(s, id, &cert);
	if (e == OBOL_OK)
		return OBOL_E_ECASH_KEY_REGISTERED;
	if (e != OBOL_E_ECASH_NOT_REGISTERED)
		return e;
	e = ecash_bank_register(&u->st->bank, u->m.nonce, u->m.key, u->m.key_len, u->m.sig, u->m.sig_len, u->account,
				now, &cert);
	if (e == OBOL_OK)
		e = ecash_cert_to_json(&cert, reply);
	if (e != OBOL_OK)
		return e;
	text = obol_json_dump_canonical(*reply);
	if (text == NULL)
		return OBOL_E_NO_MEMORY;
	e = obol_stmt_prepare(s, "INSERT INTO ecash_certs (key_id, account, cert, issued, expiry) VALUES (?, ?, ?, ?, ?)",
			      &st);
	if (e == OBOL_OK) {
		if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 2, u->account)) == OBOL_OK && (e = obol_stmt_bind_text(st, 3, text)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 4, cert.issued)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 5, cert.expiry)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
	}
	free(text);
	return e;
}

static obol_err post_register(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct register_unit *u = calloc(1, sizeof(*u));
	struct ecash_register_spec sp;
	char rid[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = u ? obol_issuer_authenticate(iss, NULL, req, &acc) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = ecash_issuer_state(iss, &u->st);
	if (e == OBOL_OK) {
		ecash_register_req_spec(&sp, &u->m);
		e = obol_json_decode(req->json, &sp.s);
	}
	if (e == OBOL_OK)
		e = request_id_of(u->m.nonce, rid);
	if (e == OBOL_OK) {
		u->account = acc.id;
		e = obol_issuer_run_idem(iss, req, acc.id, rid, register_unit, u, rep);
	}
	free(u);
	return e;
}
OBOL_ROUTE(route_ecash_register, "POST", "/ecash/register", post_register)

/* The presented certificate must be the one the bank registered (not only
 * bank-signed: the registry is the bank's own record). */
static obol_err cert_is_registered(struct obol_store *s, const struct ecash_cert *c)
{
	struct ecash_cert reg;
	uint8_t id[ECASH_ID_LEN];
	ecash_key_id_der(c->key, c->key_len, id);
	obol_err e = ecash_issuer_cert(s, id, &reg);
	if (e != OBOL_OK)
		return e;
	if (reg.account != c->account || reg.sig_len != c->sig_len || memcmp(reg.sig, c->sig, c->sig_len) != 0)
		return OBOL_E_ECASH_CERT_SIGNATURE;
	return OBOL_OK;
}

/* ---- POST /ecash/topup ---- */

struct topup_unit {
	struct ecash_issuer_state *st;
	int64_t account;
	struct ecash_topup_req m;
	struct ecash_topup_reply r;
};

static obol_err coin_insert(struct obol_store *s, const struct ecash_coin *c, int64_t account)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "INSERT INTO ecash_coins (serial, account, units, issued, expiry, deposited) "
					  "VALUES (?, ?, ?, ?, ?, 0)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, c->serial, ECASH_SERIAL_LEN)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, account)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 3, c->value.units)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 4, c->issued)) == OBOL_OK && (e = obol_stmt_bind_int64(st, 5, c->expiry)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

static obol_err topup_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct topup_unit *u = arg;
	struct ecash_revocations rl;
	struct ecash_topup_reply_spec rsp;
	int64_t liability, now = obol_now();
	char ref[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = nonce_take(s, u->m.nonce, u->account, "topup", now);
	if (e == OBOL_OK)
		e = cert_is_registered(s, &u->m.cert);
	if (e != OBOL_OK)
		return e;
	if ((e = ecash_issuer_revocations(s, &rl)) != OBOL_OK)
		return e;
	e = ecash_bank_topup(&u->st->bank, &u->m.cert, &rl, u->m.nonce, u->m.values, u->m.nvalues, u->m.sig,
			     u->m.sig_len, now, u->r.coins, &u->r.total);
	ecash_revocations_clear(&rl);
	if (e != OBOL_OK)
		return e;
	u->r.ncoins = u->m.nvalues;
	/* The account pays; the bank now owes the coins' value (DESIGN §4). */
	if ((e = request_id_of(u->m.nonce, ref)) != OBOL_OK ||
	    (e = obol_account_liability(s, "ecash", &liability)) != OBOL_OK ||
	    (e = obol_ledger_transfer(s, u->account, liability, &u->r.total, "ecash-topup", ref, NULL)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < u->r.ncoins && e == OBOL_OK; i++)
		e = coin_insert(s, &u->r.coins[i], u->account);
	if (e != OBOL_OK)
		return e;
	ecash_topup_reply_spec(&rsp, &u->r);
	return obol_json_encode(&rsp.s, reply);
}

static obol_err post_topup(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct topup_unit *u = calloc(1, sizeof(*u));
	struct ecash_topup_req_spec sp;
	char rid[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = u ? obol_issuer_authenticate(iss, NULL, req, &acc) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = ecash_issuer_state(iss, &u->st);
	if (e == OBOL_OK) {
		ecash_topup_req_spec(&sp, &u->m);
		e = obol_json_decode(req->json, &sp.s);
	}
	if (e == OBOL_OK && u->m.cert.account != acc.id)
		e = OBOL_E_ECASH_WRONG_ACCOUNT;
	if (e == OBOL_OK)
		e = request_id_of(u->m.nonce, rid);
	if (e == OBOL_OK) {
		u->account = acc.id;
		e = obol_issuer_run_idem(iss, req, acc.id, rid, topup_unit, u, rep);
	}
	free(u);
	return e;
}
OBOL_ROUTE(route_ecash_topup, "POST", "/ecash/topup", post_topup)

/* ---- POST /ecash/deposit ---- */

struct deposit_unit {
	struct ecash_issuer_state *st;
	int64_t account;
	struct ecash_deposit_req m;
};

/* The spent-registry entry of a serial, if any (*found). */
static obol_err spent_get(struct obol_store *s, const uint8_t serial[static ECASH_SERIAL_LEN], struct ecash_spent *out,
			  bool *found)
{
	struct obol_stmt *st;
	bool row;
	*found = false;
	memset(out, 0, sizeof(*out));
	obol_err e = obol_stmt_prepare(s, "SELECT depositor, account, held, at FROM ecash_deposits WHERE serial = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, serial, ECASH_SERIAL_LEN)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK &&
	    row) {
		size_t len;
		const uint8_t *dep = obol_stmt_column_blob(st, 0, &len);
		struct ecash_held_coin *hc = NULL;
		size_t n = 0;
		json_error_t jerr;
		json_t *j = json_loads(obol_stmt_column_text(st, 2), 0, &jerr);
		if (len != ECASH_ID_LEN || j == NULL)
			e = OBOL_E_INTERNAL;
		else
			e = ecash_coins_from_json(j, &hc, &n, 1);
		json_decref(j);
		if (e == OBOL_OK && n == 1) {
			memcpy(out->depositor, dep, ECASH_ID_LEN);
			out->depositor_account = obol_stmt_column_int64(st, 1);
			out->at = obol_stmt_column_int64(st, 3);
			out->held = hc[0];
			*found = true;
		} else if (e == OBOL_OK) {
			e = OBOL_E_INTERNAL;
		}
		free(hc);
	}
	obol_stmt_finish(st);
	return e;
}

/* The account a serial was issued to: ECASH_COIN_SIGNATURE for a serial
 * this bank never issued. */
static obol_err issued_to(struct obol_store *s, const uint8_t serial[static ECASH_SERIAL_LEN], int64_t *account)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT account FROM ecash_coins WHERE serial = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, serial, ECASH_SERIAL_LEN)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		e = row ? (*account = obol_stmt_column_int64(st, 0), OBOL_OK) : OBOL_E_ECASH_COIN_SIGNATURE;
	obol_stmt_finish(st);
	return e;
}

static obol_err deposit_record(struct obol_store *s, const struct ecash_held_coin *h, const uint8_t depositor[static ECASH_ID_LEN],
			       int64_t account, int64_t now)
{
	struct obol_stmt *st;
	json_t *j = NULL;
	char *text = NULL;
	bool row;
	int64_t liability;
	char ref[OBOL_B64_LEN(ECASH_SERIAL_LEN)];
	obol_err e = ecash_coins_to_json(h, 1, &j);
	if (e == OBOL_OK && (text = obol_json_dump_canonical(j)) == NULL)
		e = OBOL_E_NO_MEMORY;
	json_decref(j);
	/* The bank pays what it owed: liability to the depositor's account. */
	if (e == OBOL_OK && (e = obol_b64_encode(h->coin.serial, ECASH_SERIAL_LEN, ref, sizeof(ref))) == OBOL_OK &&
	    (e = obol_account_liability(s, "ecash", &liability)) == OBOL_OK)
		e = obol_ledger_transfer(s, liability, account, &h->coin.value, "ecash-deposit", ref, NULL);
	if (e == OBOL_OK && (e = obol_stmt_prepare(s, "UPDATE ecash_coins SET deposited = ? WHERE serial = ? AND deposited = 0",
						   &st)) == OBOL_OK) {
		if ((e = obol_stmt_bind_int64(st, 1, now)) == OBOL_OK &&
		    (e = obol_stmt_bind_blob(st, 2, h->coin.serial, ECASH_SERIAL_LEN)) == OBOL_OK &&
		    (e = obol_stmt_step(st, &row)) == OBOL_OK && obol_stmt_changes(st) != 1)
			e = OBOL_E_INTERNAL;
		obol_stmt_finish(st);
	}
	if (e == OBOL_OK && (e = obol_stmt_prepare(s, "INSERT INTO ecash_deposits (serial, depositor, account, held, at) "
						      "VALUES (?, ?, ?, ?, ?)", &st)) == OBOL_OK) {
		if ((e = obol_stmt_bind_blob(st, 1, h->coin.serial, ECASH_SERIAL_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_blob(st, 2, depositor, ECASH_ID_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 3, account)) == OBOL_OK && (e = obol_stmt_bind_text(st, 4, text)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 5, now)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
	}
	free(text);
	return e;
}

/* Records a caught double spend; a culprit key that signed two claims is
 * revoked, so merchants that refresh their list refuse it from now on. */
static obol_err fraud_record(struct obol_store *s, const struct ecash_evidence *ev, const uint8_t depositor[static ECASH_ID_LEN],
			     const json_t *evj, int64_t now)
{
	struct obol_stmt *st;
	bool row;
	int64_t id = 1;
	char *text = obol_json_dump_canonical(evj);
	obol_err e = text ? obol_stmt_prepare(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM ecash_frauds", &st) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
			id = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	if (e == OBOL_OK && (e = obol_stmt_prepare(s, "INSERT INTO ecash_frauds (id, serial, kind, culprit_account, depositor, "
						      "evidence, at) VALUES (?, ?, ?, ?, ?, ?, ?)", &st)) == OBOL_OK) {
		if ((e = obol_stmt_bind_int64(st, 1, id)) == OBOL_OK &&
		    (e = obol_stmt_bind_blob(st, 2, ev->serial, ECASH_SERIAL_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_text(st, 3, ecash_fraud_kind_name(ev->kind))) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 4, ev->culprit_account)) == OBOL_OK &&
		    (e = obol_stmt_bind_blob(st, 5, depositor, ECASH_ID_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_text(st, 6, text)) == OBOL_OK && (e = obol_stmt_bind_int64(st, 7, now)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
	}
	free(text);
	if (e == OBOL_OK && ev->culprit_key_known)
		e = ecash_issuer_revoke(s, ev->culprit_key, "double spend", now);
	return e;
}

static obol_err deposit_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct deposit_unit *u = arg;
	struct ecash_revocations rl;
	struct obol_amount credited;
	uint8_t depositor[ECASH_ID_LEN];
	int64_t now = obol_now();
	json_t *results = NULL;
	obol_err e = cert_is_registered(s, &u->m.cert);
	if (e != OBOL_OK)
		return e;
	if ((e = ecash_issuer_revocations(s, &rl)) != OBOL_OK)
		return e;
	e = ecash_bank_deposit_auth(&u->st->bank, &u->m.cert, &rl, u->m.nonce, u->m.coins, u->m.ncoins, u->m.sig,
				    u->m.sig_len, now);
	if (e == OBOL_OK)
		e = obol_amount_zero(u->st->bank.max_coin.currency, &credited);
	if (e == OBOL_OK && (results = json_array()) == NULL)
		e = OBOL_E_NO_MEMORY;
	ecash_key_id_der(u->m.cert.key, u->m.cert.key_len, depositor);
	/* §3.3.3 per coin; a refused coin is reported, the others are credited. */
	for (size_t i = 0; e == OBOL_OK && i < u->m.ncoins; i++) {
		const struct ecash_held_coin *h = &u->m.coins[i];
		struct ecash_spent prev;
		struct ecash_evidence ev;
		bool found = false;
		int64_t owner = 0;
		json_t *evj = NULL;
		char serial[OBOL_B64_LEN(ECASH_SERIAL_LEN)], val[OBOL_AMOUNT_STR_MAX];
		obol_err r = issued_to(s, h->coin.serial, &owner);
		if (r == OBOL_OK)
			r = spent_get(s, h->coin.serial, &prev, &found);
		else
			memset(&prev, 0, sizeof(prev));
		if (r == OBOL_OK)
			r = ecash_bank_deposit_check(&u->st->bank, depositor, h, &rl, found ? &prev : NULL, owner, now, &ev);
		else
			memset(&ev, 0, sizeof(ev));
		if (r == OBOL_OK) {
			e = deposit_record(s, h, depositor, u->account, now);
			if (e == OBOL_OK)
				e = obol_amount_add(&credited, &credited, &h->coin.value);
		} else if (r == OBOL_E_ECASH_DOUBLE_SPENT) {
			e = ecash_evidence_to_json(&ev, &evj);
			if (e == OBOL_OK)
				e = fraud_record(s, &ev, depositor, evj, now);
		} else if (r == OBOL_E_NO_MEMORY || r == OBOL_E_STORE_QUERY || r == OBOL_E_STORE_BUSY ||
			   r == OBOL_E_STORE_CONFLICT || r == OBOL_E_INTERNAL) {
			e = r;
		}
		ecash_evidence_clear(&ev);
		ecash_held_clear(&prev.held);
		if (e == OBOL_OK && obol_b64_encode(h->coin.serial, ECASH_SERIAL_LEN, serial, sizeof(serial)) == OBOL_OK) {
			obol_amount_format(&h->coin.value, val);
			json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "serial", serial, "value", val, "code", (int)r, "name",
					      obol_strerror(r));
			if (o == NULL || (evj != NULL && json_object_set(o, "evidence", evj) != 0) ||
			    json_array_append_new(results, o) != 0)
				e = OBOL_E_NO_MEMORY;
		}
		json_decref(evj);
	}
	ecash_revocations_clear(&rl);
	if (e == OBOL_OK) {
		char c[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&credited, c);
		*reply = json_pack("{s:O, s:s}", "results", results, "credited", c);
		if (*reply == NULL)
			e = OBOL_E_NO_MEMORY;
	}
	json_decref(results);
	return e;
}

static obol_err post_deposit(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct deposit_unit *u = calloc(1, sizeof(*u));
	struct ecash_deposit_req_spec sp;
	char rid[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = u ? obol_issuer_authenticate(iss, NULL, req, &acc) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = ecash_issuer_state(iss, &u->st);
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &u->m, true)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_decode(req->json, &sp.s));
	if (e == OBOL_OK && u->m.cert.account != acc.id)
		e = OBOL_E_ECASH_WRONG_ACCOUNT;
	if (e == OBOL_OK)
		e = request_id_of(u->m.nonce, rid);
	if (e == OBOL_OK) {
		u->account = acc.id;
		e = obol_issuer_run_idem(iss, req, acc.id, rid, deposit_unit, u, rep);
	}
	if (u != NULL)
		ecash_deposit_req_clear(&u->m);
	free(u);
	return e;
}
OBOL_ROUTE(route_ecash_deposit, "POST", "/ecash/deposit", post_deposit)

/* ---- GET /ecash/revocations and /ecash/directory ---- */

struct list_read {
	struct ecash_revocations rl;
	struct ecash_directory dir;
	int64_t now;
};

static obol_err read_revocations(struct obol_store *s, void *arg)
{
	struct list_read *r = arg;
	return ecash_issuer_revocations(s, &r->rl);
}

static obol_err get_revocations(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct ecash_issuer_state *st;
	struct list_read r = { .now = obol_now() };
	struct ecash_revocations_spec sp;
	(void)req;
	obol_err e = ecash_issuer_state(iss, &st);
	if (e == OBOL_OK)
		e = obol_issuer_read(iss, read_revocations, &r);
	if (e == OBOL_OK) {
		r.rl.issued = r.now;
		e = ecash_bank_sign_revocations(&st->bank, &r.rl);
	}
	if (e == OBOL_OK && (e = ecash_revocations_spec(&sp, &r.rl, false)) == OBOL_OK)
		e = obol_json_encode(&sp.s, &rep->body);
	ecash_revocations_clear(&r.rl);
	return e;
}
OBOL_ROUTE(route_ecash_revocations, "GET", "/ecash/revocations", get_revocations)

static obol_err read_directory(struct obol_store *s, void *arg)
{
	struct list_read *r = arg;
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT cert FROM ecash_certs WHERE expiry > ? AND key_id NOT IN "
					  "(SELECT key_id FROM ecash_revoked) ORDER BY issued DESC", &st);
	if (e != OBOL_OK)
		return e;
	r->dir.certs = calloc(ECASH_DIRECTORY_MAX, sizeof(*r->dir.certs));
	if (r->dir.certs == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_stmt_bind_int64(st, 1, r->now);
	while (e == OBOL_OK && r->dir.n < ECASH_DIRECTORY_MAX && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		json_error_t jerr;
		json_t *j = json_loads(obol_stmt_column_text(st, 0), 0, &jerr);
		e = j ? ecash_cert_from_json(j, &r->dir.certs[r->dir.n]) : OBOL_E_INTERNAL;
		json_decref(j);
		if (e == OBOL_OK)
			r->dir.n++;
	}
	obol_stmt_finish(st);
	return e;
}

static obol_err get_directory(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct ecash_issuer_state *st;
	struct list_read r = { .now = obol_now() };
	struct ecash_directory_spec sp;
	(void)req;
	obol_err e = ecash_issuer_state(iss, &st);
	if (e == OBOL_OK)
		e = obol_issuer_read(iss, read_directory, &r);
	if (e == OBOL_OK) {
		r.dir.issued = r.now;
		e = ecash_bank_sign_directory(&st->bank, &r.dir);
	}
	if (e == OBOL_OK) {
		ecash_directory_spec(&sp, &r.dir, false);
		e = obol_json_encode(&sp.s, &rep->body);
	}
	ecash_directory_clear(&r.dir);
	return e;
}
OBOL_ROUTE(route_ecash_directory, "GET", "/ecash/directory", get_directory)
