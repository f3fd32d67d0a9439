/* The conservation audit behind `obol audit` (DESIGN §4):
 *   1. every journal entry balances (its lines sum to zero);
 *   2. every account's stored balance equals the sum of its lines;
 *   3. funding − payouts = Σ user and vendor balances + Σ liabilities;
 *   4. each scheme's liability account equals the value its own tables say
 *      is outstanding (coins, chains, e-cash, codexes), through the scheme's
 *      registered check.
 * It reads only; run it at any time. */
#ifndef OBOL_STORE_AUDIT_H
#define OBOL_STORE_AUDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/amount.h"
#include "core/error.h"
#include "store/store.h"

/* A scheme's view of what it owes: the sum of the value outstanding in its
 * own tables. Returns OBOL_OK and sets *outstanding. */
typedef obol_err (*obol_audit_outstanding_fn)(struct obol_store *s, const char *currency,
					      struct obol_amount *outstanding);

/* A scheme's findings about single instruments, each reported once through
 * report(ctx, broken, text): a broken one (an instrument whose balance is
 * negative: a debt never folded into a sum, P1) fails the audit; the others
 * are listed (e.g. a debt held, not yet paid). */
typedef void (*obol_audit_report_fn)(void *ctx, bool broken, const char *text);
typedef obol_err (*obol_audit_findings_fn)(struct obol_store *s, const char *currency, obol_audit_report_fn report,
					   void *ctx);

struct obol_audit_scheme {
	const char *scheme; /* "coupon", ... : the liability account's scheme name */
	obol_audit_outstanding_fn outstanding;
	obol_audit_findings_fn findings; /* may be NULL */
};

/* Schemes register their check (a constructor in the scheme's issuer code);
 * a later registration for the same scheme replaces the earlier one. The
 * check is called inside the audit's read transaction, and only when the
 * database holds the scheme's schema: its migration component must be named
 * as the scheme ("coupon", ...). Without it the scheme's outstanding value is
 * zero. A non-zero liability with no registered check fails the audit. */
void obol_audit_register(const struct obol_audit_scheme *sch);

/* The audit's findings, in the order it makes them: the report that
 * `obol audit` prints line by line, that `obol audit --json` and the
 * console's books page show. */
enum obol_audit_item_kind {
	OBOL_AUDIT_FIGURE,  /* label and amount: "funding" EUR:10 */
	OBOL_AUDIT_COUNT,   /* label, count and broken: "journal entries" 12, 0 (unbalanced) */
	OBOL_AUDIT_NOTE,    /* label and text: "coupon outstanding" "(no check registered)" */
	OBOL_AUDIT_PROBLEM, /* text: what is broken (it fails the audit) */
	OBOL_AUDIT_FINDING, /* label "finding", text: what a scheme's check found that breaks nothing */
};

struct obol_audit_item {
	enum obol_audit_item_kind kind;
	char *label;                /* FIGURE, COUNT, NOTE */
	char *text;                 /* NOTE, PROBLEM; COUNT: the word after the broken count */
	const char *scheme;         /* the scheme a figure, note or problem is about, or NULL */
	struct obol_amount amount;  /* FIGURE */
	long long count, broken;    /* COUNT */
};

struct obol_audit_report {
	char currency[OBOL_CURRENCY_MAX + 1];
	const char *backend;
	struct obol_audit_item *items;
	size_t n, cap;
	unsigned problems;
	obol_err incomplete; /* OBOL_OK, or why the audit could not finish */
};

/* Runs the audit inside the caller's read transaction (obol_store_begin_read),
 * appending its items to rep (zeroed by the caller; free it with
 * obol_audit_report_free). Returns OBOL_E_AUDIT_FAILED when anything does
 * not hold, or the error that kept it from finishing (then also in
 * rep->incomplete). */
OBOL_MUST_CHECK obol_err obol_audit_collect(struct obol_store *s, struct obol_audit_report *rep);
/* Prints the report as `obol audit` does: one line per item, then
 * "audit: OK", "audit: FAILED (N problems)" or "audit: could not finish: ...". */
void obol_audit_print(const struct obol_audit_report *rep, FILE *out);
void obol_audit_report_free(struct obol_audit_report *rep);

/* Runs the audit in a read transaction of its own and prints it.
 * OBOL_E_AUDIT_FAILED when anything does not hold. */
OBOL_MUST_CHECK obol_err obol_audit_run(struct obol_store *s, FILE *out);

#endif
