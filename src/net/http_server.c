/* JSON-over-HTTP server on libmicrohttpd: body accumulation with a hard limit,
 * routing, named error bodies. Contracts in http_server.h. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console/metrics.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "net/http_server.h"
#include "net/http_server_int.h"
#include "wire/json.h"

struct obol_http_server {
	struct MHD_Daemon *mhd;
	const struct obol_http_router *router;
	void *app;
	uint16_t port;
	char *tls_cert, *tls_key; /* PEM text for libmicrohttpd; the key is wiped at stop */
	const char *name;         /* the listener's name in the metrics */
	struct obol_http_guard *guard; /* deadlines and room for its connections */
};

#define TLS_FILE_MAX (256 * 1024)
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)
#define RETRY_AFTER_TEXT TEXT(OBOL_HTTP_RETRY_AFTER_S)

/* Reads a PEM file whole, NUL-terminated. TLS_CONFIG when it cannot. */
static obol_err read_pem(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(TLS_FILE_MAX + 1);
	size_t n = 0;
	obol_err e = OBOL_OK;
	if (f == NULL || buf == NULL) {
		obol_log_error("cannot read %s", path);
		e = f == NULL ? OBOL_E_TLS_CONFIG : OBOL_E_NO_MEMORY;
		goto out;
	}
	n = fread(buf, 1, TLS_FILE_MAX + 1, f);
	if (ferror(f) || n == 0 || n > TLS_FILE_MAX || memchr(buf, 0, n) != NULL) {
		obol_log_error("%s is not a PEM file of at most %d bytes", path, TLS_FILE_MAX);
		e = OBOL_E_TLS_CONFIG;
		goto out;
	}
	buf[n] = 0;
	*out = buf;
	buf = NULL;
out:
	if (f != NULL)
		fclose(f);
	obol_free_wiped(buf);
	return e;
}

/* Whether the PEM certificate and key belong together (OpenSSL reads them
 * here so that a wrong pair is named before libmicrohttpd starts). */
static obol_err check_pair(const char *cert_pem, const char *key_pem)
{
	BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
	X509 *x = cb != NULL ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb != NULL ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	obol_err e = x != NULL && k != NULL && X509_check_private_key(x, k) == 1 ? OBOL_OK : OBOL_E_TLS_CONFIG;
	if (e != OBOL_OK)
		obol_log_error("the TLS certificate and key are not a matching PEM pair");
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(cb);
	BIO_free(kb);
	ERR_clear_error();
	return e;
}

static void server_free(struct obol_http_server *srv)
{
	obol_http_guard_free(srv->guard);
	free(srv->tls_cert);
	obol_free_wiped(srv->tls_key);
	free(srv);
}

/* Per-request state kept by libmicrohttpd between calls of the handler. */
struct request {
	uint8_t *body;
	size_t len, cap;
	size_t seen;    /* bytes received, also those dropped once oversized */
	bool oversized;
	uint64_t t0;    /* when its first byte came (obol_mono_ns) */
};

/* An upload this much past the limit is cut off without reading the rest. */
#define DRAIN_LIMIT (4 * (size_t)OBOL_JSON_MAX)

void obol_http_reply_detail(struct obol_http_reply *rep, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->detail, sizeof rep->detail, fmt, ap);
	va_end(ap);
}

/* The query of an in-process request, split and %-decoded. */
#define QUERY_ARGS_MAX 16
struct obol_http_query {
	char *buf; /* the decoded text: "key\0value\0key\0value\0..." */
	const char *key[QUERY_ARGS_MAX], *value[QUERY_ARGS_MAX];
	size_t n;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes %XX and '+' of [p, end) into out (which has room). */
static char *url_decode(const char *p, const char *end, char *out)
{
	while (p < end) {
		if (*p == '%' && end - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*out++ = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			p += 3;
		} else {
			*out++ = *p == '+' ? ' ' : *p;
			p++;
		}
	}
	*out++ = '\0';
	return out;
}

static obol_err query_parse(const char *text, struct obol_http_query *q)
{
	memset(q, 0, sizeof *q);
	q->buf = malloc(strlen(text) * 2 + 2);
	if (q->buf == NULL)
		return OBOL_E_NO_MEMORY;
	char *w = q->buf;
	for (const char *p = text; *p != '\0' && q->n < QUERY_ARGS_MAX;) {
		const char *amp = strchr(p, '&'), *end = amp != NULL ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		q->key[q->n] = w;
		w = url_decode(p, eq != NULL ? eq : end, w);
		q->value[q->n] = w;
		w = url_decode(eq != NULL ? eq + 1 : end, end, w);
		q->n++;
		p = amp != NULL ? amp + 1 : end;
	}
	return OBOL_OK;
}

const char *obol_http_req_query(const struct obol_http_req *req, const char *key)
{
	if (req->conn_ == NULL) {
		for (size_t i = 0; req->query_ != NULL && i < req->query_->n; i++)
			if (strcmp(req->query_->key[i], key) == 0)
				return req->query_->value[i];
		return NULL;
	}
	return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, key);
}

const char *obol_http_req_header(const struct obol_http_req *req, const char *name)
{
	if (req->conn_ == NULL)
		return strcasecmp(name, "Obol-Auth") == 0 ? req->auth : NULL;
	return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

const char *obol_http_req_peer(const struct obol_http_req *req, char out[static OBOL_HTTP_PEER_MAX])
{
	const union MHD_ConnectionInfo *ci =
		req->conn_ != NULL ? MHD_get_connection_info(req->conn_, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	const void *a = NULL;
	if (sa != NULL && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, out, OBOL_HTTP_PEER_MAX) == NULL)
		return NULL;
	return out;
}

void obol_http_router_add(struct obol_http_router *r, struct obol_http_route *route)
{
	route->next = r->head;
	r->head = route;
}

static bool is_prefix_route(const struct obol_http_route *rt)
{
	size_t n = strlen(rt->path);
	return n > 0 && rt->path[n - 1] == '/';
}

obol_err obol_http_router_match(const struct obol_http_router *r, const char *method, const char *path,
				const struct obol_http_route **route, const char **tail)
{
	const struct obol_http_route *best = NULL;
	size_t best_len = 0;
	bool path_known = false;

	for (const struct obol_http_route *rt = r->head; rt != NULL; rt = rt->next) {
		size_t n = strlen(rt->path);
		bool hit;
		if (is_prefix_route(rt))
			hit = strncmp(path, rt->path, n) == 0 && (path[n] != '\0' || n == 1);
		else
			hit = strcmp(path, rt->path) == 0;
		if (!hit)
			continue;
		path_known = true;
		if (strcmp(method, rt->method) != 0)
			continue;
		/* An exact route is longer than any prefix of the same path. */
		size_t score = is_prefix_route(rt) ? n : n + 1;
		if (best == NULL || score > best_len) {
			best = rt;
			best_len = score;
		}
	}
	if (best == NULL)
		return path_known ? OBOL_E_HTTP_METHOD : OBOL_E_HTTP_NOT_FOUND;
	*route = best;
	*tail = is_prefix_route(best) ? path + strlen(best->path) : "";
	return OBOL_OK;
}

obol_err obol_parse_hostport(const char *text, char host[64], uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	if (colon == NULL || colon == text || (size_t)(colon - text) >= 64)
		return OBOL_E_INVALID_ARGUMENT;
	uint64_t p;
	if (obol_parse_u64(colon + 1, 0, 65535, &p) != OBOL_OK)
		return OBOL_E_INVALID_ARGUMENT;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) != 1)
		return OBOL_E_INVALID_ARGUMENT;
	*port = (uint16_t)p;
	return OBOL_OK;
}

/* Adds the reply's own "Name: value" header lines to resp. */
static void add_headers(struct MHD_Response *resp, const char *headers)
{
	char name[64], value[1024];
	for (const char *p = headers; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n'), *end = nl != NULL ? nl : p + strlen(p);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon != NULL && (size_t)(colon - p) < sizeof name && colon[1] == ' ' &&
		    (size_t)(end - colon - 2) < sizeof value) {
			snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
			snprintf(value, sizeof value, "%.*s", (int)(end - colon - 2), colon + 2);
			MHD_add_response_header(resp, name, value);
		}
		p = nl != NULL ? nl + 1 : end;
	}
}

/* Queues a JSON reply. The text goes to the response as it is and is wiped
 * when freed: a reply may carry a secret (payword's user certificate holds
 * its chain seed). */
static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, const json_t *body,
				 const char *headers)
{
	char *text = json_dumps(body, JSON_COMPACT);
	if (text == NULL)
		return MHD_NO;
	struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text,
											 obol_free_wiped);
	if (resp == NULL) {
		obol_free_wiped(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	add_headers(resp, headers);
	/* Every 503 is a refusal for now (busy, over a bound): say when. */
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, RETRY_AFTER_TEXT);
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, obol_err e, const char *detail)
{
	json_t *body = obol_json_error_body(e, detail != NULL && detail[0] != '\0' ? detail : NULL);
	if (body == NULL)
		return MHD_NO;
	enum MHD_Result r = send_json(conn, obol_errhttp(e), body, NULL);
	json_decref(body);
	return r;
}

/* A refusal after which the connection is not read again: its bytes cannot
 * be trusted to say where the next request starts. */
static enum MHD_Result send_error_close(struct MHD_Connection *conn, obol_err e, const char *detail)
{
	json_t *body = obol_json_error_body(e, detail);
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	struct MHD_Response *resp =
		text != NULL ? MHD_create_response_from_buffer_with_free_callback(strlen(text), text, free) : NULL;
	enum MHD_Result r = MHD_NO;
	json_decref(body);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	r = MHD_queue_response(conn, obol_errhttp(e), resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct obol_http_reply *rep)
{
	unsigned status = rep->status != 0 ? rep->status : 200;
	if (rep->raw != NULL) {
		/* The response takes the bytes and wipes them when sent: an
		 * idempotent answer may carry a secret (payword's certificate). */
		struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(rep->raw_len, rep->raw,
											       obol_free_wiped);
		if (resp == NULL)
			return MHD_NO;
		rep->raw = NULL;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					rep->content_type != NULL ? rep->content_type : "application/octet-stream");
		add_headers(resp, rep->headers);
		enum MHD_Result r = MHD_queue_response(conn, status, resp);
		MHD_destroy_response(resp);
		return r;
	}
	if (rep->body == NULL) {
		json_t *empty = json_object();
		if (empty == NULL)
			return MHD_NO;
		enum MHD_Result r = send_json(conn, status, empty, rep->headers);
		json_decref(empty);
		return r;
	}
	return send_json(conn, status, rep->body, rep->headers);
}

/* What the server does with a request it has read, whatever carried it:
 * routing, the body checks, the handler. On return, either *err is the error
 * to answer (with rep->detail), or rep holds the handler's reply. */
static void handle(const struct obol_http_router *router, void *app, struct obol_http_req *req,
		   struct obol_http_reply *rep, json_t **json, obol_err *err, const struct obol_http_route **matched)
{
	const struct obol_http_route *route = NULL;
	const char *tail = "";
	obol_err e = obol_http_router_match(router, req->method, req->path, &route, &tail);
	*json = NULL;
	*matched = route;
	if (e != OBOL_OK) {
		*err = e;
		return;
	}
	req->tail = tail;
	obol_sha256(req->body_hash, req->body != NULL ? req->body : (const uint8_t *)"", req->body_len);
	if (route->json_body) {
		json_error_t jerr;
		*json = req->body_len > 0 ? json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES,
						       &jerr)
					  : NULL;
		if (*json == NULL || !json_is_object(*json)) {
			obol_http_reply_detail(rep, "%s", req->body_len == 0 ? "empty body" : "the body is not one JSON object");
			*err = OBOL_E_WIRE_MALFORMED;
			return;
		}
		req->json = *json;
	}
	e = route->handler(app, route, req, rep);
	if (e != OBOL_OK)
		obol_log_debug("%s %s: %s", req->method, req->path, obol_strerror(e));
	*err = e;
}

static enum MHD_Result dispatch(struct obol_http_server *srv, struct MHD_Connection *conn, const char *method,
				const char *path, struct request *rq)
{
	struct obol_http_reply rep = { 0 };
	struct obol_http_req req = { .method = method, .path = path, .body = rq->len ? rq->body : NULL,
				     .body_len = rq->len, .conn_ = conn };
	json_t *json = NULL;
	const struct obol_http_route *route = NULL;
	obol_err e;
	obol_http_guard_handling(conn);
	req.auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Obol-Auth");
	handle(srv->router, srv->app, &req, &rep, &json, &e, &route);
	enum MHD_Result res = e != OBOL_OK ? send_error(conn, e, rep.detail) : send_reply(conn, &rep);
	obol_metrics_http(srv->name, method, route != NULL ? route->path : NULL,
			  e != OBOL_OK ? obol_errhttp(e) : rep.status != 0 ? rep.status : 200, obol_mono_ns() - rq->t0);
	json_decref(rep.body);
	obol_free_wiped(rep.raw);
	free(rep.headers);
	json_decref(json);
	return res;
}

/* The text of a JSON reply, malloc'ed. */
static obol_err reply_text(const json_t *body, char **out, size_t *len)
{
	*out = json_dumps(body, JSON_COMPACT);
	if (*out == NULL)
		return OBOL_E_NO_MEMORY;
	*len = strlen(*out);
	return OBOL_OK;
}

obol_err obol_http_handle(const struct obol_http_router *router, void *app, const struct obol_http_call *call,
			  unsigned *status, char **reply, size_t *reply_len)
{
	struct obol_http_reply rep = { 0 };
	struct obol_http_query q = { 0 };
	json_t *json = NULL, *errbody = NULL;
	char *path = NULL;
	obol_err e, r = OBOL_OK;
	*reply = NULL;
	const char *qm = strchr(call->target, '?');
	path = qm != NULL ? strndup(call->target, (size_t)(qm - call->target)) : strdup(call->target);
	if (path == NULL || (qm != NULL && (r = query_parse(qm + 1, &q)) != OBOL_OK)) {
		r = OBOL_E_NO_MEMORY;
		goto out;
	}
	struct obol_http_req req = { .method = call->method, .path = path, .body = call->body_len ? call->body : NULL,
				     .body_len = call->body_len, .auth = call->auth, .query_ = qm != NULL ? &q : NULL };
	if (call->body_len > OBOL_JSON_MAX) {
		e = OBOL_E_WIRE_OVERSIZED;
		obol_http_reply_detail(&rep, "the body is larger than its limit");
	} else {
		const struct obol_http_route *route;
		handle(router, app, &req, &rep, &json, &e, &route);
	}
	if (e != OBOL_OK) {
		*status = obol_errhttp(e);
		errbody = obol_json_error_body(e, rep.detail[0] != '\0' ? rep.detail : NULL);
		r = errbody != NULL ? reply_text(errbody, reply, reply_len) : OBOL_E_NO_MEMORY;
	} else if (rep.raw != NULL) {
		*status = rep.status != 0 ? rep.status : 200;
		if ((*reply = malloc(rep.raw_len + 1)) == NULL) {
			r = OBOL_E_NO_MEMORY;
			goto out;
		}
		memcpy(*reply, rep.raw, rep.raw_len);
		(*reply)[rep.raw_len] = '\0';
		*reply_len = rep.raw_len;
	} else {
		*status = rep.status != 0 ? rep.status : 200;
		if (rep.body == NULL && (rep.body = json_object()) == NULL)
			r = OBOL_E_NO_MEMORY;
		else
			r = reply_text(rep.body, reply, reply_len);
	}
out:
	json_decref(errbody);
	json_decref(rep.body);
	obol_free_wiped(rep.raw);
	free(rep.headers);
	json_decref(json);
	free(q.buf);
	free(path);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct obol_http_server *srv = cls;
	struct request *rq = *con_cls;
	(void)version;

	if (rq == NULL) {
		/* First call: headers only. An announced oversized body is
		 * refused: past DRAIN_LIMIT at once, without reading any of it;
		 * below it the body is read and dropped first, so that the
		 * client, still sending, is not cut off before it reads the 413. */
		rq = calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		rq->t0 = obol_mono_ns();
		*con_cls = rq;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL &&
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL) {
			obol_http_guard_handling(conn);
			return send_error_close(conn, OBOL_E_HTTP_AMBIGUOUS_LENGTH,
						"Content-Length and Transfer-Encoding together");
		}
		uint64_t n;
		if (cl != NULL && obol_parse_u64(cl, 0, UINT64_MAX, &n) == OBOL_OK && n > OBOL_JSON_MAX) {
			rq->oversized = true;
			if (n > DRAIN_LIMIT)
				return send_error(conn, OBOL_E_WIRE_OVERSIZED, "the body is larger than its limit");
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		rq->seen += n;
		if (rq->oversized || rq->len + n > OBOL_JSON_MAX) {
			/* Keep reading (and dropping) so the 413 reaches the
			 * client; cut the connection when it goes on and on. */
			rq->oversized = true;
			obol_free_wiped(rq->body); /* it may hold a password (payword) */
			rq->body = NULL;
			rq->len = rq->cap = 0;
			return rq->seen > DRAIN_LIMIT ? MHD_NO : MHD_YES;
		}
		if (rq->len + n > rq->cap) {
			size_t cap = rq->cap ? rq->cap : 1024;
			while (cap < rq->len + n)
				cap *= 2;
			if (cap > OBOL_JSON_MAX)
				cap = OBOL_JSON_MAX;
			/* Grown by copy, so no freed block keeps a password. */
			uint8_t *nb = malloc(cap);
			if (nb == NULL)
				return MHD_NO;
			if (rq->len > 0)
				memcpy(nb, rq->body, rq->len);
			obol_free_wiped(rq->body); /* it may hold a password (payword) */
			rq->body = nb;
			rq->cap = cap;
		}
		memcpy(rq->body + rq->len, upload_data, n);
		rq->len += n;
		return MHD_YES;
	}
	if (rq->oversized)
		return send_error(conn, OBOL_E_WIRE_OVERSIZED, "the body is larger than its limit");
	return dispatch(srv, conn, method, url, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	struct request *rq = *con_cls;
	obol_http_guard_reading(conn); /* the next request's deadline starts */
	if (rq != NULL) {
		obol_free_wiped(rq->body); /* it may hold a password (payword) */
		free(rq);
		*con_cls = NULL;
	}
}

obol_err obol_http_server_start(const struct obol_http_server_config *cfg, const struct obol_http_router *router,
				void *app, struct obol_http_server **out)
{
	char host[64];
	uint16_t port;
	obol_err e = obol_parse_hostport(cfg->listen, host, &port);
	if (e != OBOL_OK)
		return e;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return OBOL_E_INVALID_ARGUMENT;

	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return OBOL_E_INVALID_ARGUMENT;
	bool tls = cfg->tls_cert != NULL;
	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		obol_log_error("this libmicrohttpd has no TLS");
		return OBOL_E_TLS_CONFIG;
	}

	struct obol_http_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return OBOL_E_NO_MEMORY;
	srv->router = router;
	srv->app = app;
	srv->name = cfg->name != NULL ? cfg->name : "api";
	if (tls && ((e = read_pem(cfg->tls_cert, &srv->tls_cert)) != OBOL_OK ||
		    (e = read_pem(cfg->tls_key, &srv->tls_key)) != OBOL_OK ||
		    (e = check_pair(srv->tls_cert, srv->tls_key)) != OBOL_OK)) {
		server_free(srv);
		return e;
	}
	unsigned conns = cfg->max_conns ? cfg->max_conns : OBOL_HTTP_MAX_CONNS;
	unsigned per_ip = cfg->max_conns_per_ip ? cfg->max_conns_per_ip : OBOL_HTTP_MAX_CONNS_PER_IP;
	unsigned timeout = cfg->timeout_s ? cfg->timeout_s : OBOL_HTTP_IDLE_S;
	unsigned request_ms = cfg->request_ms ? cfg->request_ms : OBOL_HTTP_REQUEST_MS;
	if ((e = obol_http_guard_new(conns, request_ms, &srv->guard)) != OBOL_OK) {
		server_free(srv);
		return e;
	}
	/* A thread per connection: with a pool, each thread serves its
	 * connections one request at a time, and a handler that waits (for
	 * its commit, or a backoff before a retry) holds up every other
	 * connection of its thread. Without TLS the key and certificate
	 * options are MHD_OPTION_END's neighbours: the list simply ends
	 * before them. */
	srv->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION | (tls ? MHD_USE_TLS : 0),
				    port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				    MHD_OPTION_CONNECTION_LIMIT, conns + OBOL_HTTP_GUARD_SLACK(conns),
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_TIMEOUT, timeout,
				    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
				    obol_http_guard_notify, srv->guard,
				    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
				    tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert,
				    MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key, MHD_OPTION_END);
	if (srv->mhd == NULL) {
		obol_log_error("cannot listen on %s", cfg->listen);
		server_free(srv);
		return OBOL_E_IO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : port;
	*out = srv;
	return OBOL_OK;
}

uint16_t obol_http_server_port(const struct obol_http_server *srv)
{
	return srv->port;
}

void obol_http_server_conns(struct obol_http_server *srv, unsigned *open, unsigned long long *late,
			    unsigned long long *pressed)
{
	struct obol_http_guard_stats st;
	obol_http_guard_stats(srv->guard, &st);
	*open = st.open;
	*late = st.late;
	*pressed = st.pressed;
}

void obol_http_server_stop(struct obol_http_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->mhd);
	server_free(srv);
}
