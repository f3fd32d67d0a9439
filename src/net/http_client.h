/* JSON-over-HTTP client on libcurl: what the vendor daemon and the wallet use to
 * talk to the issuer (DESIGN §2).
 *
 * A client is bound to one base URL ("http://127.0.0.1:8080") and is used by
 * one thread at a time (it keeps the connection alive between requests).
 * Errors:
 *   - NETWORK: the connection failed, was reset, or timed out (nothing is
 *     known about whether the request took effect: retry with the same request
 *     id);
 *   - HTTP_TLS: an https:// server whose certificate does not verify
 *     (against the CA its origin trusts, see obol_http_trust_set, or the
 *     system's CA store) or does not name the URL's host; libcurl checks both
 *     (CURLOPT_SSL_VERIFYPEER, CURLOPT_SSL_VERIFYHOST);
 *   - WIRE_OVERSIZED: the reply is longer than OBOL_JSON_MAX;
 *   - for an HTTP status >= 400, the error named by the reply's error body
 *     (obol_json_error_from_body), or PEER_ERROR when the body is not one;
 *   - WIRE_MALFORMED: a 2xx reply that is not one JSON object (json calls). */
#ifndef OBOL_NET_HTTP_CLIENT_H
#define OBOL_NET_HTTP_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/sign.h"

struct obol_http_client;

#define OBOL_HTTP_TIMEOUT_MS 10000

/* ---- the transport to the issuer --------------------------------------------
 *
 * Wallets and vendors talk to their issuer over https://, verified; plain
 * http:// only to a loopback address (127.0.0.0/8, ::1, localhost) unless
 * the user said --insecure-http. The trust for an origin (scheme, host and
 * port of a URL) is set once per process, when the wallet file or the
 * vendor's directory is read; every client this process then makes to that
 * origin follows it. */
struct obol_http_trust {
	const char *ca_pem; /* PEM CA certificate(s) to verify the origin's TLS certificate
			       against; NULL: the system's CA store */
	size_t ca_len;
	bool insecure_http; /* allow plain http:// to a non-loopback host */
};

/* Whether base_url may be used: INVALID_ARGUMENT when it is not http:// or
 * https:// with a host, HTTP_INSECURE for http:// to a host that is not
 * loopback without insecure_http. */
OBOL_MUST_CHECK obol_err obol_http_url_check(const char *base_url, bool insecure_http);
/* Checks base_url (obol_http_url_check) and records t for its origin
 * (copied; a later call for the same origin replaces it). */
OBOL_MUST_CHECK obol_err obol_http_trust_set(const char *base_url, const struct obol_http_trust *t);

/* base_url without a trailing slash; timeout_ms 0 = OBOL_HTTP_TIMEOUT_MS.
 * INVALID_ARGUMENT for a URL that is not http:// or https://; for an origin
 * with a trust set, HTTP_INSECURE as obol_http_url_check says. */
OBOL_MUST_CHECK obol_err obol_http_client_new(const char *base_url, long timeout_ms,
					      struct obol_http_client **out);
/* Wipes the account key, closes the connection. NULL is allowed. */
void obol_http_client_free(struct obol_http_client *c);

/* Requests sent with OBOL_HTTP_AUTH carry the Obol-Auth header (src/net/reqauth.h)
 * made with this account and key (copied; wiped at free). */
void obol_http_client_set_account(struct obol_http_client *c, int64_t account,
				  const uint8_t sk[static OBOL_SIGN_SK_LEN]);

enum { OBOL_HTTP_AUTH = 1 };

/* The raw exchange: sends method + path (may include a query) with body
 * (content type application/json when body_len > 0) and returns the HTTP
 * status and the reply body (malloc'ed, NUL-terminated, *resp_len bytes
 * before the NUL; caller frees). Returns OBOL_OK whenever a reply arrived,
 * whatever its status; NETWORK or WIRE_OVERSIZED otherwise. */
OBOL_MUST_CHECK obol_err obol_http_request(struct obol_http_client *c, const char *method, const char *path,
					   const void *body, size_t body_len, int flags, long *status,
					   char **resp, size_t *resp_len);

/* GET path; on 2xx *out is the reply object (caller json_decref's). */
OBOL_MUST_CHECK obol_err obol_http_get_json(struct obol_http_client *c, const char *path, int flags,
					    json_t **out);
/* POST the compact text of req; on 2xx *out is the reply object (out may be NULL). */
OBOL_MUST_CHECK obol_err obol_http_post_json(struct obol_http_client *c, const char *path, const json_t *req,
					     int flags, json_t **out);

/* A replacement transport for every client of the process, for the
 * deterministic simulator (tests/sim), which runs the issuer in the same
 * program: when one is installed, obol_http_request hands each request to it
 * instead of libcurl, with the client's base URL, the method, the path (with
 * its query), the Obol-Auth header value (NULL when the request carries
 * none) and the body; it answers as obol_http_request does (OBOL_OK with a
 * status and a malloc'ed, NUL-terminated reply, or NETWORK). Nothing installs
 * one from the environment or a file: only a program that calls
 * obol_http_set_transport does, which no command of build/obol does. */
struct obol_http_transport {
	obol_err (*request)(void *ctx, const char *base_url, const char *method, const char *path, const char *auth,
			    const void *body, size_t body_len, long *status, char **resp, size_t *resp_len);
	void *ctx;
};
/* Installs t (borrowed; NULL goes back to libcurl). Call it before clients are used. */
void obol_http_set_transport(const struct obol_http_transport *t);

/* Whether an answer settles a request for good: a 2xx, or a 4xx that names
 * what is wrong with it. Transport failures, 5xx and 429 are worth retrying
 * (the outbox uses this). */
int obol_http_status_definitive(long status);

#endif
