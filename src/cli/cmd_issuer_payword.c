/* obol issuer payword evidence | review: the frauds the agent proved (seed
 * 003 §3.1; DESIGN §7), with the signed material that proves them, and the
 * claims it held back. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/parse.h"
#include "issuer/payword_db.h"
#include "issuer/payword_issuer.h"
#include "store/ledger.h"

/* What the evidence listing counts, and under --json the array it fills. */
struct evidence_list {
	int n;
	json_t *json; /* NULL: text */
};

static obol_err print_one(void *ctx, int64_t id, const char *kind, uint64_t serial, const char *culprit,
			  const char *detail, int64_t created)
{
	struct evidence_list *l = ctx;
	l->n++;
	if (l->json != NULL) {
		json_t *o = json_object();
		if (obol_cli_json_set(o, "id", json_integer(id)) && obol_cli_json_set(o, "kind", json_string(kind)) &&
		    obol_cli_json_set(o, "culprit", json_string(culprit)) &&
		    obol_cli_json_set(o, "certificate", json_integer((json_int_t)serial)) &&
		    obol_cli_json_set(o, "at", json_integer(created)) && obol_cli_json_set(o, "evidence", json_string(detail)) &&
		    json_array_append_new(l->json, o) == 0)
			return OBOL_OK;
		json_decref(o);
		return OBOL_E_NO_MEMORY;
	}
	printf("evidence %lld: %s by %s on certificate %llu at %lld\n  %s\n", (long long)id, kind, culprit,
	       (unsigned long long)serial, (long long)created, detail);
	return OBOL_OK;
}

static int cmd_evidence(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 'd' },
					      { "json", no_argument, NULL, 'j' },
					      { 0, 0, 0, 0 } };
	const char *db = NULL;
	struct obol_store *s = NULL;
	struct evidence_list l = { 0, NULL };
	int c, rc = -1;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'j' && l.json == NULL && (l.json = json_array()) == NULL)
			return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "");
		else if (c != 'j')
			return obol_cli_usage_error(cmd, "unknown option");
	}
	obol_err e = OBOL_OK;
	if (optind != argc)
		rc = obol_cli_extra_arg(cmd, argv[optind]);
	else if (db == NULL)
		rc = obol_cli_usage_error(cmd, "--db is required");
	else if ((e = obol_ledger_open(db, &s)) == OBOL_OK && (e = obol_store_begin(s)) == OBOL_OK) {
		e = payword_db_evidence_list(s, print_one, &l);
		obol_store_rollback(s);
	}
	obol_store_close(s);
	if (rc >= 0 || e != OBOL_OK) {
		json_decref(l.json);
		return rc >= 0 ? rc : obol_cli_fail(cmd, e, "cannot read the evidence");
	}
	if (l.json == NULL) {
		printf("%d proven frauds\n", l.n);
		return OBOL_EXIT_OK;
	}
	json_t *doc = json_object();
	if (!(obol_cli_json_set(doc, "count", json_integer(l.n)) && obol_cli_json_set(doc, "evidence", json_incref(l.json)))) {
		json_decref(doc);
		doc = NULL;
	}
	json_decref(l.json);
	return obol_cli_print_json(cmd, doc);
}
OBOL_COMMAND(issuer_pw_evidence_cmd, "issuer payword evidence", "--db URL [--json]",
	     "list the payword frauds the agent proved, with their evidence",
	     "  --db URL   the issuer's database\n"
	     "  --json     one JSON object: count, evidence (id, kind, culprit, certificate, at, and\n"
	     "             evidence: the signed material in its text form)",
	     cmd_evidence)

/* --json of review: the claims held, {"review", "debt", "claims": [...]}. */
static json_t *held_json(const struct payword_db_claims held[2])
{
	json_t *doc = json_object(), *list = json_array();
	bool ok = list != NULL;
	for (int k = 0; k < 2 && ok; k++)
		for (size_t i = 0; ok && i < held[k].n; i++) {
			json_t *o = json_object();
			ok = obol_cli_json_set(o, "id", json_integer(held[k].ids[i])) &&
			     obol_cli_json_set(o, "certificate", json_integer((json_int_t)held[k].serials[i])) &&
			     obol_cli_json_set(o, "vendor", json_integer((json_int_t)held[k].c[i].vendor)) &&
			     obol_cli_json_set(o, "from", json_integer((json_int_t)held[k].c[i].from)) &&
			     obol_cli_json_set(o, "to", json_integer((json_int_t)held[k].c[i].to)) &&
			     obol_cli_json_set(o, "held_tokens", json_integer((json_int_t)held[k].c[i].held_tokens)) &&
			     obol_cli_json_set(o, "held", json_string(k == 0 ? "review" : "debt")) &&
			     json_array_append_new(list, o) == 0;
			if (!ok)
				json_decref(o);
		}
	ok = ok && obol_cli_json_set(doc, "review", json_integer((json_int_t)held[0].n)) &&
	     obol_cli_json_set(doc, "debt", json_integer((json_int_t)held[1].n)) &&
	     obol_cli_json_set(doc, "claims", json_incref(list));
	json_decref(list);
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* --json of a decision: {"claim", "decision": "paid" | "dropped", "tokens_paid"}. */
static json_t *decision_json(int64_t id, bool pay, int64_t paid)
{
	json_t *doc = json_object();
	if (obol_cli_json_set(doc, "claim", json_integer(id)) &&
	    obol_cli_json_set(doc, "decision", json_string(pay ? "paid" : "dropped")) &&
	    obol_cli_json_set(doc, "tokens_paid", json_integer(paid)))
		return doc;
	json_decref(doc);
	return NULL;
}

/* obol issuer payword review: the claims held back (for review: tokens
 * shared with a claim from before signed ranges, which no signature can
 * judge; or as a user's debt), and the operator's decision on one held for
 * review. */
static int cmd_review(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "claim", required_argument, NULL, 'c' },
		{ "pay", no_argument, NULL, 'p' },      { "drop", no_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },     { 0, 0, 0, 0 },
	};
	const char *db = NULL;
	struct obol_store *s = NULL;
	struct payword_db_claims held[2];
	uint64_t id = 0;
	int64_t paid = 0;
	int c, decide = 0; /* 1 pay, 2 drop */
	bool json = false;
	json_t *doc = NULL;
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
		case 'j': json = true; break;
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
		if (e == OBOL_OK && json)
			doc = decision_json((int64_t)id, decide == 1, paid);
		else if (e == OBOL_OK)
			printf("claim %llu: %s (%lld tokens paid)\n", (unsigned long long)id,
			       decide == 1 ? "paid" : "dropped", (long long)paid);
	} else if (e == OBOL_OK) {
		e = payword_db_claims_held(s, 0, PAYWORD_HOLD_REVIEW, &held[0]);
		if (e == OBOL_OK)
			e = payword_db_claims_held(s, 0, PAYWORD_HOLD_DEBT, &held[1]);
		obol_store_rollback(s);
		if (e == OBOL_OK && json)
			doc = held_json(held);
		for (int k = 0; k < 2 && e == OBOL_OK && !json; k++)
			for (size_t i = 0; i < held[k].n; i++)
				printf("claim %lld: certificate %llu, vendor %llu, orders %llu..%llu: %lld tokens held %s\n",
				       (long long)held[k].ids[i], (unsigned long long)held[k].serials[i],
				       (unsigned long long)held[k].c[i].vendor, (unsigned long long)held[k].c[i].from,
				       (unsigned long long)held[k].c[i].to, (long long)held[k].c[i].held_tokens,
				       k == 0 ? "for review" : "as the user's debt");
		if (e == OBOL_OK && !json)
			printf("%zu claims held for review, %zu as debts\n", held[0].n, held[1].n);
		payword_db_claims_free(&held[0]);
		payword_db_claims_free(&held[1]);
	}
	obol_store_close(s);
	if (e)
		return obol_cli_fail(cmd, e, "cannot review the held claims");
	return json ? obol_cli_print_json(cmd, doc) : OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_pw_review_cmd, "issuer payword review", "--db URL [--claim ID (--pay | --drop)] [--json]",
	     "list the payword claims held back, or decide one held for review",
	     "  --db URL      the issuer's database\n"
	     "  --claim ID    a claim held for review: tokens it shares with a claim stored before signed\n"
	     "                ranges, which no user signature can judge\n"
	     "  --pay         pay its held tokens (from the certificate, then the user's account)\n"
	     "  --drop        drop them\n"
	     "  --json        one JSON object: without --claim review and debt (counts) and claims\n"
	     "                (id, certificate, vendor, from, to, held_tokens, held: review or debt);\n"
	     "                with it claim, decision (paid or dropped), tokens_paid\n"
	     "Without --claim: every claim held, for review or as a user's debt (paid from the user's\n"
	     "next token purchase).",
	     cmd_review)
