/* obol bench payword: the two rates that bound the scheme (seed 003 §4
 * "low transaction cost", "latency"), each next to the raw primitives they
 * are made of, measured in the same run (bench.h):
 *
 *   purchase   payword_vendor_purchase: a purchase of one token inside an
 *              open visit, checked as the vendor checks it (serial and name,
 *              the certificate against the one whose agent signature it
 *              verified, scope, value, the hash distance to the last token
 *              held), state carried from one purchase to the next, through a
 *              chain of 4096 tokens (the first purchase of the chain verifies
 *              the Ed25519 signature and the visit commitment); no storage
 *   report     payword_report_ingest: one vendor report line applied by the
 *              agent (certificate, visits and claims of its serial loaded,
 *              the checks of payword_agent_claim_check, the claim stored,
 *              the vendor paid in the ledger), 64 reports per durable
 *              SQLite commit as the issuer's group commit does
 *
 * each against crypto_sign_verify_detached (Ed25519 verify) and against
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
	struct payword_user u;
	struct payword_vendor_cfg vcfg;
	struct payword_vcert vc;
	uint8_t (*chain)[32]; /* chain[i] = H^i(S) */
	struct payword_pay req;
	struct payword_vendor_serial st, next;
	struct payword_claim claim;
	uint64_t order;
	int64_t now;
	/* agent */
	struct obol_store *s;
	struct payword_claim *claims; /* SERIALS x PER_SERIAL, in sending order */
	size_t nclaims, sent, in_group;
	char dir[64];
};

static obol_err raw_verify(void *a)
{
	struct bench *b = a;
	return crypto_sign_verify_detached(b->ed_sig, b->ed_msg, sizeof(b->ed_msg), b->ed.pk) == 0
		       ? OBOL_OK
		       : OBOL_E_SIGNATURE_INVALID;
}

static obol_err raw_sha256(void *a)
{
	struct bench *b = a;
	crypto_hash_sha256(b->h, b->h, sizeof(b->h));
	return OBOL_OK;
}

/* --- vendor: purchases ------------------------------------------------- */

static void next_request(struct bench *b)
{
	b->req.order = b->order;
	memcpy(b->req.token, b->chain[CHAIN_N - b->order], 32); /* order o = H^(n - o)(S) with k0 = 1 */
	b->req.has_commit = b->order == 1;
}

static obol_err ours_purchase(void *a)
{
	struct bench *b = a;
	obol_err e = payword_vendor_purchase(&b->vcfg, NULL, b->order == 1 ? NULL : &b->st, &b->req, b->now, 7,
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
	struct payword_buy_result r;
	int64_t moved[1];
	uint8_t seed[32];
	obol_err e;
	obol_sign_keypair_new(&b->agent);
	obol_sign_keypair_new(&b->user);
	if ((e = obol_amount_parse("EUR:0.01", &p.token_value)) != OBOL_OK ||
	    (e = payword_agent_user_new("bench", "bench password", b->user.pk, &pw, &b->u)) != OBOL_OK)
		return e;
	r.moved = moved;
	if ((e = payword_agent_buy(&b->u, NULL, 0, &p, b->agent.sk, &r)) != OBOL_OK)
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
	memcpy(b->vcfg.agent_pk, b->agent.pk, 32);
	b->now = obol_now();
	memset(&b->req, 0, sizeof(b->req));
	b->req.vc = b->vc;
	b->req.serial = 1;
	memcpy(b->req.username, "bench", 6);
	memcpy(b->req.product, "article-1", 10);
	b->req.value = p.token_value;
	b->req.commit = (struct payword_commit){ .serial = 1, .vendor = 10, .start = 1, .time = b->now };
	payword_commit_sign(&b->req.commit, b->user.sk);
	b->order = 1;
	next_request(b);
	return OBOL_OK;
}

/* --- agent: reports ---------------------------------------------------- */

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
	    (e = payword_report_ingest(b->s, &b->claims[b->sent++], b->now, &reply)) != OBOL_OK ||
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
	uint8_t seed[32], tok[32];
	obol_err e;
	if ((e = obol_amount_parse("EUR:0.01", &set.token_value)) != OBOL_OK ||
	    (e = payword_db_settings_put(s, &set)) != OBOL_OK ||
	    (e = payword_db_vendor_put(s, vendor, PAYWORD_MODE_GENERIC, b->now)) != OBOL_OK)
		return e;
	for (uint64_t serial = 1; serial <= SERIALS; serial++) {
		struct payword_db_cert c;
		memset(&c, 0, sizeof(c));
		c.user = vendor; /* the account owning the chain plays no part in a report */
		c.c.vc = b->vc;
		c.c.vc.serial = serial;
		c.c.vc.n = PER_SERIAL;
		c.c.status = PAYWORD_CERT_LIVE;
		payword_agent_chain_seed(&b->u, serial, seed);
		obol_hashchain_step(c.c.vc.root, seed, PER_SERIAL);
		if ((e = payword_vcert_sign(&c.c.vc, b->agent.sk)) != OBOL_OK || (e = payword_db_cert_insert(s, &c)) != OBOL_OK)
			return e;
		struct payword_commit commit = { .serial = serial, .vendor = (uint64_t)vendor, .start = 1, .time = b->now };
		payword_commit_sign(&commit, b->user.sk);
		for (uint64_t o = 1; o <= PER_SERIAL; o++) {
			struct payword_claim *cl = &b->claims[(serial - 1) * PER_SERIAL + (o - 1)];
			obol_hashchain_step(tok, seed, PER_SERIAL - o);
			memset(cl, 0, sizeof(*cl));
			cl->vendor = (uint64_t)vendor;
			cl->commit = commit;
			cl->order = o;
			memcpy(cl->token, tok, 32);
			cl->value = set.token_value;
			cl->auth = (int64_t)o;
			memcpy(cl->product, "article-1", 10);
		}
	}
	OBOL_WIPE(seed);
	/* The chains were bought: their value sits in the liability account. */
	struct obol_amount v;
	int64_t user, liab;
	uint8_t upk[32];
	obol_random(upk, sizeof(upk));
	if ((e = obol_amount_mul(&v, &set.token_value, (uint64_t)SERIALS * PER_SERIAL)) != OBOL_OK ||
	    (e = obol_account_create(s, OBOL_ACCOUNT_USER, "bench-user", upk, &user)) != OBOL_OK ||
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
	if ((b->claims = calloc(b->nclaims, sizeof(*b->claims))) == NULL)
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
	free(b->chain);
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
		{ "purchase_vs_ed25519", "vendor: purchases verified", "Ed25519 verify (crypto_sign_verify_detached)", 0, 0 },
		{ "purchase_vs_sha256", "vendor: purchases verified", "SHA-256 of 32 B (crypto_hash_sha256)", 0, 0 },
		{ "report_vs_ed25519", "agent: reports ingested", "Ed25519 verify", 0, 0 },
		{ "report_vs_sha256", "agent: reports ingested", "SHA-256 of 32 B", 0, 0 },
	};
	const obol_bench_op ours[] = { ours_purchase, ours_purchase, ours_report, ours_report };
	const obol_bench_op raw[] = { raw_verify, raw_sha256, raw_verify, raw_sha256 };
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
	     "payword: purchases verified/s at a vendor, reports ingested/s at the agent, as ratios to Ed25519 verify "
	     "and SHA-256",
	     "  --quick   0.2 s per figure instead of 1 s\n"
	     "  --json    one JSON object: <key>_per_s, <key>_raw_per_s, <key>_ratio",
	     cmd_bench_payword)
