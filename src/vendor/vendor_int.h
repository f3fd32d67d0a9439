/* Internal to src/vendor: the daemon's state. */
#ifndef OBOL_VENDOR_VENDOR_INT_H
#define OBOL_VENDOR_VENDOR_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>

#include "vendor/outbox.h"
#include "vendor/vendor.h"

#define OBOL_VENDOR_MAX_SCHEMES 8

struct obol_vendor_links;

struct obol_vendor {
	char dir[PATH_MAX];
	char issuer_url[512];
	struct obol_sign_keypair sign; /* secret half */
	struct obol_box_keypair box;   /* secret half */
	pthread_mutex_t cert_mu; /* guards cert: renewal replaces it (renew.c) */
	struct obol_vendor_cert cert;
	struct obol_vendor_renewer *renewer; /* NULL in process */
	uint8_t issuer_pk[32];
	struct obol_amount price;
	uint64_t link_idle_ns, link_session_ns; /* the device link's deadlines (links.h) */

	pthread_mutex_t keys_mu;
	json_t *issuer_keys; /* the verified inner "keys" object */
	int64_t keys_fetched_at; /* when issuer_keys was last fetched (0: read from the cache) */

	struct obol_batcher *batcher;
	struct obol_outbox *outbox;
	struct obol_gc_daemon *prune; /* vendor/prune.h, every OBOL_VENDOR_PRUNE_INTERVAL */
	struct obol_http_server *http;
	int listen_fd;
	uint16_t port;
	struct obol_vendor_links *links;
	bool in_process;
	void (*kick)(void *kick_ctx); /* in process: what obol_vendor_outbox_kick calls */
	void *kick_ctx;

	struct {
		struct obol_vendor_scheme *sch;
		void *state;
	} schemes[OBOL_VENDOR_MAX_SCHEMES];
	size_t nschemes;
};

#endif
