/* Which issuer origins a process trusts how (contract in http_client.h,
 * "the transport to the issuer"). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_client.h"
#include "net/http_trust.h"

#define TRUST_MAX 8
#define ORIGIN_MAX 320

struct entry {
	char origin[ORIGIN_MAX];
	char *ca;
	size_t ca_len;
	bool insecure_http;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry entries[TRUST_MAX];
static size_t nentries;

/* Splits a URL: "http"/"https", whether its host is loopback, and its
 * origin "scheme://host:port" (the port filled in when left out). */
static obol_err parse(const char *url, bool *https, bool *loopback, char origin[ORIGIN_MAX])
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	obol_err e = OBOL_E_INVALID_ARGUMENT;
	if (u == NULL)
		return OBOL_E_NO_MEMORY;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto out;
	*https = strcmp(scheme, "https") == 0;
	*loopback = strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0;
	if (snprintf(origin, ORIGIN_MAX, "%s://%s:%s", scheme, host, port) >= ORIGIN_MAX)
		goto out;
	e = OBOL_OK;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return e;
}

obol_err obol_http_url_check(const char *base_url, bool insecure_http)
{
	char origin[ORIGIN_MAX];
	bool https, loopback;
	obol_err e = parse(base_url, &https, &loopback, origin);
	if (e != OBOL_OK)
		return e;
	return https || loopback || insecure_http ? OBOL_OK : OBOL_E_HTTP_INSECURE;
}

obol_err obol_http_trust_set(const char *base_url, const struct obol_http_trust *t)
{
	char origin[ORIGIN_MAX];
	bool https, loopback;
	char *ca = NULL;
	obol_err e = parse(base_url, &https, &loopback, origin);
	if (e != OBOL_OK)
		return e;
	if (!https && !loopback && !t->insecure_http)
		return OBOL_E_HTTP_INSECURE;
	if (t->ca_pem != NULL && t->ca_len > 0) {
		if ((ca = malloc(t->ca_len)) == NULL)
			return OBOL_E_NO_MEMORY;
		memcpy(ca, t->ca_pem, t->ca_len);
	}
	pthread_mutex_lock(&mu);
	size_t i = 0;
	while (i < nentries && strcmp(entries[i].origin, origin) != 0)
		i++;
	if (i == TRUST_MAX) {
		e = OBOL_E_INVALID_ARGUMENT; /* a process talks to one issuer, not to eight */
	} else {
		if (i == nentries)
			nentries++;
		else
			free(entries[i].ca);
		snprintf(entries[i].origin, ORIGIN_MAX, "%s", origin);
		entries[i].ca = ca;
		entries[i].ca_len = ca != NULL ? t->ca_len : 0;
		entries[i].insecure_http = t->insecure_http;
		ca = NULL;
	}
	pthread_mutex_unlock(&mu);
	free(ca);
	return e;
}

obol_err obol_http_trust_for(const char *base_url, char **ca, size_t *ca_len)
{
	char origin[ORIGIN_MAX];
	bool https, loopback;
	obol_err e = parse(base_url, &https, &loopback, origin);
	*ca = NULL;
	*ca_len = 0;
	if (e != OBOL_OK)
		return e;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nentries && e == OBOL_OK; i++) {
		if (strcmp(entries[i].origin, origin) != 0)
			continue;
		if (!https && !loopback && !entries[i].insecure_http) {
			e = OBOL_E_HTTP_INSECURE;
		} else if (entries[i].ca != NULL) {
			if ((*ca = malloc(entries[i].ca_len)) == NULL) {
				e = OBOL_E_NO_MEMORY;
			} else {
				memcpy(*ca, entries[i].ca, entries[i].ca_len);
				*ca_len = entries[i].ca_len;
			}
		}
		break;
	}
	pthread_mutex_unlock(&mu);
	return e;
}
