/* The operator's web console of a daemon: `issuer serve --console HOST:PORT`
 * and `vendor serve --console HOST:PORT` (docs/operations.md, "The
 * console").
 *
 * It is a listener of its own beside the daemon's, so that the API the world
 * reaches and the pages only operators may see never share a port: server-
 * rendered HTML behind an operator login (console_db.h, session.h), the
 * charts as SVG images drawn by the daemon, one small script and one style
 * sheet built into the binary, and /metrics (Prometheus text format) for
 * whoever holds the metrics token or a console session. Plain HTTP only on a
 * loopback address (CONSOLE_PLAIN_OFF_LOOPBACK otherwise); with a
 * certificate and key it serves HTTPS and its cookies are Secure. */
#ifndef OBOL_CONSOLE_CONSOLE_H
#define OBOL_CONSOLE_CONSOLE_H

#include <stdint.h>

#include "core/error.h"

struct obol_issuer;
struct obol_vendor;
struct obol_console;

struct obol_console_config {
	const char *listen;             /* "127.0.0.1:PORT" (port 0 picks one) */
	const char *tls_cert, *tls_key; /* HTTPS: both or neither */
	/* A file whose first line is the bearer token /metrics asks for
	 * (Authorization: Bearer TOKEN); NULL: without a console session,
	 * /metrics answers only on a loopback listener. */
	const char *metrics_token_file;
	/* The issuer's database (its --db), where the console's tables are
	 * made at start when missing; the vendor's is DIR/vendor.db. */
	const char *db_url;
};

/* Starts the console of a running issuer (its database gets the console's
 * tables if it lacks them: an operator added to an older database with
 * `issuer console-user add` can log in). */
OBOL_MUST_CHECK obol_err obol_console_issuer_start(struct obol_issuer *iss, const struct obol_console_config *cfg,
						   struct obol_console **out);
/* Starts the console of a running vendor daemon. */
OBOL_MUST_CHECK obol_err obol_console_vendor_start(struct obol_vendor *v, const struct obol_console_config *cfg,
						   struct obol_console **out);
uint16_t obol_console_port(const struct obol_console *c);
/* Stops the listener (waits for running requests), ends every session.
 * NULL is allowed. */
void obol_console_stop(struct obol_console *c);

#endif
