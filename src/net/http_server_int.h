/* Internal to the HTTP server (http_server.c): the guard of its connections
 * (http_server_guard.c) and libmicrohttpd's own refusals
 * (http_server_errors.c). */
#ifndef OBOL_NET_HTTP_SERVER_INT_H
#define OBOL_NET_HTTP_SERVER_INT_H

#include <microhttpd.h>

#include "core/error.h"

/* ---- the guard -------------------------------------------------------------
 * Every connection is tracked from its start (MHD_OPTION_NOTIFY_CONNECTION)
 * to its end. While it is reading a request (from its start, or from the end
 * of its previous reply, until the request's headers and body are all in) it
 * has request_ms to finish: libmicrohttpd's own timeout counts idle time
 * only, so a client that trickles a byte now and then would keep it forever.
 * A watchdog thread shuts down the socket of a connection past that deadline
 * (libmicrohttpd then closes it). When more than three quarters of max_conns
 * are open, it also shuts down every connection that has been reading for
 * more than OBOL_HTTP_PRESSURE_GRACE_MS; and libmicrohttpd lets in up to
 * OBOL_HTTP_GUARD_SLACK connections beyond max_conns, for each of which the
 * guard at once shuts down the one that has been reading its request the
 * longest. So a crowd of slow connections, even from many addresses, cannot
 * hold the slots an honest client needs: a new connection always gets in,
 * and honest clients send their request in a few milliseconds. While a
 * request is handled (and its reply sent) no deadline runs: the handler's
 * own work decides. */
#define OBOL_HTTP_PRESSURE_GRACE_MS 1000
#define OBOL_HTTP_WATCH_MS 100
#define OBOL_HTTP_GUARD_SLACK(max_conns) ((max_conns) / 4 + 8)

struct obol_http_guard;

OBOL_MUST_CHECK obol_err obol_http_guard_new(unsigned max_conns, unsigned request_ms, struct obol_http_guard **out);
/* Stops the watchdog and frees; call after the daemon stopped. NULL is allowed. */
void obol_http_guard_free(struct obol_http_guard *g);
/* The MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void obol_http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe);
/* The connection's request is in whole: no read deadline while it is handled. */
void obol_http_guard_handling(struct MHD_Connection *conn);
/* The connection's reply went: the deadline of its next request starts now. */
void obol_http_guard_reading(struct MHD_Connection *conn);
/* Connections shut down by the watchdog so far (for tests and the log). */
struct obol_http_guard_stats {
	unsigned long long late, pressed; /* past their deadline; to make room */
	unsigned open;                    /* open now */
};
void obol_http_guard_stats(struct obol_http_guard *g, struct obol_http_guard_stats *out);

#endif
