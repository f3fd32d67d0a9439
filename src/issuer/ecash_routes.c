/* The bank's endpoints (seed 002 §3.2, §3.3.1, §3.3.3, §4, §5.3, §5.5, §6):
 *   POST /ecash/nonce        authenticated: {"purpose": "register"|"topup"} -> {"nonce", "expiry"}
 *   POST /ecash/register     authenticated, idempotent by nonce: {nonce, key, sig} -> certificate
 *   POST /ecash/topup        authenticated, idempotent by nonce: {nonce, cert, values[], sig}
 *                            -> {"coins": [...], "total"}; debits the account
 *   POST /ecash/deposit      authenticated, idempotent by nonce: {nonce, cert, coins, claims, sig}
 *                            -> {"results": [{serial, value, code, name, evidence?}], "credited"}
 *   POST /ecash/refund       authenticated, idempotent by nonce: {nonce, cert, coins, claims, sig}
 *                            with a bank nonce of purpose "refund": expired coins back to
 *                            their holder's account (§6.4 after expiry); the deposit's reply
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

static obol_err request_id_of(const uint8_t nonce[static ECASH_NONCE_LEN], char out[OBOL_B64_LEN(ECASH_NONCE_LEN)])
{
	return obol_b64_encode(nonce, ECASH_NONCE_LEN, out, OBOL_B64_LEN(ECASH_NONCE_LEN));
}

/* The start of the POSTs that run a unit: authenticates the caller (*acc)
 * and gets the bank's state (*st). */
static obol_err begin_post(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_account *acc,
			   struct ecash_issuer_state **st)
{
	obol_err e = obol_issuer_authenticate(iss, NULL, req, acc);
	return e == OBOL_OK ? ecash_issuer_state(iss, st) : e;
}

/* Runs fn(u) once for the request named by its nonce (obol_issuer_run_idem:
 * a replay gets the stored reply). */
static obol_err run_by_nonce(struct obol_issuer *iss, const struct obol_http_req *req, int64_t account,
			     const uint8_t nonce[static ECASH_NONCE_LEN], obol_idem_fn fn, void *u,
			     struct obol_http_reply *rep)
{
	char rid[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = request_id_of(nonce, rid);
	return e == OBOL_OK ? obol_issuer_run_idem(iss, req, account, rid, fn, u, rep) : e;
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
	if (strcmp(m.purpose, "register") != 0 && strcmp(m.purpose, "topup") != 0 && strcmp(m.purpose, "refund") != 0) {
		obol_http_reply_detail(rep, "purpose is \"register\", \"topup\" or \"refund\"");
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
	uint8_t id[ECASH_ID_LEN];
	int64_t now = obol_now();
	obol_err e = ecash_issuer_nonce_take(s, u->m.nonce, u->account, "register", now);
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
	if (e != OBOL_OK)
		return e;
	return ecash_issuer_cert_insert(s, &cert, reply);
}

static obol_err post_register(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct register_unit *u = calloc(1, sizeof(*u));
	struct ecash_register_spec sp;
	obol_err e = u ? begin_post(iss, req, &acc, &u->st) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		ecash_register_req_spec(&sp, &u->m);
		e = obol_json_decode(req->json, &sp.s);
	}
	if (e == OBOL_OK) {
		u->account = acc.id;
		e = run_by_nonce(iss, req, acc.id, u->m.nonce, register_unit, u, rep);
	}
	free(u);
	return e;
}
OBOL_ROUTE(route_ecash_register, "POST", "/ecash/register", post_register)

/* ---- POST /ecash/topup ---- */

struct topup_unit {
	struct ecash_issuer_state *st;
	int64_t account;
	struct ecash_topup_req m;
	struct ecash_topup_reply r;
};

static obol_err topup_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct topup_unit *u = arg;
	struct ecash_revocations rl;
	struct ecash_topup_reply_spec rsp;
	int64_t now = obol_now();
	char ref[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = ecash_issuer_nonce_take(s, u->m.nonce, u->account, "topup", now);
	if (e == OBOL_OK)
		e = ecash_issuer_cert_registered(s, &u->m.cert);
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
	if ((e = request_id_of(u->m.nonce, ref)) != OBOL_OK ||
	    (e = ecash_issuer_issue_record(s, u->account, u->r.coins, u->r.ncoins, &u->r.total, ref)) != OBOL_OK)
		return e;
	ecash_topup_reply_spec(&rsp, &u->r);
	return obol_json_encode(&rsp.s, reply);
}

static obol_err post_topup(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct topup_unit *u = calloc(1, sizeof(*u));
	struct ecash_topup_req_spec sp;
	obol_err e = u ? begin_post(iss, req, &acc, &u->st) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		ecash_topup_req_spec(&sp, &u->m);
		e = obol_json_decode(req->json, &sp.s);
	}
	if (e == OBOL_OK && u->m.cert.account != acc.id)
		e = OBOL_E_ECASH_WRONG_ACCOUNT;
	if (e == OBOL_OK) {
		u->account = acc.id;
		e = run_by_nonce(iss, req, acc.id, u->m.nonce, topup_unit, u, rep);
	}
	free(u);
	return e;
}
OBOL_ROUTE(route_ecash_topup, "POST", "/ecash/topup", post_topup)

/* ---- POST /ecash/deposit and POST /ecash/refund ---- */

struct deposit_unit {
	struct ecash_issuer_state *st;
	int64_t account;
	bool refund;
	struct ecash_deposit_req m;
	obol_err verified[ECASH_COINS_MAX];
};

static obol_err deposit_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct deposit_unit *u = arg;
	int64_t now = obol_now();
	obol_err e = ecash_issuer_cert_registered(s, &u->m.cert);
	if (e != OBOL_OK)
		return e;
	if (!u->refund)
		return ecash_issuer_deposit_record(s, &u->m, u->account, u->verified, u->st->bank.max_coin.currency, now,
						   reply);
	/* A refund answers a bank nonce: one use, this account's. */
	if ((e = ecash_issuer_nonce_take(s, u->m.nonce, u->account, "refund", now)) != OBOL_OK)
		return e;
	return ecash_issuer_refund_record(s, &u->m, u->account, u->verified, u->st->bank.max_coin.currency, now, reply);
}

static obol_err read_rl(struct obol_store *s, void *arg)
{
	return ecash_issuer_revocations(s, arg);
}

static obol_err post_coins(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep,
			   bool refund)
{
	struct obol_account acc;
	struct deposit_unit *u = calloc(1, sizeof(*u));
	struct ecash_deposit_req_spec sp;
	struct ecash_revocations rl = { 0 };
	int64_t now = obol_now();
	obol_err e = u ? begin_post(iss, req, &acc, &u->st) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &u->m, true)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_decode(req->json, &sp.s));
	if (e == OBOL_OK && u->m.cert.account != acc.id)
		e = OBOL_E_ECASH_WRONG_ACCOUNT;
	/* §5.5 and every coin's signatures, checked on this request's thread,
	 * outside the group-committed transaction. */
	if (e == OBOL_OK)
		e = obol_issuer_read(iss, read_rl, &rl);
	if (e == OBOL_OK && !refund) {
		e = ecash_bank_deposit_auth(&u->st->bank, &u->m.cert, &rl, u->m.nonce, u->m.coins, u->m.ncoins, u->m.sig,
					    u->m.sig_len, now);
		if (e == OBOL_OK)
			ecash_issuer_deposit_verify(u->st, &u->m, &rl, now, u->verified);
	} else if (e == OBOL_OK) {
		e = ecash_bank_refund_auth(&u->st->bank, &u->m.cert, &rl, u->m.nonce, u->m.coins, u->m.ncoins, u->m.sig,
					   u->m.sig_len, now);
		if (e == OBOL_OK)
			ecash_issuer_refund_verify(u->st, &u->m, &rl, now, u->verified);
	}
	if (e == OBOL_OK) {
		u->account = acc.id;
		u->refund = refund;
		e = run_by_nonce(iss, req, acc.id, u->m.nonce, deposit_unit, u, rep);
	}
	ecash_revocations_clear(&rl);
	if (u != NULL)
		ecash_deposit_req_clear(&u->m);
	free(u);
	return e;
}

static obol_err post_deposit(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_coins(iss, req, rep, false);
}
OBOL_ROUTE(route_ecash_deposit, "POST", "/ecash/deposit", post_deposit)

static obol_err post_refund(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_coins(iss, req, rep, true);
}
OBOL_ROUTE(route_ecash_refund, "POST", "/ecash/refund", post_refund)

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
OBOL_ROUTE_BOUNDED(route_ecash_revocations, "GET", "/ecash/revocations", get_revocations, OBOL_WORK_RSA)

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
OBOL_ROUTE_BOUNDED(route_ecash_directory, "GET", "/ecash/directory", get_directory, OBOL_WORK_RSA)
