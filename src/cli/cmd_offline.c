/* obol offline sign: the master key's half of the key ceremony
 * (docs/operations.md "The key ceremony"), run where the master key is and
 * nowhere else. It reads the requests 'obol issuer keys export-requests'
 * wrote, shows what each announces, and signs them (key_announce.h). It
 * opens no database and no network connection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/key_files.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/common/key_announce.h"

static const char *kind_name(uint64_t kind)
{
	switch (kind) {
	case OBOL_KEY_ONLINE: return "online signing key";
	case OBOL_KEY_COUPON_DENOM: return "coupon denomination";
	case OBOL_KEY_ECASH_BANK: return "ecash bank key";
	default: return "revocation";
	}
}

/* One line per request, so the operator sees what the master key vouches for. */
static void show(const struct obol_key_announce *a)
{
	uint8_t id[32];
	char hex[65], value[OBOL_AMOUNT_STR_MAX];
	obol_key_announce_key_id(a, id);
	obol_hex_encode(id, sizeof id, hex);
	printf("sign: serial %llu %s %s, key id %.16s, from %lld", (unsigned long long)a->serial, a->currency,
	       kind_name(a->kind), hex, (long long)a->valid_from);
	if (a->kind != OBOL_KEY_REVOKE)
		printf(" use-until %lld accept-until %lld", (long long)a->use_until, (long long)a->accept_until);
	if (a->kind == OBOL_KEY_COUPON_DENOM || a->kind == OBOL_KEY_ECASH_BANK)
		printf(" legal-end %lld", (long long)a->legal_end);
	if (a->kind == OBOL_KEY_COUPON_DENOM) {
		obol_amount_format(&a->value, value);
		printf(" value %s tokens %llu", value, (unsigned long long)a->tokens);
	}
	printf("\n");
}

static int cmd_sign(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "master-key", required_argument, NULL, 'k' },
		{ "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ 0, 0, 0, 0 },
	};
	const char *keyfile = NULL, *in = NULL, *out = NULL;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			keyfile = optarg;
		else if (c == 'i')
			in = optarg;
		else if (c == 'o')
			out = optarg;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (keyfile == NULL || in == NULL || out == NULL)
		return obol_cli_usage_error(cmd, "--master-key, --in and --out are required");

	struct obol_sign_keypair master;
	struct batch {
		struct obol_key_announce a[KEY_FILE_ITEMS_MAX];
		uint8_t enc[KEY_FILE_ITEMS_MAX][OBOL_KEY_ANNOUNCE_MAX];
		const uint8_t *items[KEY_FILE_ITEMS_MAX];
		size_t lens[KEY_FILE_ITEMS_MAX];
	} *b = malloc(sizeof *b);
	uint8_t file_pk[OBOL_SIGN_PK_LEN];
	size_t n = 0;
	json_t *reqs = NULL;
	memset(&master, 0, sizeof master);
	if (b == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "nothing signed");
	struct obol_key_announce *a = b->a;
	obol_err e = key_file_read(in, KEY_FILE_REQUESTS, file_pk, &reqs);
	if (e == OBOL_OK)
		e = master_key_file_read(keyfile, &master);
	if (e == OBOL_OK && memcmp(master.pk, file_pk, OBOL_SIGN_PK_LEN) != 0)
		e = OBOL_E_KEY_MASTER_MISMATCH;
	/* every request is checked before any is signed: all or nothing */
	for (n = 0; e == OBOL_OK && n < json_array_size(reqs); n++) {
		size_t len;
		if ((e = key_file_item(reqs, n, b->enc[n], sizeof b->enc[n], &len)) == OBOL_OK)
			e = obol_key_announce_from_signed_bytes(b->enc[n], len, &a[n]);
	}
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		show(&a[i]);
		if ((e = obol_key_announce_sign(&a[i], master.sk)) == OBOL_OK &&
		    (e = obol_key_announce_encode(&a[i], b->enc[i], sizeof b->enc[i], &b->lens[i])) == OBOL_OK)
			b->items[i] = b->enc[i];
	}
	obol_wipe(&master, sizeof master);
	json_decref(reqs);
	if (e == OBOL_OK)
		e = key_file_write(out, KEY_FILE_SIGNATURES, file_pk, b->items, b->lens, n);
	free(b);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "nothing signed");
	printf("signed: %zu\nfile: %s\n", n, out);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(offline_sign_cmd, "offline sign", "--master-key FILE --in REQUESTS --out SIGNATURES",
	     "sign the issuer's key requests with the offline master key",
	     "  --master-key FILE  the master key file (made by 'obol issuer keys export-master')\n"
	     "  --in REQUESTS      the file 'obol issuer keys export-requests' wrote\n"
	     "  --out SIGNATURES   the file to take back to 'obol issuer keys import'\n"
	     "Prints one line per announcement it signs (kind, key id, windows): read them. Requests made\n"
	     "for another master key (KEY_MASTER_MISMATCH) or malformed (KEY_ANNOUNCE_INVALID) sign\n"
	     "nothing. Opens no database and no connection: run it on the machine that keeps the key.",
	     cmd_sign)
