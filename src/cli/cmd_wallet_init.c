/* obol wallet init | account: the wallet file, its pinned issuer and its
 * account key (src/wallet/file.h, src/wallet/issuer_link.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "net/tls_cert.h"
#include "schemes/common/keys_doc.h"
#include "wallet/file.h"
#include "wallet/issuer_link.h"
#include "wire/json.h"

/* GET URL/keys, self-verified (first contact) or under an expected key. */
static obol_err fetch_pin(const char *url, const uint8_t *expect, uint8_t mpk[32], uint8_t bpk[32],
			  char currency[OBOL_CURRENCY_MAX + 1])
{
	struct obol_http_client *c = NULL;
	long status = 0;
	char *text = NULL;
	size_t len = 0;
	json_t *keys = NULL;
	obol_err e = obol_http_client_new(url, 0, &c);
	if (e == OBOL_OK)
		e = obol_http_request(c, "GET", "/keys", NULL, 0, 0, &status, &text, &len);
	if (e == OBOL_OK)
		e = status == 200 ? obol_keys_doc_verify(text, len, expect, &keys, mpk, bpk, currency)
				  : obol_json_error_from_body(text, len);
	json_decref(keys);
	free(text);
	obol_http_client_free(c);
	return e;
}

static int cmd_wallet_init(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wallet", required_argument, NULL, 'w' },     { "issuer", required_argument, NULL, 'i' },
		{ "issuer-key", required_argument, NULL, 'k' }, { "account", required_argument, NULL, 'a' },
		{ "key-file", required_argument, NULL, 'f' },   { "issuer-ca", required_argument, NULL, 'c' },
		{ "insecure-http", no_argument, NULL, 'H' },    { 0, 0, 0, 0 },
	};
	const char *path = NULL, *url = NULL, *ikey = NULL, *account = NULL, *ca_file = NULL;
	char *ca = NULL;
	bool insecure = false;
	struct obol_wallet_keysrc ks = { 0 };
	uint8_t expect[32], mpk[32], bpk[32];
	char currency[OBOL_CURRENCY_MAX + 1], pk64[OBOL_B64_LEN(32)];
	struct obol_sign_keypair kp;
	struct obol_wallet *w = NULL;
	size_t n;
	int c, rc = OBOL_EXIT_OK;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': path = optarg; break;
		case 'i': url = optarg; break;
		case 'k': ikey = optarg; break;
		case 'a': account = optarg; break;
		case 'f': ks.key_file = optarg; break;
		case 'c': ca_file = optarg; break;
		case 'H': insecure = true; break;
		default: return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (path == NULL || url == NULL)
		return obol_cli_usage_error(cmd, "--wallet and --issuer are required");
	if (ikey != NULL && obol_b64_decode(ikey, expect, 32, &n, 1) != OBOL_OK)
		return obol_cli_fail(cmd, OBOL_E_KEY_INVALID, "--issuer-key is not a base64url Ed25519 public key");

	obol_err e = ca_file != NULL ? obol_tls_ca_load(ca_file, &ca) : OBOL_OK;
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot read --issuer-ca");
	struct obol_http_trust trust = { .ca_pem = ca, .ca_len = ca != NULL ? strlen(ca) : 0, .insecure_http = insecure };
	if ((e = obol_http_trust_set(url, &trust)) != OBOL_OK) {
		free(ca);
		return obol_cli_fail(cmd, e, "refusing the issuer's URL");
	}
	if ((e = fetch_pin(url, ikey != NULL ? expect : NULL, mpk, bpk, currency)) != OBOL_OK) {
		free(ca);
		return obol_cli_fail(cmd, e, "cannot fetch and verify the issuer's keys");
	}
	if ((e = obol_wallet_create(path, &ks, &w)) != OBOL_OK) {
		free(ca);
		return obol_cli_fail(cmd, e, "cannot create the wallet");
	}
	e = obol_wallet_set_issuer(w, url, mpk, bpk, currency);
	if (e == OBOL_OK)
		e = obol_wallet_set_issuer_trust(w, ca, insecure);
	if (e == OBOL_OK) /* fetch_pin verified the key document just now */
		e = obol_wallet_keys_fetched(w, obol_now());
	if (e == OBOL_OK && account != NULL) {
		obol_sign_keypair_new(&kp);
		e = obol_wallet_set_account(w, 0, account, kp.sk);
		if (e == OBOL_OK)
			e = obol_b64_encode(kp.pk, 32, pk64, sizeof pk64);
		OBOL_WIPE(kp);
	}
	if (e == OBOL_OK)
		e = obol_wallet_save(w);
	if (e != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "cannot write the wallet");
		goto out;
	}
	printf("wallet: %s\nissuer: %s\ncurrency: %s\n", path, url, currency);
	if (account != NULL) {
		printf("account: %s\naccount-key: %s\n", account, pk64);
		printf("(register it: obol issuer account add --db DB --kind user --name %s --auth-key %s)\n", account,
		       pk64);
	}
out:
	free(ca);
	obol_wallet_close(w);
	return rc;
}

OBOL_COMMAND(wallet_init_cmd, "wallet init",
	     "--wallet PATH --issuer URL [--issuer-ca FILE] [--insecure-http] [--issuer-key B64] [--account NAME] "
	     "[--key-file FILE]",
	     "create an encrypted wallet that pins the issuer's keys",
	     "  --wallet PATH      the wallet file to create (never overwritten)\n"
	     "  --issuer URL       the issuer, e.g. https://issuer.example:8443; its GET /keys is verified and pinned\n"
	     "  --issuer-ca FILE   verify the issuer's TLS certificate against this PEM CA (kept in the wallet;\n"
	     "                     without it: the system's CAs)\n"
	     "  --insecure-http    allow plain http:// to an issuer that is not on loopback (the network\n"
	     "                     then sees passwords and requests; kept in the wallet)\n"
	     "  --issuer-key B64   refuse an issuer whose master key is not this one\n"
	     "  --account NAME     draw an account key; prints account-key for 'issuer account add'\n"
	     "                     (the wallet learns its account id from the issuer on first use)\n"
	     "  --key-file FILE    seal under a 32-byte key file instead of a passphrase\n"
	     "The passphrase comes from OBOL_PASSPHRASE or a prompt on the terminal.",
	     cmd_wallet_init)

static int cmd_wallet_account(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wallet", required_argument, NULL, 'w' },
		{ "key-file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	const char *path = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_wallet *w = NULL;
	struct obol_http_client *c = NULL;
	json_t *reply = NULL, *doc = NULL;
	bool json = false;
	int ch;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'w')
			path = optarg;
		else if (ch == 'f')
			ks.key_file = optarg;
		else if (ch == 'j')
			json = true;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (path == NULL)
		return obol_cli_usage_error(cmd, "--wallet is required");
	obol_err e = obol_wallet_open(path, &ks, &w);
	if (e == OBOL_OK)
		e = obol_wallet_client(w, true, &c);
	if (e == OBOL_OK)
		e = obol_http_get_json(c, "/account", OBOL_HTTP_AUTH, &reply);
	if (e == OBOL_OK && json) {
		/* {"account", "id", "balance"}: the fields the text shows */
		json_t *id = json_object_get(reply, "id");
		const char *name = json_string_value(json_object_get(reply, "name")),
			   *balance = json_string_value(json_object_get(reply, "balance"));
		if (name == NULL || balance == NULL || !json_is_integer(id))
			e = OBOL_E_PEER_ERROR;
		else if ((doc = json_object()) == NULL || !obol_cli_json_set(doc, "account", json_string(name)) ||
			 !obol_cli_json_set(doc, "id", json_integer(json_integer_value(id))) ||
			 !obol_cli_json_set(doc, "balance", json_string(balance)))
			e = OBOL_E_NO_MEMORY;
	} else if (e == OBOL_OK) {
		json_t *id = json_object_get(reply, "id");
		printf("account: %s\nid: %lld\nbalance: %s\n", json_string_value(json_object_get(reply, "name")),
		       json_is_integer(id) ? (long long)json_integer_value(id) : 0LL,
		       json_string_value(json_object_get(reply, "balance")));
	}
	json_decref(reply);
	obol_http_client_free(c);
	obol_wallet_close(w);
	if (e != OBOL_OK) {
		json_decref(doc);
		return obol_cli_fail(cmd, e, "cannot read the account");
	}
	return json ? obol_cli_print_json(cmd, doc) : OBOL_EXIT_OK;
}

OBOL_COMMAND(wallet_account_cmd, "wallet account", "--wallet PATH [--key-file FILE] [--json]",
	     "show the wallet's account at the issuer (an authenticated request)",
	     "  --json  one JSON object: account, id, balance", cmd_wallet_account)

static int cmd_wallet_payout(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wallet", required_argument, NULL, 'w' },     { "key-file", required_argument, NULL, 'f' },
		{ "amount", required_argument, NULL, 'a' },     { "request-id", required_argument, NULL, 'r' },
		{ 0, 0, 0, 0 },
	};
	const char *path = NULL, *amount = NULL, *rid = NULL;
	char rid_buf[32];
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_wallet *w = NULL;
	struct obol_http_client *c = NULL;
	json_t *req = NULL, *reply = NULL;
	int ch;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'w': path = optarg; break;
		case 'f': ks.key_file = optarg; break;
		case 'a': amount = optarg; break;
		case 'r': rid = optarg; break;
		default: return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (path == NULL || amount == NULL)
		return obol_cli_usage_error(cmd, "--wallet and --amount are required");
	if (rid == NULL) {
		uint8_t r[16];
		obol_random(r, sizeof r);
		if (obol_b64_encode(r, sizeof r, rid_buf, sizeof rid_buf) != OBOL_OK)
			return obol_cli_fail(cmd, OBOL_E_INTERNAL, "cannot draw a request id");
		rid = rid_buf;
	}
	obol_err e = obol_wallet_open(path, &ks, &w);
	if (e == OBOL_OK)
		e = obol_wallet_client(w, true, &c);
	if (e == OBOL_OK && (req = json_pack("{s:s, s:s}", "request_id", rid, "amount", amount)) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_http_post_json(c, "/account/payout", req, OBOL_HTTP_AUTH, &reply);
	if (e == OBOL_OK)
		printf("request-id: %s\npaid-out: %s\nbalance: %s\n", rid, amount,
		       json_string_value(json_object_get(reply, "balance")));
	json_decref(req);
	json_decref(reply);
	obol_http_client_free(c);
	obol_wallet_close(w);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "the payout was not made");
}

OBOL_COMMAND(wallet_payout_cmd, "wallet payout", "--wallet PATH --amount CUR:V.F [--request-id ID] [--key-file FILE]",
	     "move money from the wallet's account back to the bank (POST /account/payout)",
	     "  --amount CUR:V.F   how much\n"
	     "  --request-id ID    the idempotency key (default: a fresh random one); the same id\n"
	     "                     again returns the first answer and moves nothing",
	     cmd_wallet_payout)
