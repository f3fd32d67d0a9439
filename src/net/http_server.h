/* A small JSON-over-HTTP server on libmicrohttpd, shared by the issuer daemon
 * and the vendor daemon's product endpoint (DESIGN §2, §4).
 *
 * Contract of every request:
 *   - a body longer than OBOL_JSON_MAX is refused with 413 and the WIRE_OVERSIZED
 *     error body, whatever the path (checked on Content-Length and while
 *     reading, so an oversized upload is never buffered whole);
 *   - the route is chosen by method and path (the query string is not part of
 *     the path): an exact route wins over a prefix route, the longest prefix
 *     wins among prefixes; no route for the path is HTTP_NOT_FOUND (404), a
 *     route for the path under another method is HTTP_METHOD (405);
 *   - for a route with `json_body` set, a body that is not one JSON object
 *     (garbage, trailing bytes, duplicate keys) is WIRE_MALFORMED (400) before
 *     the handler runs, and the handler gets the parsed object in req->json;
 *     an empty body is also WIRE_MALFORMED for such a route;
 *   - a handler that returns an error produces the named error body
 *     {"code","name","hint"} (obol_json_error_body) with the error's HTTP
 *     status (obol_errhttp) and rep->detail as detail; anything it put in
 *     rep->body is dropped;
 *   - a handler that returns OBOL_OK sends rep->body (JSON, status rep->status,
 *     200 when left 0), or rep->raw (any content type) when set;
 *   - every error answered with 503 carries Retry-After (OBOL_HTTP_RETRY_AFTER_S);
 *   - a request with both Content-Length and Transfer-Encoding is refused
 *     with HTTP_AMBIGUOUS_LENGTH (400) before its body is read, and its
 *     connection closed (RFC 9112 §6.1: the two disagree about where the
 *     request ends, the ground of request smuggling);
 *   - libmicrohttpd's own refusals (a request line or headers too large,
 *     431/414; a request it cannot parse, 400; a Content-Length too large to
 *     read, 413) carry obol's error body too (http_server_errors.c).
 *
 * Connections (see http_server_int.h): at most max_conns open, at most
 * max_conns_per_ip from one client address (beyond them a connection is
 * closed at once); a request's headers and body must arrive within
 * request_ms of its connection's start or of its previous reply, however
 * slowly they trickle; when three quarters of max_conns are open, a
 * connection still reading its request after a second is closed, so that
 * slow connections cannot crowd honest clients out.
 *
 * Every connection is served by a thread of its own, so handlers run several
 * at once and may block (the issuer's handlers wait for their group commit,
 * or back off before a retry) without holding up any other connection; the
 * connection limits below bound the threads. */
#ifndef OBOL_NET_HTTP_SERVER_H
#define OBOL_NET_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* The request a handler sees. Everything is borrowed for the duration of the
 * handler call only. */
struct obol_http_req {
	const char *method;    /* "GET", "POST", ... */
	const char *path;      /* "/coupon/coin/abc" (no query string) */
	const char *tail;      /* prefix routes: the part of path after the prefix, else "" */
	const uint8_t *body;   /* exactly body_len bytes (not NUL-terminated); NULL when empty */
	size_t body_len;
	uint8_t body_hash[32]; /* SHA-256 of the body (of zero bytes when empty) */
	const json_t *json;    /* json_body routes: the parsed object; else NULL */
	const char *auth;      /* the Obol-Auth header, or NULL */
	void *conn_;           /* internal: the libmicrohttpd connection (NULL in process) */
	const struct obol_http_query *query_; /* internal: the query of an in-process request */
};

/* The value of a query argument ("?id=..."), or NULL when absent. */
const char *obol_http_req_query(const struct obol_http_req *req, const char *key);
/* The value of any request header, or NULL when absent. */
const char *obol_http_req_header(const struct obol_http_req *req, const char *name);
/* The client's IP address as text in out, or NULL when unknown. */
#define OBOL_HTTP_PEER_MAX 64
const char *obol_http_req_peer(const struct obol_http_req *req, char out[static OBOL_HTTP_PEER_MAX]);

#define OBOL_HTTP_DETAIL_MAX 200

/* What a handler fills in. The server frees what it owns afterwards. */
struct obol_http_reply {
	unsigned status;                        /* 0 means 200 */
	json_t *body;                           /* owned by the reply once set (json_decref'ed by the server) */
	uint8_t *raw;                           /* instead of body: malloc'ed bytes, owned by the reply */
	size_t raw_len;
	const char *content_type;               /* for raw; static string, e.g. "text/plain" */
	char *headers;                          /* more response headers, "Name: value\n" lines
						   (malloc'ed, owned by the reply); NULL for none */
	char detail[OBOL_HTTP_DETAIL_MAX + 1];  /* error detail, "" for none; never a secret */
};

/* Sets rep->detail with printf formatting (truncated to fit). */
void obol_http_reply_detail(struct obol_http_reply *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct obol_http_route;
/* app is the pointer given to obol_http_server_start; route is the matched
 * route (so wrappers can reach their own data through container_of). */
typedef obol_err (*obol_http_handler)(void *app, const struct obol_http_route *route,
				      const struct obol_http_req *req, struct obol_http_reply *rep);

struct obol_http_route {
	const char *method;      /* "GET", "POST" */
	const char *path;        /* "/keys"; a path ending in '/' is a prefix route: "/coupon/coin/"
				    matches "/coupon/coin/ID" (ID non-empty, in req->tail); "/" matches
				    every path, "/" itself included */
	bool json_body;          /* the body must be one JSON object (see above) */
	obol_http_handler handler;
	struct obol_http_route *next;
};

/* A set of routes. Routes are added before the server starts (constructors
 * do it at load time); the router is read-only afterwards. */
struct obol_http_router {
	struct obol_http_route *head;
};
void obol_http_router_add(struct obol_http_router *r, struct obol_http_route *route);

/* The route for (method, path); *tail set for prefix routes. OBOL_E_HTTP_NOT_FOUND
 * or OBOL_E_HTTP_METHOD as described above. Exposed for tests. */
OBOL_MUST_CHECK obol_err obol_http_router_match(const struct obol_http_router *r, const char *method,
						const char *path, const struct obol_http_route **route,
						const char **tail);

struct obol_http_server;

#define OBOL_HTTP_MAX_CONNS 512
#define OBOL_HTTP_MAX_CONNS_PER_IP 64
#define OBOL_HTTP_REQUEST_MS 10000
#define OBOL_HTTP_IDLE_S 30
#define OBOL_HTTP_RETRY_AFTER_S 1

struct obol_http_server_config {
	const char *listen;  /* "HOST:PORT"; HOST a numeric IPv4 address (127.0.0.1, 0.0.0.0); PORT 0 picks a free one */
	unsigned max_conns;  /* open connections at most; 0 = OBOL_HTTP_MAX_CONNS */
	unsigned max_conns_per_ip; /* from one client address; 0 = OBOL_HTTP_MAX_CONNS_PER_IP */
	unsigned request_ms; /* to read a request's headers and body; 0 = OBOL_HTTP_REQUEST_MS */
	unsigned timeout_s;  /* idle connection timeout; 0 = OBOL_HTTP_IDLE_S */
	/* HTTPS: PEM files of the server's certificate (chain) and private key,
	 * both or neither (plain HTTP). libmicrohttpd's TLS (GnuTLS in
	 * Debian's build). */
	const char *tls_cert, *tls_key;
	const char *name;    /* the listener's name in the metrics (src/console/metrics.h); NULL = "api" */
};

/* Starts serving in background threads. Errors: INVALID_ARGUMENT (bad listen
 * text, one TLS file without the other), IO (cannot bind), TLS_CONFIG (a TLS
 * file unreadable, or a certificate and key libmicrohttpd refuses, or no TLS
 * in this libmicrohttpd). The router and app must outlive the server. */
OBOL_MUST_CHECK obol_err obol_http_server_start(const struct obol_http_server_config *cfg,
						const struct obol_http_router *router, void *app,
						struct obol_http_server **out);
/* The port actually bound (useful with port 0). */
uint16_t obol_http_server_port(const struct obol_http_server *srv);
/* Connections open now, and those closed so far for being past their
 * request deadline (late) or slow under pressure (pressed). */
void obol_http_server_conns(struct obol_http_server *srv, unsigned *open, unsigned long long *late,
			    unsigned long long *pressed);
/* Stops accepting, waits for running handlers, frees. NULL is allowed. */
void obol_http_server_stop(struct obol_http_server *srv);

/* A request handled inside the program, without a socket: for a server run
 * inside another program (the deterministic simulator, tests/sim, runs the
 * issuer so). */
struct obol_http_call {
	const char *method;
	const char *target;  /* the path, with an optional "?key=value&..." query */
	const char *auth;    /* the Obol-Auth header value, or NULL */
	const uint8_t *body; /* body_len bytes; NULL when empty */
	size_t body_len;
};
/* Does with call what the server does with a request it has read: the same
 * routing, size limit, body checks, handler call and error bodies. Sets
 * *status and *reply, a malloc'ed copy of the reply body (JSON text, or the
 * raw bytes a handler set), NUL-terminated, *reply_len bytes before the NUL;
 * the caller frees it with obol_free_wiped. Returns NO_MEMORY or OBOL_OK (a
 * handler's error is a reply too). app is what obol_http_server_start would
 * get. */
OBOL_MUST_CHECK obol_err obol_http_handle(const struct obol_http_router *router, void *app,
					  const struct obol_http_call *call, unsigned *status, char **reply,
					  size_t *reply_len);

/* Parses "HOST:PORT" (IPv4 dotted or "localhost"); used by the daemons and
 * the device link. host holds at least 64 bytes. */
OBOL_MUST_CHECK obol_err obol_parse_hostport(const char *text, char host[64], uint16_t *port);

#endif
