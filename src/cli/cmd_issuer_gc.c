/* obol issuer gc: removes what can no longer matter from the issuer
 * database, in bounded batches (src/issuer/gc.h). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/parse.h"
#include "issuer/gc.h"

static int cmd_issuer_gc(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	const char *db = NULL;
	uint64_t batch = OBOL_GC_BATCH_DEFAULT;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'j': break; /* obol_cli_json() */
		case 'b':
			if (obol_parse_u64(optarg, 1, OBOL_GC_BATCH_MAX, &batch) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--batch takes 1..100000");
			break;
		default:
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (db == NULL)
		return obol_cli_usage_error(cmd, "--db is required");
	struct obol_store *s = NULL;
	struct obol_gc_opts o = { .now = obol_now(), .batch = (size_t)batch };
	struct obol_gc_counts n;
	obol_err e = obol_store_open(db, false, &s);
	if (e == OBOL_OK)
		e = obol_issuer_gc(s, &o, &n);
	obol_store_close(s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot prune the issuer database");
	if (obol_cli_json())
		return obol_cli_print_json(cmd, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "ecash_nonces",
							  (json_int_t)n.nonces, "answers", (json_int_t)n.answers,
							  "coupon_settles", (json_int_t)n.coupon_settles, "payword_certs",
							  (json_int_t)n.payword_certs, "payword_claims",
							  (json_int_t)n.payword_claims, "batches", (json_int_t)n.batches));
	printf("ecash-nonces: %lld\nanswers: %lld\ncoupon-settles: %lld\npayword-certs: %lld\npayword-claims: %lld\n"
	       "batches: %lld\n",
	       (long long)n.nonces, (long long)n.answers, (long long)n.coupon_settles, (long long)n.payword_certs,
	       (long long)n.payword_claims, (long long)n.batches);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(issuer_gc_cmd, "issuer gc", "--db URL [--batch N] [--json]",
	     "remove what can no longer matter from the issuer database, in short batches",
	     "  --db URL    the issuer database (the daemon may keep serving meanwhile)\n"
	     "  --batch N   rows per transaction (default 1000, at most 100000)\n"
	     "  --json      one JSON object: ecash_nonces, answers, coupon_settles, payword_certs,\n"
	     "              payword_claims (rows removed), batches\n"
	     "Removes the ecash bank nonces an hour past their expiry; the stored answers of ecash\n"
	     "deposits and refunds and payword reports older than 30 days; the answered settles of\n"
	     "unlocked coupon coins 30 days past their denomination's end; and the ended payword\n"
	     "certificates with nothing left in them 30 days past their validity and grace, with their\n"
	     "claims (docs/operations.md, \"What grows: the inventory\", gives the rule of every table\n"
	     "and why the others stay). Prints the rows removed and the transactions used.",
	     cmd_issuer_gc)
