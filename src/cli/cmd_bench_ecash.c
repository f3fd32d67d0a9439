/* obol bench ecash: offline payments verified per second at a merchant
 * (seed 002 §3.3.2: σ0, σ1, σ2, σ3; rings §4.3.2 of 8, 16 and 64 keys) and
 * deposits per second at the bank (§3.3.3: the signature checks plus the
 * spent registry and the ledger, each deposit request a durable SQLite
 * transaction), next to the raw limit measured in the same run: RSA-2048
 * PSS-SHA512 verifications per second on one thread. Every figure is one
 * thread, so the ratios read as "how many raw verifications one operation
 * costs". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/bench_keys.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/ecash_issuer.h"
#include "schemes/ecash/customer.h"
#include "store/ledger.h"

#define BENCH_NOW INT64_C(1800000000)
#define DEPOSIT_BATCH 16

struct world {
	EVP_PKEY *keys[BENCH_KEYS_MAX]; /* [0] bank, [1] merchant, [2] payer, [3..] ring members */
	size_t nkeys;
	struct ecash_bank bank;
	struct ecash_cert certs[BENCH_KEYS_MAX];
	struct ecash_customer payer, merchant_c;
	struct ecash_directory dir; /* the payer's block: registrations 0..63, the payer first */
};

/* The payer's coins and their owner secrets. */
struct purse {
	struct ecash_coin *coins;
	uint8_t (*sks)[ECASH_OWNER_SK_LEN];
	size_t n;
};

static double since(uint64_t t0)
{
	return (double)(obol_mono_ns() - t0) / 1e9;
}

static obol_err setup(struct world *w, size_t nkeys)
{
	memset(w, 0, sizeof(*w));
	obol_err e = bench_rsa_keys(w->keys, nkeys);
	if (e != OBOL_OK)
		return e;
	w->nkeys = nkeys;
	if ((e = ecash_bank_init(&w->bank, w->keys[0], "EUR")) != OBOL_OK)
		return e;
	/* Every party registers (§3.2): nonce, signed nonce, certificate. */
	for (size_t i = 1; i < nkeys && e == OBOL_OK; i++) {
		uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX], *der = NULL;
		size_t sig_len, der_len;
		obol_random(nonce, sizeof(nonce));
		if ((e = obol_rsa_public_to_der(w->keys[i], &der, &der_len)) == OBOL_OK &&
		    (e = ecash_customer_register_answer(w->keys[i], nonce, sig, &sig_len)) == OBOL_OK) {
			struct ecash_register_in in = { .nonce = nonce, .key = der, .key_len = der_len, .sig = sig,
							.sig_len = sig_len, .account = 100 + (int64_t)i,
							.now = BENCH_NOW - 3600 };
			e = ecash_bank_register(&w->bank, &in, &w->certs[i]);
		}
		OPENSSL_free(der);
	}
	if (e == OBOL_OK)
		e = ecash_customer_init(&w->merchant_c, w->keys[1], &w->bank.keys, &w->certs[1], 101, BENCH_NOW);
	if (e == OBOL_OK)
		e = ecash_customer_init(&w->payer, w->keys[2], &w->bank.keys, &w->certs[2], 102, BENCH_NOW);
	if (e != OBOL_OK)
		return e;
	w->dir.e = calloc(ECASH_DIRECTORY_SPAN, sizeof(*w->dir.e));
	if (w->dir.e == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 2; i < nkeys && w->dir.n < ECASH_DIRECTORY_SPAN; i++) {
		w->dir.e[w->dir.n].seq = w->dir.n;
		w->dir.e[w->dir.n++].cert = w->certs[i];
	}
	w->dir.span = ECASH_DIRECTORY_SPAN;
	w->dir.issued = BENCH_NOW;
	return ecash_bank_sign_directory(&w->bank, &w->dir);
}

static void teardown(struct world *w)
{
	ecash_directory_clear(&w->dir);
	for (size_t i = 0; i < w->nkeys; i++)
		EVP_PKEY_free(w->keys[i]);
}

/* Bank-issued coins of EUR:1 for the payer (§3.3.1), each to an owner key
 * of its own. */
static obol_err issue(struct world *w, struct purse *pu, size_t n)
{
	struct ecash_coin_order o[ECASH_COINS_MAX];
	struct obol_amount total;
	obol_err e = OBOL_OK;
	pu->coins = calloc(n, sizeof(*pu->coins));
	pu->sks = calloc(n, ECASH_OWNER_SK_LEN);
	pu->n = n;
	if (pu->coins == NULL || pu->sks == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t done = 0; done < n && e == OBOL_OK;) {
		size_t k = n - done < ECASH_COINS_MAX ? n - done : ECASH_COINS_MAX;
		uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
		size_t sig_len;
		for (size_t i = 0; i < k && e == OBOL_OK; i++) {
			e = obol_amount_parse("EUR:1", &o[i].value);
			ecash_owner_keypair(o[i].owner, pu->sks[done + i]);
		}
		obol_random(nonce, sizeof(nonce));
		if (e == OBOL_OK)
			e = ecash_customer_topup_answer(&w->payer, nonce, o, k, sig, &sig_len);
		struct ecash_topup_in in = { .cert = &w->payer.cert, .nonce = nonce, .orders = o, .n = k, .sig = sig,
					     .sig_len = sig_len, .now = BENCH_NOW - 60 };
		if (e == OBOL_OK)
			e = ecash_bank_topup(&w->bank, &in, pu->coins + done, &total);
		done += k;
	}
	return e;
}

static void purse_free(struct purse *pu)
{
	if (pu->sks != NULL)
		obol_wipe(pu->sks, pu->n * ECASH_OWNER_SK_LEN);
	free(pu->sks);
	free(pu->coins);
	memset(pu, 0, sizeof(*pu));
}

/* The raw limit: RSA-2048 PSS-SHA512 verifications of one signature. */
struct raw {
	EVP_PKEY *k;
	uint8_t msg[96], sig[ECASH_SIG_MAX];
	size_t sig_len;
	uint64_t n, ns; /* verifications done and the time they took */
};

static obol_err raw_init(struct raw *r)
{
	EVP_PKEY *k[1];
	memset(r, 0, sizeof(*r));
	obol_err e = bench_rsa_keys(k, 1);
	if (e != OBOL_OK)
		return e;
	r->k = k[0];
	obol_random(r->msg, sizeof(r->msg));
	return obol_rsapss_sign(r->k, r->msg, sizeof(r->msg), r->sig, sizeof(r->sig), &r->sig_len);
}

/* Verifies for `seconds`, adding to the totals. */
static obol_err raw_slice(struct raw *r, double seconds)
{
	obol_err e = OBOL_OK;
	uint64_t t0 = obol_mono_ns();
	while (e == OBOL_OK && since(t0) < seconds) {
		e = obol_rsapss_verify(r->k, r->msg, sizeof(r->msg), r->sig, r->sig_len);
		r->n++;
	}
	r->ns += obol_mono_ns() - t0;
	return e;
}

static double raw_rate(const struct raw *r)
{
	return r->ns ? (double)r->n / ((double)r->ns / 1e9) : 0;
}

/* A figure and the raw limit measured alongside it (obol_bench_pair's
 * alternating slices, or raw slices around a one-off run). */
struct figure {
	double rate, raw;
};

static obol_err raw_once(void *arg)
{
	struct raw *r = arg;
	return obol_rsapss_verify(r->k, r->msg, sizeof(r->msg), r->sig, r->sig_len);
}

struct verify_op {
	const struct ecash_merchant *m;
	const struct ecash_payment *p;
	bool cold; /* as for a payer whose keys the merchant has never seen */
};

/* Both messages' checks: PAY's (everything but the new claim's
 * signatures) and SIGN's. */
static obol_err verify_once(void *arg)
{
	struct verify_op *v = arg;
	if (v->cold)
		ecash_caches_clear();
	obol_err e = ecash_merchant_verify(v->m, v->p, BENCH_NOW);
	return e == OBOL_OK ? ecash_merchant_verify_sigs(v->m, v->p) : e;
}

/* Offline verification at the merchant of a one-coin payment, plain (ring
 * 0) or ring-signed: all of steps 4-7 and the registry checks (§3.5.1). */
static obol_err merchant_rate(struct world *w, struct raw *raw0, const struct purse *pu, size_t ring, bool cold,
			      double seconds, struct figure *f)
{
	struct ecash_merchant m;
	struct ecash_offer offer;
	struct ecash_payment p = { 0 };
	struct ecash_held_coin h = { .coin = pu->coins[0] };
	struct ecash_cert *members = NULL;
	struct obol_amount price;
	size_t idx = 0, signer = 0, nring = 0;
	obol_err e = obol_amount_parse("EUR:1", &price);
	ecash_merchant_init(&m, &w->bank.keys, w->keys[1], &w->certs[1]);
	if (e == OBOL_OK)
		e = ecash_merchant_offer(&m, &price, BENCH_NOW, &offer);
	if (e == OBOL_OK && ring > 0) {
		struct ecash_ring_in in = { .dir = &w->dir, .size = ring, .now = BENCH_NOW };
		if ((members = calloc(ring, sizeof(*members))) == NULL)
			e = OBOL_E_NO_MEMORY;
		else
			e = ecash_ring_pick(&w->payer, &in, members, &nring, &signer);
	}
	struct ecash_pay_in in = { .offer = &offer, .held = &h, .idx = &idx, .nidx = 1,
				   .owner_sks = (const uint8_t(*)[ECASH_OWNER_SK_LEN])pu->sks,
				   .ring = ring ? members : NULL, .nring = nring, .signer = signer, .now = BENCH_NOW };
	if (e == OBOL_OK)
		e = ecash_customer_pay(&w->payer, &in, &p);
	struct verify_op op = { &m, &p, cold };
	struct obol_bench_fig fig = { 0 };
	if (e == OBOL_OK)
		e = obol_bench_pair(&fig, verify_once, &op, raw_once, raw0, 1, seconds);
	f->rate = fig.per_s;
	f->raw = fig.raw_per_s;
	ecash_payment_clear(&p);
	free(members);
	ecash_merchant_free(&m);
	return e;
}

/* ---- deposits at the bank, through its tables on a scratch SQLite file ---- */

struct deposit_bench {
	struct world *w;
	struct ecash_issuer_state st;
	struct purse pu;
	size_t ncoins;
	int64_t payer_acc, merchant_acc;
	struct ecash_deposit_req req;
	struct ecash_coins_job job;
};

static obol_err deposit_setup_tx(struct obol_store *s, struct deposit_bench *d)
{
	struct obol_amount fund, total;
	json_t *j = NULL;
	char ref[32];
	obol_err e = obol_amount_from_units("EUR", (int64_t)d->ncoins * OBOL_AMOUNT_FRAC_BASE, &fund);
	if (e == OBOL_OK)
		e = obol_account_create(s, OBOL_ACCOUNT_USER, "bench-payer", NULL, &d->payer_acc);
	if (e == OBOL_OK)
		e = obol_account_create(s, OBOL_ACCOUNT_VENDOR, "bench-merchant", NULL, &d->merchant_acc);
	if (e == OBOL_OK)
		e = obol_ledger_fund(s, d->payer_acc, &fund, "bench");
	/* The merchant's certificate, re-issued for its bench account. */
	d->w->certs[1].account = d->merchant_acc;
	struct ecash_bytes cb;
	if (e == OBOL_OK && (e = ecash_cert_bytes(&d->w->certs[1], &cb)) == OBOL_OK) {
		e = ecash_sign_bytes(d->w->keys[0], &cb, d->w->certs[1].sig, &d->w->certs[1].sig_len);
		ecash_bytes_free(&cb);
	}
	if (e == OBOL_OK)
		e = ecash_issuer_cert_insert(s, &d->w->certs[1], &j);
	json_decref(j);
	snprintf(ref, sizeof(ref), "bench-topup");
	if (e == OBOL_OK)
		e = obol_amount_from_units("EUR", (int64_t)d->ncoins * OBOL_AMOUNT_FRAC_BASE, &total);
	if (e == OBOL_OK)
		e = ecash_issuer_issue_record(s, d->payer_acc, d->w->payer.id, d->pu.coins, d->ncoins, &total, ref);
	return e;
}

static obol_err deposit_unit(struct obol_store *s, void *arg)
{
	struct deposit_bench *d = arg;
	json_t *reply = NULL;
	obol_err e = ecash_issuer_cert_registered(s, &d->req.cert);
	if (e == OBOL_OK)
		e = ecash_issuer_coins_record(s, &d->st.bank, &d->job, BENCH_NOW, &reply);
	/* Every coin of the bench is honest: anything but a credit is a failure. */
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(reply, "results"), i, r) {
		if (e == OBOL_OK && json_integer_value(json_object_get(r, "code")) != 0)
			e = (obol_err)json_integer_value(json_object_get(r, "code"));
	}
	json_decref(reply);
	return e;
}

static obol_err transact(struct obol_store *s, obol_err (*fn)(struct obol_store *, void *), void *arg)
{
	obol_err e = obol_store_begin(s);
	if (e != OBOL_OK)
		return e;
	e = fn(s, arg);
	if (e == OBOL_OK)
		return obol_store_commit(s);
	obol_store_rollback(s);
	return e;
}

static obol_err setup_unit(struct obol_store *s, void *arg)
{
	return deposit_setup_tx(s, arg);
}

/* Deposits of DEPOSIT_BATCH coins each: the bank's §5.5 authentication and
 * each coin's chain check, then the registry and the ledger in one durable
 * transaction. *coin_rate is coins credited per second. */
static obol_err deposit_rate(struct world *w, struct raw *raw0, size_t ncoins, struct figure *dep, struct figure *chk)
{
	struct raw raw = *raw0;
	struct deposit_bench d = { .w = w, .ncoins = ncoins };
	struct obol_store *s = NULL;
	char dir[] = "/tmp/obol-bench-ecash-XXXXXX", url[128];
	struct ecash_payment p = { 0 };
	struct ecash_offer offer = { 0 };
	size_t *idx = NULL;
	struct ecash_held_coin *held = NULL;
	obol_err e = OBOL_OK;

	if (mkdtemp(dir) == NULL)
		return OBOL_E_IO;
	snprintf(url, sizeof(url), "sqlite:%s/bank.db", dir);
	held = calloc(ncoins, sizeof(*held));
	idx = calloc(ncoins, sizeof(*idx));
	if (held == NULL || idx == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = ecash_bank_init(&d.st.bank, w->keys[0], "EUR");
	if (e == OBOL_OK)
		e = issue(w, &d.pu, ncoins);
	if (e == OBOL_OK && (e = obol_store_open(url, true, &s)) == OBOL_OK && (e = obol_ledger_init(s, "EUR")) == OBOL_OK)
		e = ecash_issuer_migrate(s);
	if (e == OBOL_OK)
		e = transact(s, setup_unit, &d);
	/* The payer spends every coin at the merchant, offline, beforehand. */
	memcpy(offer.merchant, w->merchant_c.id, ECASH_ID_LEN);
	obol_random(offer.nonce, sizeof(offer.nonce));
	w->merchant_c.cert = w->certs[1];
	for (size_t i = 0; e == OBOL_OK && i < ncoins; i++) {
		held[i].coin = d.pu.coins[i];
		idx[i] = i;
	}
	struct ecash_payment *pays = calloc((ncoins + DEPOSIT_BATCH - 1) / DEPOSIT_BATCH, sizeof(*pays));
	size_t npays = 0;
	if (pays == NULL)
		e = OBOL_E_NO_MEMORY;
	for (size_t i = 0; e == OBOL_OK && i < ncoins; i += DEPOSIT_BATCH) {
		size_t k = ncoins - i < DEPOSIT_BATCH ? ncoins - i : DEPOSIT_BATCH;
		struct ecash_pay_in in = { .offer = &offer, .held = held, .idx = idx + i, .nidx = k,
					   .owner_sks = (const uint8_t(*)[ECASH_OWNER_SK_LEN])(d.pu.sks + i), .now = BENCH_NOW };
		e = ecash_customer_pay(&w->payer, &in, &pays[npays]);
		if (e == OBOL_OK)
			npays++;
	}
	/* Timed: deposits as the bank runs them, between two raw slices. */
	raw.n = raw.ns = 0;
	if (e == OBOL_OK)
		e = raw_slice(&raw, 0.25);
	uint64_t t0 = obol_mono_ns(), tv = 0;
	size_t credited = 0;
	for (size_t i = 0; e == OBOL_OK && i < npays; i++) {
		struct ecash_deposit_req *r = &d.req;
		memset(r, 0, sizeof(*r));
		obol_random(r->nonce, sizeof(r->nonce));
		r->cert = w->certs[1];
		r->coins = pays[i].coins;
		r->ncoins = pays[i].ncoins;
		e = ecash_customer_coins_answer(&w->merchant_c, ECASH_ENTRY_DEPOSIT, r->nonce, r->coins, r->ncoins, NULL,
						r->sig, &r->sig_len);
		uint64_t v0 = obol_mono_ns();
		struct ecash_coins_in in = { .kind = ECASH_ENTRY_DEPOSIT, .holder = &r->cert, .nonce = r->nonce,
					     .coins = r->coins, .n = r->ncoins, .sig = r->sig, .sig_len = r->sig_len,
					     .now = BENCH_NOW };
		if (e == OBOL_OK)
			e = ecash_bank_coins_auth(&d.st.bank, &in);
		d.job = (struct ecash_coins_job){ .kind = ECASH_ENTRY_DEPOSIT, .m = r, .account = d.merchant_acc };
		for (size_t j = 0; e == OBOL_OK && j < r->ncoins; j++)
			d.job.verified[j] = ecash_bank_coin_verify(&d.st.bank, ECASH_ENTRY_DEPOSIT, &r->coins[j], NULL,
								   BENCH_NOW);
		tv += obol_mono_ns() - v0;
		if (e == OBOL_OK)
			e = transact(s, deposit_unit, &d);
		if (e == OBOL_OK)
			credited += r->ncoins;
	}
	double secs = since(t0);
	if (e == OBOL_OK)
		e = raw_slice(&raw, 0.25);
	dep->rate = secs > 0 ? (double)credited / secs : 0;
	chk->rate = tv > 0 ? (double)credited / ((double)tv / 1e9) : 0;
	dep->raw = chk->raw = raw_rate(&raw);
	for (size_t i = 0; pays != NULL && i < npays; i++)
		ecash_payment_clear(&pays[i]);
	free(pays);
	ecash_payment_clear(&p);
	obol_store_close(s);
	purse_free(&d.pu);
	free(held);
	free(idx);
	char path[200];
	snprintf(path, sizeof(path), "%s/bank.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bank.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bank.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return e;
}

static void row(const char *what, const struct figure *f, const char *note)
{
	printf("  %-38s %10.1f /s  %8.4f x raw %-9.1f %s\n", what, f->rate, f->raw > 0 ? f->rate / f->raw : 0, f->raw,
	       note);
}

static void json_figure(const char *key, const struct figure *f)
{
	printf(",\"%s_per_s\":%.1f,\"%s_raw_per_s\":%.1f,\"%s_to_raw\":%.4f", key, f->rate, key, f->raw, key,
	       f->raw > 0 ? f->rate / f->raw : 0);
}

static int cmd_bench_ecash(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const size_t rings[] = { 8, 16, 64 };
	struct figure plain = { 0 }, cold = { 0 }, ring[3] = { { 0 } }, dep = { 0 }, chk = { 0 };
	struct raw raw = { 0 };
	double seconds = 2.0;
	size_t ncoins = 512;
	bool json = false;
	struct world w;
	struct purse pu = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q') {
			seconds = 0.5;
			ncoins = 128;
		} else if (c == 'j') {
			json = true;
		} else {
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	obol_err e = obol_crypto_init();
	uint64_t t0 = obol_mono_ns();
	if (e == OBOL_OK)
		e = setup(&w, 3 + 64);
	double setup_s = since(t0);
	if (e == OBOL_OK)
		e = issue(&w, &pu, 1);
	if (e == OBOL_OK)
		e = raw_init(&raw);
	if (e == OBOL_OK)
		e = merchant_rate(&w, &raw, &pu, 0, true, seconds, &cold);
	if (e == OBOL_OK)
		e = merchant_rate(&w, &raw, &pu, 0, false, seconds, &plain);
	for (size_t i = 0; e == OBOL_OK && i < 3; i++)
		e = merchant_rate(&w, &raw, &pu, rings[i], false, seconds, &ring[i]);
	purse_free(&pu);
	if (e == OBOL_OK)
		e = deposit_rate(&w, &raw, ncoins, &dep, &chk);
	EVP_PKEY_free(raw.k);
	teardown(&w);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "bench run");
	if (json) {
		printf("{\"bench\":\"ecash\",\"seconds_per_figure\":%.1f,\"key_bits\":2048,\"threads\":1", seconds);
		json_figure("plain_cold_payments", &cold);
		json_figure("plain_payments", &plain);
		for (size_t i = 0; i < 3; i++) {
			char key[32];
			snprintf(key, sizeof(key), "ring%zu_payments", rings[i]);
			json_figure(key, &ring[i]);
		}
		json_figure("deposit_coins", &dep);
		json_figure("deposit_checks", &chk);
		printf(",\"deposit_batch\":%d,\"deposit_coins\":%zu}\n", DEPOSIT_BATCH, ncoins);
	} else {
		printf("ecash bench, RSA-2048 PSS-SHA512, one thread, %.1f s per figure (setup %.1f s)\n", seconds, setup_s);
		printf("  each figure is paired with raw RSA verifies/s measured in alternating slices\n");
		printf("  %-38s %10s     %8s %-9s\n", "operation", "rate", "ratio", "raw/s");
		row("merchant: plain payment, new payer", &cold, "sigma0-3, keys parsed");
		row("merchant: plain payment", &plain, "sigma0-3 + registry");
		for (size_t i = 0; i < 3; i++) {
			char what[64];
			snprintf(what, sizeof(what), "merchant: ring of %zu payment", rings[i]);
			row(what, &ring[i], "every member's certificate");
		}
		char what[64];
		snprintf(what, sizeof(what), "bank: coins deposited (%d per tx)", DEPOSIT_BATCH);
		row(what, &dep, "durable SQLite");
		row("bank: deposit signature checks", &chk, "per coin");
		printf("(except for 'new payer', each certificate's bank signature and each parsed key come from\n"
		       " the caches, as at a merchant or bank that has seen these keys before; every signature of\n"
		       " the payment itself, ring signatures included, is verified every time)\n");
	}
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(bench_ecash_cmd, "bench ecash", "[--quick] [--json]",
	     "ecash payments verified per second at a merchant (plain, rings of 8/16/64) and deposits at the bank",
	     "  --quick   0.5 s per figure and 128 deposited coins instead of 2 s and 512\n"
	     "  --json    one JSON object: for each figure X (plain_cold_payments, plain_payments,\n"
	     "            ring8/16/64_payments, deposit_coins, deposit_checks) X_per_s, X_raw_per_s (RSA\n"
	     "            verifies/s measured alongside it) and X_to_raw\n"
	     "Ring members' keys are built from a pool of primes to save key generation time; that does not\n"
	     "change what a verification costs. Deposits use a scratch SQLite file under /tmp.",
	     cmd_bench_ecash)
