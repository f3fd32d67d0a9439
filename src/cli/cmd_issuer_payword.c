/* obol issuer payword evidence | review: the frauds the agent proved (seed
 * 003 §3.1; DESIGN §7), with the signed material that proves them, and the
 * claims it held back. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/parse.h"
#include "issuer/payword_db.h"
#include "issuer/payword_issuer.h"
#include "store/ledger.h"

static obol_err print_one(void *ctx, int64_t id, const char *kind, uint64_t serial, const char *culprit,
			  const char *detail, int64_t created)
{
	int *n = ctx;
	(*n)++;
	printf("evidence %lld: %s by %s on certificate %llu at %lld\n  %s\n", (long long)id, kind, culprit,
	       (unsigned long long)serial, (long long)created, detail);
	return OBOL_OK;
}

static int cmd_evidence(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 'd' }, { 0, 0, 0, 0 } };
	const char *db = NULL;
	struct obol_store *s = NULL;
	int c, n = 0;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd')
			return obol_cli_usage_error(cmd, "unknown option");
		db = optarg;
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (db == NULL)
		return obol_cli_usage_error(cmd, "--db is required");
	obol_err e = obol_ledger_open(db, &s);
	if (e == OBOL_OK)
		e = obol_store_begin(s);
	if (e == OBOL_OK) {
		e = payword_db_evidence_list(s, print_one, &n);
		obol_store_rollback(s);
	}
	obol_store_close(s);
	if (e)
		return obol_cli_fail(cmd, e, "cannot read the evidence");
	printf("%d proven frauds\n", n);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_pw_evidence_cmd, "issuer payword evidence", "--db URL",
	     "list the payword frauds the agent proved, with their evidence", NULL, cmd_evidence)

/* obol issuer payword review: the claims held back (for review: tokens
 * shared with a claim from before signed ranges, which no signature can
 * judge; or as a user's debt), and the operator's decision on one held for
 * review. */
static int cmd_review(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "claim", required_argument, NULL, 'c' },
		{ "pay", no_argument, NULL, 'p' },      { "drop", no_argument, NULL, 'x' },
		{ 0, 0, 0, 0 },
	};
	const char *db = NULL;
	struct obol_store *s = NULL;
	struct payword_db_claims held[2];
	uint64_t id = 0;
	int64_t paid = 0;
	int c, decide = 0; /* 1 pay, 2 drop */
	obol_err e;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'c':
			if (obol_parse_u64(optarg, 1, INT64_MAX, &id) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--claim takes a claim id");
			break;
		case 'p': decide = decide ? -1 : 1; break;
		case 'x': decide = decide ? -1 : 2; break;
		default: return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (db == NULL || decide < 0 || (id != 0) != (decide != 0))
		return obol_cli_usage_error(cmd, "--db is required; --claim ID goes with one of --pay, --drop");
	memset(held, 0, sizeof(held));
	e = obol_ledger_open(db, &s);
	if (e == OBOL_OK)
		e = obol_store_begin(s);
	if (e == OBOL_OK && id != 0) {
		e = payword_review_apply(s, (int64_t)id, decide == 1, &paid);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
		if (e == OBOL_OK)
			printf("claim %llu: %s (%lld tokens paid)\n", (unsigned long long)id,
			       decide == 1 ? "paid" : "dropped", (long long)paid);
	} else if (e == OBOL_OK) {
		e = payword_db_claims_held(s, 0, PAYWORD_HOLD_REVIEW, &held[0]);
		if (e == OBOL_OK)
			e = payword_db_claims_held(s, 0, PAYWORD_HOLD_DEBT, &held[1]);
		obol_store_rollback(s);
		for (int k = 0; k < 2 && e == OBOL_OK; k++)
			for (size_t i = 0; i < held[k].n; i++)
				printf("claim %lld: certificate %llu, vendor %llu, orders %llu..%llu: %lld tokens held %s\n",
				       (long long)held[k].ids[i], (unsigned long long)held[k].serials[i],
				       (unsigned long long)held[k].c[i].vendor, (unsigned long long)held[k].c[i].from,
				       (unsigned long long)held[k].c[i].to, (long long)held[k].c[i].held_tokens,
				       k == 0 ? "for review" : "as the user's debt");
		if (e == OBOL_OK)
			printf("%zu claims held for review, %zu as debts\n", held[0].n, held[1].n);
		payword_db_claims_free(&held[0]);
		payword_db_claims_free(&held[1]);
	}
	obol_store_close(s);
	if (e)
		return obol_cli_fail(cmd, e, "cannot review the held claims");
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_pw_review_cmd, "issuer payword review", "--db URL [--claim ID (--pay | --drop)]",
	     "list the payword claims held back, or decide one held for review",
	     "  --db URL      the issuer's database\n"
	     "  --claim ID    a claim held for review: tokens it shares with a claim stored before signed\n"
	     "                ranges, which no user signature can judge\n"
	     "  --pay         pay its held tokens (from the certificate, then the user's account)\n"
	     "  --drop        drop them\n"
	     "Without --claim: every claim held, for review or as a user's debt (paid from the user's\n"
	     "next token purchase).",
	     cmd_review)
