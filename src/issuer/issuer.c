/* The issuer daemon: registries, start/stop, units of work, idempotency,
 * authentication (contracts in issuer.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/vendors.h"
#include "net/reqauth.h"
#include "schemes/common/keys_doc.h"

struct obol_http_router obol_issuer_router;
static struct obol_issuer_scheme *schemes;

#define MAX_SCHEMES 8
#define MAX_READERS 64

struct obol_issuer {
	struct obol_issuer_keys keys;
	struct obol_batcher *batcher;
	struct obol_http_server *http;
	struct obol_work_gate *gate; /* bounded expensive work (OBOL_ROUTE_BOUNDED) */
	struct {
		struct obol_issuer_scheme *sch;
		void *state;
	} schemes[MAX_SCHEMES];
	size_t nschemes;

	/* The read pool: idle connections on a stack. */
	pthread_mutex_t pool_mu;
	pthread_cond_t pool_cv;
	struct obol_store *readers[MAX_READERS];
	size_t nidle;
	size_t nreaders;
};

void obol_issuer_route_register(struct obol_issuer_route *r)
{
	obol_http_router_add(&obol_issuer_router, &r->http);
}

/* The slot of bounded work the request on this thread holds, if any: given
 * back at its first unit of work or when its handler returns. */
static __thread struct {
	struct obol_work_gate *gate;
	enum obol_work kind;
} held;

static void release_held(void)
{
	if (held.kind != OBOL_WORK_NONE)
		obol_work_leave(held.gate, held.kind);
	held.kind = OBOL_WORK_NONE;
}

obol_err obol_issuer_route_dispatch(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
				    struct obol_http_reply *rep)
{
	struct obol_issuer *iss = app;
	const struct obol_issuer_route *r =
		(const struct obol_issuer_route *)((const char *)route - offsetof(struct obol_issuer_route, http));
	obol_err e = obol_work_enter(iss->gate, r->work);
	if (e != OBOL_OK)
		return e;
	held.gate = iss->gate;
	held.kind = r->work;
	e = r->fn(iss, req, rep);
	release_held();
	return e;
}

void obol_issuer_scheme_register(struct obol_issuer_scheme *sch)
{
	struct obol_issuer_scheme **p = &schemes;
	while (*p != NULL)
		p = &(*p)->next;
	sch->next = NULL;
	*p = sch;
}

struct obol_issuer_scheme *obol_issuer_schemes(void)
{
	return schemes;
}

const struct obol_issuer_keys *obol_issuer_keys(const struct obol_issuer *iss)
{
	return &iss->keys;
}

obol_err obol_issuer_signer(struct obol_issuer *iss, int64_t now, struct obol_ed25519_signer *out)
{
	(void)now;
	obol_ed25519_signer_local(out, &iss->keys.master);
	return OBOL_OK;
}

const char *obol_issuer_currency(const struct obol_issuer *iss)
{
	return iss->keys.currency;
}

uint16_t obol_issuer_port(const struct obol_issuer *iss)
{
	return iss->http != NULL ? obol_http_server_port(iss->http) : 0;
}

obol_err obol_issuer_handle(struct obol_issuer *iss, const struct obol_http_call *call, unsigned *status,
			    char **reply, size_t *reply_len)
{
	return obol_http_handle(&obol_issuer_router, iss, call, status, reply, reply_len);
}

struct obol_work_gate *obol_issuer_work_gate(struct obol_issuer *iss)
{
	return iss->gate;
}

struct obol_http_server *obol_issuer_http(struct obol_issuer *iss)
{
	return iss->http;
}

void *obol_issuer_scheme_state(const struct obol_issuer *iss, const char *scheme)
{
	for (size_t i = 0; i < iss->nschemes; i++)
		if (strcmp(iss->schemes[i].sch->name, scheme) == 0)
			return iss->schemes[i].state;
	return NULL;
}

/* ---- setup -------------------------------------------------------------- */

/* Migrations of every component, each in its own transactions. */
static obol_err migrate_all(struct obol_store *s)
{
	obol_err e = obol_issuer_keys_migrate(s);
	for (struct obol_issuer_scheme *sch = schemes; e == OBOL_OK && sch != NULL; sch = sch->next)
		if (sch->migrate != NULL) {
			e = sch->migrate(s);
			if (e != OBOL_OK)
				obol_log_error("migrating %s: %s", sch->name, obol_strerror(e));
		}
	return e;
}

obol_err obol_issuer_init_db(const char *db_url, const char *currency, const struct obol_init_arg *args,
			     size_t nargs, FILE *out)
{
	struct obol_store *s = NULL;
	struct obol_issuer_keys keys;
	struct obol_init_arg *mine = NULL;
	char pk64[OBOL_B64_LEN(32)];
	memset(&keys, 0, sizeof keys);

	obol_err e = obol_store_open(db_url, true, &s);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_ledger_init(s, currency)) != OBOL_OK || (e = migrate_all(s)) != OBOL_OK)
		goto out;
	mine = calloc(nargs + 1, sizeof *mine);
	if (mine == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_store_begin(s)) != OBOL_OK)
		goto out;
	e = obol_issuer_keys_create(s, currency, obol_now(), &keys);
	for (struct obol_issuer_scheme *sch = schemes; e == OBOL_OK && sch != NULL; sch = sch->next) {
		if (sch->init == NULL)
			continue;
		/* The options that belong to this scheme, in command-line order. */
		size_t n = 0;
		for (size_t i = 0; i < nargs; i++)
			for (const char *const *o = sch->init_options; o != NULL && *o != NULL; o++)
				if (strcmp(*o, args[i].name) == 0)
					mine[n++] = args[i];
		e = sch->init(s, &keys, currency, mine, n, out);
		if (e != OBOL_OK)
			obol_log_error("setting up %s: %s", sch->name, obol_strerror(e));
	}
	if (e == OBOL_OK)
		e = obol_store_commit(s);
	if (e != OBOL_OK) {
		obol_store_rollback(s);
		goto out;
	}
	if ((e = obol_b64_encode(keys.master.pk, 32, pk64, sizeof pk64)) != OBOL_OK)
		goto out;
	fprintf(out, "currency: %s\nmaster-key: %s\n", currency, pk64);
	if ((e = obol_b64_encode(keys.box.pk, 32, pk64, sizeof pk64)) != OBOL_OK)
		goto out;
	fprintf(out, "box-key: %s\n", pk64);
out:
	free(mine);
	obol_issuer_keys_wipe(&keys);
	obol_store_close(s);
	return e;
}

static void pool_free(struct obol_issuer *iss)
{
	for (size_t i = 0; i < iss->nidle; i++)
		obol_store_close(iss->readers[i]);
	iss->nidle = 0;
}

obol_err obol_issuer_start(const struct obol_issuer_config *cfg, struct obol_issuer **out)
{
	struct obol_store *s = NULL;
	obol_err e;
	struct obol_issuer *iss = calloc(1, sizeof *iss);
	if (iss == NULL)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_init(&iss->pool_mu, NULL);
	pthread_cond_init(&iss->pool_cv, NULL);

	if ((e = obol_store_open(cfg->db_url, false, &s)) != OBOL_OK)
		goto fail;
	if ((e = obol_ledger_attach(s)) != OBOL_OK || (e = obol_issuer_keys_migrate(s)) != OBOL_OK ||
	    (e = obol_issuer_keys_load(s, &iss->keys)) != OBOL_OK || (e = migrate_all(s)) != OBOL_OK)
		goto fail;
	for (struct obol_issuer_scheme *sch = schemes; sch != NULL; sch = sch->next) {
		if (iss->nschemes == MAX_SCHEMES) {
			e = OBOL_E_INTERNAL;
			goto fail;
		}
		void *state = NULL;
		if (sch->start != NULL && (e = sch->start(iss, s, &state)) != OBOL_OK) {
			obol_log_error("starting %s: %s", sch->name, obol_strerror(e));
			goto fail;
		}
		iss->schemes[iss->nschemes].sch = sch;
		iss->schemes[iss->nschemes++].state = state;
	}

	/* The start connection becomes the committer's. */
	e = cfg->in_process ? obol_batcher_start_inline(s, &iss->batcher)
			    : obol_batcher_start(s, cfg->batch ? cfg->batch : 64, &iss->batcher);
	if (e != OBOL_OK)
		goto fail;
	s = NULL;

	unsigned rsa[OBOL_WORK_KINDS] = { [OBOL_WORK_RSA] = cfg->rsa_slots };
	if ((e = obol_work_gate_new(rsa, &iss->gate)) != OBOL_OK)
		goto fail;
	unsigned threads = cfg->threads ? cfg->threads : 8;
	iss->nreaders = cfg->readers ? cfg->readers : threads;
	if (iss->nreaders > MAX_READERS)
		iss->nreaders = MAX_READERS;
	for (size_t i = 0; i < iss->nreaders; i++) {
		if ((e = obol_store_open(cfg->db_url, false, &iss->readers[i])) != OBOL_OK)
			goto fail;
		iss->nidle++;
	}

	struct obol_http_server_config hc = { .listen = cfg->listen, .max_conns = cfg->max_conns,
					      .max_conns_per_ip = cfg->max_conns_per_ip, .request_ms = cfg->request_ms,
					      .tls_cert = cfg->tls_cert, .tls_key = cfg->tls_key };
	if (!cfg->in_process && (e = obol_http_server_start(&hc, &obol_issuer_router, iss, &iss->http)) != OBOL_OK)
		goto fail;
	*out = iss;
	return OBOL_OK;
fail:
	obol_store_close(s);
	obol_issuer_stop(iss);
	return e;
}

void obol_issuer_stop(struct obol_issuer *iss)
{
	if (iss == NULL)
		return;
	obol_http_server_stop(iss->http);
	if (iss->batcher != NULL)
		obol_batcher_stop(iss->batcher);
	for (size_t i = iss->nschemes; i-- > 0;)
		if (iss->schemes[i].sch->stop != NULL)
			iss->schemes[i].sch->stop(iss, iss->schemes[i].state);
	pool_free(iss);
	obol_work_gate_free(iss->gate);
	pthread_mutex_destroy(&iss->pool_mu);
	pthread_cond_destroy(&iss->pool_cv);
	obol_issuer_keys_wipe(&iss->keys);
	free(iss);
}

/* ---- units of work ------------------------------------------------------ */

obol_err obol_issuer_run(struct obol_issuer *iss, obol_unit_fn fn, void *ctx)
{
	release_held();
	return obol_batcher_run_retrying(iss->batcher, NULL, NULL, fn, ctx);
}

/* The issuer's pre-check in the batcher's shape. */
struct pre_check {
	struct obol_issuer *iss;
	obol_issuer_pre_fn fn;
};

static obol_err run_pre_check(void *pre_ctx, void *ctx)
{
	struct pre_check *p = pre_ctx;
	return p->fn(p->iss, ctx);
}

obol_err obol_issuer_run_checked(struct obol_issuer *iss, obol_issuer_pre_fn pre, obol_unit_fn fn, void *ctx)
{
	struct pre_check p = { .iss = iss, .fn = pre };
	release_held();
	return obol_batcher_run_retrying(iss->batcher, pre != NULL ? run_pre_check : NULL, &p, fn, ctx);
}

obol_err obol_issuer_read(struct obol_issuer *iss, obol_unit_fn fn, void *ctx)
{
	pthread_mutex_lock(&iss->pool_mu);
	while (iss->nidle == 0)
		pthread_cond_wait(&iss->pool_cv, &iss->pool_mu);
	struct obol_store *s = iss->readers[--iss->nidle];
	pthread_mutex_unlock(&iss->pool_mu);

	obol_err e = obol_store_begin_read(s);
	if (e == OBOL_OK) {
		e = fn(s, ctx);
		obol_store_rollback(s);
	}

	pthread_mutex_lock(&iss->pool_mu);
	iss->readers[iss->nidle++] = s;
	pthread_cond_signal(&iss->pool_cv);
	pthread_mutex_unlock(&iss->pool_mu);
	return e;
}

struct idem_unit {
	const char *key;
	const uint8_t *body_hash;
	obol_idem_fn fn;
	void *ctx;
	obol_issuer_pre_fn pre; /* NULL, or the check before each try */
	/* out: the answer's text, exactly as stored, and its status */
	char *text;
	int status;
};

static obol_err idem_unit_run(struct obol_store *s, void *arg)
{
	struct idem_unit *u = arg;
	bool found = false;
	json_t *reply = NULL;
	obol_free_wiped(u->text);
	u->text = NULL;

	obol_err e = obol_idem_lookup(s, u->key, u->body_hash, &found, &u->status, &u->text);
	if (e != OBOL_OK || found)
		goto out;
	if ((e = u->fn(s, u->ctx, &reply)) != OBOL_OK)
		goto out;
	if (reply == NULL) {
		e = OBOL_E_INTERNAL;
		goto out;
	}
	/* The text that goes out is the text that is kept: a retry gets these
	 * bytes, not a new rendering of the object. */
	if ((u->text = json_dumps(reply, JSON_COMPACT)) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	u->status = 200;
	e = obol_idem_store(s, u->key, u->body_hash, 200, u->text);
out:
	json_decref(reply);
	if (e != OBOL_OK) {
		obol_free_wiped(u->text);
		u->text = NULL;
	}
	return e;
}

/* The unit's own pre-check, run on the caller's thread before each try. */
static obol_err idem_pre(struct obol_issuer *iss, void *arg)
{
	struct idem_unit *u = arg;
	return u->pre(iss, u->ctx);
}

obol_err obol_issuer_run_idem(struct obol_issuer *iss, const struct obol_http_req *req, int64_t account,
			      const char *request_id, obol_idem_fn fn, void *ctx, struct obol_http_reply *rep)
{
	return obol_issuer_run_idem_checked(iss, req, account, request_id, NULL, fn, ctx, rep);
}

obol_err obol_issuer_run_idem_checked(struct obol_issuer *iss, const struct obol_http_req *req, int64_t account,
				      const char *request_id, obol_issuer_pre_fn pre, obol_idem_fn fn, void *ctx,
				      struct obol_http_reply *rep)
{
	char hex[65];
	char *key = NULL;
	if (request_id != NULL) {
		size_t n = strlen(request_id);
		if (n == 0 || n > 64)
			return OBOL_E_INVALID_ARGUMENT;
		for (size_t i = 0; i < n; i++)
			if (request_id[i] <= ' ' || request_id[i] > '~')
				return OBOL_E_INVALID_ARGUMENT;
	} else {
		obol_hex_encode(req->body_hash, 32, hex);
		request_id = hex;
	}
	if (asprintf(&key, "%s %s %" PRId64 " %s", req->method, req->path, account, request_id) < 0)
		return OBOL_E_NO_MEMORY;
	struct idem_unit u = { .key = key, .body_hash = req->body_hash, .fn = fn, .ctx = ctx, .pre = pre };
	obol_err e = obol_issuer_run_checked(iss, pre != NULL ? idem_pre : NULL, idem_unit_run, &u);
	free(key);
	if (e != OBOL_OK) {
		obol_free_wiped(u.text);
		return e;
	}
	rep->status = (unsigned)u.status;
	json_decref(rep->body);
	rep->body = NULL;
	free(rep->raw);
	rep->raw = (uint8_t *)u.text; /* the reply owns it now */
	rep->raw_len = strlen(u.text);
	rep->content_type = "application/json";
	return OBOL_OK;
}

/* ---- authentication ------------------------------------------------------ */

struct auth_read {
	int64_t id;
	struct obol_account *acc;
};

static obol_err auth_read_account(struct obol_store *s, void *arg)
{
	struct auth_read *a = arg;
	return obol_account_get(s, a->id, a->acc);
}

obol_err obol_issuer_authenticate(struct obol_issuer *iss, struct obol_store *s, const struct obol_http_req *req,
				  struct obol_account *account)
{
	int64_t id, ts;
	uint8_t sig[OBOL_SIGN_LEN];
	obol_err e = obol_reqauth_parse(req->auth, &id, &ts, sig);
	if (e != OBOL_OK)
		return e;
	struct auth_read a = { .id = id, .acc = account };
	e = s != NULL ? auth_read_account(s, &a) : obol_issuer_read(iss, auth_read_account, &a);
	if (e == OBOL_E_LEDGER_ACCOUNT_UNKNOWN || e == OBOL_E_NOT_FOUND)
		return OBOL_E_AUTH_FAILED;
	if (e != OBOL_OK)
		return e;
	if (!account->has_auth_pk ||
	    (account->kind != OBOL_ACCOUNT_USER && account->kind != OBOL_ACCOUNT_VENDOR))
		return OBOL_E_AUTH_FAILED;
	e = obol_reqauth_check(req->method, req->path, req->body_hash, id, ts, sig, account->auth_pk, obol_now());
	if (e != OBOL_OK)
		return e;
	if (account->status != OBOL_ACCOUNT_ACTIVE)
		return OBOL_E_LEDGER_ACCOUNT_CLOSED;
	return OBOL_OK;
}

/* ---- GET /keys ----------------------------------------------------------- */

struct keys_read {
	struct obol_issuer *iss;
	json_t *keys;
};

static obol_err keys_parts(struct obol_store *s, void *arg)
{
	struct keys_read *k = arg;
	json_t *announced = NULL;
	obol_err ea = obol_issuer_keys_doc_part(s, obol_now(), &announced);
	if (ea != OBOL_OK)
		return ea;
	/* listed once the key ceremony has signed something (keys_doc.h) */
	if (json_array_size(announced) > 0 && json_object_set(k->keys, "announcements", announced) != 0)
		ea = OBOL_E_NO_MEMORY;
	json_decref(announced);
	if (ea != OBOL_OK)
		return ea;
	for (size_t i = 0; i < k->iss->nschemes; i++) {
		struct obol_issuer_scheme *sch = k->iss->schemes[i].sch;
		json_t *part = NULL;
		if (sch->keys_part == NULL)
			continue;
		obol_err e = sch->keys_part(k->iss, s, &part);
		if (e != OBOL_OK)
			return e;
		if (json_object_set_new(k->keys, sch->name, part) != 0)
			return OBOL_E_NO_MEMORY;
	}
	return OBOL_OK;
}

obol_err obol_issuer_keys_doc(struct obol_issuer *iss, json_t **out)
{
	char mpk[OBOL_B64_LEN(32)], bpk[OBOL_B64_LEN(32)];
	struct obol_ed25519_signer sg;
	obol_err e;
	if ((e = obol_b64_encode(iss->keys.master.pk, 32, mpk, sizeof mpk)) != OBOL_OK ||
	    (e = obol_b64_encode(iss->keys.box.pk, 32, bpk, sizeof bpk)) != OBOL_OK)
		return e;
	struct keys_read k = { .iss = iss };
	k.keys = json_pack("{s:i, s:s, s:s, s:s, s:I}", "version", OBOL_KEYS_VERSION, "currency", iss->keys.currency,
			   "master_pk", mpk, "box_pk", bpk, "issued_at", (json_int_t)obol_now());
	if (k.keys == NULL)
		return OBOL_E_NO_MEMORY;
	e = obol_issuer_read(iss, keys_parts, &k);
	if (e == OBOL_OK)
		e = obol_issuer_signer(iss, obol_now(), &sg);
	if (e == OBOL_OK)
		e = obol_keys_doc_sign(k.keys, &sg, out);
	json_decref(k.keys);
	return e;
}
