/* The bank's storage operations for ecash (contracts in ecash_issuer.h):
 * nonces, certificates, issued coins, the spent registry, frauds. Each runs
 * inside the caller's transaction. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/ecash_issuer.h"
#include "store/ledger.h"
#include "wire/json.h"

/* Consumes a bank nonce issued to `account` for `purpose`. */
obol_err ecash_issuer_nonce_take(struct obol_store *s, const uint8_t nonce[static ECASH_NONCE_LEN], int64_t account,
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

obol_err ecash_issuer_cert_insert(struct obol_store *s, const struct ecash_cert *cert, json_t **json)
{
	struct obol_stmt *st;
	uint8_t id[ECASH_ID_LEN];
	char *text = NULL;
	bool row;
	obol_err e = ecash_cert_to_json(cert, json);
	if (e != OBOL_OK)
		return e;
	if ((text = obol_json_dump_canonical(*json)) == NULL)
		return OBOL_E_NO_MEMORY;
	ecash_key_id_der(cert->key, cert->key_len, id);
	e = obol_stmt_prepare(s, "INSERT INTO ecash_certs (key_id, account, cert, issued, expiry) VALUES (?, ?, ?, ?, ?)",
			      &st);
	if (e == OBOL_OK) {
		if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 2, cert->account)) == OBOL_OK &&
		    (e = obol_stmt_bind_text(st, 3, text)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 4, cert->issued)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 5, cert->expiry)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
	}
	free(text);
	return e;
}

/* The presented certificate must be the one the bank registered (not only
 * bank-signed: the registry is the bank's own record). */
obol_err ecash_issuer_cert_registered(struct obol_store *s, const struct ecash_cert *c)
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

obol_err ecash_issuer_issue_record(struct obol_store *s, int64_t account, const struct ecash_coin *coins, size_t n,
				   const struct obol_amount *total, const char *ref)
{
	int64_t liability;
	/* The account pays; the bank now owes the coins' value (DESIGN §4). */
	obol_err e = obol_account_liability(s, "ecash", &liability);
	if (e == OBOL_OK)
		e = obol_ledger_transfer(s, account, liability, total, "ecash-topup", ref, NULL);
	for (size_t i = 0; i < n && e == OBOL_OK; i++)
		e = coin_insert(s, &coins[i], account);
	return e;
}

/* The spent-registry entry of a serial, if any (*found). */
static obol_err spent_get(struct obol_store *s, const uint8_t serial[static ECASH_SERIAL_LEN], struct ecash_spent *out,
			  bool *found)
{
	struct obol_stmt *st;
	bool row;
	*found = false;
	memset(out, 0, sizeof(*out));
	obol_err e = obol_stmt_prepare(s, "SELECT depositor, account, held, at, refund FROM ecash_deposits WHERE serial = ?", &st);
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
			out->refund = obol_stmt_column_int64(st, 4) != 0;
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

/* Records the coin as spent by `depositor` (refund: redeemed after expiry)
 * and pays its value from the ecash liability to `account`. */
static obol_err deposit_record(struct obol_store *s, const struct ecash_held_coin *h,
			       const uint8_t depositor[static ECASH_ID_LEN], int64_t account, bool refund, int64_t now)
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
		e = obol_ledger_transfer(s, liability, account, &h->coin.value, refund ? "ecash-refund" : "ecash-deposit",
					 ref, NULL);
	if (e == OBOL_OK && (e = obol_stmt_prepare(s, "UPDATE ecash_coins SET deposited = ? WHERE serial = ? AND deposited = 0",
						   &st)) == OBOL_OK) {
		if ((e = obol_stmt_bind_int64(st, 1, now)) == OBOL_OK &&
		    (e = obol_stmt_bind_blob(st, 2, h->coin.serial, ECASH_SERIAL_LEN)) == OBOL_OK &&
		    (e = obol_stmt_step(st, &row)) == OBOL_OK && obol_stmt_changes(st) != 1)
			e = OBOL_E_INTERNAL;
		obol_stmt_finish(st);
	}
	if (e == OBOL_OK && (e = obol_stmt_prepare(s, "INSERT INTO ecash_deposits (serial, depositor, account, held, at, "
						      "refund) VALUES (?, ?, ?, ?, ?, ?)", &st)) == OBOL_OK) {
		if ((e = obol_stmt_bind_blob(st, 1, h->coin.serial, ECASH_SERIAL_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_blob(st, 2, depositor, ECASH_ID_LEN)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 3, account)) == OBOL_OK && (e = obol_stmt_bind_text(st, 4, text)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 5, now)) == OBOL_OK && (e = obol_stmt_bind_int64(st, 6, refund)) == OBOL_OK)
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

void ecash_issuer_deposit_verify(const struct ecash_issuer_state *st, const struct ecash_deposit_req *m,
				 const struct ecash_revocations *rl, int64_t now, obol_err *verified)
{
	uint8_t depositor[ECASH_ID_LEN];
	ecash_key_id_der(m->cert.key, m->cert.key_len, depositor);
	for (size_t i = 0; i < m->ncoins; i++)
		verified[i] = ecash_bank_deposit_verify(&st->bank, depositor, &m->coins[i], rl, now);
}

/* Whether an error is about the coin (reported) or about the bank (fatal). */
static bool coin_error(obol_err r)
{
	return r != OBOL_E_NO_MEMORY && r != OBOL_E_STORE_QUERY && r != OBOL_E_STORE_BUSY &&
	       r != OBOL_E_STORE_CONFLICT && r != OBOL_E_INTERNAL;
}

void ecash_issuer_refund_verify(const struct ecash_issuer_state *st, const struct ecash_deposit_req *m,
				const struct ecash_revocations *rl, int64_t now, obol_err *verified)
{
	uint8_t holder[ECASH_ID_LEN];
	ecash_key_id_der(m->cert.key, m->cert.key_len, holder);
	for (size_t i = 0; i < m->ncoins; i++)
		verified[i] = ecash_bank_refund_verify(&st->bank, holder, &m->coins[i], rl, now);
}

/* A deposit's (refund false) or a refund's registry step and bookkeeping. */
static obol_err coins_record(struct obol_store *s, const struct ecash_deposit_req *m, int64_t account, bool refund,
			     const obol_err *verified, const char *currency, int64_t now, json_t **reply)
{
	struct obol_amount credited;
	uint8_t depositor[ECASH_ID_LEN];
	json_t *results = json_array();
	obol_err e = results ? obol_amount_zero(currency, &credited) : OBOL_E_NO_MEMORY;
	ecash_key_id_der(m->cert.key, m->cert.key_len, depositor);
	/* §3.3.3 per coin; a refused coin is reported, the others are credited. */
	for (size_t i = 0; e == OBOL_OK && i < m->ncoins; i++) {
		const struct ecash_held_coin *h = &m->coins[i];
		struct ecash_spent prev;
		struct ecash_evidence ev;
		bool found = false;
		int64_t owner = 0;
		json_t *evj = NULL;
		char serial[OBOL_B64_LEN(ECASH_SERIAL_LEN)], val[OBOL_AMOUNT_STR_MAX];
		memset(&prev, 0, sizeof(prev));
		memset(&ev, 0, sizeof(ev));
		obol_err r = verified[i];
		if (r == OBOL_OK)
			r = issued_to(s, h->coin.serial, &owner);
		if (r == OBOL_OK)
			r = spent_get(s, h->coin.serial, &prev, &found);
		if (r == OBOL_OK && refund)
			r = ecash_bank_refund_registry(depositor, account, h, found ? &prev : NULL, owner, &ev);
		else if (r == OBOL_OK)
			r = ecash_bank_deposit_registry(depositor, h, found ? &prev : NULL, owner, &ev);
		if (r == OBOL_OK) {
			e = deposit_record(s, h, depositor, account, refund, now);
			if (e == OBOL_OK)
				e = obol_amount_add(&credited, &credited, &h->coin.value);
		} else if (r == OBOL_E_ECASH_DOUBLE_SPENT) {
			e = ecash_evidence_to_json(&ev, &evj);
			if (e == OBOL_OK)
				e = fraud_record(s, &ev, depositor, evj, now);
		} else if (!coin_error(r)) {
			e = r;
		}
		ecash_evidence_clear(&ev);
		ecash_held_clear(&prev.held);
		if (e == OBOL_OK && (e = obol_b64_encode(h->coin.serial, ECASH_SERIAL_LEN, serial, sizeof(serial))) == OBOL_OK) {
			obol_amount_format(&h->coin.value, val);
			json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "serial", serial, "value", val, "code", (int)r, "name",
					      obol_strerror(r));
			if (o == NULL || (evj != NULL && json_object_set(o, "evidence", evj) != 0) ||
			    json_array_append_new(results, o) != 0)
				e = OBOL_E_NO_MEMORY;
		}
		json_decref(evj);
	}
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

obol_err ecash_issuer_deposit_record(struct obol_store *s, const struct ecash_deposit_req *m, int64_t account,
				     const obol_err *verified, const char *currency, int64_t now, json_t **reply)
{
	return coins_record(s, m, account, false, verified, currency, now, reply);
}

obol_err ecash_issuer_refund_record(struct obol_store *s, const struct ecash_deposit_req *m, int64_t account,
				    const obol_err *verified, const char *currency, int64_t now, json_t **reply)
{
	return coins_record(s, m, account, true, verified, currency, now, reply);
}
