/* obol wallet payword register | buy-tokens | regenerate | buy | fetch |
 * show: the user module of seed 003 (§3.5 registering, token generation
 * A-D, purchase 1-8) on the wallet file (src/wallet/payword.h). The payword
 * password comes from OBOL_PAYWORD_PASSWORD. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/wallet_cmd.h"
#include "core/parse.h"
#include "net/http_client.h"
#include "wallet/history.h"
#include "wallet/issuer_link.h"
#include "wallet/payword.h"
#include "wire/json.h"

struct opts {
	struct obol_wallet_cmd_opts c; /* --wallet, --key-file */
	const char *username, *vendor, *product, *http, *out;
	uint64_t tokens, scope;
	bool lost, has_tokens;
};

/* The options every payword wallet command takes. */
#define HELP_PW                                                                   \
	"  --wallet PATH        the wallet file (from 'wallet init')\n"             \
	"  --key-file FILE      its key file, instead of OBOL_PASSPHRASE or a prompt\n"
#define HELP_PW_PASSWORD "The payword password comes from OBOL_PAYWORD_PASSWORD."

static int take_opt(const struct obol_cmd *cmd, int ch, const char *arg, void *ctx)
{
	struct opts *o = ctx;
	switch (ch) {
	case 'u': o->username = arg; break;
	case 'l': o->lost = true; break;
	case 'v': o->vendor = arg; break;
	case 'p': o->product = arg; break;
	case 'h': o->http = arg; break;
	case 'o': o->out = arg; break;
	case 't':
		if (obol_parse_u64(arg, 1, PAYWORD_CHAIN_MAX, &o->tokens) != OBOL_OK)
			return obol_cli_usage_error(cmd, "--tokens takes 1..1048576");
		o->has_tokens = true;
		break;
	case 's':
		if (obol_parse_u64(arg, 1, INT64_MAX, &o->scope) != OBOL_OK)
			return obol_cli_usage_error(cmd, "--vendor-id takes a vendor's account id");
		break;
	}
	return -1;
}

/* Parses a payword command's arguments (wallet_cmd.h). Returns -1 to go on,
 * else the exit code. */
static int parse(const struct obol_cmd *cmd, int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		OBOL_WALLET_CMD_OPTIONS,
		{ "username", required_argument, NULL, 'u' },
		{ "tokens", required_argument, NULL, 't' },    { "vendor-id", required_argument, NULL, 's' },
		{ "lost", no_argument, NULL, 'l' },            { "vendor", required_argument, NULL, 'v' },
		{ "product", required_argument, NULL, 'p' },   { "http", required_argument, NULL, 'h' },
		{ "out", required_argument, NULL, 'o' },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	return obol_wallet_cmd_parse(cmd, argc, argv, opts, take_opt, o, true, &o->c);
}

static void print_value(const char *label, uint64_t tokens, const struct obol_amount *tv)
{
	struct obol_amount v;
	char buf[OBOL_AMOUNT_STR_MAX];
	if (obol_amount_mul(&v, tv, tokens) != OBOL_OK)
		return;
	obol_amount_format(&v, buf);
	printf("%s: %llu tokens (%s)\n", label, (unsigned long long)tokens, buf);
}

static int cmd_register(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	const char *password;
	int64_t account = 0;
	int rc;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (o.username == NULL)
		return obol_cli_usage_error(cmd, "--username is required");
	obol_err e = payword_wallet_password(&password);
	if (e == OBOL_OK)
		e = obol_wallet_open(o.c.wallet, &o.c.ks, &w);
	if (e == OBOL_OK)
		e = payword_wallet_register(w, o.username, password, &account);
	obol_wallet_close(w);
	if (e)
		return obol_cli_fail(cmd, e, "cannot register at the agent");
	printf("registered: %s (account %lld)\n", o.username, (long long)account);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(wallet_pw_register_cmd, "wallet payword register", "--wallet PATH --username NAME [--key-file FILE]",
	     "register the wallet's user at the payword agent (seed 003 §3.5)",
	     HELP_PW
	     "  --username NAME      1..32 of a-z 0-9 . _ -; the password is OBOL_PAYWORD_PASSWORD (8..128 bytes)\n"
	     "The account must exist: the operator opens it for the wallet's account key ('wallet init\n"
	     "--account NAME', then 'issuer account add --auth-key'). That key signs every request to the\n"
	     "agent, and every range of tokens the user pays.",
	     cmd_register)

static int buy_tokens(const struct obol_cmd *cmd, struct opts *o, uint64_t tokens)
{
	struct obol_wallet *w = NULL;
	struct payword_buy_outcome r;
	struct payword_wallet_cert c;
	const char *password;
	obol_err e = payword_wallet_password(&password);
	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	if (e == OBOL_OK)
		e = obol_wallet_open(o->c.wallet, &o->c.ks, &w);
	if (e == OBOL_OK)
		e = payword_wallet_buy_tokens(w, password, o->scope, tokens, o->lost, &r);
	if (e == OBOL_OK && r.serial != 0) /* serial 0: the certificate ended, nothing could be carried yet */
		e = payword_wallet_load(w, o->scope, password, &c);
	struct obol_amount cost;
	if (e == OBOL_OK && tokens > 0 && obol_amount_parse(r.cost, &cost) == OBOL_OK)
		if ((e = obol_history_note(w, "topup", "payword", &cost, NULL)) == OBOL_OK)
			e = obol_wallet_save(w);
	obol_wallet_close(w);
	if (e)
		return obol_cli_fail(cmd, e, "cannot get a payword certificate");
	if (r.serial != 0)
		printf("certificate: %llu\norders: %llu..%llu\n", (unsigned long long)r.serial,
		       (unsigned long long)r.first_order, (unsigned long long)(r.first_order + r.n - 1));
	else
		printf("certificate: none yet (the old one is revoked)\n");
	printf("cost: %s\ncarried: %lld\n", r.cost, (long long)r.carried);
	if (r.held > 0)
		printf("held: %llu tokens wait for late reports until %lld; 'wallet payword regenerate' then carries "
		       "what is left\n",
		       (unsigned long long)r.held, (long long)r.held_until);
	if (r.serial != 0)
		print_value("unspent", payword_wallet_unspent(&c), &c.uc.vc.token_value);
	payword_wallet_wipe(&c);
	return OBOL_EXIT_OK;
}

static int cmd_buy_tokens(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	int rc;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (!o.has_tokens)
		return obol_cli_usage_error(cmd, "--tokens is required");
	return buy_tokens(cmd, &o, o.tokens);
}
OBOL_COMMAND(wallet_pw_buy_tokens_cmd, "wallet payword buy-tokens", "--wallet PATH --tokens N [--vendor-id ID] [--key-file FILE]",
	     "buy payword tokens: a new certificate that keeps the unspent ones (steps A-D)",
	     HELP_PW
	     "  --tokens N           tokens to buy, paid from the wallet's account at the issuer\n"
	     "  --vendor-id ID       a chain for one vendor of the specific system (default: generic)\n"
	     "The previous certificate is revoked; its unspent tokens are carried into the new one.\n"
	     HELP_PW_PASSWORD,
	     cmd_buy_tokens)

static int cmd_regenerate(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	int rc;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	return buy_tokens(cmd, &o, o.has_tokens ? o.tokens : 0);
}
OBOL_COMMAND(wallet_pw_regenerate_cmd, "wallet payword regenerate", "--wallet PATH [--vendor-id ID] [--lost] [--key-file FILE]",
	     "regenerate the payword certificate with its unspent value",
	     HELP_PW
	     "  --lost               the certificate was lost: every token no vendor has reported yet waits\n"
	     "                       the agent's grace for late reports; regenerate again after it\n"
	     "  --vendor-id ID       the chain of a specific vendor (default: generic)\n"
	     HELP_PW_PASSWORD,
	     cmd_regenerate)

/* Fetches a product bought with this wallet (step 8) and writes it to out. */
static obol_err fetch_product(struct obol_wallet *w, const char *url, const char *product, int64_t auth,
			      const char *out, size_t *len)
{
	char *body = NULL;
	obol_err e = payword_wallet_fetch(w, url, product, auth, &body, len);
	if (e == OBOL_OK && out != NULL) {
		FILE *f = fopen(out, "wb");
		if (f == NULL || fwrite(body, 1, *len, f) != *len)
			e = OBOL_E_IO;
		if (f != NULL && fclose(f) != 0)
			e = OBOL_E_IO;
	}
	free(body);
	return e;
}

static int cmd_buy(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct payword_purchase p;
	const char *password;
	char price[OBOL_AMOUNT_STR_MAX];
	size_t got = 0;
	int rc;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (o.vendor == NULL || o.product == NULL)
		return obol_cli_usage_error(cmd, "--vendor and --product are required");
	memset(&p, 0, sizeof(p));
	/* --max-amount and the wallet's default cap reach the core through the
	 * payer's guard (payword_wallet_purchase, src/wallet/payer.h) */
	struct payword_purchase_req pr = { .addr = o.vendor, .product = o.product, .max_amount = NULL, .retries = 3 };
	obol_err e = payword_wallet_password(&password);
	if (e == OBOL_OK)
		e = obol_wallet_open(o.c.wallet, &o.c.ks, &w);
	if (e == OBOL_OK)
		e = payword_wallet_purchase(w, password, &pr, &p);
	if (e) {
		obol_wallet_close(w);
		return obol_cli_fail(cmd, e, p.auth == PAYWORD_AUTH_NONE ? "the vendor answered -1" : "the purchase failed");
	}
	obol_amount_format(&p.price, price);
	printf("vendor: %llu (%s)\nprice: %s\nauthorisation: %lld\n", (unsigned long long)p.vendor_id, p.mode, price,
	       (long long)p.auth);
	print_value("unspent", p.unspent, &p.token_value);
	if (p.renewed)
		printf("certificate: regenerated before the purchase (it was near its end)\n");
	if (o.http != NULL) {
		e = fetch_product(w, o.http, o.product, p.auth, o.out, &got);
		obol_wallet_close(w);
		if (e)
			return obol_cli_fail(cmd, e, "paid, but the product page did not deliver; the wallet kept the "
						     "authorisation number: 'wallet payword fetch' asks again");
		printf("product: %s, %zu bytes%s%s\n", o.product, got, o.out ? " saved to " : "", o.out ? o.out : "");
		return OBOL_EXIT_OK;
	}
	obol_wallet_close(w);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(wallet_pw_buy_cmd, "wallet payword buy",
	     "--wallet PATH --vendor HOST:PORT --product ID [--http URL [--out FILE]] [--key-file FILE]",
	     "buy a product with payword tokens at a vendor (steps 1-8), then fetch it",
	     HELP_PW
	     "  --vendor HOST:PORT   the vendor's device link\n"
	     "  --product ID         the product; the vendor tells its price\n"
	     "  --http URL           the vendor's product page: fetch the product with the authorisation number\n"
	     "  --out FILE           where to write the product\n"
	     "The user signs the range of tokens it pays, for this vendor; the wallet keeps the\n"
	     "authorisation number ('wallet payword fetch').\n"
	     HELP_PW_PASSWORD,
	     cmd_buy)

static int cmd_fetch(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	size_t got = 0;
	int rc;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (o.http == NULL || o.product == NULL)
		return obol_cli_usage_error(cmd, "--http and --product are required");
	obol_err e = obol_wallet_open(o.c.wallet, &o.c.ks, &w);
	if (e == OBOL_OK)
		e = fetch_product(w, o.http, o.product, 0, o.out, &got);
	obol_wallet_close(w);
	if (e)
		return obol_cli_fail(cmd, e, "the product page did not deliver");
	printf("product: %s, %zu bytes%s%s\n", o.product, got, o.out ? " saved to " : "", o.out ? o.out : "");
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(wallet_pw_fetch_cmd, "wallet payword fetch",
	     "--wallet PATH --http URL --product ID [--out FILE] [--key-file FILE]",
	     "fetch a product bought with this wallet again (step 8), with the authorisation number it kept",
	     HELP_PW
	     "  --http URL           the vendor's product page\n"
	     "  --product ID         the product; the latest purchase of it is used\n"
	     "  --out FILE           where to write the product\n"
	     "The request is signed with the wallet's key: the number is worth nothing to anyone else.",
	     cmd_fetch)

/* --json of show: one certificate {"serial", "vendor_id" (null: generic),
 * "first_order", "last_order", "next", "in_doubt", "unspent_tokens",
 * "unspent"}; NULL when out of memory. */
static json_t *cert_json(const struct payword_wallet_cert *c, uint64_t scope)
{
	struct obol_amount v;
	json_t *o = json_object();
	if (obol_amount_mul(&v, &c->uc.vc.token_value, payword_wallet_unspent(c)) == OBOL_OK &&
	    obol_cli_json_set(o, "serial", json_integer((json_int_t)c->uc.vc.serial)) &&
	    obol_cli_json_set(o, "vendor_id", scope == 0 ? json_null() : json_integer((json_int_t)scope)) &&
	    obol_cli_json_set(o, "first_order", json_integer((json_int_t)c->uc.vc.first_order)) &&
	    obol_cli_json_set(o, "last_order", json_integer((json_int_t)payword_vcert_last_order(&c->uc.vc))) &&
	    obol_cli_json_set(o, "next", json_integer((json_int_t)c->next)) &&
	    obol_cli_json_set(o, "in_doubt", json_integer((json_int_t)c->in_doubt)) &&
	    obol_cli_json_set(o, "unspent_tokens", json_integer((json_int_t)payword_wallet_unspent(c))) &&
	    obol_cli_json_set(o, "unspent", obol_cli_json_amount(&v)))
		return o;
	json_decref(o);
	return NULL;
}

static int cmd_show(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	const char *password, *key;
	json_t *v, *certs = NULL;
	int rc;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	obol_err e = payword_wallet_password(&password);
	if (e == OBOL_OK)
		e = obol_wallet_open(o.c.wallet, &o.c.ks, &w);
	if (e)
		return obol_cli_fail(cmd, e, "cannot open the wallet");
	json_t *sec = obol_wallet_section(w, "payword");
	const char *user = json_string_value(json_object_get(sec, "username"));
	if (o.c.json && (certs = json_array()) == NULL)
		e = OBOL_E_NO_MEMORY;
	else if (!o.c.json)
		printf("user: %s\n", user != NULL ? user : "(not registered)");
	json_object_foreach(json_object_get(sec, "certs"), key, v) {
		struct payword_wallet_cert c;
		uint64_t scope;
		if (e != OBOL_OK || obol_parse_u64(key, 0, INT64_MAX, &scope) != OBOL_OK ||
		    (e = payword_wallet_load(w, scope, password, &c)) != OBOL_OK)
			break;
		if (certs != NULL) {
			if (json_array_append_new(certs, cert_json(&c, scope)) != 0)
				e = OBOL_E_NO_MEMORY;
		} else {
			printf("certificate %llu (%s): orders %llu..%llu, next %llu, in doubt %llu\n",
			       (unsigned long long)c.uc.vc.serial, scope == 0 ? "generic" : key,
			       (unsigned long long)c.uc.vc.first_order,
			       (unsigned long long)payword_vcert_last_order(&c.uc.vc), (unsigned long long)c.next,
			       (unsigned long long)c.in_doubt);
			print_value("unspent", payword_wallet_unspent(&c), &c.uc.vc.token_value);
			if (c.pending)
				printf("pending purchase: orders %llu..%llu of %s at vendor %llu, awaiting its answer; buying "
				       "it there again finishes it, any other purchase leaves its tokens in doubt\n",
				       (unsigned long long)c.next, (unsigned long long)c.req.order, c.req.product,
				       (unsigned long long)c.req.range.vendor);
		}
		payword_wallet_wipe(&c);
	}
	if (certs != NULL) {
		/* --json: {"user" (null: not registered), "certificates": [...],
		 * "pending_buy", "purchases": [{"product", "vendor", "auth"}]} */
		json_t *doc = json_object();
		bool ok = e == OBOL_OK && obol_cli_json_set(doc, "user", user != NULL ? json_string(user) : json_null()) &&
			  obol_cli_json_set(doc, "certificates", json_incref(certs)) &&
			  obol_cli_json_set(doc, "pending_buy", json_boolean(json_object_get(sec, "pending_buy") != NULL)) &&
			  obol_cli_json_set(doc, "purchases", json_array());
		size_t i;
		json_array_foreach(json_object_get(sec, "purchases"), i, v) {
			json_t *p = json_pack("{s:s?, s:I, s:I}", "product", json_string_value(json_object_get(v, "product")),
					      "vendor", json_integer_value(json_object_get(v, "vendor")), "auth",
					      json_integer_value(json_object_get(v, "auth")));
			ok = ok && json_array_append_new(json_object_get(doc, "purchases"), p) == 0;
		}
		json_decref(certs);
		if (!ok) {
			json_decref(doc);
			return obol_wallet_cmd_finish(cmd, w, e != OBOL_OK ? e : OBOL_E_NO_MEMORY, "cannot open a certificate");
		}
		obol_wallet_close(w);
		return obol_cli_print_json(cmd, doc);
	}
	if (json_object_get(sec, "pending_buy") != NULL)
		printf("pending: a token purchase; 'wallet payword buy-tokens' finishes it\n");
	size_t i;
	json_array_foreach(json_object_get(sec, "purchases"), i, v)
		printf("purchase %s at vendor %lld: auth %lld\n", json_string_value(json_object_get(v, "product")),
		       (long long)json_integer_value(json_object_get(v, "vendor")),
		       (long long)json_integer_value(json_object_get(v, "auth")));
	return obol_wallet_cmd_finish(cmd, w, e, "cannot open a certificate");
}
OBOL_COMMAND(wallet_pw_show_cmd, "wallet payword show", "--wallet PATH [--key-file FILE] [--json]",
	     "show the wallet's payword certificates and their unspent tokens",
	     HELP_PW "  --json               one JSON object: user, certificates (serial, vendor_id, first_order,\n"
		     "                       last_order, next, in_doubt, unspent_tokens, unspent), pending_buy,\n"
		     "                       purchases (product, vendor, auth)\n" HELP_PW_PASSWORD,
	     cmd_show)
