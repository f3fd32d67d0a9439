/* The issuer daemon (DESIGN §4): `obol issuer serve`.
 *
 * It is a thin shell: an HTTP/JSON server (src/net/http_server.h) whose routes
 * each scheme registers from its own file, one group-committing store
 * (src/store/batch.h) through which every unit of work runs, the issuer's keys
 * (src/issuer/keys.h), request authentication and idempotency.
 *
 * How a scheme plugs in (all from the scheme's own files under src/issuer/ or
 * src/schemes/<scheme>/issuer_*.c that are linked into the daemon):
 *
 *   1. Its tables, its state loaded at start, its init options and its part of
 *      GET /keys: one OBOL_ISSUER_SCHEME(ident, .name = "coupon", ...) with the
 *      callbacks of struct obol_issuer_scheme below (all optional).
 *   2. Its endpoints: OBOL_ROUTE(ident, "POST", "/coupon/withdraw", fn) per
 *      route; a path ending in '/' is a prefix ("/coupon/coin/" matches
 *      "/coupon/coin/ID", ID in req->tail). POST routes get their body parsed as one JSON object
 *      (req->json); decode it with obol_json_decode(req->json, spec).
 *   3. In a handler: obol_issuer_authenticate() for account-authenticated
 *      routes; obol_issuer_run_idem() for state-changing work (durable, group
 *      committed, answered once per request id); obol_issuer_run() for other
 *      units of work; obol_issuer_scheme_state() for the state its start()
 *      loaded. Errors are returned as obol_err; the server writes the error
 *      body. A reply is only written after the handler returns, so after the
 *      commit of its unit of work.
 */
#ifndef OBOL_ISSUER_ISSUER_H
#define OBOL_ISSUER_ISSUER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "issuer/keys.h"
#include "issuer/work_gate.h"
#include "net/http_server.h"
#include "store/batch.h"
#include "store/ledger.h"
#include "store/store.h"

struct obol_signer_client;

struct obol_issuer;

/* ---- routes ------------------------------------------------------------- */

typedef obol_err (*obol_route_fn)(struct obol_issuer *iss, const struct obol_http_req *req,
				  struct obol_http_reply *rep);

struct obol_issuer_route {
	obol_route_fn fn;
	enum obol_work work; /* OBOL_ROUTE_BOUNDED's kind of work, else OBOL_WORK_NONE */
	struct obol_http_route http;
};

/* The daemon's route table (filled at load time). */
extern struct obol_http_router obol_issuer_router;
void obol_issuer_route_register(struct obol_issuer_route *r);
/* The http handler every issuer route uses: calls r->fn with the issuer. */
obol_err obol_issuer_route_dispatch(void *app, const struct obol_http_route *route,
				    const struct obol_http_req *req, struct obol_http_reply *rep);

/* Declares a route at file scope. method "GET" or "POST"; POST bodies must be
 * one JSON object. */
#define OBOL_ROUTE(ident, method_, path_, fn_) OBOL_ROUTE_BOUNDED(ident, method_, path_, fn_, OBOL_WORK_NONE)

/* The same for a route whose handler does expensive work (work_, an enum
 * obol_work) that a request can ask for before it has paid for anything:
 * the handler runs in a slot of that kind (src/issuer/work_gate.h), taken
 * before it starts and given back when it first runs a unit of work
 * (obol_issuer_run, _run_checked, _run_idem) or returns; a request that gets
 * no slot is refused with ISSUER_BUSY (503, Retry-After) without running. */
#define OBOL_ROUTE_BOUNDED(ident, method_, path_, fn_, work_)                                   \
	static struct obol_issuer_route ident = {                                               \
		.fn = fn_,                                                                      \
		.work = work_,                                                                  \
		.http = { .method = method_, .path = path_,                                     \
			  .json_body = (method_[0] == 'P'),                                     \
			  .handler = obol_issuer_route_dispatch },                              \
	};                                                                                      \
	__attribute__((constructor)) static void ident##_register(void)                        \
	{                                                                                       \
		obol_issuer_route_register(&ident);                                             \
	}

/* ---- schemes ------------------------------------------------------------ */

/* One option given to `obol issuer init` that a scheme declared: the long
 * option name without "--", and its value. Options may repeat
 * (--coupon-denom twice gives two entries, in command-line order). */
struct obol_init_arg {
	const char *name;
	const char *value;
};

/* A scheme's part of the issuer. Every callback is optional. */
struct obol_issuer_scheme {
	const char *name; /* "coupon", "ecash", "payword", "codex" */

	/* Creates or upgrades the scheme's tables (obol_store_migrate with the
	 * scheme's own component name). Called by `issuer init` and at every
	 * `issuer serve` start, outside any transaction. */
	obol_err (*migrate)(struct obol_store *s);

	/* `obol issuer init`: the long options this scheme accepts, each taking
	 * one value (NULL-terminated list, e.g. {"coupon-denom", NULL}), and a
	 * help text (one option per line) appended to the command's --help. */
	const char *const *init_options;
	const char *init_help;
	/* Runs inside the init transaction, after the ledger and the issuer's
	 * keys exist, with the options the user gave for this scheme (nargs may
	 * be 0: then set up sensible defaults, or nothing). It may print what it
	 * created to out (one line per item, no secrets). */
	obol_err (*init)(struct obol_store *s, const struct obol_issuer_keys *keys, const char *currency,
			 const struct obol_init_arg *args, size_t nargs, FILE *out);

	/* `issuer serve` start, after migrate: loads the scheme's keys and
	 * settings from s (a connection of its own, closed after start) into a
	 * state it allocates (*state; read-only while serving, or guarded by the
	 * scheme). stop frees it at shutdown. */
	obol_err (*start)(struct obol_issuer *iss, struct obol_store *s, void **state);
	void (*stop)(struct obol_issuer *iss, void *state);

	/* GET /keys: the scheme's public part (*part: a new JSON object), put
	 * under the key `name` in the signed document. Runs on a read connection. */
	obol_err (*keys_part)(struct obol_issuer *iss, struct obol_store *s, json_t **part);

	struct obol_issuer_scheme *next;
};

void obol_issuer_scheme_register(struct obol_issuer_scheme *sch);
/* The registered schemes, in registration order. */
struct obol_issuer_scheme *obol_issuer_schemes(void);

/* Declares a scheme at file scope:
 *   OBOL_ISSUER_SCHEME(coupon_issuer, .name = "coupon", .migrate = coupon_migrate,
 *                      .init_options = coupon_init_opts, .init = coupon_init, ...) */
#define OBOL_ISSUER_SCHEME(ident, ...)                                                          \
	static struct obol_issuer_scheme ident = { __VA_ARGS__ };                               \
	__attribute__((constructor)) static void ident##_register(void)                        \
	{                                                                                       \
		obol_issuer_scheme_register(&ident);                                            \
	}

/* ---- the daemon --------------------------------------------------------- */

struct obol_issuer_config {
	const char *db_url;
	const char *listen;  /* "127.0.0.1:PORT"; port 0 picks one */
	size_t batch;        /* most units per group commit; 0 = 64 */
	unsigned threads;    /* the read pool's size when readers is 0; 0 = 8 (each HTTP connection
				is served by a thread of its own, src/net/http_server.h) */
	unsigned readers;    /* read connections in the pool; 0 = threads */
	const char *tls_cert, *tls_key; /* HTTPS: PEM certificate and key files; NULL = plain HTTP */
	/* Limits under abuse; 0 = the defaults. HTTP connections in all, from
	 * one address, and the time to read a request (src/net/http_server.h);
	 * RSA work at once (src/issuer/work_gate.h). */
	unsigned max_conns, max_conns_per_ip, request_ms;
	unsigned rsa_slots;
	/* In process (the deterministic simulator, tests/sim): no HTTP server
	 * (listen and TLS are not used; requests come through
	 * obol_issuer_handle) and no committer thread (each unit of work runs
	 * and commits on the calling thread, obol_batcher_start_inline). */
	bool in_process;
	/* The signing process's socket (signer_client.h): the private keys
	 * are there; NULL: in this process, from the database. */
	const char *signer_path;
};

/* Opens the store (it must exist and be initialised: KEYS_UNKNOWN otherwise),
 * migrates and starts each scheme, starts the group committer and the HTTP
 * server. The bound port is obol_issuer_port(). */
OBOL_MUST_CHECK obol_err obol_issuer_start(const struct obol_issuer_config *cfg, struct obol_issuer **out);
uint16_t obol_issuer_port(const struct obol_issuer *iss);
/* Stops the server (waits for running requests), the committer, each scheme;
 * wipes the keys. NULL is allowed. */
void obol_issuer_stop(struct obol_issuer *iss);
/* One request to an issuer started in process, handled on the calling
 * thread exactly as the HTTP server would (obol_http_handle): *status and
 * the reply body *reply (malloc'ed, NUL-terminated; free with
 * obol_free_wiped). */
OBOL_MUST_CHECK obol_err obol_issuer_handle(struct obol_issuer *iss, const struct obol_http_call *call,
					    unsigned *status, char **reply, size_t *reply_len);

const struct obol_issuer_keys *obol_issuer_keys(const struct obol_issuer *iss);
/* The signer of everything the issuer signs at now (crypto/ed25519_signer.h):
 * vendor certificates, the key document, coupon answers, Codex and payword
 * certificates, states and lists, receipts. It is the announced online key
 * usable at now (of those, the one that began last), its accept_until the
 * key's: with a signing process (signer_path), a signer over
 * obol_signer_client_ed25519_sign for that key's public half, read from
 * the signed announcements (the signing process checks the windows again);
 * without, the in-process keyring loaded from the database. Keys imported
 * while the daemon runs are picked up without a restart: a cheap check of
 * the signed announcements at most every second of the clock, a reload
 * when they moved and every minute. KEY_ONLINE_MISSING when no key is
 * usable at now (out zeroed). The signer stays usable while iss runs (a key
 * a reload dropped then signs nothing: KEY_NOT_ANNOUNCED). The master key
 * is never here: it signs announcements only, offline. */
OBOL_MUST_CHECK obol_err obol_issuer_signer(struct obol_issuer *iss, int64_t now, struct obol_ed25519_signer *out);
/* The signing process's client, NULL without one; the issuer's box opener
 * (through it, or with the box key here). */
struct obol_signer_client *obol_issuer_signer_client(const struct obol_issuer *iss);
const struct obol_box_opener *obol_issuer_box_opener(const struct obol_issuer *iss);
const char *obol_issuer_currency(const struct obol_issuer *iss);
/* The state a scheme's start() made, or NULL. */
void *obol_issuer_scheme_state(const struct obol_issuer *iss, const char *scheme);
/* The gate of bounded work (for tests and figures). */
struct obol_work_gate *obol_issuer_work_gate(struct obol_issuer *iss);
/* The HTTP server (for tests and figures); NULL before start. */
struct obol_http_server *obol_issuer_http(struct obol_issuer *iss);

/* ---- units of work ------------------------------------------------------ */

/* Runs fn(s, ctx) inside a durable group-committed transaction and returns its
 * result once the commit is durable (or the unit's error; its effects are then
 * rolled back, alone: its batch-mates are not touched). fn runs on the
 * committer thread: it must not block on the network, and must not commit.
 * A unit that ends in STORE_CONFLICT or STORE_BUSY is run again under the
 * one retry policy (src/store/batch.h, obol_batcher_run_retrying): at most
 * OBOL_UNIT_TRIES tries, with a backoff, from this thread. */
OBOL_MUST_CHECK obol_err obol_issuer_run(struct obol_issuer *iss, obol_unit_fn fn, void *ctx);

/* The same, with a pre-check: every try first runs pre(iss, ctx) on this
 * thread (a read through obol_issuer_read, work that must not hold the
 * committer: hashing a chain, checking a proof), then fn. A unit that finds
 * what pre read has moved returns STORE_CONFLICT, and the next try reads and
 * checks again. An error of pre other than those two ends the tries. */
typedef obol_err (*obol_issuer_pre_fn)(struct obol_issuer *iss, void *ctx);
OBOL_MUST_CHECK obol_err obol_issuer_run_checked(struct obol_issuer *iss, obol_issuer_pre_fn pre, obol_unit_fn fn,
						 void *ctx);

/* Runs fn(s, ctx) on a read connection from the pool (its own transaction;
 * nothing it writes is meant to stand). For reads that need not queue behind
 * the committer: GET routes, lookups before a unit of work. */
OBOL_MUST_CHECK obol_err obol_issuer_read(struct obol_issuer *iss, obol_unit_fn fn, void *ctx);

/* An idempotent state-changing unit: on OBOL_OK it sets *reply to a new JSON
 * object, the answer for the client. */
typedef obol_err (*obol_idem_fn)(struct obol_store *s, void *ctx, json_t **reply);

/* Runs fn once per (route, account, request id) (DESIGN §4 idempotency):
 *   key = method " " path " " account " " request_id, where request_id is the
 *   client's id (1..64 printable bytes: INVALID_ARGUMENT otherwise), or, when
 *   NULL, the hex SHA-256 of the body (requests keyed by content);
 *   the body hash is req->body_hash.
 * In one group-committed unit: a stored answer for the key is put in rep
 * (fn is not called; nothing moves); the same key with another body is
 * IDEMPOTENCY_MISMATCH; otherwise fn runs, and when it returns OBOL_OK the
 * compact text of its reply is stored under the key in the same
 * transaction. Either way rep->raw holds the answer's text exactly as
 * stored (content type application/json) and rep->status its status: a
 * retry gets the first answer byte for byte. An error from fn is returned
 * (nothing of it stands, nothing is stored: a retry runs fn again).
 * account is the authenticated account id, or 0 for unauthenticated routes. */
OBOL_MUST_CHECK obol_err obol_issuer_run_idem(struct obol_issuer *iss, const struct obol_http_req *req,
					      int64_t account, const char *request_id, obol_idem_fn fn,
					      void *ctx, struct obol_http_reply *rep);
/* The same, with a pre-check on this thread before every try
 * (obol_issuer_run_checked): pre(iss, ctx) reads and checks what fn will
 * rely on; fn returning STORE_CONFLICT has the next try check again. */
OBOL_MUST_CHECK obol_err obol_issuer_run_idem_checked(struct obol_issuer *iss, const struct obol_http_req *req,
						      int64_t account, const char *request_id,
						      obol_issuer_pre_fn pre, obol_idem_fn fn, void *ctx,
						      struct obol_http_reply *rep);

/* ---- authentication ----------------------------------------------------- */

/* Checks the Obol-Auth header of req (src/net/reqauth.h) against the
 * account's auth_pk and the clock; on success *account is the account.
 * s is a store to read the account from (inside a unit of work), or NULL to
 * use a read connection. AUTH_FAILED for a missing, malformed, stale or
 * forged header or an account without an auth key; LEDGER_ACCOUNT_CLOSED for
 * a suspended or closed account. */
OBOL_MUST_CHECK obol_err obol_issuer_authenticate(struct obol_issuer *iss, struct obol_store *s,
						  const struct obol_http_req *req, struct obol_account *account);

/* ---- for tests and tools ------------------------------------------------ */

/* The signed GET /keys document (see src/schemes/common/keys_doc.h) built from
 * the keys and each scheme's keys_part, signed by obol_issuer_signer at now;
 * *out is a new object. While the signing process does not answer
 * (SIGNER_UNAVAILABLE), the last document signed, if signed less than an
 * hour of the clock ago, is returned again instead. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_doc(struct obol_issuer *iss, json_t **out);

/* Sets up a new issuer database: ledger (currency), the
 * issuer's keys (a new master key pair, of which only the public half is
 * stored), each scheme's migrate and init with its options, then the first
 * key ceremony with the master key in hand (obol_issuer_keys_plan under
 * obol_key_policy_default, obol_issuer_keys_sign_pending): online keys
 * covering now .. lookahead and each scheme's keys announced, so that
 * `issuer serve` can sign at once. keep(keep_ctx, master) is given the
 * master key pair before the setup commits (to write it out; an error from
 * it makes nothing), and keep(keep_ctx, NULL) if the commit then fails (to
 * take the file back). The ceremony runs after that commit, in its own
 * transactions: if it fails, its error is returned, the issuer exists and
 * the kept master key can hold it again. keep NULL: the master key is wiped unkept (tests and
 * benches that never need another ceremony). ALREADY_INITIALISED when keys
 * exist (keep not called). Used by `obol issuer init` and by tests. */
typedef obol_err (*obol_issuer_master_keep_fn)(void *ctx, const struct obol_sign_keypair *master);
OBOL_MUST_CHECK obol_err obol_issuer_init_db_master(const char *db_url, const char *currency,
						    const struct obol_init_arg *args, size_t nargs,
						    obol_issuer_master_keep_fn keep, void *keep_ctx, FILE *out);
/* The same without the first ceremony (tests of the ceremony's steps
 * only: such an issuer signs nothing until one is held). */
OBOL_MUST_CHECK obol_err obol_issuer_init_db_bare(const char *db_url, const char *currency,
						  const struct obol_init_arg *args, size_t nargs,
						  obol_issuer_master_keep_fn keep, void *keep_ctx, FILE *out);
/* obol_issuer_init_db_master with keep NULL. */
OBOL_MUST_CHECK obol_err obol_issuer_init_db(const char *db_url, const char *currency,
					     const struct obol_init_arg *args, size_t nargs, FILE *out);

#endif
