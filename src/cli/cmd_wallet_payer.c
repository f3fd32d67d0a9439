/* The payer's commands and options, common to every scheme: --max-price,
 * --max-amount and --yes of every pay command (payer_opts.h), obol wallet
 * limits set|show (src/wallet/limits.h), obol wallet history
 * (src/wallet/history.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/payer_opts.h"
#include "cli/wallet_cmd.h"
#include "wallet/file.h"
#include "wallet/history.h"
#include "wallet/limits.h"
#include "wallet/payer.h"

static const char *const pay_commands[] = { "wallet pay", "wallet ecash pay", "wallet payword buy",
					    "wallet codex pay" };

static bool is_pay_command(const char *path)
{
	for (size_t i = 0; i < sizeof pay_commands / sizeof pay_commands[0]; i++)
		if (strcmp(path, pay_commands[i]) == 0)
			return true;
	return false;
}

static void print_payer_help(FILE *f)
{
	fprintf(f, "\nThe payer's limits (every pay command):\n"
		   "  --max-price CUR:V.F    pay no more than this per unit: a higher price is refused\n"
		   "  --max-amount CUR:V.F   hand over no more than this in this payment, whatever the vendor asks\n"
		   "  --yes                  do not ask on a terminal before paying\n"
		   "Without --max-price and --max-amount the wallet's default cap applies ('wallet limits show').\n"
		   "On a terminal the wallet shows the vendor's certified name, the price and the total and asks.\n"
		   "The vendor's signed receipt is checked and kept: see 'wallet history'.\n");
}

void obol_cli_payer_register(struct obol_cmd *cmd)
{
	if (is_pay_command(cmd->path) && cmd->more_help == NULL)
		cmd->more_help = print_payer_help;
}

static int parse_cap(const struct obol_cmd *cmd, const char *name, const char *text, bool *has,
		     struct obol_amount *a)
{
	char what[96];
	if (obol_amount_parse(text, a) != OBOL_OK || obol_amount_is_negative(a)) {
		snprintf(what, sizeof what, "%s takes CUR:V.F (an amount, not negative)", name);
		return obol_cli_usage_error(cmd, what);
	}
	*has = true;
	return -1;
}

/* The payer's options of every pay command (getopt_long values). */
enum { PAYER_OPT_MAX_PRICE = 0x200, PAYER_OPT_MAX_AMOUNT, PAYER_OPT_YES, PAYER_OPT_CLEAR };
#define PAYER_CAP_OPTIONS                                                         \
	{ "max-price", required_argument, NULL, PAYER_OPT_MAX_PRICE },            \
	{ "max-amount", required_argument, NULL, PAYER_OPT_MAX_AMOUNT }

/* Takes --max-price and --max-amount into cap; -1 to go on, else the exit
 * code of a usage error. */
static int cap_opt(const struct obol_cmd *cmd, int ch, const char *arg, struct obol_paycap *cap)
{
	if (ch == PAYER_OPT_MAX_PRICE)
		return parse_cap(cmd, "--max-price", arg, &cap->has_max_price, &cap->max_price);
	if (ch == PAYER_OPT_MAX_AMOUNT)
		return parse_cap(cmd, "--max-amount", arg, &cap->has_max_amount, &cap->max_amount);
	return obol_cli_usage_error(cmd, "unknown option");
}

/* Takes the payer's options out of a pay command's arguments and leaves the
 * others, in order, to the command's own parser. getopt_long in "-" mode
 * reads every word in order and moves none, quietly, with ':' for a missing
 * value; the words it passes over that are not the payer's (the command's
 * options, their values, "--" and all after it) are the command's. */
int obol_cli_payer_run(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		PAYER_CAP_OPTIONS,
		{ "yes", no_argument, NULL, PAYER_OPT_YES },
		{ 0, 0, 0, 0 },
	};
	struct obol_payer_opts o;
	int n = 1, at = 1, rc = -1, ch, quiet = opterr;
	if (!is_pay_command(cmd->path))
		return obol_cli_run(cmd, argc, argv);
	memset(&o, 0, sizeof o);
	opterr = 0;
	optind = 0; /* getopt starts afresh */
	for (; rc < 0 && (ch = getopt_long(argc, argv, "-:", opts, NULL)) != -1; at = optind) {
		if (ch == 1 || ch == '?') /* the command's: the words read since the last option */
			while (at < optind)
				argv[n++] = argv[at++];
		else if (ch == PAYER_OPT_YES)
			o.yes = true;
		else if (ch == ':')
			rc = obol_cli_usage_error(cmd, "--max-price and --max-amount take CUR:V.F");
		else
			rc = cap_opt(cmd, ch, optarg, &o.cap);
	}
	opterr = quiet;
	if (rc >= 0)
		return rc;
	while (at < argc) /* "--" and what follows it */
		argv[n++] = argv[at++];
	argv[n] = NULL;
	optind = 0; /* the command's getopt starts afresh, in its own mode */
	obol_payer_set_opts(&o);
	rc = obol_cli_run(cmd, n, argv);
	obol_payer_set_opts(NULL);
	return rc;
}

/* ---- wallet limits set | show, wallet history ---- */

/* The options of `wallet limits set`. */
struct lopts {
	struct obol_paycap cap;
	bool clear;
};

static int on_limits_opt(const struct obol_cmd *cmd, int ch, const char *arg, void *ctx)
{
	struct lopts *o = ctx;
	if (ch != PAYER_OPT_CLEAR)
		return cap_opt(cmd, ch, arg, &o->cap);
	o->clear = true;
	return -1;
}

/* A command that takes no option of its own. */
static int on_no_opt(const struct obol_cmd *cmd, int ch, const char *arg, void *ctx)
{
	(void)ch, (void)arg, (void)ctx;
	return obol_cli_usage_error(cmd, "unknown option");
}

static const struct option wallet_only[] = { OBOL_WALLET_CMD_OPTIONS, { 0, 0, 0, 0 } };

static void print_limits(const struct obol_paycap *cap)
{
	char t[OBOL_AMOUNT_STR_MAX];
	if (cap->has_max_price)
		obol_amount_format(&cap->max_price, t);
	printf("max-price: %s\n", cap->has_max_price ? t : "none (any price; the prompt on a terminal still asks)");
	if (cap->has_max_amount)
		obol_amount_format(&cap->max_amount, t);
	printf("max-amount: %s\n", cap->has_max_amount ? t : "none");
}

static int cmd_limits_set(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		OBOL_WALLET_CMD_OPTIONS,
		PAYER_CAP_OPTIONS,
		{ "clear", no_argument, NULL, PAYER_OPT_CLEAR },
		{ 0, 0, 0, 0 },
	};
	struct obol_wallet_cmd_opts c;
	struct lopts o = { 0 };
	struct obol_wallet *w = NULL;
	int rc;
	if ((rc = obol_wallet_cmd_parse(cmd, argc, argv, opts, on_limits_opt, &o, true, &c)) >= 0)
		return rc;
	if (o.clear == obol_paycap_any(&o.cap))
		return obol_cli_usage_error(cmd, "give --max-price and/or --max-amount, or --clear");
	if (o.cap.has_max_price && o.cap.has_max_amount &&
	    !obol_amount_same_currency(&o.cap.max_price, &o.cap.max_amount))
		return obol_cli_usage_error(cmd, "--max-price and --max-amount must be in one currency");
	obol_err e = obol_wallet_open(c.wallet, &c.ks, &w);
	if (e == OBOL_OK && (e = obol_wallet_set_limits(w, &o.cap)) == OBOL_OK)
		e = obol_wallet_save(w);
	if (e == OBOL_OK)
		print_limits(&o.cap);
	return obol_wallet_cmd_finish(cmd, w, e, "limits not set");
}

OBOL_COMMAND(wallet_limits_set_cmd, "wallet limits set",
	     "--wallet PATH (--max-price CUR:V.F | --max-amount CUR:V.F | --clear) [--key-file FILE]",
	     "set the wallet's default spending cap, for pay commands given no cap of their own",
	     "  --wallet PATH          the wallet\n"
	     "  --max-price CUR:V.F    the highest price per unit it pays\n"
	     "  --max-amount CUR:V.F   the most it hands over in one payment\n"
	     "  --clear                remove the default cap\n"
	     "  --key-file FILE        the wallet's key file instead of a passphrase\n"
	     "Replaces the whole default: a limit not given is removed.",
	     cmd_limits_set)

static int cmd_limits_show(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct obol_wallet_cmd_opts c;
	struct obol_paycap cap;
	struct obol_wallet *w = NULL;
	int rc;
	if ((rc = obol_wallet_cmd_parse(cmd, argc, argv, wallet_only, on_no_opt, NULL, true, &c)) >= 0)
		return rc;
	obol_err e = obol_wallet_open(c.wallet, &c.ks, &w);
	if (e == OBOL_OK && (e = obol_wallet_limits(w, &cap)) == OBOL_OK)
		print_limits(&cap);
	return obol_wallet_cmd_finish(cmd, w, e, "cannot read the limits");
}

OBOL_COMMAND(wallet_limits_show_cmd, "wallet limits show", "--wallet PATH [--key-file FILE]",
	     "show the wallet's default spending cap",
	     "  --wallet PATH     the wallet\n"
	     "  --key-file FILE   the wallet's key file instead of a passphrase",
	     cmd_limits_show)

static int cmd_history(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct obol_wallet_cmd_opts c;
	struct obol_wallet *w = NULL;
	int rc;
	if ((rc = obol_wallet_cmd_parse(cmd, argc, argv, wallet_only, on_no_opt, NULL, true, &c)) >= 0)
		return rc;
	obol_err e = obol_wallet_open(c.wallet, &c.ks, &w);
	if (e == OBOL_OK)
		e = obol_history_print(w, c.json, stdout);
	return obol_wallet_cmd_finish(cmd, w, e, "cannot read the history");
}

OBOL_COMMAND(wallet_history_cmd, "wallet history", "--wallet PATH [--json] [--key-file FILE]",
	     "every payment, top-up, withdrawal and refund of the wallet, across schemes, with its receipt or state",
	     "  --wallet PATH     the wallet\n"
	     "  --json            one JSON array (each payment with receipt_verified)\n"
	     "  --key-file FILE   the wallet's key file instead of a passphrase\n"
	     "A payment's receipt is verified again against the vendor certificate kept with it;\n"
	     "a payment without a valid receipt is shown as such.",
	     cmd_history)
