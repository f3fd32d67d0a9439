/* The payer's commands and options, common to every scheme: --max-price,
 * --max-amount and --yes of every pay command (payer_opts.h), obol wallet
 * limits set|show (src/wallet/limits.h), obol wallet history
 * (src/wallet/history.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/payer_opts.h"
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

/* The value of option name at argv[*i] ("--name V" or "--name=V"), moving
 * *i past it; NULL when argv[*i] is not that option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	*missing = false;
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
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

int obol_cli_payer_run(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct obol_payer_opts o;
	int n = 1, rc;
	bool missing;
	if (!is_pay_command(cmd->path))
		return obol_cli_run(cmd, argc, argv);
	memset(&o, 0, sizeof o);
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if ((v = opt_value(argc, argv, &i, "--max-price", &missing)) != NULL) {
			if ((rc = parse_cap(cmd, "--max-price", v, &o.cap.has_max_price, &o.cap.max_price)) >= 0)
				return rc;
		} else if (!missing && (v = opt_value(argc, argv, &i, "--max-amount", &missing)) != NULL) {
			if ((rc = parse_cap(cmd, "--max-amount", v, &o.cap.has_max_amount, &o.cap.max_amount)) >= 0)
				return rc;
		} else if (missing) {
			return obol_cli_usage_error(cmd, "--max-price and --max-amount take CUR:V.F");
		} else if (strcmp(argv[i], "--yes") == 0) {
			o.yes = true;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	obol_payer_set_opts(&o);
	rc = obol_cli_run(cmd, n, argv);
	obol_payer_set_opts(NULL);
	return rc;
}

/* ---- wallet limits set | show, wallet history ---- */

struct lopts {
	const char *path;
	struct obol_wallet_keysrc ks;
	struct obol_paycap cap;
	bool clear, json;
};

static int parse_lopts(const struct obol_cmd *cmd, int argc, char **argv, struct lopts *o, const char *allowed)
{
	static const struct option opts[] = {
		{ "wallet", required_argument, NULL, 'w' },    { "key-file", required_argument, NULL, 'f' },
		{ "max-price", required_argument, NULL, 'p' }, { "max-amount", required_argument, NULL, 'a' },
		{ "clear", no_argument, NULL, 'c' },           { "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	int ch, rc;
	memset(o, 0, sizeof *o);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == '?' || !strchr(allowed, ch))
			return obol_cli_usage_error(cmd, "unknown option");
		switch (ch) {
		case 'w': o->path = optarg; break;
		case 'f': o->ks.key_file = optarg; break;
		case 'c': o->clear = true; break;
		case 'j': o->json = true; break;
		case 'p':
			if ((rc = parse_cap(cmd, "--max-price", optarg, &o->cap.has_max_price, &o->cap.max_price)) >= 0)
				return rc;
			break;
		case 'a':
			if ((rc = parse_cap(cmd, "--max-amount", optarg, &o->cap.has_max_amount, &o->cap.max_amount)) >=
			    0)
				return rc;
			break;
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (!o->path)
		return obol_cli_usage_error(cmd, "--wallet is required");
	return -1;
}

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
	struct lopts o;
	struct obol_wallet *w = NULL;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_lopts(cmd, argc, argv, &o, "wfpac")) >= 0)
		return rc;
	if (o.clear == obol_paycap_any(&o.cap))
		return obol_cli_usage_error(cmd, "give --max-price and/or --max-amount, or --clear");
	if (o.cap.has_max_price && o.cap.has_max_amount &&
	    !obol_amount_same_currency(&o.cap.max_price, &o.cap.max_amount))
		return obol_cli_usage_error(cmd, "--max-price and --max-amount must be in one currency");
	obol_err e = obol_wallet_open(o.path, &o.ks, &w);
	if (e == OBOL_OK && (e = obol_wallet_set_limits(w, &o.cap)) == OBOL_OK)
		e = obol_wallet_save(w);
	if (e == OBOL_OK)
		print_limits(&o.cap);
	obol_wallet_close(w);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "limits not set");
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
	struct lopts o;
	struct obol_paycap cap;
	struct obol_wallet *w = NULL;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_lopts(cmd, argc, argv, &o, "wf")) >= 0)
		return rc;
	obol_err e = obol_wallet_open(o.path, &o.ks, &w);
	if (e == OBOL_OK && (e = obol_wallet_limits(w, &cap)) == OBOL_OK)
		print_limits(&cap);
	obol_wallet_close(w);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "cannot read the limits");
}

OBOL_COMMAND(wallet_limits_show_cmd, "wallet limits show", "--wallet PATH [--key-file FILE]",
	     "show the wallet's default spending cap",
	     "  --wallet PATH     the wallet\n"
	     "  --key-file FILE   the wallet's key file instead of a passphrase",
	     cmd_limits_show)

static int cmd_history(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct lopts o;
	struct obol_wallet *w = NULL;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_lopts(cmd, argc, argv, &o, "wfj")) >= 0)
		return rc;
	obol_err e = obol_wallet_open(o.path, &o.ks, &w);
	if (e == OBOL_OK)
		e = obol_history_print(w, o.json, stdout);
	obol_wallet_close(w);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "cannot read the history");
}

OBOL_COMMAND(wallet_history_cmd, "wallet history", "--wallet PATH [--json] [--key-file FILE]",
	     "every payment, top-up, withdrawal and refund of the wallet, across schemes, with its receipt or state",
	     "  --wallet PATH     the wallet\n"
	     "  --json            one JSON array (each payment with receipt_verified)\n"
	     "  --key-file FILE   the wallet's key file instead of a passphrase\n"
	     "A payment's receipt is verified again against the vendor certificate kept with it;\n"
	     "a payment without a valid receipt is shown as such.",
	     cmd_history)
