/* obol bench coupon: the coupon scheme under load on loopback.
 *
 * An issuer (`obol issuer serve`, SQLite) and a vendor (`obol vendor serve`)
 * run as child processes; wallet threads in this process drive them:
 *   withdraw   POST /coupon/withdraw (blind, sign, debit, unblind, verify)
 *   session    one lock + one settle at the issuer, signed as the vendor
 *              (the vendor's side computed here; its checks of F's answers
 *              are left out so the issuer gets the CPU)
 *   token      one TOKEN frame at the vendor: verified, stored durably
 *              (group commit), the unit served, the next TOKEN_REQ
 * In the same run, the raw limits of the machine: RSA-2048 blind signatures
 * per second on as many threads as cores, sealed-box opens per second, and
 * durable SQLite commits per second (synchronous=FULL), each as a ratio.
 * The machine is shared: the figures are what this run saw. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench_coupon.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "schemes/coupon/vendor.h"
#include "wallet/coupon_wallet.h"
#include "wire/cbor.h"
#include "wire/json.h"

#define LAT_MAX 400000

/* ---- figures ---- */

struct lat {
	double *ms;
	size_t n;
	pthread_mutex_t mu;
};

static void lat_add(struct lat *l, double ms)
{
	pthread_mutex_lock(&l->mu);
	if (l->n < LAT_MAX)
		l->ms[l->n++] = ms;
	pthread_mutex_unlock(&l->mu);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double lat_pct(struct lat *l, double p)
{
	if (l->n == 0)
		return 0;
	qsort(l->ms, l->n, sizeof(double), cmp_double);
	size_t i = (size_t)(p * (double)(l->n - 1));
	return l->ms[i];
}

static double ms_since(uint64_t t0)
{
	return (double)(obol_mono_ns() - t0) / 1e6;
}

/* ---- workers ---- */

/* Every wallet of a phase does its setup (connect, lock a coin, start its
 * chain traversal), then waits at the barrier; the clock of each starts
 * there, so setup is never in the figures. */
struct job {
	struct world *w;
	struct coupon_wallet_store *ws;
	pthread_barrier_t *barrier;
	double seconds;
	bool begun;
	uint64_t start, end, deadline;
	struct lat *lat, *lat2;
	uint64_t ahead;
	const char *vendor_addr; /* the token phases' vendor */
	bool cleartext;          /* over bench links in clear (src/net/devlink.h) */
	uint64_t ops, tokens;
	obol_err err;
	struct coupon_wallet_coin coin;
};

static void phase_begin(struct job *j)
{
	if (j->begun)
		return;
	j->begun = true;
	pthread_barrier_wait(j->barrier);
	j->start = obol_mono_ns();
	j->deadline = j->start + (uint64_t)(j->seconds * 1e9);
}

static void phase_end(struct job *j)
{
	phase_begin(j); /* a wallet that failed its setup still lets the others go */
	j->end = obol_mono_ns();
}

static obol_err withdraw_one(struct obol_http_client *c, struct coupon_wallet_store *ws, size_t denom,
			     struct coupon_wallet_coin *coin)
{
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	uint8_t raw[16];
	char rid[32];
	bool definite;
	obol_random(raw, sizeof(raw));
	obol_err e = obol_b64_encode(raw, sizeof(raw), rid, sizeof(rid));
	if (e == OBOL_OK)
		e = coupon_wallet_withdraw_prepare(&ws->keys.denoms[denom], obol_now(), &p, &req);
	if (e == OBOL_OK)
		e = coupon_withdraw_exchange(c, &ws->keys.denoms[denom], rid, &req, &p, coin, &definite);
	return e;
}

static struct obol_http_client *user_client(struct world *w)
{
	struct obol_http_client *c = NULL;
	if (obol_http_client_new(w->issuer.url, 30000, &c) != OBOL_OK)
		return NULL;
	obol_http_client_set_account(c, w->user_id, w->user.sk);
	return c;
}

/* Withdrawals of the small denomination (100 tokens): the wallet's chain
 * costs little next to the issuer's RSA signature, which is what is measured. */
static void *withdraw_worker(void *arg)
{
	struct job *j = arg;
	struct obol_http_client *c = user_client(j->w);
	if (!c) {
		j->err = OBOL_E_NETWORK;
		phase_end(j);
		return NULL;
	}
	phase_begin(j);
	while (obol_mono_ns() < j->deadline) {
		struct coupon_wallet_coin coin;
		uint64_t t0 = obol_mono_ns();
		if ((j->err = withdraw_one(c, j->ws, 0, &coin)) != OBOL_OK)
			break;
		lat_add(j->lat, ms_since(t0));
		j->ops++;
		OBOL_WIPE(coin);
	}
	phase_end(j);
	obol_http_client_free(c);
	return NULL;
}

static obol_err post(struct obol_http_client *c, const char *path, struct coupon_spec *spec)
{
	json_t *body = NULL, *ans = NULL;
	obol_err e = obol_json_encode(&spec->fields, &body);
	if (e == OBOL_OK)
		e = obol_http_post_json(c, path, body, 0, &ans);
	json_decref(body);
	json_decref(ans);
	return e;
}

static void *session_worker(void *arg)
{
	struct job *j = arg;
	struct world *w = j->w;
	struct obol_http_client *c = NULL;
	struct obol_hashchain_trav trav;
	uint8_t anchor[32];
	static __thread struct coupon_lock_req lr;
	struct coupon_vendor_cfg cfg = { .cert = w->cert, .cert_len = w->cert_len, .sign_sk = w->vkp.sk };
	memcpy(cfg.cert_hash, w->cert_hash, 32);
	if (obol_http_client_new(w->issuer.url, 30000, &c) != OBOL_OK ||
	    obol_hashchain_trav_init(&trav, j->coin.seed, j->coin.n, anchor) != OBOL_OK) {
		j->err = OBOL_E_INTERNAL;
		obol_http_client_free(c);
		phase_end(j);
		return NULL;
	}
	phase_begin(j);
	while (obol_mono_ns() < j->deadline) {
		struct coupon_auth a = { .deadline = obol_now() + 300 };
		struct coupon_spec spec;
		uint8_t digest[32];
		if ((j->err = obol_hashchain_trav_next(&trav, a.token, &a.index)) != OBOL_OK)
			break;
		memcpy(a.coin_id, j->coin.coin.id, 32);
		memcpy(a.cert_hash, w->cert_hash, 32);
		memset(&lr, 0, sizeof(lr));
		lr.coin = j->coin.coin;
		if ((j->err = coupon_auth_seal(&a, j->ws->cfg.issuer_box_pk, lr.auth)) != OBOL_OK)
			break;
		memcpy(lr.cert, w->cert, w->cert_len);
		lr.cert_len = w->cert_len;
		lr.deadline = a.deadline;
		coupon_digest_lock_req(digest, &lr, w->cert_hash);
		obol_sign(lr.vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, w->vkp.sk);
		coupon_spec_lock_req(&spec, &lr);
		uint64_t t0 = obol_mono_ns();
		if ((j->err = post(c, "/coupon/lock", &spec)) != OBOL_OK)
			break;
		lat_add(j->lat, ms_since(t0));
		/* settle at the lock token: the lock's whole value, unlocked */
		struct coupon_vendor_coin vc = { .last_index = a.index, .has_lock = true };
		struct coupon_settle_req sr;
		memcpy(vc.coin_id, a.coin_id, 32);
		memcpy(vc.last_token, a.token, 32);
		obol_sha256(vc.lock, lr.auth, COUPON_AUTH_LEN);
		coupon_vendor_settle_req(&cfg, &vc, false, &sr);
		coupon_spec_settle_req(&spec, &sr);
		t0 = obol_mono_ns();
		if ((j->err = post(c, "/coupon/settle", &spec)) != OBOL_OK)
			break;
		lat_add(j->lat2, ms_since(t0));
		j->ops++;
	}
	phase_end(j);
	obol_hashchain_trav_wipe(&trav);
	obol_http_client_free(c);
	return NULL;
}

static void *token_worker(void *arg)
{
	struct job *j = arg;
	static __thread struct coupon_wallet_session s;
	static __thread struct coupon_pay pay;
	static __thread struct coupon_offer offer;
	struct coupon_spec spec;
	struct coupon_buy buy;
	struct obol_devlink *dl = NULL;
	const uint8_t *body;
	size_t len;
	uint32_t type;
	struct obol_devlink_expect expect = { .issuer_pk = j->ws->cfg.issuer_pk };
	if ((j->err = j->cleartext ? obol_devlink_connect_bench_cleartext(j->vendor_addr, 30000, &expect, &dl)
				   : obol_devlink_connect(j->vendor_addr, 30000, &expect, &dl)) != OBOL_OK)
		goto out;
	if ((j->err = coupon_wallet_buy(&s, j->coin.last_index - 1, &buy)) != OBOL_OK)
		goto out;
	s.ahead = buy.ahead = j->ahead;
	coupon_spec_buy(&spec, &buy);
	if ((j->err = obol_devlink_write(dl, COUPON_MSG_BUY, &spec.fields)) != OBOL_OK ||
	    (j->err = obol_devlink_read(dl, &type, &body, &len)) != OBOL_OK)
		goto out;
	coupon_spec_offer(&spec, &offer);
	if ((j->err = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
	    (j->err = coupon_wallet_on_offer(&j->ws->cfg, &s, &j->coin, 1, &offer, obol_now(), &pay)) != OBOL_OK)
		goto out;
	coupon_spec_pay(&spec, &pay);
	if ((j->err = obol_devlink_write(dl, COUPON_MSG_PAY, &spec.fields)) != OBOL_OK)
		goto out;
	uint64_t t0 = 0;
	bool timing = false;
	for (;;) {
		if ((j->err = obol_devlink_read(dl, &type, &body, &len)) != OBOL_OK)
			goto out;
		if (type == COUPON_MSG_RECEIPT)
			goto out; /* the coin is used up: this wallet is done */
		if (type == COUPON_MSG_LOCKED) {
			struct coupon_lock_reply r;
			coupon_spec_lock_reply(&spec, &r);
			if ((j->err = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
			    (j->err = coupon_wallet_on_locked(&j->ws->cfg, &s, &j->coin, &r)) != OBOL_OK)
				goto out;
		} else if (type == COUPON_MSG_TOKEN_REQ) {
			struct coupon_token_req req;
			struct coupon_token tok;
			enum coupon_wallet_answer ans;
			phase_begin(j); /* locked, chain traversal started: the clock runs from here */
			if (timing) {
				lat_add(j->lat, ms_since(t0));
				j->ops++;
			}
			coupon_spec_token_req(&spec, &req);
			if ((j->err = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
				goto out;
			if (obol_mono_ns() >= j->deadline) {
				struct coupon_end end = { 0 };
				coupon_spec_end(&spec, &end);
				if ((j->err = obol_devlink_write(dl, COUPON_MSG_END, &spec.fields)) != OBOL_OK)
					goto out;
				/* the vendor settles, then answers its receipt and closes */
				while (obol_devlink_read(dl, &type, &body, &len) == OBOL_OK && type != COUPON_MSG_RECEIPT)
					;
				goto out;
			}
			uint64_t before = j->coin.last_index;
			if ((j->err = coupon_wallet_on_token_req(&j->ws->cfg, &s, &j->coin, 1, &req, obol_now(), &ans,
								 &tok, &pay)) != OBOL_OK || ans != COUPON_WA_TOKEN)
				goto out;
			coupon_spec_token(&spec, &tok);
			t0 = obol_mono_ns();
			timing = true;
			j->tokens += before - tok.index;
			if ((j->err = obol_devlink_write(dl, COUPON_MSG_TOKEN, &spec.fields)) != OBOL_OK)
				goto out;
		}
	}
out:
	phase_end(j);
	coupon_wallet_session_wipe(&s);
	obol_devlink_close(dl);
	return NULL;
}

/* ---- the command ---- */

struct phase {
	double per_s, p50, p99, p50b, p99b, elapsed;
	uint64_t ops, tokens; /* tokens per second */
	uint64_t token_count;
};

/* A phase: `threads` wallets running fn for `seconds`, each with its coin
 * of coins (NULL: none); the token phases' at vendor_addr, ahead units
 * ahead, over bench links in clear when cleartext. */
struct phase_req {
	struct world *w;
	struct coupon_wallet_store *ws;
	void *(*fn)(void *);
	unsigned threads;
	double seconds;
	struct coupon_wallet_coin *coins;
	uint64_t ahead;
	const char *vendor_addr;
	bool cleartext;
};

/* Runs a phase. When out->elapsed is not 0 (a later round of a phase), the
 * latencies of earlier rounds are kept and the figures cover them all. */
static obol_err run_phase(const struct phase_req *q, struct phase *out)
{
	unsigned threads = q->threads;
	static struct lat l1, l2;
	struct job *jobs = calloc(threads, sizeof(*jobs));
	pthread_t th[MAX_THREADS];
	obol_err e = OBOL_OK;
	if (!l1.ms) {
		l1.ms = calloc(LAT_MAX, sizeof(double));
		l2.ms = calloc(LAT_MAX, sizeof(double));
		pthread_mutex_init(&l1.mu, NULL);
		pthread_mutex_init(&l2.mu, NULL);
	}
	if (!jobs || !l1.ms || !l2.ms) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if (out->elapsed == 0)
		l1.n = l2.n = 0;
	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, threads);
	for (unsigned i = 0; i < threads; i++) {
		jobs[i] = (struct job){ .w = q->w, .ws = q->ws, .barrier = &barrier, .seconds = q->seconds,
					.lat = &l1, .lat2 = &l2, .ahead = q->ahead,
					.vendor_addr = q->vendor_addr ? q->vendor_addr : q->w->vendor.addr,
					.cleartext = q->cleartext };
		if (q->coins)
			jobs[i].coin = q->coins[i];
		pthread_create(&th[i], NULL, q->fn, &jobs[i]);
	}
	uint64_t tokens = 0, first = UINT64_MAX, last = 0;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		first = jobs[i].start < first ? jobs[i].start : first;
		last = jobs[i].end > last ? jobs[i].end : last;
		out->ops += jobs[i].ops;
		tokens += jobs[i].tokens;
		if (jobs[i].err != OBOL_OK && e == OBOL_OK) {
			e = jobs[i].err;
			fprintf(stderr, "bench coupon: a wallet stopped after %" PRIu64 " operations: %s\n", jobs[i].ops,
				obol_strerror(e));
		}
		OBOL_WIPE(jobs[i].coin);
	}
	pthread_barrier_destroy(&barrier);
	out->elapsed += last > first ? (double)(last - first) / 1e9 : 1e-9;
	out->per_s = (double)out->ops / out->elapsed;
	out->p50 = lat_pct(&l1, 0.50);
	out->p99 = lat_pct(&l1, 0.99);
	out->p50b = lat_pct(&l2, 0.50);
	out->p99b = lat_pct(&l2, 0.99);
	out->token_count += tokens;
	out->tokens = (uint64_t)((double)out->token_count / out->elapsed);
out:
	free(jobs);
	return e;
}

obol_err bench_coupon_token_round(struct world *w, const struct daemon *vendor, bool cleartext, unsigned wallets,
				  double seconds, struct bench_token_rate *acc)
{
	static struct coupon_wallet_coin coins[MAX_THREADS];
	struct coupon_wallet_store ws;
	struct phase ph;
	struct obol_http_client *c = NULL;
	obol_err e;
	memset(&ws, 0, sizeof(ws));
	memset(&ph, 0, sizeof(ph));
	if (wallets == 0 || wallets > MAX_THREADS)
		return OBOL_E_INVALID_ARGUMENT;
	if ((e = coupon_wstore_init(&ws, w->keys)) != OBOL_OK)
		goto out;
	if ((c = user_client(w)) == NULL) {
		e = OBOL_E_NETWORK;
		goto out;
	}
	for (unsigned i = 0; i < wallets && e == OBOL_OK; i++)
		e = withdraw_one(c, &ws, 2, &coins[i]);
	if (e != OBOL_OK)
		goto out;
	double v0 = proc_cpu(vendor->pid);
	if ((e = run_phase(&(struct phase_req){ .w = w, .ws = &ws, .fn = token_worker, .threads = wallets,
						.seconds = seconds, .coins = coins, .ahead = BENCH_TOKEN_AHEAD,
						.vendor_addr = vendor->addr, .cleartext = cleartext },
			   &ph)) != OBOL_OK)
		goto out;
	acc->vendor_cpu_s += proc_cpu(vendor->pid) - v0;
	acc->tokens += ph.token_count;
	acc->elapsed += ph.elapsed;
out:
	for (size_t i = 0; i < OBOL_ARRAY_LEN(coins); i++)
		OBOL_WIPE(coins[i]);
	obol_http_client_free(c);
	coupon_wstore_free(&ws);
	return e;
}

/* The median of n values (sorted in place). */
static double median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* CPU seconds spent on n operations, in microseconds each. */
static double per_op_us(double cpu_s, double n)
{
	return n > 0 ? cpu_s * 1e6 / n : 0;
}

static void row(const char *label, double per_s, const struct phase *ph, double ratio, const char *of)
{
	printf("%-36s %11.1f %9.3f %9.3f", label, per_s, ph->p50, ph->p99);
	if (of)
		printf(" %8.3f  %s", ratio, of);
	printf("\n");
}

static int cmd_bench_coupon(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ 0, 0, 0, 0 },
	};
	bool quick = false, json = false, keep = false;
	int ch;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'q': quick = true; break;
		case 'j': json = true; break;
		case 'k': keep = true; break;
		default: return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	ssize_t n = readlink("/proc/self/exe", bench_self_exe, sizeof(bench_self_exe) - 1);
	if (n <= 0)
		return obol_cli_fail(cmd, OBOL_E_IO, "cannot find the obol binary");
	bench_self_exe[n] = '\0';
	if (obol_crypto_init() != OBOL_OK)
		return obol_cli_fail(cmd, OBOL_E_CRYPTO_INIT, "crypto");
	double secs = quick ? 1.0 : 3.0;
	/* concurrent wallets per phase: enough requests in flight for the
	 * group commits to fill */
	unsigned wt = quick ? 8 : 16, st_ = quick ? 16 : 48, kt = BENCH_TOKEN_WALLETS(quick);
	uint64_t ahead = BENCH_TOKEN_AHEAD;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	static struct world w, sw; /* sw: the issuer with its signing process */
	static struct coupon_wallet_coin coins[3 * MAX_THREADS];
	struct coupon_wallet_store ws, sws;
	struct phase wd, swd, ss, tk1, tk;
	obol_err e = OBOL_OK;
	memset(&ws, 0, sizeof(ws));
	memset(&sws, 0, sizeof(sws));
	/* one token per unit: the vendor's price is the token value of the
	 * coins of 20000 tokens used at the vendor */
	if (world_up(&w, "EUR:0.0001") != 0) {
		e = OBOL_E_INTERNAL;
		goto out;
	}
	if (world_signer_up(&sw) != 0) {
		e = OBOL_E_INTERNAL;
		goto out;
	}
	if ((e = coupon_wstore_init(&ws, w.keys)) != OBOL_OK || (e = coupon_wstore_init(&sws, sw.keys)) != OBOL_OK)
		goto out;
	if (!json)
		fprintf(stderr, "bench coupon: issuer %s, vendor %s, %.0f s per phase\n", w.issuer.url, w.vendor.addr,
			secs);
	/* raw RSA and withdrawals alternate in rounds, so that a change in the
	 * machine's load (it is shared) touches both alike */
	double rsa = 0, rsa_cpu = 0, box_cpu = 0, iss_wd = 0, iss_swd = 0, iss_ss = 0, ven_tk = 0, ven_tk1 = 0;
	/* the wallets' own CPU (this process, the phase's threads only): the
	 * two cores are shared between them and the daemon */
	double wal_wd = 0, wal_ss = 0, wal_tk1 = 0, wal_tk = 0, m0;
	int rounds = quick ? 2 : 3;
	memset(&wd, 0, sizeof(wd));
	memset(&swd, 0, sizeof(swd));
	memset(&ss, 0, sizeof(ss));
	memset(&tk1, 0, sizeof(tk1));
	memset(&tk, 0, sizeof(tk));
	/* Withdrawals without and with the signing process alternate in short
	 * rounds (A B, then B A: a trend in the shared machine's load touches
	 * both alike), each round's rate kept: the figures are the medians of
	 * the rounds, the ratio the median of each round's pair, so that a
	 * burst of other work in one round moves neither much. */
	int srounds = quick ? 4 : 8;
	double wd_rate[8], swd_rate[8], wd_p50[8], wd_p99[8], swd_p50[8], swd_p99[8], pair[8], load0[3] = { 0 },
		load1[3] = { 0 };
	if (getloadavg(load0, 3) < 0)
		load0[0] = -1;
	for (int r = 0; r < srounds; r++) {
		double per_cpu;
		if (r < rounds) { /* raw RSA: rounds of its own, among them */
			rsa += raw_rsa((unsigned)(cores > 0 && cores <= MAX_THREADS ? cores : 1), secs / rounds,
				       &per_cpu) /
			       rounds;
			rsa_cpu += per_cpu / rounds;
		}
		for (int k = 0; k < 2; k++) {
			bool with = (k == 0) == (r % 2 == 1);
			struct world *ww = with ? &sw : &w;
			struct phase ph;
			memset(&ph, 0, sizeof ph);
			double c0 = proc_cpu(ww->issuer.pid) + (with ? proc_cpu(sw.signer.pid) : 0);
			m0 = proc_cpu(getpid());
			if ((e = run_phase(&(struct phase_req){ .w = ww, .ws = with ? &sws : &ws, .fn = withdraw_worker,
								  .threads = wt, .seconds = secs / srounds },
					   &ph)) != OBOL_OK)
				goto out;
			double cpu = proc_cpu(ww->issuer.pid) + (with ? proc_cpu(sw.signer.pid) : 0) - c0;
			struct phase *acc = with ? &swd : &wd;
			acc->ops += ph.ops;
			acc->elapsed += ph.elapsed;
			if (with) {
				iss_swd += cpu;
				swd_rate[r] = ph.per_s, swd_p50[r] = ph.p50, swd_p99[r] = ph.p99;
			} else {
				iss_wd += cpu;
				wal_wd += proc_cpu(getpid()) - m0;
				wd_rate[r] = ph.per_s, wd_p50[r] = ph.p50, wd_p99[r] = ph.p99;
			}
		}
		pair[r] = wd_rate[r] > 0 ? swd_rate[r] / wd_rate[r] : 0;
	}
	if (getloadavg(load1, 3) < 0)
		load1[0] = -1;
	wd.per_s = median(wd_rate, srounds), wd.p50 = median(wd_p50, srounds), wd.p99 = median(wd_p99, srounds);
	swd.per_s = median(swd_rate, srounds), swd.p50 = median(swd_p50, srounds), swd.p99 = median(swd_p99, srounds);
	double signer_ratio = median(pair, srounds);
	double signer_ratio_medians = wd.per_s > 0 ? swd.per_s / wd.per_s : 0;
	double box = raw_box_open(secs, &box_cpu);
	double commits = raw_commits(w.dir, secs);
	/* coins for the other phases (not timed): 20000 tokens for the sessions
	 * and single tokens, 200000 for the batched tokens, same token value */
	struct obol_http_client *c = user_client(&w);
	for (unsigned i = 0; i < st_ + 2 * kt && e == OBOL_OK; i++)
		e = c ? withdraw_one(c, &ws, i < st_ + kt ? 1 : 2, &coins[i]) : OBOL_E_NETWORK;
	obol_http_client_free(c);
	if (e != OBOL_OK)
		goto out;
	double c0 = proc_cpu(w.issuer.pid);
	m0 = proc_cpu(getpid());
	if ((e = run_phase(&(struct phase_req){ .w = &w, .ws = &ws, .fn = session_worker, .threads = st_,
					  .seconds = secs, .coins = coins },
			   &ss)) != OBOL_OK)
		goto out;
	iss_ss = proc_cpu(w.issuer.pid) - c0;
	wal_ss = proc_cpu(getpid()) - m0;
	c0 = proc_cpu(w.vendor.pid);
	m0 = proc_cpu(getpid());
	if ((e = run_phase(&(struct phase_req){ .w = &w, .ws = &ws, .fn = token_worker, .threads = kt,
					  .seconds = secs, .coins = coins + st_, .ahead = 1 },
			   &tk1)) != OBOL_OK)
		goto out;
	ven_tk1 = proc_cpu(w.vendor.pid) - c0;
	wal_tk1 = proc_cpu(getpid()) - m0;
	c0 = proc_cpu(w.vendor.pid);
	m0 = proc_cpu(getpid());
	if ((e = run_phase(&(struct phase_req){ .w = &w, .ws = &ws, .fn = token_worker, .threads = kt,
					  .seconds = secs, .coins = coins + st_ + kt, .ahead = ahead },
			   &tk)) != OBOL_OK)
		goto out;
	ven_tk = proc_cpu(w.vendor.pid) - c0;
	wal_tk = proc_cpu(getpid()) - m0;
	/* per second of the daemon's own CPU: what the figures would be on a
	 * machine where the wallets and the other users were elsewhere */
	double wd_cpu = iss_wd > 0 ? (double)wd.ops / iss_wd : 0, ss_cpu = iss_ss > 0 ? (double)ss.ops / iss_ss : 0;
	double tk_cpu = ven_tk > 0 ? (double)tk.tokens * tk.elapsed / ven_tk : 0;
	double wd_ratio = rsa > 0 ? wd.per_s / rsa : 0, ss_ratio = box > 0 ? ss.per_s / box : 0;
	double tk_ratio = commits > 0 ? (double)tk.tokens / commits : 0;
	double tk1_ratio = commits > 0 ? (double)tk1.tokens / commits : 0;
	/* CPU microseconds per operation, of the daemon and of the wallets
	 * (tk.tokens and tk1.tokens are per second: times elapsed, a count) */
	double n_tk1 = (double)tk1.tokens * tk1.elapsed, n_tk = (double)tk.tokens * tk.elapsed;
	double us_wd_d = per_op_us(iss_wd, (double)wd.ops), us_wd_w = per_op_us(wal_wd, (double)wd.ops);
	double us_swd_d = per_op_us(iss_swd, (double)swd.ops);
	double us_ss_d = per_op_us(iss_ss, (double)ss.ops), us_ss_w = per_op_us(wal_ss, (double)ss.ops);
	double us_tk1_d = per_op_us(ven_tk1, n_tk1), us_tk1_w = per_op_us(wal_tk1, n_tk1);
	double us_tk_d = per_op_us(ven_tk, n_tk), us_tk_w = per_op_us(wal_tk, n_tk);
	if (json) {
		printf("{\"cores\": %ld, \"seconds\": %.1f, \"withdraw_threads\": %u, \"session_threads\": %u, "
		       "\"token_sessions\": %u, \"ahead\": %" PRIu64 ", "
		       "\"withdraw_per_s\": %.1f, \"withdraw_p50_ms\": %.3f, \"withdraw_p99_ms\": %.3f, "
		       "\"withdraw_ratio_to_rsa\": %.3f, "
		       "\"withdraw_signer_per_s\": %.1f, \"withdraw_signer_p99_ms\": %.3f, "
		       "\"withdraw_signer_ratio\": %.3f, \"withdraw_signer_ratio_of_medians\": %.3f, "
		       "\"withdraw_signer_rounds\": %d, \"load_average_start\": %.2f, \"load_average_end\": %.2f, "
		       "\"withdraw_signer_daemons_cpu_us\": %.1f, "
		       "\"sessions_per_s\": %.1f, \"lock_p50_ms\": %.3f, \"lock_p99_ms\": %.3f, "
		       "\"settle_p50_ms\": %.3f, \"settle_p99_ms\": %.3f, \"sessions_ratio_to_box_open\": %.3f, "
		       "\"tokens_per_s\": %.1f, \"token_p50_ms\": %.3f, \"token_p99_ms\": %.3f, "
		       "\"tokens_ratio_to_commits\": %.3f, "
		       "\"tokens_one_per_write_per_s\": %.1f, \"token_one_per_write_p99_ms\": %.3f, "
		       "\"tokens_one_per_write_ratio_to_commits\": %.3f, "
		       "\"rsa_blind_sign_per_s\": %.1f, \"box_open_per_s\": %.1f, \"durable_commit_per_s\": %.1f, "
		       "\"rsa_blind_sign_per_cpu_s\": %.1f, \"box_open_per_cpu_s\": %.1f, "
		       "\"withdraw_per_issuer_cpu_s\": %.1f, \"withdraw_cpu_ratio_to_rsa\": %.3f, "
		       "\"sessions_per_issuer_cpu_s\": %.1f, \"tokens_per_vendor_cpu_s\": %.1f, "
		       "\"withdraw_issuer_cpu_us\": %.1f, \"withdraw_wallet_cpu_us\": %.1f, "
		       "\"session_issuer_cpu_us\": %.1f, \"session_wallet_cpu_us\": %.1f, "
		       "\"token_one_per_write_vendor_cpu_us\": %.2f, \"token_one_per_write_wallet_cpu_us\": %.2f, "
		       "\"token_vendor_cpu_us\": %.2f, \"token_wallet_cpu_us\": %.2f}\n",
		       cores, secs, wt, st_, kt, ahead, wd.per_s, wd.p50, wd.p99, wd_ratio, swd.per_s, swd.p99,
		       signer_ratio, signer_ratio_medians, srounds, load0[0], load1[0], us_swd_d, ss.per_s, ss.p50, ss.p99,
		       ss.p50b, ss.p99b, ss_ratio, (double)tk.tokens, tk.p50, tk.p99, tk_ratio, (double)tk1.tokens,
		       tk1.p99, tk1_ratio, rsa, box, commits, rsa_cpu, box_cpu, wd_cpu, rsa_cpu > 0 ? wd_cpu / rsa_cpu : 0,
		       ss_cpu, tk_cpu, us_wd_d, us_wd_w, us_ss_d, us_ss_w, us_tk1_d, us_tk1_w, us_tk_d, us_tk_w);
	} else {
		printf("coupon bench: %ld cores shared with other work; %.0f s per phase\n", cores, secs);
		printf("%-36s %11s %9s %9s %9s\n", "operation (concurrent wallets)", "per second", "p50 ms", "p99 ms",
		       "ratio");
		char label[64];
		snprintf(label, sizeof(label), "withdraw (%u)", wt);
		row(label, wd.per_s, &wd, wd_ratio, "of raw RSA signs");
		snprintf(label, sizeof(label), "withdraw, signer process (%u)", wt);
		row(label, swd.per_s, &swd, signer_ratio, "of withdraw without it");
		snprintf(label, sizeof(label), "lock+settle session (%u): lock", st_);
		row(label, ss.per_s, &ss, ss_ratio, "of box opens");
		struct phase settle = { .p50 = ss.p50b, .p99 = ss.p99b };
		printf("%-36s %11s %9.3f %9.3f\n", "  settle", "", settle.p50, settle.p99);
		snprintf(label, sizeof(label), "tokens at the vendor (%u), 1/write", kt);
		row(label, (double)tk1.tokens, &tk1, tk1_ratio, "of commits");
		snprintf(label, sizeof(label), "tokens at the vendor (%u), %" PRIu64 " ahead", kt, ahead);
		row(label, (double)tk.tokens, &tk, tk_ratio, "of commits");
		printf("raw limits: RSA-2048 blind signs %.1f/s on %ld threads; sealed-box opens %.1f/s (1 thread); "
		       "durable SQLite commits %.1f/s (1 thread)\n",
		       rsa, cores, box, commits);
		printf("per second of the daemon's own CPU: withdraw %.1f (%.3f of RSA signs per CPU second, %.1f); "
		       "sessions %.1f; tokens %.1f\n",
		       wd_cpu, rsa_cpu > 0 ? wd_cpu / rsa_cpu : 0, rsa_cpu, ss_cpu, tk_cpu);
		printf("withdraw without / with the signer process: medians of %d alternating rounds %.1f / %.1f per s; "
		       "ratio %.3f (median of the rounds' pairs; of the medians %.3f); load average %.2f at the start, "
		       "%.2f at the end (a loaded machine's figures, not the answer)\n",
		       srounds, wd.per_s, swd.per_s, signer_ratio, signer_ratio_medians, load0[0], load1[0]);
		printf("CPU microseconds per withdrawal with the signer process, issuer and signer together: %.0f\n",
		       us_swd_d);
		printf("CPU microseconds per operation, daemon / wallets (same 2 cores): withdraw %.0f / %.0f; "
		       "session %.0f / %.0f; token 1/write %.1f / %.1f; token %" PRIu64 " ahead %.2f / %.2f\n",
		       us_wd_d, us_wd_w, us_ss_d, us_ss_w, us_tk1_d, us_tk1_w, ahead, us_tk_d, us_tk_w);
		printf("targets: withdraw >= 0.70 of raw RSA; with the signer process >= 0.90 of without; >= 5000 lock+settle sessions/s; >= 100000 tokens/s\n");
	}
out:
	for (size_t i = 0; i < OBOL_ARRAY_LEN(coins); i++)
		OBOL_WIPE(coins[i]);
	coupon_wstore_free(&ws);
	coupon_wstore_free(&sws);
	world_down(&sw, keep);
	world_down(&w, keep);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "the bench failed");
}

OBOL_COMMAND(bench_coupon_cmd, "bench coupon", "[--quick] [--json] [--keep]",
	     "the coupon scheme under load on loopback, next to the machine's raw limits",
	     "  --quick   1 s per phase and fewer wallets (default 3 s)\n"
	     "  --json    one JSON object: withdraw_per_s, withdraw_ratio_to_rsa, withdraw_signer_per_s,\n"
	     "            withdraw_signer_ratio (with the signing process / without: the median of the\n"
	     "            rounds' pairs), withdraw_signer_ratio_of_medians, load_average_start/_end,\n"
	     "            sessions_per_s, tokens_per_s, lock_p99_ms, ... and the raw limits\n"
	     "  --keep    keep the temporary directory (databases, daemon logs)\n"
	     "Phases: withdrawals, from an issuer with its keys and from one whose keys are in a\n"
	     "signing process ('issuer serve --signer'), in short alternating rounds (4, --quick; else\n"
	     "8), each figure the median of its rounds, with the load average printed beside them (a\n"
	     "loaded machine's ratio is what it measured, not the answer); lock+settle sessions\n"
	     "at the issuer; tokens at the vendor one per durable write, then with the wallet letting\n"
	     "the vendor ask 64 units ahead.",
	     cmd_bench_coupon)
