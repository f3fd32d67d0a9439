/* obol vendor payword setup | product: the vendor's choice of system and
 * reporting (seed 003 §3.4, §3.5) and its products (§3.3), written to
 * DIR/payword.json and DIR/payword-products/ (src/vendor/payword_vendor.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/parse.h"
#include "vendor/payword_vendor.h"
#include "vendor/vendor_files.h"

static int cmd_setup(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },      { "mode", required_argument, NULL, 'm' },
		{ "report", required_argument, NULL, 'r' },   { "interval", required_argument, NULL, 'i' },
		{ "crl-interval", required_argument, NULL, 'c' }, { "crl-max-age", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	struct payword_vendor_state *st = calloc(1, sizeof(*st));
	const char *dir = NULL, *mode = NULL, *report = "almost-online";
	uint64_t n;
	int c, rc = OBOL_EXIT_OK;
	if (st == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "setup");
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		goto out;
	}
	st->batch_interval = 5;
	st->crl_interval = 2;
	st->cfg.crl_max_age = PAYWORD_CRL_MAX_AGE_DEFAULT;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'm': mode = optarg; break;
		case 'r': report = optarg; break;
		case 'i':
		case 'c':
			if (obol_parse_u64(optarg, 1, 86400, &n) != OBOL_OK) {
				rc = obol_cli_usage_error(cmd, "intervals take 1..86400 seconds");
				goto out;
			}
			*(c == 'i' ? &st->batch_interval : &st->crl_interval) = (int64_t)n;
			break;
		case 'a':
			if (obol_parse_u64(optarg, PAYWORD_CRL_MAX_AGE_MIN, 86400, &n) != OBOL_OK) {
				rc = obol_cli_usage_error(cmd, "--crl-max-age takes 2..86400 seconds");
				goto out;
			}
			st->cfg.crl_max_age = (int64_t)n;
			break;
		default:
			rc = obol_cli_usage_error(cmd, "unknown option");
			goto out;
		}
	}
	if (optind != argc) {
		rc = obol_cli_extra_arg(cmd, argv[optind]);
		goto out;
	}
	if (dir == NULL || mode == NULL) {
		rc = obol_cli_usage_error(cmd, "--dir and --mode are required");
		goto out;
	}
	if (payword_vendor_mode_parse(mode, &st->cfg.mode) != OBOL_OK) {
		rc = obol_cli_usage_error(cmd, "--mode is generic or specific");
		goto out;
	}
	if (strcmp(report, "almost-online") == 0) {
		st->report = PAYWORD_REPORT_ONLINE;
	} else if (strcmp(report, "batch") == 0) {
		st->report = PAYWORD_REPORT_BATCH;
	} else {
		rc = obol_cli_usage_error(cmd, "--report is almost-online or batch");
		goto out;
	}
	/* Products already set up are kept. */
	struct payword_vendor_state old;
	memset(&old, 0, sizeof(old));
	if (payword_vendor_config_load(dir, &old) == OBOL_OK) {
		memcpy(st->products, old.products, sizeof(old.products));
		st->nproducts = old.nproducts;
	}
	obol_err e = payword_vendor_config_save(dir, st);
	if (e) {
		rc = obol_cli_fail(cmd, e, "cannot write DIR/payword.json");
		goto out;
	}
	printf("payword: %s system, %s reports", mode, report);
	if (st->report == PAYWORD_REPORT_BATCH)
		printf(" every %llds", (long long)st->batch_interval);
	printf(", no sales with a CRL older than %llds\n", (long long)st->cfg.crl_max_age);
out:
	free(st);
	return rc;
}
OBOL_COMMAND(vendor_pw_setup_cmd, "vendor payword setup",
	     "--dir DIR --mode generic|specific [--report almost-online|batch] [--interval S] [--crl-interval S] "
	     "[--crl-max-age S]",
	     "choose the vendor's payword system and how it reports to the agent",
	     "  --mode generic|specific   generic: tokens good at every generic vendor; specific: chains\n"
	     "                            bound to this vendor only (chosen once, at registration)\n"
	     "  --report MODE             almost-online (default): each report leaves at once, unawaited;\n"
	     "                            batch: reports leave together every --interval seconds (default 5)\n"
	     "  --crl-interval S          how often the revocation list is fetched (default 2)\n"
	     "  --crl-max-age S           no sale while the list held was issued more than S seconds ago\n"
	     "                            (default 60; at least 2; allow for the clocks' skew)\n"
	     "The vendor registers at the agent when 'vendor serve' starts; the agent refuses a batch\n"
	     "interval longer than its grace for late reports ('issuer init --payword-grace').",
	     cmd_setup)

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = NULL;
	char buf[8192];
	size_t n;
	int ok = in != NULL && (out = fopen(to, "wb")) != NULL;
	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in != NULL) {
		ok = ok && !ferror(in);
		fclose(in);
	}
	if (out != NULL && fclose(out) != 0)
		ok = 0;
	return ok;
}

static int cmd_product(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },  { "id", required_argument, NULL, 'i' },
		{ "price", required_argument, NULL, 'p' }, { "file", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 't' }, { 0, 0, 0, 0 },
	};
	struct payword_vendor_state *st = calloc(1, sizeof(*st));
	const char *dir = NULL, *id = NULL, *price = NULL, *file = NULL, *type = "text/plain";
	char name[PAYWORD_PRODUCT_MAX + 32], path[PATH_MAX];
	struct payword_product *p;
	int c, rc = OBOL_EXIT_OK;
	obol_err e;
	if (st == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "product");
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		goto out;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'i': id = optarg; break;
		case 'p': price = optarg; break;
		case 'f': file = optarg; break;
		case 't': type = optarg; break;
		default:
			rc = obol_cli_usage_error(cmd, "unknown option");
			goto out;
		}
	}
	if (optind != argc) {
		rc = obol_cli_extra_arg(cmd, argv[optind]);
		goto out;
	}
	if (dir == NULL || id == NULL || price == NULL || file == NULL) {
		rc = obol_cli_usage_error(cmd, "--dir, --id, --price and --file are required");
		goto out;
	}
	if (!payword_product_id_valid(id)) {
		rc = obol_cli_usage_error(cmd, "--id is 1..64 of A-Z a-z 0-9 . _ - (not starting with '.')");
		goto out;
	}
	if ((e = payword_vendor_config_load(dir, st)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "run 'vendor payword setup' first");
		goto out;
	}
	p = (struct payword_product *)payword_vendor_product(st, id);
	if (p == NULL) {
		if (st->nproducts == PAYWORD_PRODUCTS_MAX) {
			rc = obol_cli_fail(cmd, OBOL_E_INVALID_ARGUMENT, "too many products");
			goto out;
		}
		p = &st->products[st->nproducts++];
	}
	snprintf(p->id, sizeof(p->id), "%s", id);
	if ((e = obol_amount_parse(price, &p->price)) != OBOL_OK ||
	    (e = obol_strlcpy_checked(p->type, type, sizeof(p->type))) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "bad --price or --type");
		goto out;
	}
	if ((e = obol_vendor_file_path(dir, "payword-products", path)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "bad --dir");
		goto out;
	}
	mkdir(path, 0700);
	snprintf(name, sizeof(name), "payword-products/%s", id);
	if ((e = obol_vendor_file_path(dir, name, path)) != OBOL_OK || !copy_file(file, path)) {
		rc = obol_cli_fail(cmd, OBOL_E_IO, "cannot copy the product file");
		goto out;
	}
	if ((e = payword_vendor_config_save(dir, st)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "cannot write DIR/payword.json");
		goto out;
	}
	printf("product: %s at %s (%s)\n", id, price, type);
out:
	free(st);
	return rc;
}
OBOL_COMMAND(vendor_pw_product_cmd, "vendor payword product",
	     "--dir DIR --id ID --price CUR:V.F --file PATH [--type MIME]",
	     "offer a product (an article, an image) for payword tokens on the vendor's product page",
	     "  --dir DIR         the vendor's directory (after 'vendor payword setup')\n"
	     "  --id ID           1..64 of A-Z a-z 0-9 . _ - (not starting with '.'); an existing ID is replaced\n"
	     "  --price CUR:V.F   a whole number of the agent's token value ('issuer init --payword-token-value');\n"
	     "                    not checked here: another price fails each purchase with PAYWORD_VALUE_MISMATCH\n"
	     "  --file PATH       the product, copied into DIR/payword-products/ID\n"
	     "  --type MIME       its content type (default text/plain)\n"
	     "Served by 'vendor serve --http' at /payword/product/ID to the buyer of a purchase\n"
	     "('wallet payword fetch': the authorisation number, signed with the buyer's key).",
	     cmd_product)
