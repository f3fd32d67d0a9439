/* obol wallet ecash register | renew | topup | refresh | coins | pay | receive |
 * release | deposit | withdraw | redeem-expired: the ecash scheme from the wallet
 * (seed 002; logic in src/wallet/ecash_wallet*.c). pay and receive never use
 * the network. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "cli/output.h"
#include "cli/wallet_cmd.h"
#include "core/clock.h"
#include "core/parse.h"
#include "wallet/ecash_link.h"
#include "wallet/ecash_wallet.h"

struct wopts {
	struct obol_wallet_cmd_opts c; /* --wallet, --key-file */
	const char *amount, *coin, *vendor, *listen, *price;
	uint64_t ring, count, bits, to;
	bool have_ring, have_to;
	const char *allowed; /* the option letters this command takes */
};

/* Takes one of the ecash options; one the command does not take is unknown. */
static int take_opt(const struct obol_cmd *cmd, int ch, const char *arg, void *ctx)
{
	struct wopts *o = ctx;
	if (strchr(o->allowed, ch) == NULL)
		return obol_cli_usage_error(cmd, "unknown option");
	switch (ch) {
	case 'a': o->amount = arg; break;
	case 'c': o->coin = arg; break;
	case 'v': o->vendor = arg; break;
	case 'l': o->listen = arg; break;
	case 'p': o->price = arg; break;
	case 'r':
		if (obol_parse_u64(arg, 0, ECASH_RING_MAX, &o->ring) != OBOL_OK || o->ring == 1 ||
		    (o->ring & (o->ring - 1)) != 0)
			return obol_cli_usage_error(cmd, "--ring is 0 (plain) or a power of two, 2..64");
		o->have_ring = true;
		break;
	case 't':
		if (obol_parse_u64(arg, 1, INT64_MAX, &o->to) != OBOL_OK)
			return obol_cli_usage_error(cmd, "--to is an account id (a number)");
		o->have_to = true;
		break;
	case 'n':
		if (obol_parse_u64(arg, 1, 1000000, &o->count) != OBOL_OK)
			return obol_cli_usage_error(cmd, "--count is 1..1000000");
		break;
	case 'b':
		if (obol_parse_u64(arg, 2048, 4096, &o->bits) != OBOL_OK || o->bits % 8 != 0)
			return obol_cli_usage_error(cmd, "--bits is 2048..4096, a multiple of 8");
		break;
	}
	return -1;
}

/* Parses an ecash command's arguments (wallet_cmd.h); `allowed` lists the
 * letters of the options it takes besides --wallet and --key-file. Returns -1
 * to go on, else the exit code. */
static int parse(const struct obol_cmd *cmd, int argc, char **argv, const char *allowed, struct wopts *o)
{
	static const struct option opts[] = {
		OBOL_WALLET_CMD_OPTIONS,
		{ "amount", required_argument, NULL, 'a' }, { "coin", required_argument, NULL, 'c' },
		{ "vendor", required_argument, NULL, 'v' }, { "listen", required_argument, NULL, 'l' },
		{ "price", required_argument, NULL, 'p' },  { "ring", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },  { "bits", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },     { 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->bits = OBOL_RSA_DEFAULT_BITS;
	o->allowed = allowed;
	return obol_wallet_cmd_parse(cmd, argc, argv, opts, take_opt, o, true, &o->c);
}

/* Opens the wallet and loads its ecash section; on failure *w is NULL and
 * nothing is held. A command that goes online first renews the wallet's key
 * when its certificate is near its end (ecash_wallet_renew_if_due). */
static obol_err open_ecash(const struct wopts *o, bool online, struct obol_wallet **w, struct ecash_wallet *ew)
{
	obol_err e = obol_wallet_open(o->c.wallet, &o->c.ks, w);
	if (e != OBOL_OK)
		return e;
	e = ecash_wallet_load(*w, ew);
	if (e == OBOL_OK && online)
		e = ecash_wallet_renew_if_due(ew, obol_now(), stderr);
	if (e != OBOL_OK) {
		ecash_wallet_free(ew);
		obol_wallet_close(*w);
		*w = NULL;
	}
	return e;
}

/* Frees the ecash section of an open wallet, closes it and returns the exit code. */
static int finish(const struct obol_cmd *cmd, obol_err e, const char *what, struct obol_wallet *w,
		  struct ecash_wallet *ew)
{
	if (w != NULL)
		ecash_wallet_free(ew);
	return obol_wallet_cmd_finish(cmd, w, e, what);
}

/* A command that takes only --wallet and --key-file and runs one action on
 * the wallet's ecash section, reporting `what` when it fails. */
static int run_plain(const struct obol_cmd *cmd, int argc, char **argv,
		     obol_err (*action)(struct ecash_wallet *ew, FILE *out), const char *what)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	int rc = parse(cmd, argc, argv, "", &o);
	if (rc >= 0)
		return rc;
	obol_err e = open_ecash(&o, true, &w, &ew);
	if (e == OBOL_OK)
		e = action(&ew, stdout);
	return finish(cmd, e, what, w, &ew);
}

#define HELP_COMMON                                                                              \
	"  --wallet PATH      the wallet file\n"                                                  \
	"  --key-file FILE    its key file, instead of OBOL_PASSPHRASE or a prompt\n"

/* register and renew: a new key of --bits bits, certified by the bank. */
static int run_key(const struct obol_cmd *cmd, int argc, char **argv,
		   obol_err (*action)(struct ecash_wallet *ew, unsigned bits, FILE *out), const char *what)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	int rc = parse(cmd, argc, argv, "b", &o);
	if (rc >= 0)
		return rc;
	obol_err e = open_ecash(&o, false, &w, &ew);
	if (e == OBOL_OK)
		e = action(&ew, (unsigned)o.bits, stdout);
	return finish(cmd, e, what, w, &ew);
}

static int cmd_register(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_key(cmd, argc, argv, ecash_wallet_register, "cannot register a key with the bank");
}
OBOL_COMMAND(wallet_ecash_register_cmd, "wallet ecash register", "--wallet PATH [--bits N] [--key-file FILE]",
	     "draw an RSA key pair and have the bank certify it (seed 002 §3.2)",
	     HELP_COMMON "  --bits N           RSA key size (default 2048)\n"
			 "Needs the wallet's account at the issuer; prints ecash-key (the key id).",
	     cmd_register)

static int cmd_renew(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_key(cmd, argc, argv, ecash_wallet_renew, "cannot renew the key");
}
OBOL_COMMAND(wallet_ecash_renew_cmd, "wallet ecash renew", "--wallet PATH [--bits N] [--key-file FILE]",
	     "replace the wallet's certified key by a new one before its certificate expires",
	     HELP_COMMON "  --bits N           RSA key size (default 2048)\n"
			 "Coins received under the old key stay the wallet's: deposit, withdraw, redeem or release\n"
			 "them as before (the bank takes them for the same account); new payments use the new key.",
	     cmd_renew)

static int cmd_topup(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	struct obol_amount total, coin, values[ECASH_COINS_MAX];
	uint64_t n = 1;
	int rc = parse(cmd, argc, argv, "ac", &o);
	if (rc >= 0)
		return rc;
	if (o.amount == NULL)
		return obol_cli_usage_error(cmd, "--amount is required");
	obol_err e = obol_amount_parse(o.amount, &total);
	if (e == OBOL_OK)
		e = obol_amount_parse(o.coin ? o.coin : o.amount, &coin);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "bad --amount or --coin");
	/* total = n × coin, exactly. */
	if (o.coin != NULL) {
		struct obol_amount q;
		for (n = 1; n <= ECASH_COINS_MAX; n++) {
			int c;
			if (obol_amount_mul(&q, &coin, n) != OBOL_OK || obol_amount_cmp(&q, &total, &c) != OBOL_OK || c >= 0)
				break;
		}
		int c = 1;
		if (n > ECASH_COINS_MAX || obol_amount_mul(&q, &coin, n) != OBOL_OK ||
		    obol_amount_cmp(&q, &total, &c) != OBOL_OK || c != 0)
			return obol_cli_fail(cmd, OBOL_E_ECASH_COIN_VALUE,
					     "--amount must be 1 to 64 times --coin, in the same currency");
	}
	for (uint64_t i = 0; i < n; i++)
		values[i] = coin;
	e = open_ecash(&o, true, &w, &ew);
	if (e == OBOL_OK)
		e = ecash_wallet_topup(&ew, values, (size_t)n, stdout);
	if (e == OBOL_OK) {
		char b[OBOL_AMOUNT_STR_MAX];
		if ((e = ecash_wallet_balance(&ew, &total, NULL)) == OBOL_OK) {
			obol_amount_format(&total, b);
			printf("ecash-balance: %s\n", b);
		}
	}
	return finish(cmd, e, "cannot obtain e-cash", w, &ew);
}
OBOL_COMMAND(wallet_ecash_topup_cmd, "wallet ecash topup", "--wallet PATH --amount CUR:V [--coin CUR:V] [--key-file FILE]",
	     "buy bank-signed coins with the account's money (seed 002 §3.3.1, §6.2)",
	     HELP_COMMON "  --amount CUR:V     what to debit from the account\n"
			 "  --coin CUR:V       the value of each coin (default: one coin of --amount)",
	     cmd_topup)

static int cmd_refresh(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_plain(cmd, argc, argv, ecash_wallet_refresh, "cannot refresh the bank's lists");
}
OBOL_COMMAND(wallet_ecash_refresh_cmd, "wallet ecash refresh", "--wallet PATH [--key-file FILE]",
	     "fetch the bank-signed revocation list and directory of keys (for rings)",
	     HELP_COMMON "Run it while online; pay and receive then use the cached lists offline.", cmd_refresh)

/* --json: {"balance", "coins": [{"serial" (hex), "value", "kind" ("fresh" |
 * "received"), "claims", "expiry" (Unix seconds), "spendable"}],
 * "unconfirmed", "pending" (counts), "in_doubt" (the path of a request
 * without an answer, or null)}. */
static json_t *coins_json(const struct ecash_wallet *ew, const struct obol_amount *sum)
{
	json_t *doc = json_object(), *coins = json_array();
	const char *in_doubt = json_string_value(json_object_get(json_object_get(ew->sec, "in_doubt"), "path"));
	bool ok = coins != NULL;
	for (size_t i = 0; ok && i < ew->ncoins; i++) {
		const struct ecash_held_coin *h = &ew->coins[i];
		char hex[2 * ECASH_SERIAL_LEN + 1];
		json_t *c = json_object();
		obol_hex_encode(h->coin.serial, ECASH_SERIAL_LEN, hex);
		ok = obol_cli_json_set(c, "serial", json_string(hex)) &&
		     obol_cli_json_set(c, "value", obol_cli_json_amount(&h->coin.value)) &&
		     obol_cli_json_set(c, "kind", json_string(h->nchain == 0 ? "fresh" : "received")) &&
		     obol_cli_json_set(c, "claims", json_integer((json_int_t)h->nchain)) &&
		     obol_cli_json_set(c, "expiry", json_integer(h->coin.expiry)) &&
		     obol_cli_json_set(c, "spendable", json_boolean(ecash_customer_spendable(&ew->cust, h, obol_now())));
		ok = ok && json_array_append_new(coins, c) == 0;
		if (!ok)
			json_decref(c);
	}
	ok = ok && obol_cli_json_set(doc, "balance", obol_cli_json_amount(sum)) &&
	     obol_cli_json_set(doc, "coins", json_incref(coins)) &&
	     obol_cli_json_set(doc, "unconfirmed", json_integer((json_int_t)ew->nunconfirmed)) &&
	     obol_cli_json_set(doc, "pending", json_integer((json_int_t)ew->npending)) &&
	     obol_cli_json_set(doc, "in_doubt", in_doubt != NULL ? json_string(in_doubt) : json_null());
	json_decref(coins);
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int cmd_coins(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	struct obol_amount sum;
	int rc = parse(cmd, argc, argv, "", &o);
	if (rc >= 0)
		return rc;
	obol_err e = open_ecash(&o, false, &w, &ew);
	if (e == OBOL_OK)
		e = ecash_wallet_balance(&ew, &sum, o.c.json ? NULL : stdout);
	if (e == OBOL_OK && o.c.json) {
		json_t *doc = coins_json(&ew, &sum);
		finish(cmd, OBOL_OK, "", w, &ew);
		return obol_cli_print_json(cmd, doc);
	}
	if (e == OBOL_OK) {
		char b[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&sum, b);
		printf("ecash-balance: %s\n", b);
		if (ew.nunconfirmed)
			printf("unconfirmed: %zu coin%s handed to a merchant without a receipt ('wallet ecash release')\n",
			       ew.nunconfirmed, ew.nunconfirmed == 1 ? "" : "s");
		if (ew.npending)
			printf("pending: %zu coin%s handed over by an earlier version without a receipt\n", ew.npending,
			       ew.npending == 1 ? "" : "s");
		const json_t *kept = json_object_get(ew.sec, "in_doubt");
		if (kept != NULL)
			printf("in-doubt: a request to %s without an answer (any online ecash command sends it again)\n",
			       json_string_value(json_object_get(kept, "path")));
	}
	return finish(cmd, e, "cannot read the wallet", w, &ew);
}
OBOL_COMMAND(wallet_ecash_coins_cmd, "wallet ecash coins", "--wallet PATH [--key-file FILE] [--json]",
	     "list the e-cash coins the wallet holds and their sum",
	     HELP_COMMON "  --json             one JSON object: balance, coins (serial, value, kind, claims,\n"
			 "                     expiry, spendable), unconfirmed, pending, in_doubt",
	     cmd_coins)

static int cmd_pay(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	struct obol_devlink *l = NULL;
	int rc = parse(cmd, argc, argv, "vr", &o);
	if (rc >= 0)
		return rc;
	if (o.vendor == NULL)
		return obol_cli_usage_error(cmd, "--vendor is required");
	obol_err e = open_ecash(&o, false, &w, &ew);
	if (e == OBOL_OK)
		e = ecash_wallet_connect(&ew, o.vendor, &l);
	if (e == OBOL_OK)
		e = ecash_wallet_pay(&ew, l, (size_t)o.ring, NULL, stdout);
	obol_devlink_close(l);
	return finish(cmd, e, "payment not made", w, &ew);
}
OBOL_COMMAND(wallet_ecash_pay_cmd, "wallet ecash pay", "--wallet PATH --vendor HOST:PORT [--ring N] [--key-file FILE]",
	     "pay a merchant offline with e-cash (seed 002 §3.3.2; rings §4.3.2)",
	     HELP_COMMON "  --vendor HOST:PORT the merchant's device link (a vendor daemon or 'wallet ecash receive')\n"
			 "  --ring N           sign as one of the bank-certified keys of the block of N registrations\n"
			 "                     holding ours (a power of two, 2..64; 8 is the usual size; run\n"
			 "                     'wallet ecash refresh' first): every payment by a member of the\n"
			 "                     block uses the same ring, so payments cannot be intersected\n"
			 "A coin received earlier is spent on with its chain of claims (transfer, §3.5.6).",
	     cmd_pay)

static int cmd_receive(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	struct ecash_merchant m;
	struct ecash_link_identity me;
	struct obol_amount price;
	int fd = -1;
	uint16_t port = 0;
	bool have_m = false;
	int rc = parse(cmd, argc, argv, "lpn", &o);
	if (rc >= 0)
		return rc;
	if (o.listen == NULL || o.price == NULL)
		return obol_cli_usage_error(cmd, "--listen and --price are required");
	obol_err e = obol_amount_parse(o.price, &price);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "bad --price");
	e = open_ecash(&o, false, &w, &ew);
	if (e == OBOL_OK && (e = ecash_wallet_merchant(&ew, &m)) == OBOL_OK)
		have_m = true;
	if (e == OBOL_OK)
		e = ecash_link_identity_init(&ew, &me);
	if (e == OBOL_OK)
		e = obol_devlink_listen(o.listen, &fd, &port);
	if (e == OBOL_OK)
		obol_daemon_print_listening(o.listen, port);
	/* One payment per connection, until --count payments were accepted. */
	for (uint64_t got = 0; e == OBOL_OK && got < o.count;) {
		struct obol_devlink *l = NULL;
		e = obol_devlink_accept(fd, -1, 0, &l);
		if (e != OBOL_OK)
			break;
		obol_err r = obol_devlink_respond(l, &me.id);
		if (r != OBOL_OK)
			printf("link refused: %s\n", obol_strerror(r));
		else
			r = ecash_wallet_receive(&ew, &m, l, &price, stdout);
		fflush(stdout);
		obol_devlink_close(l);
		if (r == OBOL_OK)
			got++;
	}
	if (fd >= 0)
		close(fd);
	if (have_m)
		ecash_merchant_free(&m);
	ecash_link_identity_wipe(&me);
	return finish(cmd, e, "cannot receive payments", w, &ew);
}
OBOL_COMMAND(wallet_ecash_receive_cmd, "wallet ecash receive",
	     "--wallet PATH --listen HOST:PORT --price CUR:V [--count N] [--key-file FILE]",
	     "act as a merchant: accept e-cash offline on a device link",
	     HELP_COMMON "  --listen HOST:PORT where to listen (port 0 picks one; prints \"listening on ...\")\n"
			 "  --price CUR:V      what each payment must be worth\n"
			 "  --count N          stop after N accepted payments (default 1)\n"
			 "Verifies sigma0-3 with the bank key and the cached revocation list, refuses a coin it\n"
			 "already received, and keeps the coins (spend them on, or deposit them).",
	     cmd_receive)

static int cmd_release(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_plain(cmd, argc, argv, ecash_wallet_release, "cannot exchange the unconfirmed coins");
}
OBOL_COMMAND(wallet_ecash_release_cmd, "wallet ecash release", "--wallet PATH [--key-file FILE]",
	     "exchange at the bank the coins of payments that got no receipt for fresh ones",
	     HELP_COMMON "The wallet shows the bank the claim it made for the merchant. A coin the merchant\n"
			 "deposited stays his (the payment stands); one it did not is retired and comes back as\n"
			 "a fresh coin once the bank's deposit window after the payment is over (before that:\n"
			 "ECASH_EXCHANGE_TOO_EARLY, run it again later). The merchant cannot deposit it after.",
	     cmd_release)

static obol_err deposit_received(struct ecash_wallet *ew, FILE *out)
{
	struct ecash_deposit_opts o = { .fresh = false };
	return ecash_wallet_deposit(ew, &o, out);
}

static int cmd_deposit(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_plain(cmd, argc, argv, deposit_received, "deposit not made");
}
OBOL_COMMAND(wallet_ecash_deposit_cmd, "wallet ecash deposit", "--wallet PATH [--key-file FILE]",
	     "deposit the coins received as a merchant to the account (seed 002 §3.3.3)",
	     HELP_COMMON "Prints each coin's outcome; a double spend names the culprit's account.", cmd_deposit)

static int cmd_withdraw(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	struct ecash_deposit_opts d = { .fresh = true };
	int rc = parse(cmd, argc, argv, "at", &o);
	if (rc >= 0)
		return rc;
	if (o.amount != NULL) {
		obol_err pe = obol_amount_parse(o.amount, &d.amount);
		if (pe != OBOL_OK)
			return obol_cli_fail(cmd, pe, "bad --amount");
		d.has_amount = true;
	}
	d.has_to = o.have_to;
	d.to = (int64_t)o.to;
	obol_err e = open_ecash(&o, true, &w, &ew);
	if (e == OBOL_OK)
		e = ecash_wallet_deposit(&ew, &d, stdout);
	return finish(cmd, e, "withdrawal not made", w, &ew);
}
OBOL_COMMAND(wallet_ecash_withdraw_cmd, "wallet ecash withdraw",
	     "--wallet PATH [--amount CUR:V] [--to ACCOUNT] [--key-file FILE]",
	     "return coins the wallet holds to a bank account (seed 002 §6.4)",
	     HELP_COMMON "  --amount CUR:V     withdraw this much (default: every coin); coins are not split:\n"
			 "                     the rest of the coins taken comes back as a fresh coin\n"
			 "  --to ACCOUNT       the account id to credit (default: the wallet's own)\n"
			 "Fresh coins are claimed to the wallet's own key, then deposited with the received ones.",
	     cmd_withdraw)

static int cmd_redeem_expired(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run_plain(cmd, argc, argv, ecash_wallet_redeem_expired, "refund not made");
}
OBOL_COMMAND(wallet_ecash_redeem_expired_cmd, "wallet ecash redeem-expired", "--wallet PATH [--key-file FILE]",
	     "return the coins held past their expiry to the bank account (seed 002 §6.4)",
	     HELP_COMMON "Fresh coins and received coins naming this wallet are redeemed once, signed with its\n"
			 "certified key over a bank nonce; a coin also spent elsewhere is reported as a double spend.",
	     cmd_redeem_expired)
