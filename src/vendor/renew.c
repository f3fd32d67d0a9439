/* Renewal of the vendor's certificate (contract in renew.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "vendor/renew.h"
#include "vendor/vendor_files.h"
#include "vendor/vendor_int.h"

bool obol_vendor_renewal_due(const struct obol_vendor_cert *cur, int64_t margin_s, int64_t now)
{
	return now >= cur->valid_until - margin_s;
}

obol_err obol_vendor_renewal_check(const struct obol_vendor_cert *cur, const struct obol_vendor_cert *fresh,
				   const uint8_t issuer_pk[static 32], int64_t now)
{
	obol_err e = obol_vendor_cert_verify(fresh, issuer_pk, now);
	if (e != OBOL_OK)
		return e;
	if (fresh->vendor_id != cur->vendor_id || fresh->account != cur->account ||
	    strcmp(fresh->name, cur->name) != 0 || !obol_ct_equal(fresh->sign_pk, cur->sign_pk, 32) ||
	    fresh->has_box_pk != cur->has_box_pk ||
	    (cur->has_box_pk && !obol_ct_equal(fresh->box_pk, cur->box_pk, 32)))
		return OBOL_E_VENDOR_CERT_INVALID;
	if (fresh->valid_until <= cur->valid_until)
		return OBOL_E_VENDOR_CERT_NOT_RENEWED;
	return OBOL_OK;
}

obol_err obol_vendor_renewal_id(const struct obol_vendor_cert *cur, char out[64])
{
	uint8_t h[32];
	char b64[OBOL_B64_LEN(32)];
	obol_err e;
	if ((e = obol_vendor_cert_hash(cur, h)) != OBOL_OK || (e = obol_b64_encode(h, sizeof h, b64, sizeof b64)) != OBOL_OK)
		return e;
	snprintf(out, 64, "renew-%s", b64);
	return OBOL_OK;
}

/* Keeps fresh in DIR/vendor.cert, then makes it current and tells the
 * schemes. */
static obol_err install(struct obol_vendor *v, const struct obol_vendor_cert *fresh, const char *text)
{
	char path[PATH_MAX], line[OBOL_VENDOR_CERT_TEXT_MAX + 2];
	obol_err e = obol_vendor_file_path(v->dir, "vendor.cert", path);
	if (e != OBOL_OK)
		return e;
	snprintf(line, sizeof line, "%s\n", text);
	if ((e = obol_vendor_file_write(path, line, 0644)) != OBOL_OK)
		return e;
	pthread_mutex_lock(&v->cert_mu);
	v->cert = *fresh;
	pthread_mutex_unlock(&v->cert_mu);
	for (size_t i = 0; i < v->nschemes; i++)
		if (v->schemes[i].sch->cert_renewed != NULL)
			v->schemes[i].sch->cert_renewed(v, v->schemes[i].state);
	return OBOL_OK;
}

obol_err obol_vendor_renew_pass(struct obol_vendor *v, int64_t margin_s, int64_t now, bool *renewed)
{
	const struct obol_vendor_cert cur = obol_vendor_cert(v);
	struct obol_vendor_cert fresh;
	struct obol_http_client *c = NULL;
	json_t *req = NULL, *reply = NULL;
	char id[64];
	obol_err e = OBOL_OK;
	*renewed = false;
	obol_vendor_keys_refresh_due(v, now);
	for (size_t i = 0; i < v->nschemes; i++)
		if (v->schemes[i].sch->renew != NULL)
			v->schemes[i].sch->renew(v, v->schemes[i].state, now);
	if (!obol_vendor_renewal_due(&cur, margin_s, now))
		return OBOL_OK;
	if ((e = obol_vendor_renewal_id(&cur, id)) != OBOL_OK)
		goto out;
	if ((req = json_pack("{s:s}", "request_id", id)) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_vendor_issuer_client(v, &c)) != OBOL_OK ||
	    (e = obol_http_post_json(c, "/vendor/renew", req, OBOL_HTTP_AUTH, &reply)) != OBOL_OK)
		goto out;
	const char *text = json_string_value(json_object_get(reply, "cert"));
	if (text == NULL) {
		e = OBOL_E_PEER_ERROR;
		goto out;
	}
	if ((e = obol_vendor_cert_from_text(text, &fresh)) != OBOL_OK ||
	    (e = obol_vendor_renewal_check(&cur, &fresh, v->issuer_pk, now)) != OBOL_OK ||
	    (e = install(v, &fresh, text)) != OBOL_OK)
		goto out;
	*renewed = true;
	obol_log_info("certificate renewed: valid until %lld (was %lld)", (long long)fresh.valid_until,
		      (long long)cur.valid_until);
out:
	json_decref(req);
	json_decref(reply);
	obol_http_client_free(c);
	return e;
}

struct obol_vendor_renewer {
	struct obol_vendor *v;
	int64_t margin_s;
	unsigned check_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void *worker(void *arg)
{
	struct obol_vendor_renewer *r = arg;
	obol_err last = OBOL_OK;
	/* The start has just looked (load_cert, each scheme's start): the
	 * first look is one interval later. */
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)r->check_ms * 1000000u;
		ts.tv_sec += (time_t)(ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
			;
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->mu);
		bool renewed;
		obol_err e = obol_vendor_renew_pass(r->v, r->margin_s, obol_now(), &renewed);
		if (e != OBOL_OK && e != last) /* said once, not at every check */
			obol_log_warn("certificate renewal: %s (the current certificate stays in use)",
				      obol_strerror(e));
		last = e;
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

obol_err obol_vendor_renewer_start(struct obol_vendor *v, int64_t margin_s, unsigned check_ms,
				   struct obol_vendor_renewer **out)
{
	struct obol_vendor_renewer *r = calloc(1, sizeof *r);
	if (r == NULL)
		return OBOL_E_NO_MEMORY;
	r->v = v;
	r->margin_s = margin_s;
	r->check_ms = check_ms;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->thread, NULL, worker, r) != 0) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		free(r);
		return OBOL_E_INTERNAL;
	}
	*out = r;
	return OBOL_OK;
}

void obol_vendor_renewer_stop(struct obol_vendor_renewer *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
