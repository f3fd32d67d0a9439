/* obol issuer ecash report | revoke: the bank operator's view of the ecash
 * scheme (seed 002 §3.3.3, §3.5.1): coins issued and outstanding, the spent
 * registry, the double spends caught with the account that committed them
 * (every key of it revoked, the account barred), and the revocation of a
 * key from now on. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/parse.h"
#include "issuer/ecash_issuer.h"
#include "store/ledger.h"

/* key NULL: the command takes no --key; json NULL: no --json. */
static int parse(const struct obol_cmd *cmd, int argc, char **argv, const char **db, const char **key, bool *json)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	int c;
	*db = NULL;
	if (json != NULL)
		*json = false;
	if (key != NULL)
		*key = NULL;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			*db = optarg;
		else if (c == 'k' && key != NULL)
			*key = optarg;
		else if (c == 'j' && json != NULL)
			*json = true;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (*db == NULL || (key != NULL && *key == NULL))
		return obol_cli_usage_error(cmd, key ? "--db and --key are required" : "--db URL is required");
	return -1;
}

static obol_err count(struct obol_store *s, const char *sql, int64_t *n, int64_t *units)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		*n = obol_stmt_column_int64(st, 0);
		if (units != NULL)
			*units = obol_stmt_column_int64(st, 1);
	}
	obol_stmt_finish(st);
	return e;
}

/* One figure of the report: a text line "label: N" or "label: N (amount)",
 * or under --json (doc not NULL) doc[key] = N, and doc[key_value] = the
 * amount when there is one. */
struct figure {
	const char *label, *key, *key_value; /* key_value NULL: a count alone */
	const char *sql;                      /* answers COUNT(*) [, SUM(units)] */
};

static const struct figure figures[] = {
	{ "coins-issued", "coins_issued", "issued_value",
	  "SELECT COUNT(*), COALESCE(SUM(units), 0) FROM ecash_coins" },
	{ "outstanding", "outstanding", "outstanding_value",
	  "SELECT COUNT(*), COALESCE(SUM(units), 0) FROM ecash_coins WHERE deposited = 0" },
	{ "registered-keys", "registered_keys", NULL, "SELECT COUNT(*) FROM ecash_certs" },
	{ "deposits", "deposits", NULL, "SELECT COUNT(*) FROM ecash_deposits" },
	{ "revoked-keys", "revoked_keys", NULL, "SELECT COUNT(*) FROM ecash_revoked" },
	{ "barred-accounts", "barred_accounts", NULL, "SELECT COUNT(*) FROM ecash_barred" },
	{ "double-spends", "double_spends", NULL, "SELECT COUNT(*) FROM ecash_frauds" },
};

static obol_err figure(struct obol_store *s, const char *cur, const struct figure *f, json_t *doc)
{
	char text[OBOL_AMOUNT_STR_MAX];
	struct obol_amount a;
	int64_t n = 0, units = 0;
	obol_err e = count(s, f->sql, &n, f->key_value != NULL ? &units : NULL);
	if (e != OBOL_OK || (f->key_value != NULL && (e = obol_amount_from_units(cur, units, &a)) != OBOL_OK))
		return e;
	if (doc != NULL)
		return obol_cli_json_set(doc, f->key, json_integer(n)) &&
				       (f->key_value == NULL || obol_cli_json_set(doc, f->key_value, obol_cli_json_amount(&a)))
			       ? OBOL_OK
			       : OBOL_E_NO_MEMORY;
	if (f->key_value == NULL) {
		printf("%s: %lld\n", f->label, (long long)n);
		return OBOL_OK;
	}
	obol_amount_format(&a, text);
	printf("%s: %lld (%s)\n", f->label, (long long)n, text);
	return OBOL_OK;
}

/* The figures, then each double spend with the account that committed it;
 * under --json (doc not NULL) doc gets the figures and "double_spend_list":
 * [{"serial" (hex), "kind", "fork", "culprit_account", "culprit_key"}]. */
static obol_err report(struct obol_store *s, json_t *doc)
{
	char cur[OBOL_CURRENCY_MAX + 1];
	struct obol_stmt *st;
	bool row;
	json_t *list = NULL;
	obol_err e = obol_ledger_currency(s, cur);
	for (size_t i = 0; e == OBOL_OK && i < sizeof(figures) / sizeof(figures[0]); i++)
		e = figure(s, cur, &figures[i], doc);
	if (e != OBOL_OK)
		return e;
	if (doc != NULL && (!obol_cli_json_set(doc, "double_spend_list", json_array()) ||
			    (list = json_object_get(doc, "double_spend_list")) == NULL))
		return OBOL_E_NO_MEMORY;
	e = obol_stmt_prepare(s, "SELECT serial, kind, culprit_account, evidence FROM ecash_frauds ORDER BY id", &st);
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *serial = obol_stmt_column_blob(st, 0, &len);
		char hex[2 * ECASH_SERIAL_LEN + 1], kind[32];
		int64_t acc = obol_stmt_column_int64(st, 2);
		obol_hex_encode(serial, len <= ECASH_SERIAL_LEN ? len : ECASH_SERIAL_LEN, hex);
		snprintf(kind, sizeof(kind), "%s", obol_stmt_column_text(st, 1));
		json_error_t jerr;
		json_t *ev = json_loads(obol_stmt_column_text(st, 3), 0, &jerr);
		const char *ckey = json_string_value(json_object_get(ev, "culprit_key"));
		json_int_t fork = json_integer_value(json_object_get(ev, "fork"));
		if (list != NULL) {
			json_t *o = json_object();
			if (!(obol_cli_json_set(o, "serial", json_string(hex)) && obol_cli_json_set(o, "kind", json_string(kind)) &&
			      obol_cli_json_set(o, "fork", json_integer(fork)) &&
			      obol_cli_json_set(o, "culprit_account", json_integer(acc)) &&
			      obol_cli_json_set(o, "culprit_key", ckey != NULL ? json_string(ckey) : json_null()) &&
			      json_array_append_new(list, o) == 0)) {
				json_decref(o);
				e = OBOL_E_NO_MEMORY;
			}
		} else {
			printf("double-spend: coin %s (%s, chains part at claim %lld)\n", hex, kind, (long long)fork);
			printf("culprit: account %lld%s%s\n", (long long)acc, ckey ? ", key " : "", ckey ? ckey : "");
		}
		json_decref(ev);
		if (e != OBOL_OK)
			break;
	}
	obol_stmt_finish(st);
	return e;
}

/* Names the culprits (a second pass: the account table is read after the
 * fraud rows are done with); under --json doc gets "culprits":
 * [{"account", "name"}]. */
static obol_err culprit_names(struct obol_store *s, json_t *doc)
{
	struct obol_stmt *st;
	bool row;
	int64_t ids[64];
	size_t n = 0;
	json_t *list = NULL;
	if (doc != NULL && (!obol_cli_json_set(doc, "culprits", json_array()) ||
			    (list = json_object_get(doc, "culprits")) == NULL))
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_stmt_prepare(s, "SELECT DISTINCT culprit_account FROM ecash_frauds", &st);
	if (e != OBOL_OK)
		return e;
	while (n < 64 && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		ids[n++] = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		struct obol_account acc;
		if (obol_account_get(s, ids[i], &acc) != OBOL_OK)
			continue;
		if (list == NULL) {
			printf("culprit-name: %s (account %lld)\n", acc.name, (long long)ids[i]);
			continue;
		}
		json_t *o = json_object();
		if (!(obol_cli_json_set(o, "account", json_integer(ids[i])) && obol_cli_json_set(o, "name", json_string(acc.name)) &&
		      json_array_append_new(list, o) == 0)) {
			json_decref(o);
			e = OBOL_E_NO_MEMORY;
		}
	}
	return e;
}

static int cmd_report(const struct obol_cmd *cmd, int argc, char **argv)
{
	const char *db;
	bool json;
	struct obol_store *s = NULL;
	json_t *doc = NULL;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	int rc = parse(cmd, argc, argv, &db, NULL, &json);
	if (rc >= 0)
		return rc;
	obol_err e = json && (doc = json_object()) == NULL ? OBOL_E_NO_MEMORY : OBOL_OK;
	if (e == OBOL_OK)
		e = obol_store_open(db, false, &s);
	if (e == OBOL_OK)
		e = report(s, doc);
	if (e == OBOL_OK)
		e = culprit_names(s, doc);
	obol_store_close(s);
	if (e != OBOL_OK) {
		json_decref(doc);
		return obol_cli_fail(cmd, e, "cannot read the ecash tables");
	}
	return json ? obol_cli_print_json(cmd, doc) : OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_ecash_report_cmd, "issuer ecash report", "--db URL [--json]",
	     "the bank's ecash figures: coins issued and outstanding, deposits, double spends and culprits",
	     "  --db URL   the issuer database\n"
	     "  --json     one JSON object: coins_issued, issued_value, outstanding, outstanding_value,\n"
	     "             registered_keys, deposits, revoked_keys, barred_accounts, double_spends,\n"
	     "             double_spend_list (serial, kind, fork, culprit_account, culprit_key),\n"
	     "             culprits (account, name)\n"
	     "Read-only; run it at any time (also while the issuer serves).",
	     cmd_report)

static obol_err revoke_unit(struct obol_store *s, const uint8_t id[ECASH_ID_LEN])
{
	struct ecash_cert c;
	obol_err e = ecash_issuer_cert(s, id, &c);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_store_begin(s)) != OBOL_OK)
		return e;
	e = ecash_issuer_revoke(s, id, "operator", obol_now());
	if (e == OBOL_OK)
		return obol_store_commit(s);
	obol_store_rollback(s);
	return e;
}

static int cmd_revoke(const struct obol_cmd *cmd, int argc, char **argv)
{
	const char *db, *key;
	struct obol_store *s = NULL;
	uint8_t id[ECASH_ID_LEN];
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	int rc = parse(cmd, argc, argv, &db, &key, NULL);
	if (rc >= 0)
		return rc;
	if (strlen(key) != 2 * ECASH_ID_LEN || obol_hex_decode(key, id, ECASH_ID_LEN) != OBOL_OK)
		return obol_cli_usage_error(cmd, "--key is the 64 hex digits 'wallet ecash register' printed");
	obol_err e = obol_store_open(db, false, &s);
	if (e == OBOL_OK)
		e = revoke_unit(s, id);
	obol_store_close(s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot revoke the key");
	printf("revoked: %s\n", key);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_ecash_revoke_cmd, "issuer ecash revoke", "--db URL --key HEX",
	     "put a registered ecash key on the bank's signed revocation list",
	     "  --db URL   the issuer database\n"
	     "  --key HEX  the key id (SHA-256 of the key, as 'wallet ecash register' printed it)\n"
	     "Merchants refuse the key once they fetched the new list ('wallet ecash refresh', vendor start);\n"
	     "what it signed before the revocation stays good.",
	     cmd_revoke)
