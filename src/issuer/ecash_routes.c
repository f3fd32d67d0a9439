/* The bank's endpoints (seed 002 §3.2, §3.3.1, §3.3.3, §4, §5.3, §5.5, §6):
 *   POST /ecash/nonce        authenticated: {"purpose": "register"|"topup"|"refund"|"exchange"}
 *                            -> {"nonce", "expiry"}
 *   POST /ecash/register     authenticated, idempotent by nonce: {nonce, key, sig} -> certificate
 *                            (a new key while the old one lives: renewal)
 *   POST /ecash/topup        authenticated, idempotent by nonce: {nonce, cert, values[{value, owner}],
 *                            sig} -> {"coins": [...], "total"}; debits the account
 *   POST /ecash/deposit      authenticated, idempotent by nonce: {nonce, cert, coins, claims, sig,
 *                            to?, amount?, change?} -> {"results": [{serial, value, code, name,
 *                            evidence?}], "credited", "change"?}
 *   POST /ecash/refund       the same body with a bank nonce of purpose "refund": expired coins
 *                            back to their holder's account (§6.4 after expiry)
 *   POST /ecash/exchange     the same body with a bank nonce of purpose "exchange" and owners:
 *                            coins retired for fresh ones (results carry "coin")
 *   GET  /ecash/revocations/page?since=&after=&version=  one signed page of the revocation list,
 *                            whole or a delta (rl_pages.h)
 *   GET  /ecash/directory?key=B64  the signed block of registrations holding that key (rings)
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
	if (strcmp(m.purpose, "register") != 0 && strcmp(m.purpose, "topup") != 0 && strcmp(m.purpose, "refund") != 0 &&
	    strcmp(m.purpose, "exchange") != 0) {
		obol_http_reply_detail(rep, "purpose is \"register\", \"topup\", \"refund\" or \"exchange\"");
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
	struct ecash_register_in in = {
		.nonce = u->m.nonce,
		.key = u->m.key,
		.key_len = u->m.key_len,
		.sig = u->m.sig,
		.sig_len = u->m.sig_len,
		.account = u->account,
		.now = now,
	};
	obol_err e = ecash_issuer_nonce_take(s, u->m.nonce, u->account, "register", now);
	if (e != OBOL_OK)
		return e;
	ecash_key_id_der(u->m.key, u->m.key_len, id);
	e = ecash_issuer_cert(s, id, &cert);
	if (e == OBOL_OK && cert.account != u->account)
		return OBOL_E_ECASH_KEY_REGISTERED;
	if (e == OBOL_OK) {
		/* The same key again for its own account (a registration whose
		 * answer was lost): proven by the signed nonce, answered with
		 * its certificate. */
		e = ecash_bank_register(&u->st->bank, &in, &(struct ecash_cert){ 0 });
		return e == OBOL_OK || e == OBOL_E_ECASH_TOO_MANY_KEYS ? ecash_cert_to_json(&cert, reply) : e;
	}
	if (e != OBOL_E_ECASH_NOT_REGISTERED)
		return e;
	if ((e = ecash_issuer_account_keys(s, u->account, now, &in.live_keys, &in.barred)) != OBOL_OK ||
	    (e = ecash_bank_register(&u->st->bank, &in, &cert)) != OBOL_OK)
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
	uint8_t id[ECASH_ID_LEN];
	int64_t now = obol_now();
	char ref[OBOL_B64_LEN(ECASH_NONCE_LEN)];
	obol_err e = ecash_issuer_nonce_take(s, u->m.nonce, u->account, "topup", now);
	if (e == OBOL_OK)
		e = ecash_issuer_cert_registered(s, &u->m.cert);
	if (e != OBOL_OK)
		return e;
	ecash_key_id_der(u->m.cert.key, u->m.cert.key_len, id);
	if ((e = ecash_issuer_revocations_of(s, (const uint8_t(*)[ECASH_ID_LEN])id, 1, &rl)) != OBOL_OK)
		return e;
	struct ecash_topup_in in = {
		.cert = &u->m.cert,
		.rl = &rl,
		.nonce = u->m.nonce,
		.orders = u->m.values,
		.n = u->m.nvalues,
		.sig = u->m.sig,
		.sig_len = u->m.sig_len,
		.now = now,
	};
	e = ecash_bank_topup(&u->st->bank, &in, u->r.coins, &u->r.total);
	ecash_revocations_clear(&rl);
	if (e != OBOL_OK)
		return e;
	u->r.ncoins = u->m.nvalues;
	if ((e = request_id_of(u->m.nonce, ref)) != OBOL_OK ||
	    (e = ecash_issuer_issue_record(s, u->account, id, u->r.coins, u->r.ncoins, &u->r.total, ref)) != OBOL_OK)
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

/* ---- POST /ecash/deposit, /ecash/refund and /ecash/exchange ---- */

struct coins_unit {
	struct ecash_issuer_state *st;
	struct ecash_deposit_req m;
	struct ecash_coins_terms terms;
	struct ecash_coins_job job;
};

static obol_err coins_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct coins_unit *u = arg;
	int64_t now = obol_now();
	obol_err e = ecash_issuer_cert_registered(s, &u->m.cert);
	if (e != OBOL_OK)
		return e;
	/* Refunds and exchanges answer a bank nonce: one use, this account's.
	 * A deposit's nonce is the depositor's own (its outbox resends it). */
	if (u->job.kind != ECASH_ENTRY_DEPOSIT &&
	    (e = ecash_issuer_nonce_take(s, u->m.nonce, u->job.account, ecash_entry_purpose(u->job.kind), now)) != OBOL_OK)
		return e;
	return ecash_issuer_coins_record(s, &u->st->bank, &u->job, now, reply);
}

struct keys_read {
	const uint8_t (*ids)[ECASH_ID_LEN];
	size_t n;
	struct ecash_revocations *rl;
};

static obol_err read_rl(struct obol_store *s, void *arg)
{
	struct keys_read *k = arg;
	return ecash_issuer_revocations_of(s, k->ids, k->n, k->rl);
}

static obol_err post_coins(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep,
			   enum ecash_entry_kind kind)
{
	struct obol_account acc;
	struct coins_unit *u = calloc(1, sizeof(*u));
	struct ecash_deposit_req_spec sp;
	struct ecash_revocations rl = { 0 };
	uint8_t (*ids)[ECASH_ID_LEN] = NULL;
	size_t nids = 0;
	int64_t now = obol_now();
	obol_err e = u ? begin_post(iss, req, &acc, &u->st) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &u->m, true)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_decode(req->json, &sp.s));
	if (e == OBOL_OK && u->m.cert.account != acc.id)
		e = OBOL_E_ECASH_WRONG_ACCOUNT;
	if (e == OBOL_OK)
		e = ecash_deposit_req_terms(&u->m, &u->terms);
	/* §5.5 and every coin's signatures, checked on this request's thread,
	 * outside the group-committed transaction, against the revocations of
	 * just the keys this request involves. */
	if (e == OBOL_OK && (e = ecash_issuer_request_keys(&u->m.cert, u->m.coins, u->m.ncoins, &ids, &nids)) == OBOL_OK) {
		struct keys_read k = { (const uint8_t(*)[ECASH_ID_LEN])ids, nids, &rl };
		e = obol_issuer_read(iss, read_rl, &k);
	}
	if (e == OBOL_OK) {
		struct ecash_coins_in in = {
			.kind = kind,
			.holder = &u->m.cert,
			.rl = &rl,
			.nonce = u->m.nonce,
			.coins = u->m.coins,
			.n = u->m.ncoins,
			.terms = &u->terms,
			.sig = u->m.sig,
			.sig_len = u->m.sig_len,
			.now = now,
		};
		e = ecash_bank_coins_auth(&u->st->bank, &in);
	}
	if (e == OBOL_OK) {
		u->job = (struct ecash_coins_job){ .kind = kind, .m = &u->m, .terms = &u->terms, .account = acc.id };
		for (size_t i = 0; i < u->m.ncoins; i++)
			u->job.verified[i] = ecash_bank_coin_verify(&u->st->bank, kind, &u->m.coins[i], &rl, now);
		e = run_by_nonce(iss, req, acc.id, u->m.nonce, coins_unit, u, rep);
	}
	free(ids);
	ecash_revocations_clear(&rl);
	if (u != NULL)
		ecash_deposit_req_clear(&u->m);
	free(u);
	return e;
}

static obol_err post_deposit(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_coins(iss, req, rep, ECASH_ENTRY_DEPOSIT);
}
OBOL_ROUTE(route_ecash_deposit, "POST", "/ecash/deposit", post_deposit)

static obol_err post_refund(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_coins(iss, req, rep, ECASH_ENTRY_REFUND);
}
OBOL_ROUTE(route_ecash_refund, "POST", "/ecash/refund", post_refund)

static obol_err post_exchange(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_coins(iss, req, rep, ECASH_ENTRY_EXCHANGE);
}
OBOL_ROUTE(route_ecash_exchange, "POST", "/ecash/exchange", post_exchange)

/* ---- GET /ecash/revocations/page and /ecash/directory ---- */

struct list_read {
	struct ecash_rl_query q;
	struct ecash_rl_page page;
	struct ecash_directory dir;
	int64_t now;
	uint8_t key[ECASH_ID_LEN];
};

static obol_err read_rl_page(struct obol_store *s, void *arg)
{
	struct list_read *r = arg;
	return ecash_issuer_revocation_page(s, &r->q, &r->page);
}

/* The page's question: ?since=T (0 or absent: the whole list), ?after=B64
 * (the base64url id the page starts after; absent: the first page) and
 * ?version=V (absent: now; a fetch's later pages repeat its first page's).
 * INVALID_ARGUMENT, with a detail, for anything else. */
static obol_err rl_question(const struct obol_http_req *req, int64_t now, struct ecash_rl_query *q,
			    struct obol_http_reply *rep)
{
	const char *since = obol_http_req_query(req, "since"), *after = obol_http_req_query(req, "after");
	const char *version = obol_http_req_query(req, "version");
	uint64_t v = 0;
	size_t n = ECASH_ID_LEN;
	obol_err e = OBOL_OK;
	q->version = now;
	if (since != NULL && (e = obol_parse_u64(since, 0, INT64_MAX, &v)) == OBOL_OK)
		q->since = (int64_t)v;
	if (e == OBOL_OK && version != NULL && (e = obol_parse_u64(version, 1, (uint64_t)now + ECASH_RL_VERSION_SKEW,
								   &v)) == OBOL_OK)
		q->version = (int64_t)v;
	if (e == OBOL_OK && after != NULL)
		e = obol_b64_decode(after, q->after, sizeof(q->after), &n, 1);
	if (e != OBOL_OK || n != ECASH_ID_LEN || q->since > q->version) {
		obol_http_reply_detail(rep, "since and version are unix seconds (since <= version <= now), after the "
					    "base64url id the page starts after");
		return OBOL_E_INVALID_ARGUMENT;
	}
	return OBOL_OK;
}

/* One signed page of the revocation list (docs/protocol.md "GET
 * /ecash/revocations/page", rl_pages.h): at most ECASH_RL_PAGE_MAX keys,
 * one index range read however long the list. */
static obol_err get_rl_page(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct ecash_issuer_state *st;
	struct list_read r = { .now = obol_now() };
	struct ecash_rl_page_spec sp;
	obol_err e = ecash_issuer_state(iss, &st);
	if (e == OBOL_OK && (e = rl_question(req, r.now, &r.q, rep)) == OBOL_OK) {
		r.q.coin_lifetime = st->bank.coin_lifetime;
		e = obol_issuer_read(iss, read_rl_page, &r);
	}
	/* the one place the list is signed: with the bank's key (through the
	 * signing process when the issuer has one) */
	if (e == OBOL_OK)
		e = ecash_bank_sign_rl_page(&st->bank, r.now, &r.page);
	if (e == OBOL_OK) {
		ecash_rl_page_spec(&sp, &r.page, false);
		e = obol_json_encode(&sp.s, &rep->body);
	}
	ecash_rl_page_clear(&r.page);
	return e;
}
OBOL_ROUTE_BOUNDED(route_ecash_rl_page, "GET", "/ecash/revocations/page", get_rl_page, OBOL_WORK_RSA)

static obol_err read_directory(struct obol_store *s, void *arg)
{
	struct list_read *r = arg;
	return ecash_issuer_directory(s, r->key, r->now, &r->dir);
}

static obol_err get_directory(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct ecash_issuer_state *st;
	struct list_read r = { .now = obol_now() };
	struct ecash_directory_spec sp;
	const char *key = obol_http_req_query(req, "key");
	size_t n = 0;
	obol_err e = ecash_issuer_state(iss, &st);
	if (e == OBOL_OK && (key == NULL || obol_b64_decode(key, r.key, sizeof(r.key), &n, 1) != OBOL_OK ||
			     n != ECASH_ID_LEN)) {
		obol_http_reply_detail(rep, "key is the base64url id of a registered key");
		e = OBOL_E_INVALID_ARGUMENT;
	}
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
