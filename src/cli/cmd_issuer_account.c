/* obol issuer account add|show|list, obol issuer fund, obol issuer payout:
 * the operator's side of accounts and of the outside bank transfers that
 * funding and payouts stand for (DESIGN §4). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/parse.h"
#include "issuer/moves.h"
#include "store/ledger.h"

struct opts {
	const char *db, *kind, *name, *auth_key, *account, *id, *amount, *ref;
	bool json;
};

/* Parses the options a command allows (letters of `allow`); 0 or an exit code. */
static int parse(const struct obol_cmd *cmd, int argc, char **argv, const char *allow, struct opts *o)
{
	static const struct option all[] = {
		{ "db", required_argument, NULL, 'd' },	   { "kind", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },	   { "auth-key", required_argument, NULL, 'p' },
		{ "account", required_argument, NULL, 'a' }, { "id", required_argument, NULL, 'i' },
		{ "amount", required_argument, NULL, 'm' },  { "ref", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },	   { NULL, 0, NULL, 0 },
	};
	int c;
	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "", all, NULL)) != -1) {
		if (c == '?' || strchr(allow, c) == NULL)
			return obol_cli_usage_error(cmd, "unknown option");
		if (c == 'j') {
			o->json = true;
			continue;
		}
		const char **slot = c == 'd' ? &o->db : c == 'k' ? &o->kind : c == 'n' ? &o->name
				  : c == 'p' ? &o->auth_key : c == 'a' ? &o->account : c == 'i' ? &o->id
				  : c == 'm' ? &o->amount : &o->ref;
		*slot = optarg;
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (o->db == NULL)
		return obol_cli_usage_error(cmd, "--db URL is required");
	return 0;
}

static const char *kind_name(enum obol_account_kind k)
{
	switch (k) {
	case OBOL_ACCOUNT_USER: return "user";
	case OBOL_ACCOUNT_VENDOR: return "vendor";
	case OBOL_ACCOUNT_OUTSIDE: return "outside";
	case OBOL_ACCOUNT_LIABILITY: return "liability";
	}
	return "?";
}

static const char *status_name(enum obol_account_status st)
{
	return st == OBOL_ACCOUNT_ACTIVE ? "active" : st == OBOL_ACCOUNT_SUSPENDED ? "suspended" : "closed";
}

/* {"id", "name", "kind", "status", "balance", "auth_key" (null without)}. */
static json_t *account_json(const struct obol_account *a)
{
	char pk[OBOL_B64_LEN(32)];
	json_t *o = json_object(), *key = json_null();
	if (a->has_auth_pk) {
		json_decref(key);
		key = obol_b64_encode(a->auth_pk, 32, pk, sizeof(pk)) == OBOL_OK ? json_string(pk) : NULL;
	}
	if (obol_cli_json_set(o, "id", json_integer(a->id)) && obol_cli_json_set(o, "name", json_string(a->name)) &&
	    obol_cli_json_set(o, "kind", json_string(kind_name(a->kind))) &&
	    obol_cli_json_set(o, "status", json_string(status_name(a->status))) &&
	    obol_cli_json_set(o, "balance", obol_cli_json_amount(&a->balance)) && obol_cli_json_set(o, "auth_key", key))
		return o;
	json_decref(o);
	return NULL;
}

/* ctx: NULL for a text line, else the JSON array to append to. */
static obol_err print_account(const struct obol_account *a, void *ctx)
{
	char bal[OBOL_AMOUNT_STR_MAX], pk[OBOL_B64_LEN(32)] = "-";
	if (ctx != NULL)
		return json_array_append_new(ctx, account_json(a)) == 0 ? OBOL_OK : OBOL_E_NO_MEMORY;
	obol_amount_format(&a->balance, bal);
	if (a->has_auth_pk && obol_b64_encode(a->auth_pk, 32, pk, sizeof(pk)) != OBOL_OK)
		return OBOL_E_INTERNAL;
	printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)a->id, kind_name(a->kind), status_name(a->status), bal,
	       pk, a->name);
	return OBOL_OK;
}

/* The account named by --id or --account (exactly one). */
static int find_account(const struct obol_cmd *cmd, struct obol_store *s, const struct opts *o,
			struct obol_account *a, obol_err *e)
{
	uint64_t id = 0;
	if ((o->id == NULL) == (o->account == NULL))
		return obol_cli_usage_error(cmd, "give exactly one of --account NAME and --id N");
	if (o->id != NULL) {
		*e = obol_parse_u64(o->id, 1, INT64_MAX, &id);
		if (*e == OBOL_OK)
			*e = obol_account_get(s, (int64_t)id, a);
	} else {
		*e = obol_account_by_name(s, o->account, a);
	}
	return 0;
}

struct add_tx {
	enum obol_account_kind kind;
	const char *name;
	const uint8_t *pk;
	int64_t id;
};

static obol_err add_tx(struct obol_store *s, void *ctx)
{
	struct add_tx *t = ctx;
	return obol_account_create(s, t->kind, t->name, t->pk, &t->id);
}

static int cmd_add(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_store *s = NULL;
	uint8_t pk[32];
	size_t pklen = 0;
	struct add_tx t = { 0 };
	int rc = parse(cmd, argc, argv, "dknp", &o);
	if (rc != 0)
		return rc;
	if (o.kind == NULL || o.name == NULL)
		return obol_cli_usage_error(cmd, "--kind and --name are required");
	if (strcmp(o.kind, "user") == 0)
		t.kind = OBOL_ACCOUNT_USER;
	else if (strcmp(o.kind, "vendor") == 0)
		t.kind = OBOL_ACCOUNT_VENDOR;
	else
		return obol_cli_usage_error(cmd, "--kind is user or vendor");
	if (o.auth_key != NULL) {
		obol_err e = obol_b64_decode(o.auth_key, pk, sizeof(pk), &pklen, 1);
		if (e != OBOL_OK)
			return obol_cli_fail(cmd, e, "--auth-key must be a 32-byte Ed25519 public key in base64url");
		t.pk = pk;
	}
	t.name = o.name;
	obol_err e = obol_ledger_open(o.db, &s);
	if (e == OBOL_OK)
		e = obol_store_transact(s, add_tx, &t);
	obol_store_close(s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, o.name);
	printf("account %lld %s %s\n", (long long)t.id, o.kind, o.name);
	return OBOL_EXIT_OK;
}

static int cmd_show(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_store *s = NULL;
	struct obol_account a;
	obol_err e = OBOL_OK;
	int rc = parse(cmd, argc, argv, "daij", &o);
	if (rc != 0)
		return rc;
	e = obol_ledger_open(o.db, &s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, o.db);
	e = obol_store_begin_read(s);
	if (e == OBOL_OK) {
		rc = find_account(cmd, s, &o, &a, &e);
		obol_store_rollback(s);
	}
	obol_store_close(s);
	if (rc != 0)
		return rc;
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, o.account ? o.account : o.id);
	if (o.json)
		return obol_cli_print_json(cmd, account_json(&a));
	char bal[OBOL_AMOUNT_STR_MAX], pk[OBOL_B64_LEN(32)] = "-";
	obol_amount_format(&a.balance, bal);
	if (a.has_auth_pk && obol_b64_encode(a.auth_pk, 32, pk, sizeof(pk)) != OBOL_OK)
		return obol_cli_fail(cmd, OBOL_E_INTERNAL, "auth key");
	printf("id: %lld\nname: %s\nkind: %s\nstatus: %s\nbalance: %s\nauth-key: %s\n", (long long)a.id, a.name,
	       kind_name(a.kind), status_name(a.status), bal, pk);
	return OBOL_EXIT_OK;
}

static int cmd_list(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_store *s = NULL;
	enum obol_account_kind kind = 0;
	json_t *list = NULL;
	int rc = parse(cmd, argc, argv, "dkj", &o);
	if (rc != 0)
		return rc;
	if (o.kind != NULL) {
		if (strcmp(o.kind, "user") == 0)
			kind = OBOL_ACCOUNT_USER;
		else if (strcmp(o.kind, "vendor") == 0)
			kind = OBOL_ACCOUNT_VENDOR;
		else
			return obol_cli_usage_error(cmd, "--kind is user or vendor");
	}
	if (o.json && (list = json_array()) == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "the JSON output");
	obol_err e = obol_ledger_open(o.db, &s);
	if (e == OBOL_OK)
		e = obol_store_begin_read(s);
	if (e == OBOL_OK) {
		if (!o.json)
			printf("id\tkind\tstatus\tbalance\tauth-key\tname\n");
		e = obol_account_list(s, kind, print_account, list);
		obol_store_rollback(s);
	}
	obol_store_close(s);
	if (e != OBOL_OK) {
		json_decref(list);
		return obol_cli_fail(cmd, e, o.db);
	}
	return o.json ? obol_cli_print_json(cmd, list) : OBOL_EXIT_OK;
}

/* A funding or payout, idempotent under --ref: the same ref with the same
 * account and amount answers the first answer again and moves nothing; the
 * same ref with anything else is IDEMPOTENCY_MISMATCH. */
struct move_tx {
	const struct opts *o;
	const struct obol_cmd *cmd;
	bool fund;
	struct obol_amount amount;
	char *reply;
	bool repeated;
	int usage_rc;
};

static obol_err move_tx(struct obol_store *s, void *ctx)
{
	struct move_tx *t = ctx;
	struct obol_account a;
	obol_err e = OBOL_OK;
	free(t->reply);
	t->reply = NULL;
	t->repeated = false;
	t->usage_rc = find_account(t->cmd, s, t->o, &a, &e);
	if (t->usage_rc != 0)
		return OBOL_E_USAGE;
	if (e != OBOL_OK)
		return e;
	struct obol_move m = { .fund = t->fund, .account = a.id, .amount = t->amount, .ref = t->o->ref };
	return obol_issuer_move(s, &m, &t->reply, &t->repeated);
}

static int run_move(const struct obol_cmd *cmd, int argc, char **argv, bool fund)
{
	struct opts o;
	struct obol_store *s = NULL;
	struct move_tx t = { .o = &o, .cmd = cmd, .fund = fund };
	int rc = parse(cmd, argc, argv, "daimr", &o);
	if (rc != 0)
		return rc;
	if (o.amount == NULL)
		return obol_cli_usage_error(cmd, "--amount CUR:V.F is required");
	if ((o.id == NULL) == (o.account == NULL))
		return obol_cli_usage_error(cmd, "give exactly one of --account NAME and --id N");
	obol_err e = obol_amount_parse(o.amount, &t.amount);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, o.amount);
	e = obol_ledger_open(o.db, &s);
	if (e == OBOL_OK)
		e = obol_store_transact(s, move_tx, &t);
	obol_store_close(s);
	if (t.usage_rc != 0)
		rc = t.usage_rc;
	else if (e != OBOL_OK)
		rc = obol_cli_fail(cmd, e, o.account ? o.account : o.id ? o.id : o.db);
	else
		printf("%s%s\n", t.reply, t.repeated ? " (repeated request: nothing moved)" : "");
	free(t.reply);
	return rc;
}

static int cmd_fund(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_move(cmd, argc, argv, true);
}

static int cmd_payout(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_move(cmd, argc, argv, false);
}

OBOL_COMMAND(account_add_cmd, "issuer account add", "--db URL --kind user|vendor --name NAME [--auth-key B64]",
	     "open a user or vendor account",
	     "  --db URL         the issuer database\n"
	     "  --kind KIND      user or vendor\n"
	     "  --name NAME      display name, unique, 1-64 printable characters, not starting with '@'\n"
	     "  --auth-key B64   the Ed25519 public key (base64url) that authenticates its requests",
	     cmd_add)
OBOL_COMMAND(account_show_cmd, "issuer account show", "--db URL (--account NAME | --id N) [--json]",
	     "show one account and its balance",
	     "  --json  one JSON object: id, name, kind, status, balance, auth_key (null without one)", cmd_show)
OBOL_COMMAND(account_list_cmd, "issuer account list", "--db URL [--kind user|vendor] [--json]",
	     "list accounts (tab-separated: id kind status balance auth-key name)",
	     "  --json  a JSON array of accounts, each as 'issuer account show --json' prints it", cmd_list)
OBOL_COMMAND(fund_cmd, "issuer fund", "--db URL (--account NAME | --id N) --amount CUR:V.F [--ref REF]",
	     "credit an account from outside (stands for an incoming bank transfer)",
	     "  --ref REF   the bank transfer's reference: repeating the command with the same\n"
	     "              REF, account and amount moves nothing and prints the first answer",
	     cmd_fund)
OBOL_COMMAND(payout_cmd, "issuer payout", "--db URL (--account NAME | --id N) --amount CUR:V.F [--ref REF]",
	     "pay an account's money out (stands for an outgoing bank transfer)",
	     "  --ref REF   the payout's reference: repeating the command with the same REF,\n"
	     "              account and amount moves nothing and prints the first answer",
	     cmd_payout)
