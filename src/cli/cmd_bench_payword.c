/* obol bench payword: the rates that bound the scheme (seed 003 §4 "low
 * transaction cost", "latency"), each next to the raw primitives they are
 * made of, measured in the same run (bench.h):
 *
 *   range      payword_range_sign at the wallet and payword_range_verify:
 *              what the user-signed range adds to every purchase (one
 *              Ed25519 signature, one verification)
 *   purchase   payword_vendor_purchase: a purchase of one token, checked as
 *              the vendor checks it (a fresh CRL, serial and name, the
 *              certificate against the one whose agent signature it
 *              verified, scope, value, the user's signature on the range,
 *              the hash distance to the last token held), state carried from
 *              one purchase to the next, through a chain of 4096 tokens (the
 *              first purchase of the chain also verifies the agent's
 *              signature); no storage
 *   report     payword_agent_claim_verify (the range's signature, the value,
 *              the token against the last one claimed) and
 *              payword_report_ingest (the claims the range shares orders
 *              with loaded, the core's judgement, the claim stored, the
 *              vendor paid in the ledger), 64 reports per durable SQLite
 *              commit as the issuer's group commit does
 *
 * against crypto_sign_detached / crypto_sign_verify_detached (Ed25519) and
 * crypto_hash_sha256 of 32 bytes. */
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/payword_db.h"
#include "issuer/payword_issuer.h"
#include "schemes/payword/agent.h"
#include "schemes/payword/vendor.h"
#include "store/ledger.h"

#define CHAIN_N 4096      /* tokens of the vendor bench's chain */
#define SERIALS 2048      /* certificates of the agent bench */
#define PER_SERIAL 64     /* reports per certificate */
#define GROUP 64          /* reports per commit */

struct bench {
	/* raw */
	struct obol_sign_keypair ed;
	uint8_t ed_msg[128], ed_sig[OBOL_SIGN_LEN], h[32];
	/* vendor */
	struct obol_sign_keypair agent, user;
	struct obol_ed25519_signer agent_sg;
	struct payword_user u;
	struct payword_vendor_cfg vcfg;
	struct payword_vcert vc;
	uint8_t (*chain)[32]; /* chain[i] = H^i(S) */
	struct payword_pay req;
	struct payword_vendor_serial st, next;
	struct payword_claim claim;
	struct payword_crl crl;
	uint64_t order;
	int64_t now;
	struct payword_range range;   /* the range bench's */
	struct payword_range *ranges; /* the purchase bench's, one per order */
	/* agent */
	struct obol_store *s;
	struct payword_claim *claims; /* SERIALS x PER_SERIAL, in sending order */
	struct payword_vcert *vcs;    /* per serial */
	uint8_t (*tokens)[32];        /* per serial and order */
	size_t nclaims, sent, in_group, verified;
	char dir[64];
};

static obol_err raw_verify(void *a)
{
	struct bench *b = a;
	return crypto_sign_verify_detached(b->ed_sig, b->ed_msg, sizeof(b->ed_msg), b->ed.pk) == 0
		       ? OBOL_OK
		       : OBOL_E_SIGNATURE_INVALID;
}

static obol_err raw_sign(void *a)
{
	struct bench *b = a;
	crypto_sign_detached(b->ed_sig, NULL, b->ed_msg, sizeof(b->ed_msg), b->ed.sk);
	return OBOL_OK;
}

static obol_err ours_range_sign(void *a)
{
	struct bench *b = a;
	b->range.to = b->range.to % CHAIN_N + 1; /* another range each time, inside the chain */
	payword_range_sign(&b->range, b->user.sk);
	return OBOL_OK;
}

static obol_err ours_range_verify(void *a)
{
	struct bench *b = a;
	return payword_range_verify(&b->range, &b->vc);
}

static obol_err raw_sha256(void *a)
{
	struct bench *b = a;
	crypto_hash_sha256(b->h, b->h, sizeof(b->h));
	return OBOL_OK;
}

/* --- vendor: purchases ------------------------------------------------- */

/* The wallet's purchase of order b->order: its token and its signed range
 * (signed ahead, in setup: the wallet's cost is the range figure's). */
static void next_request(struct bench *b)
{
	b->req.order = b->order;
	memcpy(b->req.token, b->chain[CHAIN_N - b->order], 32); /* order o = H^(n - o)(S) with k0 = 1 */
	b->req.range = b->ranges[b->order];
}

static obol_err ours_purchase(void *a)
{
	struct bench *b = a;
	obol_err e = payword_vendor_purchase(&b->vcfg, &b->crl, b->order == 1 ? NULL : &b->st, &b->req, b->now, 7,
					     &b->next, &b->claim);
	if (e)
		return e;
	b->st = b->next;
	b->order = b->order == CHAIN_N ? 1 : b->order + 1; /* a new visit from the root after the last token */
	next_request(b);
	return OBOL_OK;
}

static obol_err setup_vendor(struct bench *b)
{
	struct payword_pw_params pw = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
	struct payword_buy_params p = { .serial = 1, .buy_tokens = CHAIN_N, .now = obol_now(), .validity = 86400 };
	struct payword_account_view acc = { .user_kind = true, .active = true };
	struct payword_buy_effect r;
	int64_t moved[1];
	uint8_t seed[32];
	obol_err e;
	obol_sign_keypair_new(&b->agent);
	obol_ed25519_signer_local(&b->agent_sg, &b->agent);
	obol_sign_keypair_new(&b->user);
	memcpy(acc.auth_pk, b->user.pk, OBOL_SIGN_PK_LEN);
	if ((e = obol_amount_parse("EUR:0.01", &p.token_value)) != OBOL_OK ||
	    (e = payword_agent_user_new(&acc, "bench", "bench password", &pw, &b->u)) != OBOL_OK)
		return e;
	r.moved = moved;
	if ((e = payword_agent_buy(&b->u, NULL, 0, &p, &b->agent_sg, &r)) != OBOL_OK)
		return e;
	b->vc = r.vc;
	b->chain = malloc((CHAIN_N + 1) * sizeof(*b->chain));
	if (b->chain == NULL)
		return OBOL_E_NO_MEMORY;
	payword_agent_chain_seed(&b->u, 1, seed);
	memcpy(b->chain[0], seed, 32);
	for (size_t i = 1; i <= CHAIN_N; i++)
		obol_sha256(b->chain[i], b->chain[i - 1], 32);
	OBOL_WIPE(seed);
	b->vcfg.vendor_id = 10;
	b->vcfg.mode = PAYWORD_MODE_GENERIC;
	b->vcfg.crl_max_age = PAYWORD_CRL_MAX_AGE_DEFAULT;
	memcpy(b->vcfg.agent_pk, b->agent.pk, 32);
	b->now = obol_now();
	/* An empty, fresh CRL (a one-element buffer the list does not use). */
	if ((b->crl.serials = malloc(sizeof(uint64_t))) == NULL ||
	    (e = payword_agent_crl(b->crl.serials, 0, 1, b->now, &b->agent_sg, &b->crl)) != OBOL_OK)
		return b->crl.serials == NULL ? OBOL_E_NO_MEMORY : e;
	if ((b->ranges = calloc(CHAIN_N + 1, sizeof(*b->ranges))) == NULL)
		return OBOL_E_NO_MEMORY;
	for (uint64_t o = 1; o <= CHAIN_N; o++) {
		b->ranges[o] = (struct payword_range){ .serial = 1, .vendor = 10, .from = o, .to = o };
		payword_range_sign(&b->ranges[o], b->user.sk);
	}
	b->range = (struct payword_range){ .serial = 1, .vendor = 10, .from = 1, .to = 1 };
	memset(&b->req, 0, sizeof(b->req));
	b->req.vc = b->vc;
	b->req.serial = 1;
	memcpy(b->req.username, "bench", 6);
	memcpy(b->req.product, "article-1", 10);
	b->req.value = p.token_value;
	b->order = 1;
	next_request(b);
	return OBOL_OK;
}

/* --- agent: reports ---------------------------------------------------- */

/* The stateless checks of a report, against the claim below it. */
static obol_err ours_report_verify(void *a)
{
	struct bench *b = a;
	struct payword_agent_claim near;
	const struct payword_claim *c = &b->claims[b->verified++ % b->nclaims];
	memset(&near, 0, sizeof(near));
	if (c->range.from == 1)
		return payword_agent_claim_verify(&b->vcs[c->range.serial - 1], NULL, c);
	near.to = c->range.from - 1;
	memcpy(near.token, b->tokens[(c->range.serial - 1) * PER_SERIAL + (near.to - 1)], 32);
	return payword_agent_claim_verify(&b->vcs[c->range.serial - 1], &near, c);
}

static obol_err ours_report(void *a)
{
	struct bench *b = a;
	json_t *reply = NULL;
	obol_err e;
	if (b->sent == b->nclaims)
		return OBOL_E_INVALID_ARGUMENT; /* out of prepared reports: raise SERIALS */
	if (b->in_group == 0 && (e = obol_store_begin(b->s)) != OBOL_OK)
		return e;
	if ((e = obol_store_savepoint(b->s, "r")) != OBOL_OK ||
	    (e = payword_report_ingest(b->s, &b->claims[b->sent++], 0, b->now, &reply)) != OBOL_OK ||
	    (e = obol_store_release(b->s, "r")) != OBOL_OK) {
		json_decref(reply);
		obol_store_rollback(b->s);
		return e;
	}
	if (!json_is_true(json_object_get(reply, "accepted")))
		e = OBOL_E_INTERNAL;
	json_decref(reply);
	if (e == OBOL_OK && ++b->in_group == GROUP) {
		b->in_group = 0;
		e = obol_store_commit(b->s);
	}
	return e;
}

static obol_err setup_agent_tx(struct obol_store *s, struct bench *b, int64_t vendor)
{
	struct payword_settings set = { .grace = 0, .validity = 86400 };
	struct payword_agent_vendor pv = { .registered = true, .mode = PAYWORD_MODE_GENERIC };
	struct payword_db_user pu = { .u = b->u };
	uint8_t seed[32], tok[32];
	int64_t user, liab;
	obol_err e;
	if ((e = obol_amount_parse("EUR:0.01", &set.token_value)) != OBOL_OK ||
	    (e = payword_db_settings_put(s, &set)) != OBOL_OK || (e = payword_db_vendor_put(s, vendor, &pv, b->now)) != OBOL_OK ||
	    (e = obol_account_create(s, OBOL_ACCOUNT_USER, "bench-user", b->user.pk, &user)) != OBOL_OK)
		return e;
	pu.account = user;
	if ((e = payword_db_user_insert(s, &pu)) != OBOL_OK)
		return e;
	for (uint64_t serial = 1; serial <= SERIALS; serial++) {
		struct payword_db_cert c;
		memset(&c, 0, sizeof(c));
		c.user = user;
		c.c.vc = b->vc;
		c.c.vc.serial = serial;
		c.c.vc.n = PER_SERIAL;
		c.c.status = PAYWORD_CERT_LIVE;
		payword_agent_chain_seed(&b->u, serial, seed);
		obol_hashchain_step(c.c.vc.root, seed, PER_SERIAL);
		if ((e = payword_vcert_sign(&c.c.vc, &b->agent_sg)) != OBOL_OK || (e = payword_db_cert_insert(s, &c)) != OBOL_OK)
			return e;
		b->vcs[serial - 1] = c.c.vc;
		for (uint64_t o = 1; o <= PER_SERIAL; o++) {
			struct payword_claim *cl = &b->claims[(serial - 1) * PER_SERIAL + (o - 1)];
			obol_hashchain_step(tok, seed, PER_SERIAL - o);
			memcpy(b->tokens[(serial - 1) * PER_SERIAL + (o - 1)], tok, 32);
			memset(cl, 0, sizeof(*cl));
			cl->vendor = (uint64_t)vendor;
			cl->range = (struct payword_range){ .serial = serial, .vendor = (uint64_t)vendor, .from = o, .to = o };
			payword_range_sign(&cl->range, b->user.sk);
			memcpy(cl->token, tok, 32);
			cl->value = set.token_value;
			cl->auth = (int64_t)o;
			memcpy(cl->product, "article-1", 10);
		}
	}
	OBOL_WIPE(seed);
	/* The chains were bought: their value sits in the liability account. */
	struct obol_amount v;
	OBOL_WIPE(pu);
	if ((e = obol_amount_mul(&v, &set.token_value, (uint64_t)SERIALS * PER_SERIAL)) != OBOL_OK ||
	    (e = obol_account_liability(s, "payword", &liab)) != OBOL_OK ||
	    (e = obol_ledger_fund(s, user, &v, "bench")) != OBOL_OK ||
	    (e = obol_ledger_transfer(s, user, liab, &v, "payword-buy", "bench", NULL)) != OBOL_OK)
		return e;
	return OBOL_OK;
}

static obol_err setup_agent(struct bench *b)
{
	char url[128];
	int64_t vendor;
	uint8_t vpk[32];
	obol_err e;
	snprintf(b->dir, sizeof(b->dir), "/tmp/obol-bench-payword-XXXXXX");
	if (mkdtemp(b->dir) == NULL)
		return OBOL_E_IO;
	snprintf(url, sizeof(url), "sqlite:%s/agent.db", b->dir);
	b->nclaims = (size_t)SERIALS * PER_SERIAL;
	if ((b->claims = calloc(b->nclaims, sizeof(*b->claims))) == NULL ||
	    (b->vcs = calloc(SERIALS, sizeof(*b->vcs))) == NULL ||
	    (b->tokens = calloc(b->nclaims, sizeof(*b->tokens))) == NULL)
		return OBOL_E_NO_MEMORY;
	obol_random(vpk, sizeof(vpk));
	if ((e = obol_store_open(url, true, &b->s)) != OBOL_OK || (e = obol_ledger_init(b->s, "EUR")) != OBOL_OK ||
	    (e = payword_db_migrate(b->s)) != OBOL_OK || (e = obol_store_begin(b->s)) != OBOL_OK)
		return e;
	if ((e = obol_account_create(b->s, OBOL_ACCOUNT_VENDOR, "bench-shop", vpk, &vendor)) != OBOL_OK ||
	    (e = setup_agent_tx(b->s, b, vendor)) != OBOL_OK) {
		obol_store_rollback(b->s);
		return e;
	}
	/* Reports go round the serials, as many users' reports arrive. */
	struct payword_claim *order = malloc(b->nclaims * sizeof(*order));
	if (order == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < b->nclaims; i++)
		order[i] = b->claims[(i % SERIALS) * PER_SERIAL + i / SERIALS];
	free(b->claims);
	b->claims = order;
	return obol_store_commit(b->s);
}

static void teardown(struct bench *b)
{
	char path[128];
	if (b->in_group != 0 && obol_store_commit(b->s) != OBOL_OK)
		obol_store_rollback(b->s);
	obol_store_close(b->s);
	if (b->dir[0] != '\0') {
		const char *files[] = { "agent.db", "agent.db-wal", "agent.db-shm" };
		for (size_t i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", b->dir, files[i]);
			unlink(path);
		}
		rmdir(b->dir);
	}
	free(b->claims);
	free(b->vcs);
	free(b->tokens);
	free(b->chain);
	free(b->crl.serials);
	free(b->ranges);
	obol_wipe(&b->u, sizeof(b->u));
	obol_wipe(&b->agent, sizeof(b->agent));
	obol_wipe(&b->user, sizeof(b->user));
	obol_wipe(&b->ed, sizeof(b->ed));
}

static int cmd_bench_payword(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "quick", no_argument, NULL, 'q' },
					      { "json", no_argument, NULL, 'j' },
					      { NULL, 0, NULL, 0 } };
	int json = 0, c, rc = OBOL_EXIT_OK;
	double seconds = OBOL_BENCH_SECONDS;
	struct bench *b = calloc(1, sizeof(*b));
	obol_err e = b != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;

	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		free(b);
		return OBOL_EXIT_OK;
	}
	optind = 1;
	while (e == OBOL_OK && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			seconds = OBOL_BENCH_QUICK_SECONDS;
		else if (c == 'j')
			json = 1;
		else {
			free(b);
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (e == OBOL_OK && optind != argc) {
		free(b);
		return obol_cli_extra_arg(cmd, argv[optind]);
	}
	if (e == OBOL_OK)
		e = obol_crypto_init();
	if (e == OBOL_OK) {
		obol_sign_keypair_new(&b->ed);
		obol_random(b->ed_msg, sizeof(b->ed_msg));
		crypto_sign_detached(b->ed_sig, NULL, b->ed_msg, sizeof(b->ed_msg), b->ed.sk);
		e = setup_vendor(b);
	}
	if (e == OBOL_OK)
		e = setup_agent(b);
	if (e != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "setting up the bench");
		goto out;
	}
	struct obol_bench_fig figs[] = {
		{ "range_sign_vs_ed25519", "wallet: ranges signed", "Ed25519 sign (crypto_sign_detached)", 0, 0 },
		{ "range_verify_vs_ed25519", "vendor, agent: ranges verified", "Ed25519 verify (crypto_sign_verify_detached)",
		  0, 0 },
		{ "purchase_vs_ed25519", "vendor: purchases verified", "Ed25519 verify", 0, 0 },
		{ "purchase_vs_sha256", "vendor: purchases verified", "SHA-256 of 32 B (crypto_hash_sha256)", 0, 0 },
		{ "report_verify_vs_ed25519", "agent: reports checked (stateless)", "Ed25519 verify", 0, 0 },
		{ "report_vs_ed25519", "agent: reports ingested", "Ed25519 verify", 0, 0 },
		{ "report_vs_sha256", "agent: reports ingested", "SHA-256 of 32 B", 0, 0 },
	};
	const obol_bench_op ours[] = { ours_range_sign,   ours_range_verify, ours_purchase, ours_purchase,
				       ours_report_verify, ours_report,       ours_report };
	const obol_bench_op raw[] = { raw_sign, raw_verify, raw_verify, raw_sha256, raw_verify, raw_verify, raw_sha256 };
	for (size_t i = 0; i < OBOL_ARRAY_LEN(figs); i++) {
		e = obol_bench_pair(&figs[i], ours[i], b, raw[i], b, 1, seconds);
		if (e != OBOL_OK) {
			rc = obol_cli_fail(cmd, e, figs[i].label);
			goto out;
		}
	}
	if (json)
		obol_bench_print_json(stdout, figs, OBOL_ARRAY_LEN(figs));
	else
		obol_bench_print_table(stdout, "payword (seed 003)", figs, OBOL_ARRAY_LEN(figs));
out:
	teardown(b);
	free(b);
	return rc;
}

OBOL_COMMAND(bench_payword_cmd, "bench payword", "[--quick] [--json]",
	     "payword: signed ranges, purchases verified/s at a vendor, reports checked and ingested/s at the agent, "
	     "as ratios to Ed25519 and SHA-256",
	     "  --quick   0.2 s per figure instead of 1 s\n"
	     "  --json    one JSON object: <key>_per_s, <key>_raw_per_s, <key>_ratio",
	     cmd_bench_payword)
