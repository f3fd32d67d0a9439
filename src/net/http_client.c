/* JSON-over-HTTP client on libcurl (contract in http_client.h). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "net/http_trust.h"
#include "net/reqauth.h"
#include "wire/json.h"

/* Idle keep-alive connections the process keeps (all clients share them):
 * at least as many as its threads that talk HTTP at once. */
#define HTTP_IDLE_CONNECTIONS 256L

struct obol_http_client {
	CURL *curl;
	char *base;
	long timeout_ms;
	int64_t account;
	uint8_t sk[OBOL_SIGN_SK_LEN]; /* secret */
	bool has_account;
	char *ca; /* the CA its origin trusts (http_trust.h); NULL: the system's */
	size_t ca_len;
};

struct sink {
	char *buf;
	size_t len, cap;
	bool oversized;
};

static const struct obol_http_transport *transport;

void obol_http_set_transport(const struct obol_http_transport *t)
{
	transport = t;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* One connection cache for every client of the process, so a daemon that
 * makes a short-lived client per request (the vendor's synchronous calls)
 * still reuses its kept-alive connections to the issuer. */
static CURLSH *share;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	(void)h;
	(void)access;
	(void)ud;
	pthread_mutex_lock(&share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	(void)h;
	(void)ud;
	pthread_mutex_unlock(&share_mu[data]);
}

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (curl_init_rc != CURLE_OK)
		return;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_mu[i], NULL);
	share = curl_share_init();
	if (share != NULL &&
	    (curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	     curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	     curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	     curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)) {
		curl_share_cleanup(share);
		share = NULL;
	}
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	if (s->len + n > OBOL_JSON_MAX) {
		s->oversized = true;
		return 0; /* aborts the transfer */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		/* Grown by copy, so no freed block keeps a secret of the reply. */
		char *nb = malloc(cap);
		if (nb == NULL)
			return 0;
		if (s->len > 0)
			memcpy(nb, s->buf, s->len);
		obol_free_wiped(s->buf);
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

obol_err obol_http_client_new(const char *base_url, long timeout_ms, struct obol_http_client **out)
{
	if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
		return OBOL_E_INVALID_ARGUMENT;
	if (transport == NULL) {
		pthread_once(&curl_once, curl_init);
		if (curl_init_rc != CURLE_OK)
			return OBOL_E_NETWORK;
	}
	struct obol_http_client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_http_trust_for(base_url, &c->ca, &c->ca_len);
	if (e != OBOL_OK) {
		obol_http_client_free(c);
		return e;
	}
	c->base = strdup(base_url);
	c->curl = transport == NULL ? curl_easy_init() : NULL;
	if (c->base == NULL || (transport == NULL && c->curl == NULL)) {
		obol_http_client_free(c);
		return OBOL_E_NO_MEMORY;
	}
	size_t n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : OBOL_HTTP_TIMEOUT_MS;
	*out = c;
	return OBOL_OK;
}

void obol_http_client_free(struct obol_http_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->base);
	free(c->ca);
	obol_wipe(c, sizeof *c);
	free(c);
}

void obol_http_client_set_account(struct obol_http_client *c, int64_t account,
				  const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	c->account = account;
	memcpy(c->sk, sk, OBOL_SIGN_SK_LEN);
	c->has_account = true;
}

/* The Obol-Auth header value for a request (the signed path is the one the
 * server routes on: without the query). */
static obol_err auth_value(struct obol_http_client *c, const char *method, const char *path, const void *body,
			   size_t body_len, char v[OBOL_AUTH_HEADER_MAX])
{
	char spath[1024];
	size_t plen = strcspn(path, "?");
	if (!c->has_account || plen >= sizeof spath)
		return OBOL_E_INVALID_ARGUMENT;
	memcpy(spath, path, plen);
	spath[plen] = '\0';
	uint8_t bh[32];
	obol_sha256(bh, body_len ? body : "", body_len);
	return obol_reqauth_make(v, method, spath, bh, c->account, obol_now(), c->sk);
}

obol_err obol_http_request(struct obol_http_client *c, const char *method, const char *path, const void *body,
			   size_t body_len, int flags, long *status, char **resp, size_t *resp_len)
{
	struct sink s = { 0 };
	struct curl_slist *hdrs = NULL;
	char *url = NULL;
	char v[OBOL_AUTH_HEADER_MAX];
	char auth[OBOL_AUTH_HEADER_MAX + 16];
	obol_err e = OBOL_OK;

	if ((flags & OBOL_HTTP_AUTH) && (e = auth_value(c, method, path, body, body_len, v)) != OBOL_OK)
		goto out;
	if (transport != NULL) {
		e = transport->request(transport->ctx, c->base, method, path, (flags & OBOL_HTTP_AUTH) ? v : NULL, body,
				       body_len, status, resp, resp_len);
		goto out;
	}
	if (asprintf(&url, "%s%s", c->base, path) < 0) {
		url = NULL;
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (share != NULL) {
		curl_easy_setopt(h, CURLOPT_SHARE, share);
		/* the process's idle connections live in the shared cache, whose
		 * size limit is this handle's: libcurl's default of 5 made every
		 * request beyond the fifth concurrent one close a connection (and
		 * the next open a new one) instead of keeping it alive */
		curl_easy_setopt(h, CURLOPT_MAXCONNECTS, HTTP_IDLE_CONNECTIONS);
	}
	/* TLS: the peer's certificate and its host name are always verified. */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca != NULL) {
		struct curl_blob ca = { .data = c->ca, .len = c->ca_len, .flags = CURL_BLOB_NOCOPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (body_len > 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	if (flags & OBOL_HTTP_AUTH) {
		snprintf(auth, sizeof auth, "%s: %s", OBOL_AUTH_HEADER, v);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (hdrs == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	CURLcode rc = curl_easy_perform(h);
	if (s.oversized) {
		e = OBOL_E_WIRE_OVERSIZED;
		goto out;
	}
	if (rc != CURLE_OK) {
		obol_log_debug("%s %s: %s", method, url, curl_easy_strerror(rc));
		e = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
				    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR
			    ? OBOL_E_HTTP_TLS
			    : OBOL_E_NETWORK;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (s.buf == NULL) {
		s.buf = calloc(1, 1);
		if (s.buf == NULL) {
			e = OBOL_E_NO_MEMORY;
			goto out;
		}
	}
	*resp = s.buf;
	*resp_len = s.len;
	s.buf = NULL;
out:
	curl_slist_free_all(hdrs);
	free(url);
	obol_free_wiped(s.buf);
	obol_wipe(auth, sizeof auth);
	obol_wipe(v, sizeof v);
	return e;
}

/* Turns a reply into a JSON object or the error it names. */
static obol_err reply_json(long status, const char *text, size_t len, json_t **out)
{
	if (status >= 400)
		return obol_json_error_from_body(text, len);
	if (status < 200 || status >= 300)
		return OBOL_E_PEER_ERROR;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return OBOL_E_WIRE_MALFORMED;
	}
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return OBOL_OK;
}

obol_err obol_http_get_json(struct obol_http_client *c, const char *path, int flags, json_t **out)
{
	long status = 0;
	char *text = NULL;
	size_t len = 0;
	obol_err e = obol_http_request(c, "GET", path, NULL, 0, flags, &status, &text, &len);
	if (e == OBOL_OK)
		e = reply_json(status, text, len, out);
	obol_free_wiped(text);
	return e;
}

obol_err obol_http_post_json(struct obol_http_client *c, const char *path, const json_t *req, int flags,
			     json_t **out)
{
	long status = 0;
	char *text = NULL, *body = json_dumps(req, JSON_COMPACT);
	size_t len = 0;
	if (body == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_http_request(c, "POST", path, body, strlen(body), flags, &status, &text, &len);
	if (e == OBOL_OK)
		e = reply_json(status, text, len, out);
	obol_free_wiped(text); /* a reply or a request may hold a secret */
	obol_free_wiped(body);
	return e;
}

int obol_http_status_definitive(long status)
{
	return (status >= 200 && status < 300) || (status >= 400 && status < 500 && status != 429 && status != 408);
}
