/* The bank's storage operations for ecash (contracts in ecash_issuer.h):
 * nonces, certificates, issued coins, the spent registry, frauds. Each runs
 * inside the caller's transaction: it reads what a decision of
 * src/schemes/ecash/bank.c needs, and applies what the decision says. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/ecash_issuer.h"
#include "store/ledger.h"
#include "wire/json.h"

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
	if ((e = obol_stmt_bindf(st, "bit", nonce, (size_t)ECASH_NONCE_LEN, account, purpose)) == OBOL_OK &&
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
	return obol_store_run(s, NULL, "UPDATE ecash_nonces SET used = ? WHERE nonce = ?", "ib", now, nonce,
			      (size_t)ECASH_NONCE_LEN);
}

obol_err ecash_issuer_cert(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN], struct ecash_cert *out)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT cert FROM ecash_certs WHERE key_id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row) {
			e = OBOL_E_ECASH_NOT_REGISTERED;
		} else {
			json_error_t jerr;
			json_t *j = json_loads(obol_stmt_column_text(st, 0), 0, &jerr);
			e = j ? ecash_cert_from_json(j, out) : OBOL_E_INTERNAL;
			json_decref(j);
		}
	}
	obol_stmt_finish(st);
	return e;
}

obol_err ecash_issuer_account_keys(struct obol_store *s, int64_t account, int64_t now, size_t *live, bool *barred)
{
	struct obol_stmt *st;
	bool row = false;
	*live = 0;
	*barred = false;
	obol_err e = obol_stmt_prepare(s, "SELECT COUNT(*) FROM ecash_certs WHERE account = ? AND expiry > ? AND NOT EXISTS"
					  " (SELECT 1 FROM ecash_revoked r WHERE r.key_id = ecash_certs.key_id)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "ii", account, now)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*live = (size_t)obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	if (e != OBOL_OK || (e = obol_stmt_prepare(s, "SELECT 1 FROM ecash_barred WHERE account = ?", &st)) != OBOL_OK)
		return e;
	row = false;
	if ((e = obol_stmt_bind_int64(st, 1, account)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	*barred = row;
	return e;
}

obol_err ecash_issuer_cert_insert(struct obol_store *s, const struct ecash_cert *cert, json_t **json)
{
	struct obol_stmt *st;
	uint8_t id[ECASH_ID_LEN];
	char *text = NULL;
	bool row;
	int64_t seq = 0;
	obol_err e = ecash_cert_to_json(cert, json);
	if (e != OBOL_OK)
		return e;
	if ((text = obol_json_dump_canonical(*json)) == NULL)
		return OBOL_E_NO_MEMORY;
	ecash_key_id_der(cert->key, cert->key_len, id);
	/* Next in the order of registration; two registrations racing on
	 * PostgreSQL meet at the unique index and one is run again. */
	if ((e = obol_stmt_prepare(s, "SELECT COALESCE(MAX(seq), -1) + 1 FROM ecash_certs", &st)) == OBOL_OK) {
		if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
			seq = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO ecash_certs (key_id, account, cert, issued, expiry, seq) VALUES (?, ?, ?, ?, ?, ?)",
				   "bitiii", id, (size_t)ECASH_ID_LEN, cert->account, text, cert->issued, cert->expiry, seq);
	free(text);
	return e == OBOL_E_STORE_CONSTRAINT ? OBOL_E_STORE_CONFLICT : e;
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

static obol_err coin_insert(struct obol_store *s, const struct ecash_coin *c, int64_t account,
			    const uint8_t key_id[static ECASH_ID_LEN])
{
	return obol_store_run(s, NULL,
			      "INSERT INTO ecash_coins (serial, account, units, issued, expiry, deposited, owner, key_id) "
			      "VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
			      "biiiibb", c->serial, (size_t)ECASH_SERIAL_LEN, account, c->value.units, c->issued, c->expiry,
			      c->owner, (size_t)ECASH_OWNER_LEN, key_id, (size_t)ECASH_ID_LEN);
}

obol_err ecash_issuer_issue_record(struct obol_store *s, int64_t account, const uint8_t key_id[static ECASH_ID_LEN],
				   const struct ecash_coin *coins, size_t n, const struct obol_amount *total,
				   const char *ref)
{
	int64_t liability;
	/* The account pays; the bank now owes the coins' value (DESIGN §4). */
	obol_err e = obol_account_liability(s, "ecash", &liability);
	if (e == OBOL_OK)
		e = obol_ledger_transfer(s, account, liability, total, "ecash-topup", ref, NULL);
	for (size_t i = 0; i < n && e == OBOL_OK; i++)
		e = coin_insert(s, &coins[i], account, key_id);
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
	obol_err e = obol_stmt_prepare(s, "SELECT depositor, account, held, at, kind, disclosed FROM ecash_deposits "
					  "WHERE serial = ?", &st);
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
			out->kind = (enum ecash_entry_kind)obol_stmt_column_int64(st, 4);
			out->disclosed = obol_stmt_column_int64(st, 5) != 0;
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

/* The account a serial was issued to and the key whose top-up named its
 * owner (*has_key false for a coin issued before that was kept):
 * ECASH_COIN_SIGNATURE for a serial this bank never issued. */
static obol_err issued_to(struct obol_store *s, const uint8_t serial[static ECASH_SERIAL_LEN], int64_t *account,
			  uint8_t key[static ECASH_ID_LEN], bool *has_key)
{
	struct obol_stmt *st;
	bool row;
	*has_key = false;
	obol_err e = obol_stmt_prepare(s, "SELECT account, key_id FROM ecash_coins WHERE serial = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, serial, ECASH_SERIAL_LEN)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row) {
			e = OBOL_E_ECASH_COIN_SIGNATURE;
		} else {
			size_t len = 0;
			const uint8_t *k = obol_stmt_column_is_null(st, 1) ? NULL : obol_stmt_column_blob(st, 1, &len);
			*account = obol_stmt_column_int64(st, 0);
			if (k != NULL && len == ECASH_ID_LEN) {
				memcpy(key, k, ECASH_ID_LEN);
				*has_key = true;
			}
		}
	}
	obol_stmt_finish(st);
	return e;
}

/* The account a key is registered to (0 when the bank does not know it). */
static obol_err key_account(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN], int64_t *account)
{
	struct obol_stmt *st;
	bool row;
	*account = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT account FROM ecash_certs WHERE key_id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*account = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

/* Records the coin in the spent registry and retires it from the
 * outstanding ones. A concurrent transaction that recorded it first (two
 * issuer processes on PostgreSQL) is STORE_CONFLICT: the unit runs again and
 * then finds the entry, and answers as the registry says. */
static obol_err entry_record(struct obol_store *s, const struct ecash_held_coin *h,
			     const uint8_t requester[static ECASH_ID_LEN], int64_t account, enum ecash_entry_kind kind,
			     bool disclosed, int64_t now)
{
	json_t *j = NULL;
	char *text = NULL;
	int64_t changed = 0;
	obol_err e = ecash_coins_to_json(h, 1, &j);
	if (e == OBOL_OK && (text = obol_json_dump_canonical(j)) == NULL)
		e = OBOL_E_NO_MEMORY;
	json_decref(j);
	if (e == OBOL_OK)
		e = obol_store_run(s, &changed, "UPDATE ecash_coins SET deposited = ? WHERE serial = ? AND deposited = 0", "ib",
				   now, h->coin.serial, (size_t)ECASH_SERIAL_LEN);
	if (e == OBOL_OK && changed != 1)
		e = OBOL_E_STORE_CONFLICT;
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO ecash_deposits (serial, depositor, account, held, at, refund, kind, disclosed)"
				   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				   "bbitiiii", h->coin.serial, (size_t)ECASH_SERIAL_LEN, requester, (size_t)ECASH_ID_LEN,
				   account, text, now, (int64_t)(kind == ECASH_ENTRY_REFUND), (int64_t)kind,
				   (int64_t)disclosed);
	free(text);
	return e == OBOL_E_STORE_CONSTRAINT ? OBOL_E_STORE_CONFLICT : e;
}

/* Pays `value` from the ecash liability to `account`. */
static obol_err pay_out(struct obol_store *s, int64_t account, const struct obol_amount *value, const char *reason,
			const uint8_t *ref, size_t ref_len)
{
	int64_t liability;
	char r[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = obol_b64_encode(ref, ref_len, r, sizeof(r));
	if (e == OBOL_OK && (e = obol_account_liability(s, "ecash", &liability)) == OBOL_OK)
		e = obol_ledger_transfer(s, liability, account, value, reason, r, NULL);
	return e;
}

/* A withdrawal's target: an open user or vendor account. */
static obol_err target_ok(struct obol_store *s, int64_t to)
{
	struct obol_account acc;
	obol_err e = obol_account_get(s, to, &acc);
	if (e != OBOL_OK)
		return e == OBOL_E_NOT_FOUND ? OBOL_E_LEDGER_ACCOUNT_UNKNOWN : e;
	if (acc.kind != OBOL_ACCOUNT_USER && acc.kind != OBOL_ACCOUNT_VENDOR)
		return OBOL_E_LEDGER_ACCOUNT_UNKNOWN;
	return acc.status == OBOL_ACCOUNT_ACTIVE ? OBOL_OK : OBOL_E_LEDGER_ACCOUNT_CLOSED;
}

/* Records a caught double spend; a proven culprit's keys are all revoked
 * and its account barred, so merchants that refresh their list refuse it
 * from now on (what it signed before stays good). */
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
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO ecash_frauds (id, serial, kind, culprit_account, depositor, evidence, at)"
				   " VALUES (?, ?, ?, ?, ?, ?, ?)",
				   "ibtibti", id, ev->serial, (size_t)ECASH_SERIAL_LEN, ecash_fraud_kind_name(ev->kind),
				   ev->culprit_account, depositor, (size_t)ECASH_ID_LEN, text, now);
	free(text);
	if (e == OBOL_OK && ev->culprit_account != 0)
		e = ecash_issuer_revoke_account(s, ev->culprit_account, "double spend", now);
	return e == OBOL_E_STORE_CONSTRAINT ? OBOL_E_STORE_CONFLICT : e;
}

/* Whether an error is about the coin (reported) or about the bank (fatal). */
static bool coin_error(obol_err r)
{
	return r != OBOL_E_NO_MEMORY && r != OBOL_E_STORE_QUERY && r != OBOL_E_STORE_BUSY &&
	       r != OBOL_E_STORE_CONFLICT && r != OBOL_E_INTERNAL;
}

/* One coin: the lookups, the registry's decision, its effects. *credit is
 * set when its value is to be paid (deposit, refund); *fresh holds the
 * exchange's new coin (*has_fresh). */
static obol_err coin_unit(struct obol_store *s, const struct ecash_bank *bank, const struct ecash_coins_job *job,
			  size_t i, int64_t now, obol_err *result, bool *credit, struct ecash_coin *fresh,
			  bool *has_fresh, json_t **evj)
{
	const struct ecash_held_coin *h = &job->m->coins[i];
	struct ecash_spent prev = { 0 };
	struct ecash_registry_effect eff = { 0 };
	uint8_t requester[ECASH_ID_LEN], issued_key[ECASH_ID_LEN];
	bool found = false, has_key = false;
	int64_t issued_account = 0, holder = 0;
	obol_err e = OBOL_OK, r = job->verified[i];

	*credit = *has_fresh = false;
	*evj = NULL;
	ecash_key_id_der(job->m->cert.key, job->m->cert.key_len, requester);
	if (r == OBOL_OK)
		r = issued_to(s, h->coin.serial, &issued_account, issued_key, &has_key);
	if (r == OBOL_OK && h->nchain > 0)
		r = key_account(s, h->chain[h->nchain - 1].payee, &holder);
	if (r == OBOL_OK)
		r = spent_get(s, h->coin.serial, &prev, &found);
	if (r == OBOL_OK) {
		struct ecash_registry_in in = {
			.kind = job->kind,
			.requester = requester,
			.account = job->account,
			.h = h,
			.issued_to = issued_account,
			.issued_key = has_key ? issued_key : NULL,
			.holder_account = holder,
			.prev = found ? &prev : NULL,
			.now = now,
		};
		if ((e = ecash_bank_registry(bank, &in, &eff)) == OBOL_OK)
			r = eff.result;
	}
	if (e == OBOL_OK && r == OBOL_OK) {
		e = entry_record(s, h, requester, job->account, job->kind, eff.disclosed, now);
		if (e == OBOL_OK && job->kind == ECASH_ENTRY_EXCHANGE) {
			e = ecash_bank_issue(bank, &h->coin.value, job->terms->owners[i], now, fresh);
			if (e == OBOL_OK && (e = coin_insert(s, fresh, job->account, requester)) == OBOL_OK)
				*has_fresh = true;
		}
		*credit = job->kind != ECASH_ENTRY_EXCHANGE;
	} else if (e == OBOL_OK && r == OBOL_E_ECASH_DOUBLE_SPENT) {
		if ((e = ecash_evidence_to_json(&eff.ev, evj)) == OBOL_OK)
			e = fraud_record(s, &eff.ev, requester, *evj, now);
	} else if (e == OBOL_OK && !coin_error(r)) {
		e = r;
	}
	*result = r;
	ecash_registry_effect_clear(&eff);
	ecash_held_clear(&prev.held);
	return e;
}

/* Appends one coin's result to the reply's results. */
static obol_err result_add(json_t *results, const struct ecash_held_coin *h, obol_err r, json_t *evj,
			   const struct ecash_coin *fresh)
{
	char serial[OBOL_B64_LEN(ECASH_SERIAL_LEN)], val[OBOL_AMOUNT_STR_MAX];
	json_t *cj = NULL;
	obol_err e = obol_b64_encode(h->coin.serial, ECASH_SERIAL_LEN, serial, sizeof(serial));
	if (e != OBOL_OK)
		return e;
	obol_amount_format(&h->coin.value, val);
	json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "serial", serial, "value", val, "code", (int)r, "name",
			      obol_strerror(r));
	if (o == NULL)
		return OBOL_E_NO_MEMORY;
	if (evj != NULL && json_object_set(o, "evidence", evj) != 0)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && fresh != NULL) {
		struct ecash_coin copy = *fresh;
		struct ecash_coin_spec sp;
		ecash_coin_spec(&sp, &copy);
		if ((e = obol_json_encode(&sp.s, &cj)) == OBOL_OK && json_object_set_new(o, "coin", cj) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && json_array_append_new(results, o) != 0)
		e = OBOL_E_NO_MEMORY;
	else if (e != OBOL_OK)
		json_decref(o);
	return e;
}

obol_err ecash_issuer_coins_record(struct obol_store *s, const struct ecash_bank *bank, const struct ecash_coins_job *job,
				   int64_t now, json_t **reply)
{
	const struct ecash_deposit_req *m = job->m;
	const char *reason = job->kind == ECASH_ENTRY_REFUND ? "ecash-refund" : "ecash-deposit";
	struct obol_amount credited, pay;
	struct ecash_coin change;
	bool has_change = false;
	bool bulk = job->terms != NULL && (job->terms->has_to || job->terms->has_amount);
	json_t *results = json_array();
	obol_err e = results ? obol_amount_zero(bank->max_coin.currency, &credited) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && bulk && job->terms->has_to)
		e = target_ok(s, job->terms->to);
	/* §3.3.3 per coin; a refused coin is reported, the others are credited. */
	for (size_t i = 0; e == OBOL_OK && i < m->ncoins; i++) {
		const struct ecash_held_coin *h = &m->coins[i];
		struct ecash_coin fresh;
		bool credit = false, has_fresh = false;
		obol_err r = OBOL_OK;
		json_t *evj = NULL;
		e = coin_unit(s, bank, job, i, now, &r, &credit, &fresh, &has_fresh, &evj);
		if (e == OBOL_OK && credit) {
			e = obol_amount_add(&credited, &credited, &h->coin.value);
			/* One ledger entry per coin, referenced by its serial; a
			 * withdrawal with terms pays once, below. */
			if (e == OBOL_OK && !bulk)
				e = pay_out(s, job->account, &h->coin.value, reason, h->coin.serial, ECASH_SERIAL_LEN);
		}
		if (e == OBOL_OK)
			e = result_add(results, h, r, evj, has_fresh ? &fresh : NULL);
		json_decref(evj);
	}
	/* §6.4: the amount asked to the target account, the rest as a coin. */
	pay = credited;
	if (e == OBOL_OK && bulk)
		e = ecash_bank_withdraw_settle(bank, job->terms, &credited, now, &pay, &change, &has_change);
	if (e == OBOL_OK && bulk && !obol_amount_is_zero(&pay))
		e = pay_out(s, job->terms->has_to ? job->terms->to : job->account, &pay, "ecash-withdraw", m->nonce,
			    ECASH_NONCE_LEN);
	if (e == OBOL_OK && has_change) {
		uint8_t requester[ECASH_ID_LEN];
		ecash_key_id_der(m->cert.key, m->cert.key_len, requester);
		e = coin_insert(s, &change, job->account, requester);
	}
	if (e == OBOL_OK) {
		char c[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&pay, c);
		*reply = json_pack("{s:O, s:s}", "results", results, "credited", c);
		if (*reply == NULL)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && has_change) {
		struct ecash_coin_spec sp;
		json_t *cj = NULL;
		ecash_coin_spec(&sp, &change);
		if ((e = obol_json_encode(&sp.s, &cj)) == OBOL_OK && json_object_set_new(*reply, "change", cj) != 0)
			e = OBOL_E_NO_MEMORY;
		if (e != OBOL_OK) {
			json_decref(*reply);
			*reply = NULL;
		}
	}
	json_decref(results);
	return e;
}

obol_err ecash_issuer_directory(struct obol_store *s, const uint8_t key[static ECASH_ID_LEN], int64_t now,
				struct ecash_directory *dir)
{
	struct obol_stmt *st;
	bool row = false;
	int64_t seq = 0;
	memset(dir, 0, sizeof(*dir));
	obol_err e = obol_stmt_prepare(s, "SELECT seq FROM ecash_certs WHERE key_id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, key, ECASH_ID_LEN)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		seq = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	if (e == OBOL_OK && !row)
		e = OBOL_E_ECASH_NOT_REGISTERED;
	if (e != OBOL_OK)
		return e;
	dir->span = ECASH_DIRECTORY_SPAN;
	dir->first = (uint64_t)seq - (uint64_t)seq % ECASH_DIRECTORY_SPAN;
	if ((dir->e = calloc(ECASH_DIRECTORY_SPAN, sizeof(*dir->e))) == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_stmt_prepare(s, "SELECT seq, cert FROM ecash_certs WHERE seq >= ? AND seq < ? AND expiry > ? AND"
				      " NOT EXISTS (SELECT 1 FROM ecash_revoked r WHERE r.key_id = ecash_certs.key_id) ORDER BY seq", &st)) != OBOL_OK)
		goto out;
	e = obol_stmt_bindf(st, "iii", (int64_t)dir->first, (int64_t)(dir->first + ECASH_DIRECTORY_SPAN), now);
	while (e == OBOL_OK && dir->n < ECASH_DIRECTORY_SPAN && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		json_error_t jerr;
		json_t *j = json_loads(obol_stmt_column_text(st, 1), 0, &jerr);
		dir->e[dir->n].seq = (uint64_t)obol_stmt_column_int64(st, 0);
		e = j ? ecash_cert_from_json(j, &dir->e[dir->n].cert) : OBOL_E_INTERNAL;
		json_decref(j);
		if (e == OBOL_OK)
			dir->n++;
	}
	obol_stmt_finish(st);
out:
	if (e != OBOL_OK)
		ecash_directory_clear(dir);
	return e;
}
