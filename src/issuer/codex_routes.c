/* The codex scheme's issuer endpoints (seed 004 §III ActivityMonitor). All
 * POST routes are authenticated (Obol-Auth) and idempotent by request_id
 * (or by content for /codex/vendor); binary fields are base64url.
 *
 *   POST /codex/open     {request_id, box_pk, amount, deposit}
 *                        -> {cert, state, blacklist}                 create account
 *   POST /codex/vendor   {box_pk} -> {cert, blacklist}               a vendor as payee
 *   POST /codex/sync     {request_id, state, entries[], balance, load?}
 *                        -> {renewed, state?, blacklist, blacklisted, findings,
 *                            value, settled[{id, time}]}             update Codex
 *   POST /codex/close    {request_id, state, entries[], balance}
 *                        -> {deleted, paid_out, blacklisted, findings} delete account
 *   POST /codex/deposit  {request_id, tokens[]} -> {results[], paid, blacklist}
 *   GET  /codex/blacklist -> {blacklist, version}                    create blacklist (read)
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/codex_bank.h"
#include "issuer/issuer.h"
#include "wire/json.h"

#define RID_MAX 64
#define DEPOSIT_MAX 256 /* tokens in one deposit */

static obol_err b64_str(const uint8_t *p, size_t n, json_t **out)
{
	char *buf = malloc(OBOL_B64_LEN(n));
	obol_err e;
	if (!buf)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_b64_encode(p, n, buf, OBOL_B64_LEN(n))) == OBOL_OK)
		*out = json_string(buf);
	free(buf);
	if (e == OBOL_OK && !*out)
		e = OBOL_E_NO_MEMORY;
	return e;
}

static obol_err set_b64(json_t *obj, const char *key, const uint8_t *p, size_t n)
{
	json_t *v = NULL;
	obol_err e = b64_str(p, n, &v);
	if (e == OBOL_OK && json_object_set_new(obj, key, v) != 0)
		e = OBOL_E_NO_MEMORY;
	return e;
}

static obol_err set_cert(json_t *obj, const struct codex_cert *c)
{
	uint8_t buf[CODEX_CERT_MAX];
	size_t n;
	obol_err e = codex_cert_encode(c, buf, sizeof(buf), &n);
	return e != OBOL_OK ? e : set_b64(obj, "cert", buf, n);
}

static obol_err set_state(json_t *obj, const struct codex_state *st)
{
	uint8_t buf[CODEX_STATE_MAX];
	size_t n;
	obol_err e = codex_state_encode(st, buf, sizeof(buf), &n);
	return e != OBOL_OK ? e : set_b64(obj, "state", buf, n);
}

static obol_err set_blacklist(struct obol_store *s, json_t *obj)
{
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	uint8_t *buf = NULL;
	size_t n;
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	if ((e = codex_issuer_blacklist(s, bl)) == OBOL_OK && (e = codex_blacklist_encode(bl, &buf, &n)) == OBOL_OK)
		e = set_b64(obj, "blacklist", buf, n);
	free(buf);
	free(bl);
	return e;
}

static void ctx_init(struct codex_issuer_ctx *c, struct obol_issuer *iss, struct obol_store *s)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->keys = obol_issuer_keys(iss);
	c->currency = obol_issuer_currency(iss);
	c->now = obol_now();
}

static obol_err set_amount(json_t *obj, const char *key, const char *currency, int64_t units)
{
	struct obol_amount a;
	char buf[OBOL_AMOUNT_STR_MAX];
	obol_err e = obol_amount_from_units(currency, units, &a);
	if (e != OBOL_OK)
		return e;
	obol_amount_format(&a, buf);
	return json_object_set_new(obj, key, json_string(buf)) == 0 ? OBOL_OK : OBOL_E_NO_MEMORY;
}

/* ---- create account ------------------------------------------------------ */

struct open_req {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	char request_id[RID_MAX + 1];
	uint8_t box_pk[OBOL_BOX_PK_LEN];
	struct obol_amount amount, deposit;
};

static obol_err open_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct open_req *o = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_cert cert;
	struct codex_state st;
	obol_err e;
	if ((e = obol_issuer_authenticate(o->iss, s, o->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, o->iss, s);
	if ((e = codex_issuer_open(&c, acc.id, o->box_pk, &o->amount, &o->deposit, &cert, &st)) != OBOL_OK)
		return e;
	if (!(*reply = json_object()))
		return OBOL_E_NO_MEMORY;
	if ((e = set_cert(*reply, &cert)) != OBOL_OK || (e = set_state(*reply, &st)) != OBOL_OK ||
	    (e = set_blacklist(s, *reply)) != OBOL_OK) {
		json_decref(*reply);
		*reply = NULL;
	}
	return e;
}

/* The start of every POST: the caller's account from Obol-Auth (*acc), then
 * the body decoded into spec. */
static obol_err read_post(struct obol_issuer *iss, const struct obol_http_req *req, const struct obol_fields *spec,
			  struct obol_account *acc)
{
	obol_err e = obol_issuer_authenticate(iss, NULL, req, acc);
	return e == OBOL_OK ? obol_json_decode(req->json, spec) : e;
}

static obol_err post_open(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct open_req o = { .iss = iss, .req = req };
	struct obol_field f[] = {
		OBOL_F_TEXT("request_id", 1, o.request_id, RID_MAX, .min = 1),
		OBOL_F_FIXED("box_pk", 2, o.box_pk, OBOL_BOX_PK_LEN),
		OBOL_F_AMOUNT("amount", 3, &o.amount),
		OBOL_F_AMOUNT("deposit", 4, &o.deposit),
	};
	struct obol_fields spec = OBOL_FIELDS(f);
	obol_err e = read_post(iss, req, &spec, &acc);
	if (e != OBOL_OK)
		return e;
	return obol_issuer_run_idem(iss, req, acc.id, o.request_id, open_unit, &o, rep);
}
OBOL_ROUTE(route_codex_open, "POST", "/codex/open", post_open)

/* ---- a vendor as payee ----------------------------------------------------- */

static obol_err vendor_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct open_req *o = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_cert cert;
	obol_err e;
	if ((e = obol_issuer_authenticate(o->iss, s, o->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, o->iss, s);
	if ((e = codex_issuer_vendor(&c, acc.id, o->box_pk, &cert)) != OBOL_OK)
		return e;
	if (!(*reply = json_object()))
		return OBOL_E_NO_MEMORY;
	if ((e = set_cert(*reply, &cert)) != OBOL_OK || (e = set_blacklist(s, *reply)) != OBOL_OK) {
		json_decref(*reply);
		*reply = NULL;
	}
	return e;
}

static obol_err post_vendor(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct open_req o = { .iss = iss, .req = req };
	struct obol_field f[] = { OBOL_F_FIXED("box_pk", 1, o.box_pk, OBOL_BOX_PK_LEN) };
	struct obol_fields spec = OBOL_FIELDS(f);
	obol_err e = read_post(iss, req, &spec, &acc);
	if (e != OBOL_OK)
		return e;
	return obol_issuer_run_idem(iss, req, acc.id, NULL, vendor_unit, &o, rep);
}
OBOL_ROUTE(route_codex_vendor, "POST", "/codex/vendor", post_vendor)

/* ---- update Codex and delete account -------------------------------------- */

struct sync_req {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	bool close;
	char request_id[RID_MAX + 1];
	uint8_t state[CODEX_STATE_MAX];
	size_t state_len;
	uint8_t entries[CODEX_LOG_MAX][CODEX_ENTRY_MAX];
	size_t entry_len[CODEX_LOG_MAX];
	size_t nentries;
	struct obol_amount balance, load;
	bool has_load;
	struct codex_state st;
	struct codex_entry ents[CODEX_LOG_MAX];
};

static obol_err sync_reply(struct obol_store *s, struct sync_req *r, const struct codex_sync_result *res,
			   json_t **reply)
{
	const char *cur = obol_issuer_currency(r->iss);
	json_t *settled;
	obol_err e;
	if (!(*reply = json_pack("{s:b, s:I}", "blacklisted", res->blacklisted, "findings", (json_int_t)res->findings)))
		return OBOL_E_NO_MEMORY;
	if (r->close) {
		if (json_object_set_new(*reply, "deleted", json_boolean(!res->blacklisted)) != 0)
			return OBOL_E_NO_MEMORY;
		return set_amount(*reply, "paid_out", cur, res->paid_out);
	}
	if (json_object_set_new(*reply, "renewed", json_boolean(res->renewed)) != 0)
		return OBOL_E_NO_MEMORY;
	if ((res->renewed && (e = set_state(*reply, &res->state)) != OBOL_OK) || (e = set_blacklist(s, *reply)) != OBOL_OK ||
	    (e = set_amount(*reply, "value", cur, res->value)) != OBOL_OK)
		return e;
	if (!(settled = json_array()) || json_object_set_new(*reply, "settled", settled) != 0)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < res->nsettled; i++) {
		json_t *item = json_pack("{s:I}", "time", (json_int_t)res->settled_times[i]);
		if (!item || json_array_append_new(settled, item) != 0)
			return OBOL_E_NO_MEMORY;
		if ((e = set_b64(item, "id", res->settled_ids[i], CODEX_TOKEN_ID_LEN)) != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

static obol_err sync_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct sync_req *r = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_sync_result res;
	obol_err e;
	if ((e = obol_issuer_authenticate(r->iss, s, r->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, r->iss, s);
	if ((e = codex_issuer_sync(&c, acc.id, &r->st, r->ents, r->nentries, &r->balance, r->has_load ? &r->load : NULL,
				   r->close, &res)) != OBOL_OK)
		return e;
	e = sync_reply(s, r, &res, reply);
	codex_sync_result_free(&res);
	if (e != OBOL_OK) {
		json_decref(*reply);
		*reply = NULL;
	}
	return e;
}

static obol_err post_sync_common(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep,
				 bool close)
{
	struct obol_account acc;
	struct sync_req *r = calloc(1, sizeof(*r));
	obol_err e;
	if (!r)
		return OBOL_E_NO_MEMORY;
	r->iss = iss;
	r->req = req;
	r->close = close;
	struct obol_field f[] = {
		OBOL_F_TEXT("request_id", 1, r->request_id, RID_MAX, .min = 1),
		OBOL_F_BYTES("state", 2, r->state, 1, CODEX_STATE_MAX, &r->state_len),
		OBOL_F_BYTES_LIST("entries", 3, r->entries, 1, CODEX_ENTRY_MAX, r->entry_len, &r->nentries, CODEX_LOG_MAX),
		OBOL_F_AMOUNT("balance", 4, &r->balance),
		OBOL_F_AMOUNT("load", 5, &r->load, OBOL_OPT(&r->has_load)),
	};
	struct obol_fields spec = { f, close ? 4 : 5 };
	if ((e = read_post(iss, req, &spec, &acc)) != OBOL_OK)
		goto out;
	if ((e = codex_state_decode(r->state, r->state_len, &r->st)) != OBOL_OK) {
		obol_http_reply_detail(rep, "state");
		goto out;
	}
	for (size_t i = 0; i < r->nentries; i++)
		if ((e = codex_entry_decode(r->entries[i], r->entry_len[i], &r->ents[i])) != OBOL_OK) {
			obol_http_reply_detail(rep, "entry %zu", i);
			goto out;
		}
	e = obol_issuer_run_idem(iss, req, acc.id, r->request_id, sync_unit, r, rep);
out:
	free(r);
	return e;
}

static obol_err post_sync(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_sync_common(iss, req, rep, false);
}
OBOL_ROUTE(route_codex_sync, "POST", "/codex/sync", post_sync)

static obol_err post_close(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_sync_common(iss, req, rep, true);
}
OBOL_ROUTE(route_codex_close, "POST", "/codex/close", post_close)

/* ---- a vendor's deposit ---------------------------------------------------- */

struct deposit_req {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	char request_id[RID_MAX + 1];
	uint8_t tokens[DEPOSIT_MAX][CODEX_TOKEN_MAX];
	size_t token_len[DEPOSIT_MAX];
	size_t ntokens;
	struct codex_token toks[DEPOSIT_MAX];
	obol_err results[DEPOSIT_MAX];
};

static obol_err deposit_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct deposit_req *d = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct obol_amount paid;
	char text[OBOL_AMOUNT_STR_MAX];
	json_t *results;
	obol_err e;
	if ((e = obol_issuer_authenticate(d->iss, s, d->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, d->iss, s);
	if ((e = codex_issuer_deposit(&c, acc.id, d->toks, d->ntokens, d->results, &paid)) != OBOL_OK)
		return e;
	obol_amount_format(&paid, text);
	if (!(results = json_array()) || !(*reply = json_pack("{s:s, s:o}", "paid", text, "results", results)))
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < d->ntokens; i++)
		if (json_array_append_new(results, json_string(d->results[i] == OBOL_OK ? "OK" : obol_strerror(d->results[i]))) !=
		    0)
			e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = set_blacklist(s, *reply);
	if (e != OBOL_OK) {
		json_decref(*reply);
		*reply = NULL;
	}
	return e;
}

static obol_err post_deposit(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct deposit_req *d = calloc(1, sizeof(*d));
	obol_err e;
	if (!d)
		return OBOL_E_NO_MEMORY;
	d->iss = iss;
	d->req = req;
	struct obol_field f[] = {
		OBOL_F_TEXT("request_id", 1, d->request_id, RID_MAX, .min = 1),
		OBOL_F_BYTES_LIST("tokens", 2, d->tokens, 1, CODEX_TOKEN_MAX, d->token_len, &d->ntokens, DEPOSIT_MAX),
	};
	struct obol_fields spec = OBOL_FIELDS(f);
	if ((e = read_post(iss, req, &spec, &acc)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < d->ntokens; i++)
		if ((e = codex_token_decode(d->tokens[i], d->token_len[i], &d->toks[i])) != OBOL_OK) {
			obol_http_reply_detail(rep, "token %zu", i);
			goto out;
		}
	e = obol_issuer_run_idem(iss, req, acc.id, d->request_id, deposit_unit, d, rep);
out:
	free(d);
	return e;
}
OBOL_ROUTE(route_codex_deposit, "POST", "/codex/deposit", post_deposit)

/* ---- the blacklist --------------------------------------------------------- */

static obol_err blacklist_read(struct obol_store *s, void *arg)
{
	json_t *obj = arg;
	return set_blacklist(s, obj);
}

static obol_err get_blacklist(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	json_t *obj = json_object();
	obol_err e;
	(void)req;
	if (!obj)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_issuer_read(iss, blacklist_read, obj)) != OBOL_OK) {
		json_decref(obj);
		return e;
	}
	rep->body = obj;
	return OBOL_OK;
}
OBOL_ROUTE(route_codex_blacklist, "GET", "/codex/blacklist", get_blacklist)
