/* obol issuer vendor add: the vendor's account and certificate
 * (src/issuer/vendors.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/keys.h"
#include "issuer/signer_client.h"
#include "issuer/vendors.h"

/* The issuer's online key usable at now, as issuer serve signs with it
 * (issuer.h obol_issuer_signer): through the signing process at
 * signer_path (*client, close it), or from the keyring in the database
 * (*ring, wipe it). KEY_ONLINE_MISSING when none is usable. */
static obol_err online_signer(struct obol_store *s, const struct obol_issuer_keys *keys, const char *signer_path,
			      int64_t now, struct obol_online_keyring *ring, struct obol_signer_client **client,
			      struct obol_ed25519_signer *out)
{
	memset(out, 0, sizeof *out);
	if (signer_path == NULL) {
		obol_err e = obol_online_keyring_load(s, now, ring);
		return e == OBOL_OK ? obol_online_keyring_signer(ring, now, out) : e;
	}
	struct obol_online_pub p[OBOL_ONLINE_KEYRING_MAX];
	size_t n = 0;
	obol_err e = obol_online_pubs_load(s, keys->master_pk, now, p, &n);
	const struct obol_online_pub *k = e == OBOL_OK ? obol_online_pubs_pick(p, n, now) : NULL;
	if (e == OBOL_OK && k == NULL)
		e = OBOL_E_KEY_ONLINE_MISSING;
	if (e == OBOL_OK && (e = obol_signer_client_open(signer_path, client)) == OBOL_OK) {
		memcpy(out->pk, k->pk, OBOL_SIGN_PK_LEN);
		out->accept_until = k->accept_until;
		out->sign = obol_signer_client_ed25519_sign;
		out->ctx = *client;
	}
	return e;
}

static int cmd_issuer_vendor_add(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },        { "name", required_argument, NULL, 'n' },
		{ "vendor-key", required_argument, NULL, 'k' }, { "box-key", required_argument, NULL, 'b' },
		{ "valid-days", required_argument, NULL, 'v' }, { "out", required_argument, NULL, 'o' },
		{ "signer", required_argument, NULL, 'g' },     { 0, 0, 0, 0 },
	};
	const char *db = NULL, *name = NULL, *vkey = NULL, *bkey = NULL, *outfile = NULL, *signer = NULL;
	uint8_t spk[32], bpk[32];
	uint64_t days = OBOL_VENDOR_CERT_DAYS_DEFAULT;
	size_t n;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'k': vkey = optarg; break;
		case 'b': bkey = optarg; break;
		case 'o': outfile = optarg; break;
		case 'g': signer = optarg; break;
		case 'v':
			if (obol_parse_u64(optarg, 1, 3650, &days) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--valid-days takes 1..3650");
			break;
		default:
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (db == NULL || name == NULL || vkey == NULL)
		return obol_cli_usage_error(cmd, "--db, --name and --vendor-key are required");
	if (obol_b64_decode(vkey, spk, 32, &n, 1) != OBOL_OK)
		return obol_cli_fail(cmd, OBOL_E_KEY_INVALID, "--vendor-key is not a base64url Ed25519 public key");
	if (bkey != NULL && obol_b64_decode(bkey, bpk, 32, &n, 1) != OBOL_OK)
		return obol_cli_fail(cmd, OBOL_E_KEY_INVALID, "--box-key is not a base64url X25519 public key");

	struct obol_store *s = NULL;
	struct obol_issuer_keys keys;
	struct obol_vendor_cert cert;
	struct obol_online_keyring *ring = calloc(1, sizeof *ring);
	struct obol_signer_client *client = NULL;
	char text[OBOL_VENDOR_CERT_TEXT_MAX];
	int64_t now = obol_now();
	memset(&keys, 0, sizeof keys);
	obol_err e = ring != NULL ? obol_store_open(db, false, &s) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && (e = obol_issuer_keys_load(s, &keys)) == OBOL_OK && (e = obol_store_begin(s)) == OBOL_OK) {
		struct obol_ed25519_signer sg;
		e = online_signer(s, &keys, signer, now, ring, &client, &sg);
		if (e == OBOL_OK)
			e = obol_issuer_vendor_add(s, &sg, name, spk, bkey != NULL ? bpk : NULL, (unsigned)days, now,
						   &cert);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		if (e != OBOL_OK)
			obol_store_rollback(s);
	}
	if (ring != NULL)
		obol_online_keyring_wipe(ring);
	free(ring);
	obol_signer_client_close(client);
	obol_issuer_keys_wipe(&keys);
	obol_store_close(s);
	if (e == OBOL_OK)
		e = obol_vendor_cert_to_text(&cert, text);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot add the vendor");
	if (outfile != NULL) {
		FILE *f = fopen(outfile, "w");
		if (f == NULL || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0)
			return obol_cli_fail(cmd, OBOL_E_IO, "cannot write the certificate file");
	}
	printf("vendor: %llu\nname: %s\nvalid-until: %lld\ncert: %s\n", (unsigned long long)cert.vendor_id,
	       cert.name, (long long)cert.valid_until, text);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(issuer_vendor_add_cmd, "issuer vendor add",
	     "--db URL --name NAME --vendor-key B64 [--box-key B64] [--valid-days N] [--out FILE]\n"
	     "       [--signer PATH]",
	     "create a vendor account (if new) and issue its certificate",
	     "  --db URL          the issuer database\n"
	     "  --name NAME       the vendor's account name\n"
	     "  --vendor-key B64  the vendor's Ed25519 public key (from 'obol vendor init')\n"
	     "  --box-key B64     the vendor's X25519 public key: the device link proves it, and a vendor\n"
	     "                    daemon whose certificate names none does not start\n"
	     "  --valid-days N    validity of the certificate (default 365)\n"
	     "  --out FILE        also write the certificate there (e.g. VENDORDIR/vendor.cert)\n"
	     "  --signer PATH     the online keys are in the signing process on this socket ('issuer\n"
	     "                    signer', as for 'issuer serve --signer'); without it, in the database\n"
	     "The certificate is signed by the issuer's online key in use now (KEY_ONLINE_MISSING when\n"
	     "none: hold the key ceremony) and is valid no longer than that key is accepted.\n"
	     "Prints the vendor id and the certificate (base64url). A vendor daemon also\n"
	     "fetches it by itself from GET /vendor/cert when its directory has none.",
	     cmd_issuer_vendor_add)
