/* The conservation audit (audit.h, DESIGN §4): seed 004's "total amount in
 * all accounts equals the total dispersed", made exact. It runs in one read
 * snapshot, so it can run while the issuer is serving. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "store/ledger.h"

#define AUDIT_MAX_SCHEMES 16
#define AUDIT_MAX_NAMED 50 /* broken entries/accounts named per check */

static const struct obol_audit_scheme *registered[AUDIT_MAX_SCHEMES];
static size_t nregistered;

void obol_audit_register(const struct obol_audit_scheme *sch)
{
	for (size_t i = 0; i < nregistered; i++) {
		if (strcmp(registered[i]->scheme, sch->scheme) == 0) {
			registered[i] = sch;
			return;
		}
	}
	if (nregistered < AUDIT_MAX_SCHEMES)
		registered[nregistered++] = sch;
}

static const struct obol_audit_scheme *find_scheme(const char *scheme)
{
	for (size_t i = 0; i < nregistered; i++)
		if (strcmp(registered[i]->scheme, scheme) == 0)
			return registered[i];
	return NULL;
}

struct audit {
	struct obol_store *s;
	struct obol_audit_report *rep;
	char currency[OBOL_CURRENCY_MAX + 1];
	bool no_memory;
	const char *scheme_now; /* the scheme whose findings are being collected */
};

/* A new item at the end of the report; NULL (and the audit marked out of
 * memory) when it cannot grow. */
static struct obol_audit_item *item(struct audit *a, enum obol_audit_item_kind kind, const char *label,
				    const char *scheme)
{
	struct obol_audit_report *r = a->rep;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct obol_audit_item *v = realloc(r->items, cap * sizeof *v);
		if (v == NULL) {
			a->no_memory = true;
			return NULL;
		}
		r->items = v;
		r->cap = cap;
	}
	struct obol_audit_item *it = &r->items[r->n];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	it->scheme = scheme;
	if (label != NULL && (it->label = strdup(label)) == NULL) {
		a->no_memory = true;
		return NULL;
	}
	r->n++;
	return it;
}

static void problem(struct audit *a, const char *scheme, const char *fmt, ...) OBOL_PRINTF(3, 4);
static void problem(struct audit *a, const char *scheme, const char *fmt, ...)
{
	va_list ap;
	struct obol_audit_item *it = item(a, OBOL_AUDIT_PROBLEM, NULL, scheme);
	a->rep->problems++;
	if (it == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&it->text, fmt, ap) < 0) {
		it->text = NULL;
		a->no_memory = true;
	}
	va_end(ap);
}

static void note(struct audit *a, const char *label, const char *scheme, const char *text)
{
	struct obol_audit_item *it = item(a, OBOL_AUDIT_NOTE, label, scheme);
	if (it != NULL && (it->text = strdup(text)) == NULL)
		a->no_memory = true;
}

/* A scheme's finding (obol_audit_report_fn). */
static void finding(void *ctx, bool broken, const char *text)
{
	struct audit *a = ctx;
	if (broken) {
		problem(a, a->scheme_now, "%s", text);
	} else {
		struct obol_audit_item *it = item(a, OBOL_AUDIT_FINDING, "finding", a->scheme_now);
		if (it != NULL && (it->text = strdup(text)) == NULL)
			a->no_memory = true;
	}
}

static void fmt_units(const struct audit *a, int64_t units, char buf[static OBOL_AMOUNT_STR_MAX])
{
	struct obol_amount x;
	if (obol_amount_from_units(a->currency, units, &x) == OBOL_OK)
		obol_amount_format(&x, buf);
	else
		snprintf(buf, OBOL_AMOUNT_STR_MAX, "%lld", (long long)units);
}

static void figure(struct audit *a, const char *label, const char *scheme, const struct obol_amount *v)
{
	struct obol_audit_item *it = item(a, OBOL_AUDIT_FIGURE, label, scheme);
	if (it != NULL)
		it->amount = *v;
}

/* One integer from a query with up to one int64 parameter (0 = none). */
static obol_err scalar(struct obol_store *s, const char *sql, int nparams, int64_t p, int64_t *v)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	*v = 0;
	if (e != OBOL_OK)
		return e;
	if (nparams == 1)
		e = obol_stmt_bind_int64(st, 1, p);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && row)
		*v = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

static obol_err scalar_text(struct obol_store *s, const char *sql, const char *p, int64_t *v)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	*v = 0;
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_bind_text(st, 1, p);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && row)
		*v = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

static obol_err amount_of(struct audit *a, const char *sql, int nparams, int64_t p, struct obol_amount *out)
{
	int64_t v = 0;
	obol_err e = scalar(a->s, sql, nparams, p, &v);
	return e != OBOL_OK ? e : obol_amount_from_units(a->currency, v, out);
}

/* A check whose query returns the broken rows: count_sql counts what is
 * checked, sql selects the broken ones; describe() names one as a problem. */
struct row_check {
	const char *count_sql, *sql;
	void (*describe)(struct audit *a, struct obol_stmt *st);
	const char *more;   /* "and N more <more>" past AUDIT_MAX_NAMED */
	const char *label;  /* the summary line: "<label> <count>, <n> <broken>" */
	const char *broken;
};

/* Runs c: names the first AUDIT_MAX_NAMED broken rows, the rest in one line,
 * then prints the summary. */
static obol_err check_rows(struct audit *a, const struct row_check *c)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t total = 0, named = 0;
	obol_err e = scalar(a->s, c->count_sql, 0, 0, &total);
	if (e == OBOL_OK)
		e = obol_stmt_prepare(a->s, c->sql, &st);
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (named++ >= AUDIT_MAX_NAMED)
			continue;
		c->describe(a, st);
	}
	obol_stmt_finish(st);
	if (named > AUDIT_MAX_NAMED)
		problem(a, NULL, "and %lld more %s", (long long)(named - AUDIT_MAX_NAMED), c->more);
	if (e == OBOL_OK) {
		struct obol_audit_item *it = item(a, OBOL_AUDIT_COUNT, c->label, NULL);
		if (it != NULL) {
			it->count = total;
			it->broken = named;
			if ((it->text = strdup(c->broken)) == NULL)
				a->no_memory = true;
		}
	}
	return e;
}

static void describe_entry(struct audit *a, struct obol_stmt *st)
{
	char buf[OBOL_AMOUNT_STR_MAX];
	fmt_units(a, obol_stmt_column_int64(st, 4), buf);
	problem(a, NULL, "entry %lld (%s, ref '%s') does not balance: %lld lines summing to %s",
		(long long)obol_stmt_column_int64(st, 0), obol_stmt_column_text(st, 1), obol_stmt_column_text(st, 2),
		(long long)obol_stmt_column_int64(st, 3), buf);
}

/* Check 1: every entry has at least two lines and they sum to zero. */
static const struct row_check check_entries = {
	.count_sql = "SELECT count(*) FROM journal_entries",
	.sql = "SELECT e.id, e.reason, coalesce(e.ref, ''), count(l.line), "
	       "coalesce(sum(l.amount), 0) FROM journal_entries e "
	       "LEFT JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.id, e.reason, e.ref "
	       "HAVING count(l.line) < 2 OR coalesce(sum(l.amount), 0) <> 0 ORDER BY e.id",
	.describe = describe_entry,
	.more = "unbalanced entries",
	.label = "journal entries",
	.broken = "unbalanced",
};

static void describe_account(struct audit *a, struct obol_stmt *st)
{
	char b1[OBOL_AMOUNT_STR_MAX], b2[OBOL_AMOUNT_STR_MAX];
	int64_t stored = obol_stmt_column_int64(st, 2), lines = obol_stmt_column_int64(st, 3);
	fmt_units(a, stored, b1);
	fmt_units(a, lines, b2);
	if (stored != lines)
		problem(a, NULL, "account %lld (%s) stores balance %s but its lines sum to %s",
			(long long)obol_stmt_column_int64(st, 0), obol_stmt_column_text(st, 1), b1, b2);
	else
		problem(a, NULL, "account %lld (%s) has a negative balance %s", (long long)obol_stmt_column_int64(st, 0),
			obol_stmt_column_text(st, 1), b1);
}

/* Check 2: every stored balance is the sum of its lines, and only the
 * outside account is negative. */
static const struct row_check check_balances = {
	.count_sql = "SELECT count(*) FROM accounts",
	.sql = "SELECT a.id, a.name, a.balance, coalesce(sum(l.amount), 0) FROM accounts a "
	       "LEFT JOIN journal_lines l ON l.account_id = a.id "
	       "GROUP BY a.id, a.name, a.balance "
	       "HAVING a.balance <> coalesce(sum(l.amount), 0) OR (a.kind <> 3 AND a.balance < 0) "
	       "ORDER BY a.id",
	.describe = describe_account,
	.more = "accounts",
	.label = "accounts",
	.broken = "broken",
};

static const char *const schemes[] = { "coupon", "ecash", "payword", "codex" };

/* Checks 3 and 4. */
static obol_err check_conservation(struct audit *a)
{
	struct obol_amount funding, payouts, users, vendors, liab_sum, lhs, rhs;
	int64_t outside = 0;
	char b1[OBOL_AMOUNT_STR_MAX], b2[OBOL_AMOUNT_STR_MAX];
	obol_err e = obol_account_outside(a->s, &outside);
	if (e == OBOL_OK)
		e = amount_of(a, "SELECT coalesce(sum(-amount), 0) FROM journal_lines WHERE account_id = ? AND amount < 0",
			      1, outside, &funding);
	if (e == OBOL_OK)
		e = amount_of(a, "SELECT coalesce(sum(amount), 0) FROM journal_lines WHERE account_id = ? AND amount > 0",
			      1, outside, &payouts);
	if (e == OBOL_OK)
		e = amount_of(a, "SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = ?", 1,
			      OBOL_ACCOUNT_USER, &users);
	if (e == OBOL_OK)
		e = amount_of(a, "SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = ?", 1,
			      OBOL_ACCOUNT_VENDOR, &vendors);
	if (e == OBOL_OK)
		e = obol_amount_zero(a->currency, &liab_sum);
	if (e != OBOL_OK)
		return e;
	figure(a, "funding", NULL, &funding);
	figure(a, "payouts", NULL, &payouts);
	figure(a, "user balances", NULL, &users);
	figure(a, "vendor balances", NULL, &vendors);

	for (size_t i = 0; i < OBOL_ARRAY_LEN(schemes) && e == OBOL_OK; i++) {
		struct obol_amount liab, owed;
		int64_t id = 0;
		char label[64];
		e = obol_account_liability(a->s, schemes[i], &id);
		if (e == OBOL_OK)
			e = obol_ledger_balance(a->s, id, &liab);
		if (e == OBOL_OK)
			e = obol_amount_add(&liab_sum, &liab_sum, &liab);
		if (e != OBOL_OK)
			break;
		snprintf(label, sizeof(label), "%s liability", schemes[i]);
		figure(a, label, schemes[i], &liab);
		const struct obol_audit_scheme *sch = find_scheme(schemes[i]);
		snprintf(label, sizeof(label), "%s outstanding", schemes[i]);
		if (sch == NULL) {
			note(a, label, schemes[i], "(no check registered)");
			if (!obol_amount_is_zero(&liab))
				problem(a, schemes[i], "the %s liability is not zero and no check is registered to explain it",
					schemes[i]);
			continue;
		}
		int64_t version = 0;
		e = scalar_text(a->s, "SELECT coalesce(max(version), 0) FROM schema_version WHERE component = ?",
				schemes[i], &version);
		if (e == OBOL_OK && version > 0)
			e = sch->outstanding(a->s, a->currency, &owed);
		else if (e == OBOL_OK)
			e = obol_amount_zero(a->currency, &owed);
		if (e != OBOL_OK)
			break;
		a->scheme_now = schemes[i];
		if (version > 0 && sch->findings != NULL && (e = sch->findings(a->s, a->currency, finding, a)) != OBOL_OK)
			break;
		if (version > 0) {
			figure(a, label, schemes[i], &owed);
		} else {
			char text[64];
			snprintf(text, sizeof text, "%s:0 (the scheme is not set up on this database)", a->currency);
			note(a, label, schemes[i], text);
		}
		if (!obol_amount_same_currency(&owed, &liab) || owed.units != liab.units) {
			obol_amount_format(&liab, b1);
			obol_amount_format(&owed, b2);
			problem(a, schemes[i], "the %s liability account holds %s but its tables say %s is outstanding",
				schemes[i], b1, b2);
		}
	}
	if (e == OBOL_OK)
		e = obol_amount_sub(&lhs, &funding, &payouts);
	if (e == OBOL_OK)
		e = obol_amount_add(&rhs, &users, &vendors);
	if (e == OBOL_OK)
		e = obol_amount_add(&rhs, &rhs, &liab_sum);
	if (e != OBOL_OK)
		return e;
	figure(a, "funding - payouts", NULL, &lhs);
	figure(a, "balances + liabilities", NULL, &rhs);
	if (lhs.units != rhs.units) {
		obol_amount_format(&lhs, b1);
		obol_amount_format(&rhs, b2);
		problem(a, NULL, "funding - payouts = %s but balances + liabilities = %s", b1, b2);
	}
	return OBOL_OK;
}

obol_err obol_audit_collect(struct obol_store *s, struct obol_audit_report *rep)
{
	struct audit a = { .s = s, .rep = rep };
	rep->backend = obol_store_backend_name(s);
	obol_err e = obol_ledger_currency(s, a.currency);
	if (e == OBOL_OK) {
		snprintf(rep->currency, sizeof rep->currency, "%s", a.currency);
		e = check_rows(&a, &check_entries);
	}
	if (e == OBOL_OK)
		e = check_rows(&a, &check_balances);
	if (e == OBOL_OK)
		e = check_conservation(&a);
	if (e == OBOL_OK && a.no_memory)
		e = OBOL_E_NO_MEMORY;
	rep->incomplete = e;
	if (e != OBOL_OK)
		return e;
	return rep->problems > 0 ? OBOL_E_AUDIT_FAILED : OBOL_OK;
}

void obol_audit_print(const struct obol_audit_report *rep, FILE *out)
{
	char buf[OBOL_AMOUNT_STR_MAX];
	if (rep->currency[0] != '\0')
		fprintf(out, "%-32s %s (%s)\n", "currency", rep->currency, rep->backend);
	for (size_t i = 0; i < rep->n; i++) {
		const struct obol_audit_item *it = &rep->items[i];
		switch (it->kind) {
		case OBOL_AUDIT_FIGURE:
			obol_amount_format(&it->amount, buf);
			fprintf(out, "%-32s %s\n", it->label, buf);
			break;
		case OBOL_AUDIT_COUNT:
			fprintf(out, "%-32s %lld, %lld %s\n", it->label, it->count, it->broken, it->text);
			break;
		case OBOL_AUDIT_NOTE:
			fprintf(out, "%-32s %s\n", it->label, it->text);
			break;
		case OBOL_AUDIT_FINDING:
			fprintf(out, "audit: FINDING: %s\n", it->text != NULL ? it->text : "(out of memory)");
			break;
		case OBOL_AUDIT_PROBLEM:
			fprintf(out, "audit: BROKEN: %s\n", it->text != NULL ? it->text : "(out of memory)");
			break;
		}
	}
	if (rep->incomplete != OBOL_OK)
		fprintf(out, "audit: could not finish: %s\n", obol_strerror(rep->incomplete));
	else if (rep->problems > 0)
		fprintf(out, "audit: FAILED (%u problem%s)\n", rep->problems, rep->problems == 1 ? "" : "s");
	else
		fprintf(out, "audit: OK\n");
}

void obol_audit_report_free(struct obol_audit_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->items[i].label);
		free(rep->items[i].text);
	}
	free(rep->items);
	memset(rep, 0, sizeof *rep);
}

obol_err obol_audit_run(struct obol_store *s, FILE *out)
{
	struct obol_audit_report rep = { 0 };
	obol_err e = obol_store_begin_read(s);
	if (e != OBOL_OK)
		return e;
	e = obol_audit_collect(s, &rep);
	obol_store_rollback(s);
	obol_audit_print(&rep, out);
	obol_audit_report_free(&rep);
	return e;
}
