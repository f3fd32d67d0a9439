/* What the console knows of each scheme at the issuer: one descriptor per
 * scheme (OBOL_CONSOLE_SCHEME, in src/console/scheme_<name>.c), so that the
 * keys page, the frauds page, the metrics and the vendor's sales read every
 * scheme through the same few callbacks and no page lists the schemes by
 * hand. Each callback runs inside a read transaction (of the issuer's
 * database, or for vendor_sales of the vendor's) and may be NULL;
 * the console calls a scheme's callbacks only when the database holds the
 * scheme's tables (its migration component is the scheme's name). */
#ifndef OBOL_CONSOLE_CONSOLE_SCHEME_H
#define OBOL_CONSOLE_CONSOLE_SCHEME_H

#include <stdint.h>

#include "console/console_int.h"
#include "store/store.h"

/* A key of the scheme and one window of its use: a coupon denomination's
 * "withdraw" and "spend" windows are two. until 0: no end. */
struct obol_console_key {
	const char *scheme;
	char id[48];       /* short, stable: "denom-1" (the metrics' key label) */
	char name[120];    /* for people: "denomination 1: EUR:1 in 1000 tokens" */
	char kind[48];     /* "RSA-2048 blind signatures" */
	const char *window; /* "withdraw", "spend", "sign" */
	int64_t from, until;
};
typedef obol_err (*obol_console_key_fn)(void *ctx, const struct obol_console_key *k);

/* A fraud the scheme proved and what proves it, as its tables keep them:
 * the page shows every field as text (escaped). */
struct obol_console_fraud {
	const char *scheme;
	int64_t id, at;
	const char *kind;     /* "double spend", "overspend", ... as the scheme names it */
	const char *culprit;  /* who is blamed: an account, a key, a serial */
	const char *evidence; /* what the culprit signed, in the scheme's own text form */
};
typedef obol_err (*obol_console_fraud_fn)(void *ctx, const struct obol_console_fraud *f);

/* What a vendor took in a scheme over a time: payments (coins locked,
 * e-cash payments, purchases, Codex tokens), their value when the vendor's
 * tables hold it (has_value), and a unit the scheme counts in ("tokens"). */
struct obol_console_sales {
	int64_t payments;
	struct obol_amount value;
	bool has_value;
	int64_t count2;      /* a second count in the scheme's own unit, e.g. tokens */
	const char *count2_unit;
};

struct obol_vendor;

#define OBOL_CONSOLE_OUTSTANDING_ROWS 100

struct obol_console_scheme {
	const char *name; /* "coupon": as the issuer scheme and its liability account */
	/* Its keys and their windows. */
	obol_err (*keys)(struct obol_store *s, obol_console_key_fn fn, void *ctx);
	/* Its actions (revoke a key, blacklist), NULL-terminated; each is also
	 * one of the console's actions under its own name. */
	const struct obol_console_action_def *const *actions;
	/* Its frauds with their evidence, newest first, at most limit of them;
	 * *total counts them all. */
	obol_err (*frauds)(struct obol_store *s, int64_t limit, obol_console_fraud_fn fn, void *ctx, int64_t *total);
	/* At a vendor: what it took since `since` (Unix seconds), from its own
	 * tables in the vendor's store s; out->value is zeroed in the
	 * issuer's currency before the call. */
	obol_err (*vendor_sales)(struct obol_vendor *v, struct obol_store *s, int64_t since, struct obol_console_sales *out);
	/* At the issuer, for the outstanding page: what its tables owe in
	 * detail (coins and their locks, chains, e-cash coins, Codexes), as
	 * HTML into r->body, at most OBOL_CONSOLE_OUTSTANDING_ROWS rows per
	 * table, soonest deadline first. */
	obol_err (*outstanding)(struct obol_console_req *r, struct obol_store *s);
	struct obol_console_scheme *next;
};

/* For a frauds callback over one table with columns id, kind and those
 * named here (frauds.c): at its time column, culprit its blamed party (an
 * integer shown after culprit_prefix when that is set, else text), evidence
 * its text. Trusted names, not input. */
struct obol_console_fraud_query {
	const char *scheme, *table, *at, *culprit, *culprit_prefix, *evidence;
};
OBOL_MUST_CHECK obol_err obol_console_fraud_rows(struct obol_store *s, const struct obol_console_fraud_query *q,
						 int64_t limit, obol_console_fraud_fn fn, void *ctx, int64_t *total);

/* For a vendor_sales callback: sql takes `since` as its one parameter and
 * answers one row, the payments and their value in units of 10^-8 of the
 * currency out->value is zeroed in (schemes.c). */
OBOL_MUST_CHECK obol_err obol_console_sales_rows(struct obol_store *s, const char *sql, int64_t since,
						 struct obol_console_sales *out);

/* For an outstanding callback (schemes.c): a table of class css with the
 * column heads cols (NULL-ended), its end with "and N more" when more rows
 * than shown exist, and a deadline's cell: its time, how far off, marked
 * when it has passed. */
OBOL_MUST_CHECK obol_err obol_console_count(struct obol_store *s, const char *sql, int64_t *n);
void obol_console_table_begin(struct obol_console_req *r, const char *css, const char *const *cols);
void obol_console_table_end(struct obol_console_req *r, int64_t shown, int64_t total);
void obol_console_deadline_cell(struct obol_console_req *r, int64_t t);

void obol_console_scheme_register(struct obol_console_scheme *s);
const struct obol_console_scheme *obol_console_schemes(void);
/* Whether the database holds the scheme's tables. */
OBOL_MUST_CHECK obol_err obol_console_scheme_present(struct obol_store *s, const char *scheme, bool *present);

#define OBOL_CONSOLE_SCHEME(ident, ...)                                                         \
	static struct obol_console_scheme ident = { __VA_ARGS__ };                              \
	__attribute__((constructor)) static void ident##_register(void)                        \
	{                                                                                       \
		obol_console_scheme_register(&ident);                                           \
	}

#endif
