/* obol wallet withdraw | pay | balance | coins | sync | refund: the coupon
 * scheme's wallet commands (src/wallet/coupon_wallet.h; `wallet init` is the
 * platform's). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "wallet/coupon_wallet.h"
#include "wallet/history.h"
#include "wallet/issuer_link.h"

struct wopts {
	const char *path, *vendor, *amount;
	struct obol_wallet_keysrc ks;
	uint64_t units, count, denom;
	bool has_denom, json, all;
};

static int parse_opts(const struct obol_cmd *cmd, int argc, char **argv, struct wopts *o, const char *allowed)
{
	static const struct option opts[] = {
		{ "wallet", required_argument, NULL, 'w' }, { "key-file", required_argument, NULL, 'f' },
		{ "vendor", required_argument, NULL, 'v' }, { "units", required_argument, NULL, 'u' },
		{ "amount", required_argument, NULL, 'a' }, { "count", required_argument, NULL, 'c' },
		{ "denom", required_argument, NULL, 'd' },  { "all", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	int ch;
	memset(o, 0, sizeof(*o));
	o->count = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == '?' || !strchr(allowed, ch))
			return obol_cli_usage_error(cmd, "unknown option");
		switch (ch) {
		case 'w': o->path = optarg; break;
		case 'f': o->ks.key_file = optarg; break;
		case 'v': o->vendor = optarg; break;
		case 'a': o->amount = optarg; break;
		case 'j': o->json = true; break;
		case 'u':
			if (obol_parse_u64(optarg, 1, COUPON_UNITS_MAX, &o->units) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--units takes 1..1048576");
			break;
		case 'c':
			if (obol_parse_u64(optarg, 0, 1000, &o->count) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--count takes 0..1000");
			break;
		case 'd':
			if (obol_parse_u64(optarg, 0, COUPON_DENOM_MAX, &o->denom) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--denom takes a denomination id (see GET /keys)");
			o->has_denom = true;
			break;
		case 'A': o->all = true; break;
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (!o->path)
		return obol_cli_usage_error(cmd, "--wallet is required");
	return -1;
}

static obol_err save_wallet(void *ctx)
{
	void **p = ctx;
	struct obol_wallet *w = p[0];
	const struct coupon_wallet_store *ws = p[1];
	obol_err e = coupon_wstore_put(w, ws);
	return e == OBOL_OK ? obol_wallet_save(w) : e;
}

/* ---- withdraw ---- */

static obol_err pending_to_json(const char *rid, const struct coupon_withdraw_pending *p,
				const struct coupon_withdraw_req *req, json_t **out)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "request_id", rid, "denom", (json_int_t)p->denom, "n",
			      (json_int_t)p->n, "salt_len", (json_int_t)p->blind.salt_len);
	char inv[OBOL_B64_LEN(OBOL_BLINDRSA_MAX_MODULUS)], prep[OBOL_B64_LEN(sizeof(p->blind.prepared))];
	char blinded[OBOL_B64_LEN(COUPON_SIG_MAX)];
	obol_err e = OBOL_E_NO_MEMORY;
	if (!o)
		return e;
	if ((e = obol_b64_encode(p->blind.inv, p->blind.modulus_len, inv, sizeof(inv))) != OBOL_OK ||
	    (e = obol_b64_encode(p->blind.prepared, p->blind.prepared_len, prep, sizeof(prep))) != OBOL_OK ||
	    (e = obol_b64_encode(req->blinded, req->blinded_len, blinded, sizeof(blinded))) != OBOL_OK ||
	    (e = obol_wallet_json_set_bytes(o, "seed", p->seed, 32)) != OBOL_OK ||
	    (e = obol_wallet_json_set_bytes(o, "coin_id", p->coin_id, 32)) != OBOL_OK ||
	    (e = obol_wallet_json_set_bytes(o, "prefix", p->prefix, OBOL_BLINDRSA_PREFIX_LEN)) != OBOL_OK)
		goto fail;
	if (json_object_set_new(o, "inv", json_string(inv)) || json_object_set_new(o, "prepared", json_string(prep)) ||
	    json_object_set_new(o, "blinded", json_string(blinded))) {
		e = OBOL_E_NO_MEMORY;
		goto fail;
	}
	obol_wipe(inv, sizeof(inv));
	*out = o;
	return OBOL_OK;
fail:
	obol_wipe(inv, sizeof(inv));
	json_decref(o);
	return e;
}

static obol_err pending_from_json(const json_t *o, struct coupon_withdraw_pending *p, struct coupon_withdraw_req *req)
{
	json_int_t denom, n, salt_len;
	const char *inv, *prep, *blinded, *rid;
	memset(p, 0, sizeof(*p));
	memset(req, 0, sizeof(*req));
	if (json_unpack((json_t *)o, "{s:s, s:I, s:I, s:I, s:s, s:s, s:s}", "request_id", &rid, "denom", &denom, "n",
			&n, "salt_len", &salt_len, "inv", &inv, "prepared", &prep, "blinded", &blinded) != 0 ||
	    denom < 0 || n < 1 || salt_len < 0 || salt_len > 512)
		return OBOL_E_WALLET_FILE;
	p->blind.salt_len = (size_t)salt_len;
	p->denom = (uint32_t)denom;
	p->n = (uint64_t)n;
	req->denom = (uint64_t)denom;
	if (obol_strlcpy_checked(req->request_id, rid, sizeof(req->request_id)) != OBOL_OK ||
	    obol_wallet_json_get_bytes(o, "seed", p->seed, 32) != OBOL_OK ||
	    obol_wallet_json_get_bytes(o, "coin_id", p->coin_id, 32) != OBOL_OK ||
	    obol_wallet_json_get_bytes(o, "prefix", p->prefix, OBOL_BLINDRSA_PREFIX_LEN) != OBOL_OK ||
	    obol_b64_decode(inv, p->blind.inv, sizeof(p->blind.inv), &p->blind.modulus_len, 0) != OBOL_OK ||
	    obol_b64_decode(prep, p->blind.prepared, sizeof(p->blind.prepared), &p->blind.prepared_len, 0) != OBOL_OK ||
	    obol_b64_decode(blinded, req->blinded, sizeof(req->blinded), &req->blinded_len, 0) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	return OBOL_OK;
}

static const struct coupon_denom *find_denom(const struct coupon_wallet_store *ws, uint64_t id)
{
	for (size_t i = 0; i < ws->keys.ndenoms; i++)
		if (ws->keys.denoms[i].id == id)
			return &ws->keys.denoms[i];
	return NULL;
}

static void print_coin(const struct coupon_wallet_store *ws, const struct coupon_wallet_coin *c, const char *what)
{
	struct obol_amount v;
	char val[OBOL_AMOUNT_STR_MAX] = "?", hex[65];
	if (coupon_wallet_coin_value(&ws->cfg, c, &v) == OBOL_OK)
		obol_amount_format(&v, val);
	obol_hex_encode(c->coin.id, 8, hex);
	printf("%s: %s.. denom=%" PRIu64 " value=%s tokens=%" PRIu64 "/%" PRIu64 "%s%s\n", what, hex, c->coin.denom,
	       val, c->last_index, c->n, c->lock_open && c->locked_until > obol_now() ? " (locked)" : "",
	       c->in_doubt ? " (in doubt: obol wallet sync)" : "");
}

/* --json: {"id" (hex), "denom", "value", "tokens_left", "tokens", "locked", "in_doubt"}. */
static json_t *coin_json(const struct coupon_wallet_store *ws, const struct coupon_wallet_coin *c)
{
	struct obol_amount v;
	char hex[2 * COUPON_ID_LEN + 1];
	json_t *o = json_object();
	obol_hex_encode(c->coin.id, COUPON_ID_LEN, hex);
	if (coupon_wallet_coin_value(&ws->cfg, c, &v) == OBOL_OK && obol_cli_json_set(o, "id", json_string(hex)) &&
	    obol_cli_json_set(o, "denom", json_integer((json_int_t)c->coin.denom)) &&
	    obol_cli_json_set(o, "value", obol_cli_json_amount(&v)) &&
	    obol_cli_json_set(o, "tokens_left", json_integer((json_int_t)c->last_index)) &&
	    obol_cli_json_set(o, "tokens", json_integer((json_int_t)c->n)) &&
	    obol_cli_json_set(o, "locked", json_boolean(c->lock_open && c->locked_until > obol_now())) &&
	    obol_cli_json_set(o, "in_doubt", json_boolean(c->in_doubt)))
		return o;
	json_decref(o);
	return NULL;
}

/* Finishes (or drops) one pending withdrawal: the same request id and body,
 * so the issuer answers what it answered before, or does it now. Dropped
 * only on a definite answer (coupon_withdraw_exchange). */
static obol_err finish_pending(struct obol_http_client *c, struct coupon_wallet_store *ws, const json_t *o,
			       bool *drop)
{
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	struct coupon_wallet_coin coin;
	obol_err e = pending_from_json(o, &p, &req);
	bool definite = false;
	*drop = false;
	memset(&coin, 0, sizeof(coin));
	const struct coupon_denom *d = e == OBOL_OK ? find_denom(ws, p.denom) : NULL;
	if (e == OBOL_OK && !d)
		e = OBOL_E_COUPON_DENOM_UNKNOWN; /* the keys must come back before it can finish */
	if (e == OBOL_OK)
		e = coupon_withdraw_exchange(c, d, req.request_id, &req, &p, &coin, &definite);
	if (e == OBOL_OK) {
		e = coupon_wstore_add(ws, &coin);
		if (e == OBOL_OK)
			print_coin(ws, &coin, "coin");
		*drop = e == OBOL_OK;
	} else if (definite) {
		/* the issuer refused this request: nothing was debited for it */
		*drop = true;
	} else {
		fprintf(stderr, "withdrawal %s: no definite answer (%s); it is asked again next time\n", req.request_id,
			obol_strerror(e));
	}
	OBOL_WIPE(coin);
	coupon_wallet_pending_wipe(&p);
	return e;
}

static int cmd_withdraw(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct obol_http_client *c = NULL;
	struct coupon_wallet_store ws;
	bool loaded = false;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_opts(cmd, argc, argv, &o, "wfcd")) >= 0)
		return rc;
	obol_err e = obol_wallet_open(o.path, &o.ks, &w);
	if (e == OBOL_OK && (e = coupon_wstore_load(w, true, &ws)) == OBOL_OK)
		loaded = true;
	if (e == OBOL_OK)
		e = obol_wallet_client(w, true, &c);
	json_t *sec = e == OBOL_OK ? obol_wallet_section(w, "coupon") : NULL;
	json_t *pend = sec ? json_object_get(sec, "pending") : NULL;
	if (e == OBOL_OK && !pend) {
		pend = json_array();
		if (!pend || json_object_set_new(sec, "pending", pend) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	/* withdrawals a lost answer left unfinished come first */
	while (e == OBOL_OK && json_array_size(pend) > 0) {
		bool drop;
		obol_err r = finish_pending(c, &ws, json_array_get(pend, 0), &drop);
		if (drop && json_array_remove(pend, 0) == 0 && (e = coupon_wstore_put(w, &ws)) == OBOL_OK)
			e = obol_wallet_save(w);
		if (r != OBOL_OK && e == OBOL_OK)
			e = r;
	}
	const struct coupon_denom *d = NULL;
	if (e == OBOL_OK && o.count > 0) {
		uint32_t like = (uint32_t)o.denom;
		d = coupon_keys_for_withdraw(&ws.keys, o.has_denom ? &like : NULL, obol_now());
		if (!d)
			e = OBOL_E_COUPON_DENOM_UNKNOWN;
	}
	for (uint64_t k = 0; e == OBOL_OK && o.count > 0 && k < o.count; k++) {
		struct coupon_withdraw_pending p;
		struct coupon_withdraw_req req;
		uint8_t rid_raw[16];
		char rid[OBOL_B64_LEN(16)];
		json_t *pj = NULL;
		bool drop;
		obol_random(rid_raw, sizeof(rid_raw));
		if ((e = obol_b64_encode(rid_raw, sizeof(rid_raw), rid, sizeof(rid))) != OBOL_OK ||
		    (e = coupon_wallet_withdraw_prepare(d, obol_now(), &p, &req)) != OBOL_OK)
			break;
		/* on disk before it is sent: a lost answer is finished next time */
		e = pending_to_json(rid, &p, &req, &pj);
		coupon_wallet_pending_wipe(&p);
		if (e == OBOL_OK && json_array_append_new(pend, pj) != 0)
			e = OBOL_E_NO_MEMORY;
		if (e == OBOL_OK)
			e = obol_wallet_save(w);
		if (e != OBOL_OK)
			break;
		size_t last = json_array_size(pend) - 1;
		obol_err r = finish_pending(c, &ws, json_array_get(pend, last), &drop);
		if (drop && json_array_remove(pend, last) == 0 && (e = coupon_wstore_put(w, &ws)) == OBOL_OK)
			e = obol_wallet_save(w);
		if (e == OBOL_OK && r == OBOL_OK && drop) /* the wallet's history: a coin of d's value */
			if ((e = obol_history_note(w, "topup", "coupon", &d->value, NULL)) == OBOL_OK)
				e = obol_wallet_save(w);
		if (r != OBOL_OK && e == OBOL_OK)
			e = r;
	}
	obol_http_client_free(c);
	if (loaded)
		coupon_wstore_free(&ws);
	obol_wallet_close(w);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "withdrawal failed");
}

OBOL_COMMAND(wallet_withdraw_cmd, "wallet withdraw", "--wallet PATH [--count K] [--denom ID] [--key-file FILE]",
	     "withdraw coupon coins: the issuer debits the account and blind-signs each coin",
	     "  --wallet PATH   the wallet (its account pays)\n"
	     "  --count K       coins to withdraw (default 1; 0: only finish the withdrawals pending)\n"
	     "  --denom ID      the denomination of the key of that id (see GET /keys), under its key\n"
	     "                  issuing now (default: the first denomination issuing now)\n"
	     "  --key-file F    the wallet's key file instead of a passphrase\n"
	     "Each coin is RFC 9474 blind-signed: the issuer never sees its id. A withdrawal whose\n"
	     "answer was lost stays pending in the wallet and is finished first, with the same\n"
	     "request id, until the issuer's answer is definite.",
	     cmd_withdraw)

/* ---- pay ---- */

static int cmd_pay(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct obol_devlink *dl = NULL;
	struct coupon_wallet_store ws;
	struct coupon_pay_result res = { 0 };
	struct obol_amount budget;
	bool loaded = false;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_opts(cmd, argc, argv, &o, "wfvua")) >= 0)
		return rc;
	if (!o.vendor || (o.units == 0) == (o.amount == NULL))
		return obol_cli_usage_error(cmd, "--vendor and one of --units or --amount are required");
	if (o.amount && obol_amount_parse(o.amount, &budget) != OBOL_OK)
		return obol_cli_usage_error(cmd, "--amount takes CUR:V.F");
	obol_err e = obol_wallet_open(o.path, &o.ks, &w);
	if (e == OBOL_OK && (e = coupon_wstore_load(w, false, &ws)) == OBOL_OK)
		loaded = true;
	if (e == OBOL_OK)
		e = obol_wallet_connect_vendor(w, o.vendor, &dl);
	void *ctx[2] = { w, &ws };
	struct coupon_wallet_order order = { .units = o.units, .ahead = 1 };
	if (o.amount)
		order.budget = budget;
	if (e == OBOL_OK)
		e = coupon_pay_session(dl, &ws, &order, save_wallet, ctx, stdout, &res);
	if (e == OBOL_OK)
		printf("paid: %" PRIu64 " unit(s), %" PRIu64 " token(s), %zu coin(s)\n", res.units, res.tokens, res.coins);
	else if (loaded)
		(void)save_wallet(ctx); /* what was revealed stays known */
	if (res.in_doubt > 0)
		printf("in doubt: %zu coin(s); `obol wallet sync` asks the issuer where they stand\n", res.in_doubt);
	obol_devlink_close(dl);
	if (loaded)
		coupon_wstore_free(&ws);
	obol_wallet_close(w);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "payment failed");
}

OBOL_COMMAND(wallet_pay_cmd, "wallet pay", "--wallet PATH --vendor HOST:PORT (--units N | --amount CUR:V.F)",
	     "buy metered service from a vendor with coupon coins, over the device link",
	     "  --wallet PATH        the wallet\n"
	     "  --vendor HOST:PORT   the vendor's device link\n"
	     "  --units N            units of service to buy\n"
	     "  --amount CUR:V.F     or: as many units as this pays at the vendor's price\n"
	     "  --key-file F         the wallet's key file instead of a passphrase\n"
	     "Pays across several coins when one is not enough; chooses coins to keep locks and leftovers few.\n"
	     "Reveals no token beyond the units times the offered price, whatever the vendor reports.",
	     cmd_pay)

/* ---- balance and coins ---- */

static int cmd_balance_or_coins(const struct obol_cmd *cmd, int argc, char **argv, bool list)
{
	struct wopts o;
	struct obol_wallet *w = NULL;
	struct coupon_wallet_store ws;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_opts(cmd, argc, argv, &o, "wfj")) >= 0)
		return rc;
	json_t *doc = NULL, *coins = NULL;
	if (o.json && ((doc = json_object()) == NULL || (list && (coins = json_array()) == NULL)))
		goto nomem;
	obol_err e = obol_wallet_open(o.path, &o.ks, &w);
	if (e == OBOL_OK && (e = coupon_wstore_load(w, false, &ws)) == OBOL_OK) {
		struct obol_amount total, v;
		size_t usable = 0, locked = 0;
		char text[OBOL_AMOUNT_STR_MAX];
		int64_t now = obol_now();
		e = obol_amount_zero(ws.keys.ndenoms ? ws.keys.denoms[0].value.currency : "EUR", &total);
		for (size_t i = 0; i < ws.ncoins && e == OBOL_OK; i++) {
			const struct coupon_wallet_coin *c = &ws.coins[i];
			if (list && coins != NULL && json_array_append_new(coins, coin_json(&ws, c)) != 0)
				e = OBOL_E_NO_MEMORY;
			else if (list && coins == NULL)
				print_coin(&ws, c, "coin");
			if ((e = coupon_wallet_coin_value(&ws.cfg, c, &v)) == OBOL_OK)
				e = obol_amount_add(&total, &total, &v);
			usable += c->last_index > 0;
			locked += c->last_index > 0 && c->lock_open && c->locked_until > now;
		}
		if (e == OBOL_OK && doc != NULL) {
			if (!obol_cli_json_set(doc, "balance", obol_cli_json_amount(&total)) ||
			    !obol_cli_json_set(doc, "coins_with_tokens", json_integer((json_int_t)usable)) ||
			    !obol_cli_json_set(doc, "locked", json_integer((json_int_t)locked)) ||
			    (coins != NULL && !obol_cli_json_set(doc, "coins", json_incref(coins))))
				e = OBOL_E_NO_MEMORY;
		} else if (e == OBOL_OK) {
			obol_amount_format(&total, text);
			printf("coupon balance: %s in %zu coin(s) with tokens left (%zu locked)\n", text, usable, locked);
		}
		coupon_wstore_free(&ws);
	}
	obol_wallet_close(w);
	json_decref(coins);
	if (e != OBOL_OK) {
		json_decref(doc);
		return obol_cli_fail(cmd, e, "cannot read the wallet");
	}
	return doc != NULL ? obol_cli_print_json(cmd, doc) : OBOL_EXIT_OK;
nomem:
	json_decref(doc);
	return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "the JSON output");
}

static int cmd_balance(const struct obol_cmd *cmd, int argc, char **argv)
{
	return cmd_balance_or_coins(cmd, argc, argv, false);
}

static int cmd_coins(const struct obol_cmd *cmd, int argc, char **argv)
{
	return cmd_balance_or_coins(cmd, argc, argv, true);
}

OBOL_COMMAND(wallet_balance_cmd, "wallet balance", "--wallet PATH [--key-file FILE] [--json]",
	     "the value left in the wallet's coupon coins",
	     "  --json  one JSON object: balance, coins_with_tokens, locked", cmd_balance)
OBOL_COMMAND(wallet_coins_cmd, "wallet coins", "--wallet PATH [--key-file FILE] [--json]",
	     "list the wallet's coupon coins: value and tokens left, locks",
	     "  --json  one JSON object: balance, coins_with_tokens, locked, coins (each: id, denom, value,\n"
	     "          tokens_left, tokens, locked, in_doubt)",
	     cmd_coins)

/* ---- the commands over the wallet's coins: sync and refund ---- */

/* The wallet, its coupon section and a client to the issuer (authenticated
 * as the wallet's account when auth). */
struct coins_cmd {
	struct obol_wallet *w;
	struct obol_http_client *c;
	struct coupon_wallet_store ws;
	bool loaded;
};

static obol_err coins_open(const struct wopts *o, bool auth, struct coins_cmd *cc)
{
	obol_err e = obol_wallet_open(o->path, &o->ks, &cc->w);
	if (e == OBOL_OK && (e = coupon_wstore_load(cc->w, false, &cc->ws)) == OBOL_OK)
		cc->loaded = true;
	if (e == OBOL_OK)
		e = obol_wallet_client(cc->w, auth, &cc->c);
	return e;
}

/* Writes the section back when e is OBOL_OK, then frees; returns e (or the
 * error of the write). */
static obol_err coins_close(struct coins_cmd *cc, obol_err e)
{
	if (e == OBOL_OK && (e = coupon_wstore_put(cc->w, &cc->ws)) == OBOL_OK)
		e = obol_wallet_save(cc->w);
	obol_http_client_free(cc->c);
	if (cc->loaded)
		coupon_wstore_free(&cc->ws);
	obol_wallet_close(cc->w);
	return e;
}

static int cmd_sync(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct coins_cmd cc = { 0 };
	size_t asked = 0;
	json_t *coins = NULL;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_opts(cmd, argc, argv, &o, "wfAj")) >= 0)
		return rc;
	obol_err e = o.json && (coins = json_array()) == NULL ? OBOL_E_NO_MEMORY : coins_open(&o, false, &cc);
	for (size_t i = 0; e == OBOL_OK && i < cc.ws.ncoins; i++) {
		struct coupon_coin_status st;
		if (!o.all && !cc.ws.coins[i].in_doubt)
			continue;
		if ((e = coupon_coin_sync(cc.c, &cc.ws, i, &st)) != OBOL_OK)
			break;
		asked++;
		if (coins == NULL) {
			print_coin(&cc.ws, &cc.ws.coins[i], st.known ? "coin" : "coin (never locked)");
			continue;
		}
		json_t *c = coin_json(&cc.ws, &cc.ws.coins[i]);
		if (!obol_cli_json_set(c, "known", json_boolean(st.known)) || json_array_append_new(coins, c) != 0) {
			json_decref(c);
			e = OBOL_E_NO_MEMORY;
		}
	}
	if ((e = coins_close(&cc, e)) == OBOL_OK && coins == NULL)
		printf("synced: %zu coin(s)\n", asked);
	if (e != OBOL_OK || coins == NULL) {
		json_decref(coins);
		return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "sync failed");
	}
	/* --json: {"synced", "coins": [coin_json and "known": whether the issuer has seen it locked]} */
	json_t *doc = json_object();
	if (!(obol_cli_json_set(doc, "synced", json_integer((json_int_t)asked)) &&
	      obol_cli_json_set(doc, "coins", json_incref(coins)))) {
		json_decref(doc);
		doc = NULL;
	}
	json_decref(coins);
	return obol_cli_print_json(cmd, doc);
}

OBOL_COMMAND(wallet_sync_cmd, "wallet sync", "--wallet PATH [--all] [--key-file FILE] [--json]",
	     "ask the issuer where the wallet's coupon coins stand, coin by coin",
	     "  --wallet PATH   the wallet\n"
	     "  --all           every coin (default: the coins in doubt, after a refusal the wallet could not trust)\n"
	     "  --key-file F    the wallet's key file instead of a passphrase\n"
	     "  --json          one JSON object: synced (the coins asked about), coins (as 'wallet coins --json',\n"
	     "                  and known: whether the issuer has seen the coin at a lock)\n"
	     "Each query is authenticated by the coin itself (a token the issuer has not seen, sealed to it)\n"
	     "and answered only to its holder; the issuer sees the address the query comes from.",
	     cmd_sync)

/* ---- refund after spend-until ---- */

static int cmd_refund(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct wopts o;
	struct coins_cmd cc = { 0 };
	uint8_t sk[OBOL_SIGN_SK_LEN];
	int64_t account = 0, now = obol_now();
	size_t refunded = 0, ended = 0;
	int rc;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	if ((rc = parse_opts(cmd, argc, argv, &o, "wf")) >= 0)
		return rc;
	obol_err e = coins_open(&o, true, &cc);
	if (e == OBOL_OK)
		e = obol_wallet_account(cc.w, &account, sk);
	obol_wipe(sk, sizeof(sk));
	for (size_t i = 0; e == OBOL_OK && i < cc.ws.ncoins; i++) {
		const struct coupon_wallet_coin *coin = &cc.ws.coins[i];
		const struct coupon_denom *d = find_denom(&cc.ws, coin->coin.denom);
		struct coupon_refund_reply reply;
		char text[OBOL_AMOUNT_STR_MAX], hex[17];
		if (!d || coin->last_index == 0 || now <= d->spend_until)
			continue;
		obol_hex_encode(coin->coin.id, 8, hex);
		if (now > d->legal_end) {
			/* named, never skipped in silence: the issuer refuses it too */
			fprintf(stderr, "refund: coin %s.. under key %" PRIu32 ": %s\n", hex, d->id,
				obol_strerror(OBOL_E_COUPON_REFUND_LEGAL_END));
			ended++;
			continue;
		}
		if ((e = coupon_coin_refund(cc.c, cc.w, &cc.ws, i, (uint64_t)account, &reply)) != OBOL_OK)
			break;
		obol_amount_format(&reply.refunded, text);
		printf("refund: coin %s.. %s (%" PRIu64 " tokens) to account %" PRIu64 "\n", hex, text,
		       reply.refunded_tokens, reply.account);
		refunded++;
	}
	if ((e = coins_close(&cc, e)) == OBOL_OK)
		printf("refunded: %zu coin(s)\n", refunded);
	if (e == OBOL_OK && ended > 0)
		e = OBOL_E_COUPON_REFUND_LEGAL_END;
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "refund failed");
}

OBOL_COMMAND(wallet_refund_cmd, "wallet refund", "--wallet PATH [--key-file FILE]",
	     "credit the rest of coupon coins past their spend-until (until their key's legal end) to the wallet's account",
	     "  --wallet PATH   the wallet (its account is credited)\n"
	     "  --key-file F    the wallet's key file instead of a passphrase\n"
	     "For each coin whose denomination can no longer be spent, the wallet shows the issuer the\n"
	     "coin and its next token, sealed with the account to credit; the issuer credits the rest once.\n"
	     "This ends the coin's anonymity: the issuer then knows the account that held it.",
	     cmd_refund)
