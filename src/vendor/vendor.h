/* The vendor daemon (DESIGN §9): `obol vendor serve`.
 *
 * A thin shell around the schemes' vendor cores:
 *   - its directory DIR holds
 *       vendor.keys        the vendor's Ed25519 signing and X25519 box keys
 *                          (JSON, base64url, mode 0600), made by `obol vendor init`
 *       vendor.cert        its certificate C, text form (src/schemes/common/vendor_cert.h),
 *                          written there by `obol issuer vendor add --out DIR/vendor.cert`
 *       issuer.pin         the issuer master public key (base64url), pinned at
 *                          `vendor init --issuer URL` or at the first serve
 *       issuer-keys.json   the last verified GET /keys document (used when the
 *                          issuer is unreachable at start)
 *       vendor.db          its SQLite store: schemes' tables and the outbox
 *   - a device-link server (src/net/devlink.h), a thread per connection up to a
 *     bound, each link an encrypted session in which the vendor proves the box
 *     key its certificate names; each frame goes to the scheme whose type range holds its type
 *     (a session per connection and scheme, opened at its first frame);
 *   - the outbox (src/vendor/outbox.h): durable requests to the issuer, sent
 *     by a worker with retries;
 *   - optionally an HTTP endpoint (--http) for routes schemes register with
 *     OBOL_VENDOR_ROUTE (payword's product delivery).
 *
 * Every store access goes through obol_vendor_run(): units of work are group
 * committed (src/store/batch.h), so "token stored" is durable before the
 * handler returns and the service is granted. */
#ifndef OBOL_VENDOR_VENDOR_H
#define OBOL_VENDOR_VENDOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "schemes/common/vendor_cert.h"
#include "store/batch.h"
#include "store/store.h"

struct obol_vendor;

/* ---- device-link sessions ----------------------------------------------- */

/* Frames a session handler answers with: appended in order, written by the
 * server after on_frame returns. */
struct obol_vendor_out {
	uint8_t *buf; /* concatenated frames (headers included) */
	size_t len, cap;
	bool close;   /* set by the handler: close the link after writing */
};
/* Encodes one frame and appends it. */
OBOL_MUST_CHECK obol_err obol_vendor_out_add(struct obol_vendor_out *out, uint32_t type,
					     const struct obol_fields *body);

struct obol_vendor_scheme {
	const char *name;          /* "coupon" */
	uint32_t type_min, type_max; /* its device-link message types (src/net/devlink.h ranges) */

	/* Daemon start: create the scheme's tables in the vendor store
	 * (obol_store_migrate, own component name) and load what it needs into
	 * *state (see obol_vendor_scheme_state). Runs before any session.
	 * `s` is usable only during the call. */
	obol_err (*start)(struct obol_vendor *v, struct obol_store *s, void **state);
	void (*stop)(struct obol_vendor *v, void *state);

	/* A new link spoke this scheme: allocate *session. */
	obol_err (*open)(struct obol_vendor *v, void **session);
	/* One frame of this scheme's range (body: the CBOR map, borrowed). Reply
	 * frames go to out. An error return is sent to the wallet as an ERROR
	 * frame (then the link stays open unless out->close); frames already
	 * added to out are sent first. */
	obol_err (*on_frame)(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body,
			     size_t body_len, struct obol_vendor_out *out);
	/* The link ended (normally or not): free the session. Whatever must
	 * outlive it (settlement) must already be in the store and the outbox. */
	void (*close)(struct obol_vendor *v, void *session);
	/* Optional: whether the session is over by its own clock (a deadline
	 * passed). The link is then closed at its next frame, whatever that
	 * frame is: frames outside the session never keep it open. */
	bool (*expired)(struct obol_vendor *v, void *session);

	/* The outbox delivered one of this scheme's rows and the issuer gave a
	 * definitive answer: result OBOL_OK with the reply object, or the named
	 * error the issuer answered (reply NULL). Runs inside the unit of work
	 * that marks the row done, so the scheme's bookkeeping commits with it.
	 * An error return keeps the row pending (it is retried later). */
	obol_err (*outbox_done)(struct obol_vendor *v, struct obol_store *s, int64_t row_id, const char *kind,
				obol_err result, const json_t *reply);

	/* Timer work of a vendor run in process (obol_vendor_in_process):
	 * there a scheme starts no thread of its own and does here what such a
	 * thread would (a refresh, a deadline); obol_vendor_tick calls it.
	 * May be NULL. */
	void (*tick)(struct obol_vendor *v, void *state);

	/* Optional: the vendor's certificate was renewed (src/vendor/renew.h);
	 * obol_vendor_cert() now returns the new one. Runs on the renewal
	 * worker's thread, while sessions run. */
	void (*cert_renewed)(struct obol_vendor *v, void *state);
	/* Optional: renews the scheme's own credentials that end (the ecash
	 * merchant key) when due at now; called at each look of the renewal
	 * worker, on its thread, while sessions run. */
	void (*renew)(struct obol_vendor *v, void *state, int64_t now);

	struct obol_vendor_scheme *next;
};

void obol_vendor_scheme_register(struct obol_vendor_scheme *sch);
struct obol_vendor_scheme *obol_vendor_schemes(void);

/* OBOL_VENDOR_SCHEME(coupon_vendor, .name = "coupon", .type_min = OBOL_DL_COUPON_MIN,
 *                    .type_max = OBOL_DL_COUPON_MAX, .open = ..., .on_frame = ..., .close = ...) */
#define OBOL_VENDOR_SCHEME(ident, ...)                                                          \
	static struct obol_vendor_scheme ident = { __VA_ARGS__ };                               \
	__attribute__((constructor)) static void ident##_register(void)                        \
	{                                                                                       \
		obol_vendor_scheme_register(&ident);                                            \
	}

/* ---- HTTP routes (--http) ------------------------------------------------ */

typedef obol_err (*obol_vendor_route_fn)(struct obol_vendor *v, const struct obol_http_req *req,
					 struct obol_http_reply *rep);
struct obol_vendor_route {
	obol_vendor_route_fn fn;
	struct obol_http_route http;
};
extern struct obol_http_router obol_vendor_router;
void obol_vendor_route_register(struct obol_vendor_route *r);
obol_err obol_vendor_route_dispatch(void *app, const struct obol_http_route *route,
				    const struct obol_http_req *req, struct obol_http_reply *rep);

#define OBOL_VENDOR_ROUTE(ident, method_, path_, fn_)                                           \
	static struct obol_vendor_route ident = {                                               \
		.fn = fn_,                                                                      \
		.http = { .method = method_, .path = path_,                                     \
			  .json_body = (method_[0] == 'P'),                                     \
			  .handler = obol_vendor_route_dispatch },                              \
	};                                                                                      \
	__attribute__((constructor)) static void ident##_register(void)                        \
	{                                                                                       \
		obol_vendor_route_register(&ident);                                             \
	}

/* ---- the daemon ------------------------------------------------------------ */

struct obol_vendor_config {
	const char *dir;
	const char *listen;      /* device link "127.0.0.1:PORT" (0 picks one) or "unix:PATH" */
	const char *issuer_url;  /* "https://issuer.example:8443", or "http://127.0.0.1:PORT" */
	const char *issuer_ca;   /* PEM CA for the issuer's TLS; NULL: DIR/issuer-ca.pem or the system's */
	bool insecure_http;      /* allow plain http:// to an issuer that is not on loopback */
	const char *http_listen; /* NULL: no HTTP endpoint */
	const char *price;       /* "EUR:0.001" per unit of service; NULL = the default EUR:0.001
				    in the issuer's currency */
	unsigned max_links;      /* concurrent device links; 0 = 64 */
	/* Limits of the device link (src/vendor/links.h); 0 = the defaults. */
	unsigned max_links_per_ip; /* concurrent links from one peer address; 0 = 8 */
	unsigned link_idle_ms;     /* a session's next frame by then; 0 = OBOL_DL_TIMEOUT_MS */
	unsigned link_session_s;   /* a link's whole life; 0 = 600 */
	size_t batch;            /* most units per group commit; 0 = 64 */
	unsigned outbox_interval_ms; /* how often the outbox worker looks for due rows; 0 = 200 */
	/* In process (the deterministic simulator, tests/sim): no device-link
	 * listener and no HTTP endpoint (listen and http_listen are not used;
	 * links come through obol_vendor_serve_link), no outbox thread (the
	 * caller runs obol_vendor_outbox_pass; obol_vendor_outbox_kick calls
	 * kick(kick_ctx) instead of waking a thread), and units of work run
	 * and commit on the calling thread (obol_batcher_start_inline). */
	bool in_process;
	void (*kick)(void *kick_ctx);
	void *kick_ctx;
	/* In process: the schemes to start (NULL-terminated names; NULL: all). */
	const char *const *schemes;
	/* Certificate renewal (src/vendor/renew.h), not in process: asked from
	 * renew_margin_s before the certificate ends (0: 30 days), looked at
	 * every renew_check_ms (0: an hour). */
	int64_t renew_margin_s;
	unsigned renew_check_ms;
};

/* Loads keys and certificate (VENDOR_NO_CERT when absent; the certificate is
 * verified against the pinned issuer key: VENDOR_CERT_INVALID/EXPIRED; an
 * expired DIR/vendor.cert is replaced by the issuer's newest certificate for
 * the vendor's key when that one is valid, the operator's renewal),
 * refreshes the issuer's key document (or uses the cached one when the issuer
 * is unreachable), opens the store, starts each scheme, the outbox worker, the
 * certificate's renewal worker, the device-link listener and the HTTP
 * endpoint. */
OBOL_MUST_CHECK obol_err obol_vendor_start(const struct obol_vendor_config *cfg, struct obol_vendor **out);
/* Stops accepting links, waits for open sessions to end (they are closed),
 * lets the outbox worker finish its current attempt, stops each scheme,
 * closes the store. NULL is allowed. */
void obol_vendor_stop(struct obol_vendor *v);

/* In process: serves one device link on the calling thread until it ends,
 * what the daemon's thread for a connection does: the handshake as
 * responder (the vendor's certificate and box key), then frames. dl has no
 * session yet (obol_devlink_from_ops); the caller closes it. */
void obol_vendor_serve_link(struct obol_vendor *v, struct obol_devlink *dl);
/* Whether v runs in process (its schemes must not start threads then). */
bool obol_vendor_in_process(const struct obol_vendor *v);
/* In process: each started scheme's tick, on the calling thread. */
void obol_vendor_tick(struct obol_vendor *v);
/* In process: one pass of the outbox over its due rows, on the calling
 * thread (what the outbox thread does every outbox_interval_ms); *sent
 * counts the rows that got a definitive answer. */
OBOL_MUST_CHECK obol_err obol_vendor_outbox_pass(struct obol_vendor *v, int *sent);

uint16_t obol_vendor_port(const struct obol_vendor *v);
uint16_t obol_vendor_http_port(const struct obol_vendor *v); /* 0 without --http */

/* Accessors for scheme code. */
/* A copy of the vendor's current certificate: renewal (src/vendor/renew.h)
 * replaces it while the daemon runs; its vendor_id, account and keys stay
 * the same. */
struct obol_vendor_cert obol_vendor_cert(struct obol_vendor *v);
const struct obol_sign_keypair *obol_vendor_sign_keys(const struct obol_vendor *v);
const struct obol_box_keypair *obol_vendor_box_keys(const struct obol_vendor *v);
const uint8_t *obol_vendor_issuer_pk(const struct obol_vendor *v); /* pinned master pk, 32 bytes */
const struct obol_amount *obol_vendor_price(const struct obol_vendor *v);
const char *obol_vendor_issuer_url(const struct obol_vendor *v);
/* The vendor's state directory (--dir): its keys, certificate and database. */
const char *obol_vendor_dir(const struct obol_vendor *v);
void *obol_vendor_scheme_state(const struct obol_vendor *v, const char *scheme);

/* The verified inner "keys" object of the issuer's GET /keys document (a new
 * reference; caller json_decref's). With refresh, fetches it again first
 * (falls back to the cached one when the issuer does not answer). */
OBOL_MUST_CHECK obol_err obol_vendor_issuer_keys(struct obol_vendor *v, bool refresh, json_t **keys);

/* Fetches GET /keys again when due at now (obol_keys_doc_due: a day after
 * the last fetch, or a fetch dated after now), so that the running daemon
 * learns the issuer's next online keys and revocations (and its verifiers
 * follow them: schemes/common/issuer_sig.h) without a restart. A failure is
 * logged; the held document stays. Called by the renewal worker's pass
 * (vendor/renew.h). */
void obol_vendor_keys_refresh_due(struct obol_vendor *v, int64_t now);

/* A new HTTP client to the issuer, authenticated as the vendor's account
 * (vendor_id of its certificate, its signing key), for synchronous calls from
 * a session (the coupon lock). Caller frees. */
OBOL_MUST_CHECK obol_err obol_vendor_issuer_client(struct obol_vendor *v, struct obol_http_client **out);

/* Runs fn(s, ctx) in a durable group-committed transaction of the vendor
 * store; returns once committed (see obol_issuer_run). */
OBOL_MUST_CHECK obol_err obol_vendor_run(struct obol_vendor *v, obol_unit_fn fn, void *ctx);

/* Wakes the outbox worker now (after enqueueing an "almost online" report). */
void obol_vendor_outbox_kick(struct obol_vendor *v);

/* ---- the vendor's files (also used by `obol vendor init`) ------------------- */

/* Creates DIR (0700) and DIR/vendor.keys with new keys; OBOL_E_IO when the
 * keys file exists already (never overwritten). */
OBOL_MUST_CHECK obol_err obol_vendor_keys_create(const char *dir, struct obol_sign_keypair *sign,
						 struct obol_box_keypair *box);
OBOL_MUST_CHECK obol_err obol_vendor_keys_load(const char *dir, struct obol_sign_keypair *sign,
					       struct obol_box_keypair *box);
/* Reads the certificate the issuer wrote to DIR/vendor.cert (`obol issuer
 * vendor add --out`); NOT_FOUND when absent. The signature is not checked
 * here: obol_vendor_cert_verify does that against the pinned issuer key. */
OBOL_MUST_CHECK obol_err obol_vendor_cert_load(const char *dir, struct obol_vendor_cert *cert);
/* How the vendor reaches its issuer: `vendor init --issuer URL --issuer-ca
 * FILE --insecure-http` saves the CA as DIR/issuer-ca.pem and the URL with
 * the insecure_http choice as DIR/issuer-transport.json (TLS_CONFIG for a CA
 * file that is no PEM certificate). */
OBOL_MUST_CHECK obol_err obol_vendor_trust_save(const char *dir, const char *url, const char *ca_file,
						bool insecure_http);
/* Makes the process follow that trust for url's origin (obol_http_trust_set),
 * with ca_file (NULL: DIR/issuer-ca.pem when present, else the system's CAs)
 * and insecure_http (false: as saved for this URL). HTTP_INSECURE for plain
 * http:// to a host that is not loopback without it. */
OBOL_MUST_CHECK obol_err obol_vendor_trust_issuer(const char *dir, const char *url, const char *ca_file,
						  bool insecure_http);
/* Pins the issuer master key in DIR/issuer.pin (fetching GET /keys from url
 * and verifying its self-signature), unless a pin exists: then the document
 * must verify under it (KEYS_INVALID). With a pin and no url (a tool that
 * works offline on a vendor directory), the document kept in
 * DIR/issuer-keys.json, when there and verifying under the pin, has its
 * online keys registered (schemes/common/issuer_sig.h); one that does not
 * verify is left out with a warning. */
OBOL_MUST_CHECK obol_err obol_vendor_pin_issuer(const char *dir, const char *url, uint8_t master_pk[32]);

#endif
