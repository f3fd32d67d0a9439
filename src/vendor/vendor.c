/* The vendor daemon: start/stop, scheme and route registries, accessors,
 * units of work, the outbox hooks (contracts in vendor.h). The device-link
 * sessions are in links.c. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "schemes/common/keys_doc.h"
#include "vendor/links.h"
#include "issuer/gc.h"
#include "vendor/outbox.h"
#include "vendor/prune.h"
#include "vendor/renew.h"
#include "vendor/vendor.h"
#include "vendor/vendor_files.h"
#include "vendor/vendor_int.h"
#include "wire/cbor.h"

struct obol_http_router obol_vendor_router;
static struct obol_vendor_scheme *schemes;

void obol_vendor_scheme_register(struct obol_vendor_scheme *sch)
{
	struct obol_vendor_scheme **p = &schemes;
	while (*p != NULL)
		p = &(*p)->next;
	sch->next = NULL;
	*p = sch;
}

struct obol_vendor_scheme *obol_vendor_schemes(void)
{
	return schemes;
}

void obol_vendor_route_register(struct obol_vendor_route *r)
{
	obol_http_router_add(&obol_vendor_router, &r->http);
}

obol_err obol_vendor_route_dispatch(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
				    struct obol_http_reply *rep)
{
	const struct obol_vendor_route *r =
		(const struct obol_vendor_route *)((const char *)route - offsetof(struct obol_vendor_route, http));
	return r->fn(app, req, rep);
}

obol_err obol_vendor_out_add(struct obol_vendor_out *out, uint32_t type, const struct obol_fields *body)
{
	size_t need = out->len + OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX;
	if (need > out->cap) {
		uint8_t *nb = realloc(out->buf, need);
		if (nb == NULL)
			return OBOL_E_NO_MEMORY;
		out->buf = nb;
		out->cap = need;
	}
	size_t n;
	obol_err e = obol_frame_encode(type, body, out->buf + out->len, out->cap - out->len, &n);
	if (e == OBOL_OK)
		out->len += n;
	return e;
}

/* ---- accessors ---------------------------------------------------------------- */

struct obol_vendor_cert obol_vendor_cert(struct obol_vendor *v)
{
	pthread_mutex_lock(&v->cert_mu);
	struct obol_vendor_cert c = v->cert;
	pthread_mutex_unlock(&v->cert_mu);
	return c;
}
const struct obol_sign_keypair *obol_vendor_sign_keys(const struct obol_vendor *v)
{
	return &v->sign;
}
const struct obol_box_keypair *obol_vendor_box_keys(const struct obol_vendor *v)
{
	return &v->box;
}
const uint8_t *obol_vendor_issuer_pk(const struct obol_vendor *v)
{
	return v->issuer_pk;
}
const struct obol_amount *obol_vendor_price(const struct obol_vendor *v)
{
	return &v->price;
}
const char *obol_vendor_dir(const struct obol_vendor *v)
{
	return v->dir;
}

const char *obol_vendor_issuer_url(const struct obol_vendor *v)
{
	return v->issuer_url;
}
uint16_t obol_vendor_port(const struct obol_vendor *v)
{
	return v->port;
}
uint16_t obol_vendor_http_port(const struct obol_vendor *v)
{
	return v->http != NULL ? obol_http_server_port(v->http) : 0;
}

void *obol_vendor_scheme_state(const struct obol_vendor *v, const char *scheme)
{
	for (size_t i = 0; i < v->nschemes; i++)
		if (strcmp(v->schemes[i].sch->name, scheme) == 0)
			return v->schemes[i].state;
	return NULL;
}

obol_err obol_vendor_run(struct obol_vendor *v, obol_unit_fn fn, void *ctx)
{
	return obol_batcher_run_retrying(v->batcher, NULL, NULL, fn, ctx);
}

void obol_vendor_outbox_kick(struct obol_vendor *v)
{
	if (v->kick != NULL)
		v->kick(v->kick_ctx);
	else
		obol_outbox_kick(v->outbox);
}

obol_err obol_vendor_issuer_client(struct obol_vendor *v, struct obol_http_client **out)
{
	obol_err e = obol_http_client_new(v->issuer_url, 0, out);
	if (e == OBOL_OK)
		obol_http_client_set_account(*out, (int64_t)obol_vendor_cert(v).vendor_id, v->sign.sk);
	return e;
}

obol_err obol_vendor_issuer_keys(struct obol_vendor *v, bool refresh, json_t **keys)
{
	char path[PATH_MAX];
	char *doc = NULL;
	json_t *fresh = NULL;
	if (refresh) {
		obol_err e = obol_vendor_fetch_keys_doc(v->issuer_url, v->issuer_pk, &fresh, NULL, &doc);
		if (e == OBOL_OK) {
			if (obol_vendor_file_path(v->dir, "issuer-keys.json", path) != OBOL_OK ||
			    obol_vendor_file_write(path, doc, 0644) != OBOL_OK)
				obol_log_warn("cannot cache the issuer's key document");
			pthread_mutex_lock(&v->keys_mu);
			json_decref(v->issuer_keys);
			v->issuer_keys = fresh;
			v->keys_fetched_at = obol_now();
			pthread_mutex_unlock(&v->keys_mu);
		} else {
			obol_log_warn("cannot refresh the issuer's keys: %s", obol_strerror(e));
		}
		free(doc);
	}
	pthread_mutex_lock(&v->keys_mu);
	*keys = json_incref(v->issuer_keys);
	pthread_mutex_unlock(&v->keys_mu);
	return *keys != NULL ? OBOL_OK : OBOL_E_KEYS_UNKNOWN;
}

void obol_vendor_keys_refresh_due(struct obol_vendor *v, int64_t now)
{
	json_t *keys = NULL;
	pthread_mutex_lock(&v->keys_mu);
	bool due = obol_keys_doc_due(v->keys_fetched_at, now);
	pthread_mutex_unlock(&v->keys_mu);
	if (due && obol_vendor_issuer_keys(v, true, &keys) == OBOL_OK)
		json_decref(keys);
}

/* ---- outbox hooks ----------------------------------------------------------------- */

static obol_err hook_run(void *ctx, obol_err (*fn)(struct obol_store *s, void *arg), void *arg)
{
	return obol_vendor_run(ctx, fn, arg);
}

static obol_err hook_client(void *ctx, struct obol_http_client **out)
{
	return obol_vendor_issuer_client(ctx, out);
}

static obol_err hook_done(void *ctx, struct obol_store *s, const struct obol_outbox_row *row, obol_err result,
			  const json_t *reply)
{
	struct obol_vendor *v = ctx;
	for (size_t i = 0; i < v->nschemes; i++) {
		struct obol_vendor_scheme *sch = v->schemes[i].sch;
		if (strcmp(sch->name, row->scheme) == 0 && sch->outbox_done != NULL)
			return sch->outbox_done(v, s, row->id, row->kind, result, reply);
	}
	return OBOL_OK;
}

bool obol_vendor_in_process(const struct obol_vendor *v)
{
	return v->in_process;
}

void obol_vendor_tick(struct obol_vendor *v)
{
	for (size_t i = 0; i < v->nschemes; i++)
		if (v->schemes[i].sch->tick != NULL)
			v->schemes[i].sch->tick(v, v->schemes[i].state);
}

/* Whether a scheme starts: all of them, unless an in-process vendor names some. */
static bool wanted(const struct obol_vendor_config *cfg, const char *name)
{
	if (!cfg->in_process || cfg->schemes == NULL)
		return true;
	for (const char *const *p = cfg->schemes; *p != NULL; p++)
		if (strcmp(*p, name) == 0)
			return true;
	return false;
}

obol_err obol_vendor_outbox_pass(struct obol_vendor *v, int *sent)
{
	struct obol_outbox_hooks hooks = { .ctx = v, .run = hook_run, .client = hook_client, .done = hook_done };
	return obol_outbox_pass(&hooks, obol_now(), sent);
}

/* ---- start and stop ---------------------------------------------------------------- */

/* The issuer's newest certificate for the vendor's key (GET /vendor/cert),
 * kept in DIR/vendor.cert. */
static obol_err fetch_cert(struct obol_vendor *v, const char *path, struct obol_vendor_cert *out)
{
	char pk64[OBOL_B64_LEN(32)], q[128], line[OBOL_VENDOR_CERT_TEXT_MAX + 2];
	json_t *reply = NULL;
	struct obol_http_client *c = NULL;
	obol_err e;
	if ((e = obol_b64_encode(v->sign.pk, 32, pk64, sizeof pk64)) != OBOL_OK)
		goto out;
	snprintf(q, sizeof q, "/vendor/cert?sign_pk=%s", pk64);
	if ((e = obol_http_client_new(v->issuer_url, 0, &c)) != OBOL_OK ||
	    (e = obol_http_get_json(c, q, 0, &reply)) != OBOL_OK) {
		if (e == OBOL_E_VENDOR_UNKNOWN)
			e = OBOL_E_VENDOR_NO_CERT;
		goto out;
	}
	const char *t = json_string_value(json_object_get(reply, "cert"));
	if (t == NULL) {
		e = OBOL_E_PEER_ERROR;
		goto out;
	}
	if ((e = obol_vendor_cert_from_text(t, out)) != OBOL_OK ||
	    (e = obol_vendor_cert_verify(out, v->issuer_pk, obol_now())) != OBOL_OK)
		goto out;
	snprintf(line, sizeof line, "%s\n", t);
	e = obol_vendor_file_write(path, line, 0644);
out:
	json_decref(reply);
	obol_http_client_free(c);
	return e;
}

/* The certificate: DIR/vendor.cert, or fetched from the issuer and kept
 * there (absent, or expired: the operator renewed it at the issuer). */
static obol_err load_cert(struct obol_vendor *v)
{
	char path[PATH_MAX];
	obol_err e = obol_vendor_file_path(v->dir, "vendor.cert", path);
	if (e != OBOL_OK)
		return e;
	e = obol_vendor_cert_load(v->dir, &v->cert);
	if (e == OBOL_OK && (e = obol_vendor_cert_verify(&v->cert, v->issuer_pk, obol_now())) == OBOL_E_VENDOR_CERT_EXPIRED) {
		struct obol_vendor_cert newer;
		obol_err f = fetch_cert(v, path, &newer);
		if (f == OBOL_OK) {
			obol_log_info("the certificate in %s had expired; the issuer's newest one is installed", path);
			v->cert = newer;
			e = OBOL_OK;
		}
	} else if (e == OBOL_E_NOT_FOUND) {
		e = fetch_cert(v, path, &v->cert);
	}
	if (e != OBOL_OK)
		return e;
	if (memcmp(v->cert.sign_pk, v->sign.pk, 32) != 0) {
		obol_log_error("the certificate names another signing key than this vendor's");
		e = OBOL_E_VENDOR_CERT_INVALID;
	}
	return e;
}

/* The issuer's keys: fresh, or the cached document when it does not answer. */
static obol_err load_issuer_keys(struct obol_vendor *v)
{
	char path[PATH_MAX];
	char *text = NULL;
	json_t *keys = NULL;
	obol_err e = obol_vendor_issuer_keys(v, true, &keys);
	if (e == OBOL_OK) {
		json_decref(keys);
		return OBOL_OK;
	}
	if ((e = obol_vendor_file_path(v->dir, "issuer-keys.json", path)) != OBOL_OK ||
	    (e = obol_vendor_file_read(path, &text)) != OBOL_OK)
		return e == OBOL_E_NOT_FOUND ? OBOL_E_NETWORK : e;
	e = obol_keys_doc_verify(text, strlen(text), v->issuer_pk, &v->issuer_keys, NULL, NULL, NULL);
	free(text);
	return e;
}

/* The daemon's schedule of vendor/prune.h, on a connection of its own. */
static obol_err vendor_prune_run(struct obol_store *s, int64_t now, size_t batch)
{
	struct obol_vendor_prune_counts n;
	obol_err e = obol_vendor_prune(s, now, batch, &n);
	if (e == OBOL_OK && n.coupon_coins + n.payword_serials + n.ecash_coins > 0)
		obol_log(OBOL_LOG_INFO,
			 "prune: removed %lld coupon coins, %lld payword certificates with %lld sales, %lld ecash coins,"
			 " %lld outbox rows in %lld batches",
			 (long long)n.coupon_coins, (long long)n.payword_serials, (long long)n.payword_sales,
			 (long long)n.ecash_coins, (long long)n.outbox, (long long)n.batches);
	return e;
}

obol_err obol_vendor_start(const struct obol_vendor_config *cfg, struct obol_vendor **out)
{
	struct obol_store *s = NULL;
	char path[PATH_MAX], url[PATH_MAX + 8];
	obol_err e;
	struct obol_vendor *v = calloc(1, sizeof *v);
	if (v == NULL)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_init(&v->keys_mu, NULL);
	pthread_mutex_init(&v->cert_mu, NULL);
	v->link_idle_ns = (uint64_t)(cfg->link_idle_ms ? cfg->link_idle_ms : OBOL_DL_TIMEOUT_MS) * 1000000u;
	v->link_session_ns = (uint64_t)(cfg->link_session_s ? cfg->link_session_s : OBOL_VENDOR_LINK_SESSION_S) *
			     1000000000u;
	v->listen_fd = -1;
	if (cfg->dir == NULL || cfg->issuer_url == NULL || (cfg->listen == NULL && !cfg->in_process)) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto fail;
	}
	if ((e = obol_strlcpy_checked(v->dir, cfg->dir, sizeof v->dir)) != OBOL_OK ||
	    (e = obol_strlcpy_checked(v->issuer_url, cfg->issuer_url, sizeof v->issuer_url)) != OBOL_OK)
		goto fail;
	if ((e = obol_vendor_keys_load(v->dir, &v->sign, &v->box)) != OBOL_OK ||
	    (e = obol_vendor_trust_issuer(v->dir, v->issuer_url, cfg->issuer_ca, cfg->insecure_http)) != OBOL_OK ||
	    (e = obol_vendor_pin_issuer(v->dir, v->issuer_url, v->issuer_pk)) != OBOL_OK ||
	    (e = load_issuer_keys(v)) != OBOL_OK || (e = load_cert(v)) != OBOL_OK)
		goto fail;

	const char *cur = json_string_value(json_object_get(v->issuer_keys, "currency"));
	char price[64];
	if (cfg->price != NULL)
		snprintf(price, sizeof price, "%s", cfg->price);
	else
		snprintf(price, sizeof price, "%s:0.001", cur != NULL ? cur : "EUR");
	if ((e = obol_amount_parse(price, &v->price)) != OBOL_OK)
		goto fail;
	if (cur == NULL || strcmp(v->price.currency, cur) != 0) {
		obol_log_error("the price %s is not in the issuer's currency", price);
		e = OBOL_E_AMOUNT_CURRENCY_MISMATCH;
		goto fail;
	}

	if ((e = obol_vendor_file_path(v->dir, "vendor.db", path)) != OBOL_OK)
		goto fail;
	snprintf(url, sizeof url, "sqlite:%s", path);
	if ((e = obol_store_open(url, true, &s)) != OBOL_OK || (e = obol_outbox_migrate(s)) != OBOL_OK)
		goto fail;
	v->in_process = cfg->in_process;
	for (struct obol_vendor_scheme *sch = schemes; sch != NULL; sch = sch->next) {
		if (!wanted(cfg, sch->name))
			continue;
		if (v->nschemes == OBOL_VENDOR_MAX_SCHEMES) {
			e = OBOL_E_INTERNAL;
			goto fail;
		}
		void *state = NULL;
		if (sch->start != NULL && (e = sch->start(v, s, &state)) != OBOL_OK) {
			obol_log_error("starting %s: %s", sch->name, obol_strerror(e));
			goto fail;
		}
		v->schemes[v->nschemes].sch = sch;
		v->schemes[v->nschemes++].state = state;
	}
	e = cfg->in_process ? obol_batcher_start_inline(s, &v->batcher)
			    : obol_batcher_start(s, cfg->batch ? cfg->batch : 64, &v->batcher);
	if (e != OBOL_OK)
		goto fail;
	s = NULL;
	if (cfg->in_process) {
		v->kick = cfg->kick;
		v->kick_ctx = cfg->kick_ctx;
		*out = v;
		return OBOL_OK;
	}

	struct obol_outbox_hooks hooks = { .ctx = v, .run = hook_run, .client = hook_client, .done = hook_done };
	if ((e = obol_outbox_start(&hooks, cfg->outbox_interval_ms, &v->outbox)) != OBOL_OK ||
	    (e = obol_prune_daemon_start(url, OBOL_VENDOR_PRUNE_INTERVAL, OBOL_VENDOR_PRUNE_BATCH, vendor_prune_run,
					 &v->prune)) != OBOL_OK ||
	    (e = obol_vendor_renewer_start(v,
					   cfg->renew_margin_s ? cfg->renew_margin_s
							       : OBOL_VENDOR_RENEW_MARGIN_DAYS_DEFAULT * INT64_C(86400),
					   cfg->renew_check_ms ? cfg->renew_check_ms
							       : OBOL_VENDOR_RENEW_CHECK_S_DEFAULT * 1000u,
					   &v->renewer)) != OBOL_OK)
		goto fail;
	if ((e = obol_devlink_listen(cfg->listen, &v->listen_fd, &v->port)) != OBOL_OK ||
	    (e = obol_vendor_links_start(v, cfg->max_links ? cfg->max_links : 64,
					 cfg->max_links_per_ip ? cfg->max_links_per_ip : OBOL_VENDOR_LINKS_PER_IP)) != OBOL_OK)
		goto fail;
	if (cfg->http_listen != NULL) {
		struct obol_http_server_config hc = { .listen = cfg->http_listen };
		if ((e = obol_http_server_start(&hc, &obol_vendor_router, v, &v->http)) != OBOL_OK)
			goto fail;
	}
	*out = v;
	return OBOL_OK;
fail:
	obol_store_close(s);
	obol_vendor_stop(v);
	return e;
}

void obol_vendor_stop(struct obol_vendor *v)
{
	if (v == NULL)
		return;
	obol_vendor_renewer_stop(v->renewer);
	obol_http_server_stop(v->http);
	obol_vendor_links_stop(v);
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	obol_gc_daemon_stop(v->prune);
	obol_outbox_stop(v->outbox);
	if (v->batcher != NULL)
		obol_batcher_stop(v->batcher);
	for (size_t i = v->nschemes; i-- > 0;)
		if (v->schemes[i].sch->stop != NULL)
			v->schemes[i].sch->stop(v, v->schemes[i].state);
	json_decref(v->issuer_keys);
	pthread_mutex_destroy(&v->keys_mu);
	pthread_mutex_destroy(&v->cert_mu);
	obol_wipe(&v->sign, sizeof v->sign);
	obol_wipe(&v->box, sizeof v->box);
	free(v);
}
