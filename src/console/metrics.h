/* obol's metrics: what the daemons count as they run, read by /metrics in
 * the Prometheus text format (version 0.0.4) and by the console's charts.
 *
 * The hooks below are the only calls other layers make: one call per event,
 * from the HTTP server (a request answered), the group committer (a batch
 * committed) and the vendor's outbox (an attempt to reach the issuer). Each
 * takes a lock for a few counter updates and never allocates, blocks on I/O
 * or fails. Labels are bounded: routes are the registered route paths
 * ("(none)" for a path no route takes), methods one of a few, so no request
 * can grow the registry; past its tables' size, series are counted under
 * "(other)".
 *
 * Figures read from a database at scrape time (liabilities, the outbox's
 * depth, keys' validity) are the console's (issuer_metrics.c,
 * vendor_metrics.c); this file holds the in-memory counters. */
#ifndef OBOL_CONSOLE_METRICS_H
#define OBOL_CONSOLE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console/buf.h"
#include "core/error.h"

/* ---- hooks ------------------------------------------------------------------ */

/* A request answered by an HTTP listener: listener "api" or "console", its
 * route's path (NULL: no route), the method, the status sent, and the time
 * from its first byte to its answer. */
void obol_metrics_http(const char *listener, const char *method, const char *route, unsigned status,
		       uint64_t elapsed_ns);

/* A group-commit batch of `units` units run and committed (or failed) in
 * elapsed_ns. */
void obol_metrics_batch(size_t units, uint64_t elapsed_ns);

/* An outbox attempt of the vendor: the row's scheme, its result (OBOL_OK, an
 * error the issuer named, or a network error), and whether it was definitive
 * (done or failed for good) or will be retried. */
void obol_metrics_outbox_attempt(const char *scheme, obol_err result, bool definitive);

/* A console login: ok, refused (a wrong name or password), limited (too
 * many failures), or busy (as many passwords being checked as allowed). */
enum obol_metrics_login { OBOL_LOGIN_OK, OBOL_LOGIN_REFUSED, OBOL_LOGIN_LIMITED, OBOL_LOGIN_BUSY };
void obol_metrics_login(enum obol_metrics_login what);

/* ---- reading ------------------------------------------------------------------ */

/* Writes every in-memory metric in the text format. */
void obol_metrics_write(struct obol_buf *out);

/* When the outbox last got an answer from the issuer (any HTTP answer, the
 * issuer was reachable), and the last attempt that did not (with its error);
 * 0 for never. */
void obol_metrics_issuer_contact(int64_t *last_answer, int64_t *last_failure, obol_err *last_error);

/* The charts: requests of a listener per OBOL_SERIES_STEP_S seconds over the
 * last OBOL_SERIES_SLOTS steps, oldest first: the count, the server errors
 * (5xx) among them, and the median and 95th percentile latency in
 * microseconds (0 when no request), as the upper bound of the histogram
 * bucket that holds them. */
#define OBOL_SERIES_STEP_S 10
#define OBOL_SERIES_SLOTS 360
struct obol_series_point {
	int64_t t; /* the step's start, Unix seconds */
	uint64_t requests, errors;
	uint64_t p50_us, p95_us;
};
void obol_metrics_series(const char *listener, int64_t now, struct obol_series_point out[OBOL_SERIES_SLOTS]);

/* ---- the text format ------------------------------------------------------------ */

/* "# HELP name help\n# TYPE name type\n". */
void obol_metrics_header(struct obol_buf *out, const char *name, const char *type, const char *help);
/* Appends v escaped as a label value (backslash, double quote and newline
 * escaped; the text format §"Line format"). */
void obol_metrics_label(struct obol_buf *out, const char *v);
/* A fixed-point number with `decimals` digits after the point (1234, 3 ->
 * "1.234"), without floating point. */
void obol_metrics_fixed(struct obol_buf *out, int64_t v, unsigned decimals);

/* For tests: forgets every counter. */
void obol_metrics_reset(void);

#endif
