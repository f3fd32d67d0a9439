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
#include "issuer/signer_client.h"
#include "issuer/vendors.h"
#include "net/reqauth.h"
#include "schemes/common/issuer_sig.h"
#include "schemes/common/keys_doc.h"

struct obol_http_router obol_issuer_router;
static struct obol_issuer_scheme *schemes;

#define MAX_SCHEMES 8
#define MAX_READERS 64

/* How often (in seconds of the issuer's clock) the signing keys are looked
 * at again: a cheap read of the signed announcements' count and newest
 * import; the keys are reloaded when it moved, and every KEYS_RELOAD_S. */
#define KEYS_CHECK_S 1
#define KEYS_RELOAD_S 60
#define KEYS_DOC_STALE_S 3600

struct obol_issuer {
	struct obol_issuer_keys keys;
	struct obol_signer_client *signer; /* NULL: the keys are in process */
	/* The online signing keys (obol_issuer_signer), under keys_mu (taken
	 * for reading to sign, for writing to reload): without a signing
	 * process the keyring with the seeds, from the database; with one, the
	 * announced keys' public halves only. keys_db is a connection of their
	 * own, used only under keys_mu held for writing. */
	pthread_rwlock_t keys_mu;
	struct obol_store *keys_db;
	struct obol_online_keyring ring;
	struct obol_online_pub pubs[OBOL_ONLINE_KEYRING_MAX];
	size_t npubs;
	int64_t keys_checked, keys_loaded; /* clock of the last check, of the last load */
	int64_t keys_stamp[2];             /* signed announcements: count, newest import */
	/* The last signed GET /keys document and when it was signed, served
	 * while the signing process does not answer (KEYS_DOC_STALE_S at most):
	 * a wallet's refresh then fails on the request that needs the signer,
	 * not before it. Under doc_mu. */
	pthread_mutex_t doc_mu;
	json_t *doc_last;
	int64_t doc_signed;
	struct obol_box_opener box_opener;
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

/* ---- the online signing keys ---------------------------------------------- */

/* The cheap check: how many announcements are signed, and the newest import. */
static obol_err keys_stamp(struct obol_store *s, int64_t stamp[2])
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT COUNT(*), COALESCE(MAX(imported), 0) FROM key_announcements"
					  " WHERE sig IS NOT NULL", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		stamp[0] = obol_stmt_column_int64(st, 0);
		stamp[1] = obol_stmt_column_int64(st, 1);
	}
	obol_stmt_finish(st);
	return e;
}

/* Under keys_mu held for writing (or before the daemon runs): loads the
 * online keys at now from iss->keys_db. On an error the keys held stay. */
static obol_err keys_reload(struct obol_issuer *iss, int64_t now)
{
	int64_t stamp[2] = { 0, 0 };
	obol_err e = obol_store_begin_read(iss->keys_db);
	if (e != OBOL_OK)
		return e;
	if ((e = keys_stamp(iss->keys_db, stamp)) == OBOL_OK) {
		/* what the issuer's own checks verify its signatures by
		 * (schemes/common/issuer_sig.h): the announcements it holds */
		struct obol_key_set *set = malloc(sizeof *set);
		e = set != NULL ? obol_issuer_keys_announced(iss->keys_db, iss->keys.master_pk, now, set)
				: OBOL_E_NO_MEMORY;
		if (e == OBOL_OK)
			e = obol_issuer_keys_register(set, now);
		free(set);
	}
	if (e == OBOL_OK) {
		if (iss->signer != NULL) {
			struct obol_online_pub p[OBOL_ONLINE_KEYRING_MAX];
			size_t n = 0;
			if ((e = obol_online_pubs_load(iss->keys_db, iss->keys.master_pk, now, p, &n)) == OBOL_OK) {
				memcpy(iss->pubs, p, sizeof p);
				iss->npubs = n;
			}
		} else {
			struct obol_online_keyring *r = malloc(sizeof *r);
			e = r != NULL ? obol_online_keyring_load(iss->keys_db, now, r) : OBOL_E_NO_MEMORY;
			if (e == OBOL_OK) {
				obol_online_keyring_wipe(&iss->ring);
				iss->ring = *r;
			}
			if (r != NULL) {
				obol_online_keyring_wipe(r);
				free(r);
			}
		}
	}
	obol_store_rollback(iss->keys_db);
	if (e == OBOL_OK) {
		iss->keys_stamp[0] = stamp[0];
		iss->keys_stamp[1] = stamp[1];
		iss->keys_loaded = now;
	}
	iss->keys_checked = now;
	return e;
}

/* Whether the keys must be looked at again at now (keys_mu held, any way). */
static bool keys_due(const struct obol_issuer *iss, int64_t now)
{
	return now < iss->keys_checked || now - iss->keys_checked >= KEYS_CHECK_S;
}

/* Under keys_mu held for writing: the cheap check, and a reload when the
 * signed announcements moved, every KEYS_RELOAD_S, or when the clock went
 * back. A failed read is logged and the keys held are kept. */
static void keys_refresh(struct obol_issuer *iss, int64_t now)
{
	int64_t stamp[2] = { 0, 0 };
	obol_err e;
	if (!keys_due(iss, now))
		return;
	if (now >= iss->keys_loaded && now - iss->keys_loaded < KEYS_RELOAD_S) {
		if ((e = obol_store_begin_read(iss->keys_db)) == OBOL_OK) {
			e = keys_stamp(iss->keys_db, stamp);
			obol_store_rollback(iss->keys_db);
		}
		if (e == OBOL_OK && stamp[0] == iss->keys_stamp[0] && stamp[1] == iss->keys_stamp[1]) {
			iss->keys_checked = now;
			return;
		}
	}
	if ((e = keys_reload(iss, now)) != OBOL_OK)
		obol_log_error("reloading the online signing keys: %s", obol_strerror(e));
}

/* The in-process signer's sign: the keyring's key pk, under keys_mu held
 * for reading (a reload may replace the keyring meanwhile: a key it no
 * longer holds is KEY_NOT_ANNOUNCED). */
static obol_err ring_sign(void *ctx, const uint8_t pk[static OBOL_SIGN_PK_LEN], const char *context,
			  const uint8_t *msg, size_t len, uint8_t sig[static OBOL_SIGN_LEN])
{
	struct obol_issuer *iss = ctx;
	obol_err e = OBOL_E_KEY_NOT_ANNOUNCED;
	pthread_rwlock_rdlock(&iss->keys_mu);
	for (size_t i = 0; i < iss->ring.n; i++)
		if (obol_ct_equal(iss->ring.k[i].kp.pk, pk, OBOL_SIGN_PK_LEN)) {
			obol_sign(sig, context, msg, len, iss->ring.k[i].kp.sk);
			e = OBOL_OK;
			break;
		}
	pthread_rwlock_unlock(&iss->keys_mu);
	return e;
}

/* The key to sign with at now (keys_mu held): of the keys usable at now,
 * the one that began last (obol_online_keyring_pick). */
static obol_err keys_pick(struct obol_issuer *iss, int64_t now, struct obol_ed25519_signer *out)
{
	memset(out, 0, sizeof *out);
	if (iss->signer == NULL) {
		const struct obol_online_key *k;
		obol_err e = obol_online_keyring_pick(&iss->ring, now, &k);
		if (e != OBOL_OK)
			return e;
		memcpy(out->pk, k->kp.pk, OBOL_SIGN_PK_LEN);
		out->accept_until = k->accept_until;
		out->sign = ring_sign;
		out->ctx = iss;
		return OBOL_OK;
	}
	const struct obol_online_pub *best = obol_online_pubs_pick(iss->pubs, iss->npubs, now);
	if (best == NULL)
		return OBOL_E_KEY_ONLINE_MISSING;
	memcpy(out->pk, best->pk, OBOL_SIGN_PK_LEN);
	out->accept_until = best->accept_until;
	out->sign = obol_signer_client_ed25519_sign;
	out->ctx = iss->signer;
	return OBOL_OK;
}

obol_err obol_issuer_signer(struct obol_issuer *iss, int64_t now, struct obol_ed25519_signer *out)
{
	obol_err e;
	pthread_rwlock_rdlock(&iss->keys_mu);
	bool due = keys_due(iss, now);
	if (!due)
		e = keys_pick(iss, now, out);
	pthread_rwlock_unlock(&iss->keys_mu);
	if (!due)
		return e;
	pthread_rwlock_wrlock(&iss->keys_mu);
	keys_refresh(iss, now);
	e = keys_pick(iss, now, out);
	pthread_rwlock_unlock(&iss->keys_mu);
	return e;
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
	return obol_issuer_init_db_master(db_url, currency, args, nargs, NULL, NULL, out);
}

static obol_err init_db(const char *db_url, const char *currency, const struct obol_init_arg *args, size_t nargs,
			obol_issuer_master_keep_fn keep, void *keep_ctx, bool ceremony, FILE *out);

obol_err obol_issuer_init_db_master(const char *db_url, const char *currency, const struct obol_init_arg *args,
				    size_t nargs, obol_issuer_master_keep_fn keep, void *keep_ctx, FILE *out)
{
	return init_db(db_url, currency, args, nargs, keep, keep_ctx, true, out);
}

obol_err obol_issuer_init_db_bare(const char *db_url, const char *currency, const struct obol_init_arg *args,
				  size_t nargs, obol_issuer_master_keep_fn keep, void *keep_ctx, FILE *out)
{
	return init_db(db_url, currency, args, nargs, keep, keep_ctx, false, out);
}

static obol_err init_db(const char *db_url, const char *currency, const struct obol_init_arg *args, size_t nargs,
			obol_issuer_master_keep_fn keep, void *keep_ctx, bool ceremony, FILE *out)
{
	struct obol_store *s = NULL;
	struct obol_issuer_keys keys;
	struct obol_sign_keypair master;
	struct obol_key_policy policy;
	struct obol_init_arg *mine = NULL;
	char pk64[OBOL_B64_LEN(32)];
	size_t planned = 0, signed_n = 0;
	bool kept = false;
	memset(&keys, 0, sizeof keys);
	memset(&master, 0, sizeof master);

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
	int64_t now = obol_now();
	e = obol_issuer_keys_create(s, currency, now, &keys, &master);
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
	/* The master key leaves before the commit: if it cannot be kept, no
	 * issuer exists whose announcements nobody can sign. */
	if (e == OBOL_OK && keep != NULL && (e = keep(keep_ctx, &master)) == OBOL_OK)
		kept = true;
	if (e == OBOL_OK)
		e = obol_store_commit(s);
	if (e != OBOL_OK) {
		obol_store_rollback(s);
		if (kept)
			(void)keep(keep_ctx, NULL); /* the issuer was not made: take the file back */
		goto out;
	}
	/* The first key ceremony, the master key in hand (each step its own
	 * transaction; should one fail, the issuer exists and the master key
	 * is kept: the ceremony can be held again from the file): online keys
	 * covering now .. lookahead, and each scheme's keys, announced. */
	obol_key_policy_default(&policy);
	if (ceremony && (e = obol_issuer_keys_plan(s, &policy, now, &planned)) == OBOL_OK)
		e = obol_issuer_keys_sign_pending(s, &master, &signed_n);
	OBOL_WIPE(master);
	if (e != OBOL_OK) {
		obol_log_error("the first key ceremony: %s%s", obol_strerror(e),
			       kept ? " (the issuer is made and its master key kept: hold the ceremony again)" : "");
		goto out;
	}
	if ((e = obol_b64_encode(keys.master_pk, 32, pk64, sizeof pk64)) != OBOL_OK)
		goto out;
	fprintf(out, "currency: %s\nmaster-key: %s\n", currency, pk64);
	if ((e = obol_b64_encode(keys.box.pk, 32, pk64, sizeof pk64)) != OBOL_OK)
		goto out;
	fprintf(out, "box-key: %s\nannounced: %zu keys\n", pk64, signed_n);
out:
	free(mine);
	OBOL_WIPE(master);
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

/* With a signing process: its client, and the box key's secret half
 * forgotten (boxes open through it). Without: the box key must be here. */
static obol_err signer_attach(struct obol_issuer *iss, const char *path)
{
	static const uint8_t zero[OBOL_BOX_SK_LEN];
	obol_err e;
	iss->box_opener.kp = &iss->keys.box;
	if (path == NULL)
		return obol_ct_equal(iss->keys.box.sk, zero, OBOL_BOX_SK_LEN) ? OBOL_E_SIGNER_REQUIRED : OBOL_OK;
	if ((e = obol_signer_client_open(path, &iss->signer)) != OBOL_OK)
		return e;
	OBOL_WIPE(iss->keys.box.sk);
	iss->box_opener.open = obol_signer_client_box_open;
	iss->box_opener.ctx = iss->signer;
	return OBOL_OK;
}

struct obol_signer_client *obol_issuer_signer_client(const struct obol_issuer *iss)
{
	return iss->signer;
}

const struct obol_box_opener *obol_issuer_box_opener(const struct obol_issuer *iss)
{
	return &iss->box_opener;
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

	pthread_rwlock_init(&iss->keys_mu, NULL);
	pthread_mutex_init(&iss->doc_mu, NULL);

	bool master_here = false;
	if ((e = obol_store_open(cfg->db_url, false, &s)) != OBOL_OK)
		goto fail;
	if ((e = obol_ledger_attach(s)) != OBOL_OK || (e = obol_issuer_keys_migrate(s)) != OBOL_OK ||
	    (e = obol_issuer_keys_master_in_db(s, &master_here)) != OBOL_OK)
		goto fail;
	/* The master key signs offline only: a database that still holds it
	 * (made before it went offline) is not served until it is moved out. */
	if (master_here) {
		obol_log_error("the issuer database still holds the master key: move it out first with"
			       " 'obol issuer keys export-master --db URL --out FILE' (docs/operations.md)");
		e = OBOL_E_KEY_MASTER_IN_DB;
		goto fail;
	}
	if ((e = obol_issuer_keys_load(s, &iss->keys)) != OBOL_OK || (e = migrate_all(s)) != OBOL_OK ||
	    (e = signer_attach(iss, cfg->signer_path)) != OBOL_OK)
		goto fail;
	/* The online signing keys, before any scheme signs at its start. */
	if ((e = obol_store_open(cfg->db_url, false, &iss->keys_db)) != OBOL_OK ||
	    (e = keys_reload(iss, obol_now())) != OBOL_OK)
		goto fail;
	{
		struct obol_ed25519_signer sg;
		if (keys_pick(iss, obol_now(), &sg) != OBOL_OK)
			obol_log_warn("no online signing key is usable now: every request that needs the issuer's"
				      " signature fails with KEY_ONLINE_MISSING until the key ceremony's"
				      " signatures are imported ('obol issuer keys list')");
	}
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
	obol_online_keyring_wipe(&iss->ring);
	obol_store_close(iss->keys_db);
	pthread_rwlock_destroy(&iss->keys_mu);
	json_decref(iss->doc_last);
	pthread_mutex_destroy(&iss->doc_mu);
	obol_signer_client_close(iss->signer);
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
	if ((e = obol_b64_encode(iss->keys.master_pk, 32, mpk, sizeof mpk)) != OBOL_OK ||
	    (e = obol_b64_encode(iss->keys.box.pk, 32, bpk, sizeof bpk)) != OBOL_OK)
		return e;
	struct keys_read k = { .iss = iss };
	k.keys = json_pack("{s:i, s:s, s:s, s:s, s:I}", "version", OBOL_KEYS_VERSION, "currency", iss->keys.currency,
			   "master_pk", mpk, "box_pk", bpk, "issued_at", (json_int_t)obol_now());
	if (k.keys == NULL)
		return OBOL_E_NO_MEMORY;
	int64_t now = obol_now();
	e = obol_issuer_read(iss, keys_parts, &k);
	if (e == OBOL_OK)
		e = obol_issuer_signer(iss, now, &sg);
	if (e == OBOL_OK)
		e = obol_keys_doc_sign(k.keys, &sg, out);
	json_decref(k.keys);
	pthread_mutex_lock(&iss->doc_mu);
	if (e == OBOL_OK) {
		json_decref(iss->doc_last);
		iss->doc_last = json_deep_copy(*out);
		iss->doc_signed = now;
	} else if (e == OBOL_E_SIGNER_UNAVAILABLE && iss->doc_last != NULL && now >= iss->doc_signed &&
		   now - iss->doc_signed < KEYS_DOC_STALE_S) {
		*out = json_deep_copy(iss->doc_last);
		e = *out != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	}
	pthread_mutex_unlock(&iss->doc_mu);
	return e;
}
