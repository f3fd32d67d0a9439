/* obol bench link: what the encrypted device link (src/net/devlink.h,
 * Noise_NX_25519_ChaChaPoly_SHA256) costs, next to the raw primitives
 * measured in the same run:
 *
 *   handshake     one NX handshake in memory, both sides (6 X25519: each
 *                 side makes its ephemeral key and does ee and es; the
 *                 credential payload, SHA-256/HKDF), vs 6 raw
 *                 crypto_scalarmult
 *   record        sealing and opening one record holding a coupon TOKEN
 *                 frame, vs crypto_aead_chacha20poly1305_ietf encrypt+decrypt
 *                 of the same bytes
 *   handshakes at the vendor: wallets connecting to a real `obol vendor
 *                 serve` (started with an issuer in a temporary directory)
 *                 and closing; per second, and per second of the vendor's
 *                 own CPU next to raw X25519 (3 per responder handshake)
 *   the vendor's token rate, 64 ahead: bench coupon's phase "tokens at the
 *                 vendor, 64 ahead" (its wallets, coins and vendor daemon,
 *                 store and all), run alternately in rounds against two
 *                 vendor daemons set up alike, one whose links are
 *                 encrypted and one whose links are bench links in clear
 *                 (devlink.h: the same sockets, handshake, record framing,
 *                 reads, writes, polls and buffers; only the seal and open
 *                 of each record are a copy)
 *   token exchange: a wallet thread and a vendor thread exchange
 *                 TOKEN/TOKEN_REQ frames of the coupon scheme over links on
 *                 a socketpair, the vendor checking 64 hash-chain steps per
 *                 TOKEN, encrypted vs in clear alternately: the link's share
 *                 without the vendor's store, so a floor of the ratio. */
#include <getopt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/bench_coupon.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/noise.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "schemes/coupon/messages.h"

#define AHEAD 64
#define WALLETS_MAX 32

/* ---- in memory: a handshake, a record ------------------------------------------ */

struct mem {
	struct obol_box_keypair rs;
	uint8_t payload[400];
	uint8_t frame[128];
	size_t frame_len;
	uint8_t ct[128 + OBOL_NOISE_TAG_LEN], pt[128];
	struct obol_noise_cipher c;
	uint8_t k[32], scalar[32], point[32], out[32];
};

static obol_err ours_handshake(void *a)
{
	struct mem *m = a;
	static const char prologue[] = OBOL_DL_PROLOGUE;
	struct obol_noise_handshake ini, res;
	struct obol_noise_cipher c1, c2, d1, d2;
	uint8_t m1[64], m2[600], pl[600];
	size_t n1, n2, pn;
	obol_err e;
	if ((e = obol_noise_handshake_init(&ini, &(struct obol_noise_init){ .initiator = true,
									   .prologue = (const uint8_t *)prologue,
									   .prologue_len = sizeof prologue - 1 })) != OBOL_OK ||
	    (e = obol_noise_handshake_init(&res, &(struct obol_noise_init){ .prologue = (const uint8_t *)prologue,
									   .prologue_len = sizeof prologue - 1,
									   .s = &m->rs })) != OBOL_OK ||
	    (e = obol_noise_write_message(&ini, NULL, 0, m1, sizeof m1, &n1)) != OBOL_OK ||
	    (e = obol_noise_read_message(&res, m1, n1, pl, sizeof pl, &pn)) != OBOL_OK ||
	    (e = obol_noise_write_message(&res, m->payload, sizeof m->payload, m2, sizeof m2, &n2)) != OBOL_OK ||
	    (e = obol_noise_read_message(&ini, m2, n2, pl, sizeof pl, &pn)) != OBOL_OK ||
	    (e = obol_noise_split(&ini, &c1, &c2)) != OBOL_OK || (e = obol_noise_split(&res, &d1, &d2)) != OBOL_OK)
		return e;
	obol_noise_handshake_wipe(&ini);
	obol_noise_handshake_wipe(&res);
	return OBOL_OK;
}

static obol_err raw_x25519_6(void *a)
{
	struct mem *m = a;
	for (int i = 0; i < 6; i++)
		if (crypto_scalarmult(m->out, m->scalar, m->point) != 0)
			return OBOL_E_CRYPTO_LIBRARY;
	return OBOL_OK;
}

static obol_err ours_record(void *a)
{
	struct mem *m = a;
	struct obol_noise_cipher rx = m->c;
	obol_err e = obol_noise_encrypt(&m->c, NULL, 0, m->frame, m->frame_len, m->ct);
	if (e == OBOL_OK)
		e = obol_noise_decrypt(&rx, NULL, 0, m->ct, m->frame_len + OBOL_NOISE_TAG_LEN, m->pt);
	return e;
}

static obol_err raw_record(void *a)
{
	struct mem *m = a;
	uint8_t nonce[12] = { 0 };
	unsigned long long n;
	if (crypto_aead_chacha20poly1305_ietf_encrypt(m->ct, &n, m->frame, m->frame_len, NULL, 0, NULL, nonce, m->k) !=
		    0 ||
	    crypto_aead_chacha20poly1305_ietf_decrypt(m->pt, &n, NULL, m->ct, m->frame_len + OBOL_NOISE_TAG_LEN, NULL,
						      0, nonce, m->k) != 0)
		return OBOL_E_CRYPTO_LIBRARY;
	return OBOL_OK;
}

/* ---- handshakes at a real vendor daemon ------------------------------------------- */

struct hs_job {
	const char *addr;
	const uint8_t *issuer_pk;
	uint64_t deadline, count;
	obol_err err;
};

static void *hs_worker(void *arg)
{
	struct hs_job *j = arg;
	while (obol_mono_ns() < j->deadline) {
		struct obol_devlink *l = NULL;
		if ((j->err = obol_devlink_connect_vendor(j->addr, 10000, j->issuer_pk, &l)) != OBOL_OK)
			return NULL;
		obol_devlink_close(l);
		j->count++;
	}
	return NULL;
}

struct hs_result {
	double per_s, vendor_cpu_us, wallet_cpu_us;
};

/* Wallets connecting to the world's vendor daemon for seconds. */
static obol_err vendor_handshakes(const struct world *w, unsigned wallets, double seconds, struct hs_result *r)
{
	struct hs_job jobs[WALLETS_MAX];
	pthread_t th[WALLETS_MAX];
	uint8_t pk[32];
	size_t n;
	obol_err e = OBOL_OK;
	const char *mpk = json_string_value(json_object_get(w->keys, "master_pk"));
	if (mpk == NULL || obol_b64_decode(mpk, pk, sizeof pk, &n, 1) != OBOL_OK)
		return OBOL_E_KEYS_INVALID;
	double v0 = proc_cpu(w->vendor.pid), m0 = proc_cpu(getpid());
	uint64_t t0 = obol_mono_ns(), deadline = t0 + (uint64_t)(seconds * 1e9);
	for (unsigned i = 0; i < wallets; i++) {
		jobs[i] = (struct hs_job){ .addr = w->vendor.addr, .issuer_pk = pk, .deadline = deadline };
		pthread_create(&th[i], NULL, hs_worker, &jobs[i]);
	}
	uint64_t total = 0;
	for (unsigned i = 0; i < wallets; i++) {
		pthread_join(th[i], NULL);
		total += jobs[i].count;
		if (jobs[i].err != OBOL_OK)
			e = jobs[i].err;
	}
	double elapsed = (double)(obol_mono_ns() - t0) / 1e9;
	if (e == OBOL_OK && total > 0) {
		r->per_s = (double)total / elapsed;
		r->vendor_cpu_us = (proc_cpu(w->vendor.pid) - v0) * 1e6 / (double)total;
		r->wallet_cpu_us = (proc_cpu(getpid()) - m0) * 1e6 / (double)total;
	}
	return e;
}

/* ---- token exchange on a socketpair, encrypted vs in clear ----------------------- */

struct exchange {
	struct obol_devlink *wallet, *vendor;
	uint8_t value[OBOL_HASH_LEN], anchor[OBOL_HASH_LEN]; /* anchor = H^64(value) */
	obol_err vendor_err;
};

/* The vendor: each TOKEN is decoded and its 64 chain steps checked, then
 * the next TOKEN_REQ goes out; an END frame (type 0 here: none) stops it. */
static void *vendor_loop(void *arg)
{
	struct exchange *x = arg;
	struct coupon_spec spec;
	struct coupon_token tok;
	struct coupon_token_req req = { .count = AHEAD };
	uint32_t type;
	const uint8_t *body;
	size_t len;
	for (;;) {
		obol_err e = obol_devlink_read(x->vendor, &type, &body, &len);
		if (e != OBOL_OK) {
			x->vendor_err = e == OBOL_E_DEVLINK_CLOSED ? OBOL_OK : e;
			return NULL;
		}
		coupon_spec_token(&spec, &tok);
		if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
		    (e = obol_hashchain_verify(tok.token, AHEAD, x->anchor, AHEAD)) != OBOL_OK) {
			x->vendor_err = e;
			return NULL;
		}
		coupon_spec_token_req(&spec, &req);
		if ((e = obol_devlink_write(x->vendor, COUPON_MSG_TOKEN_REQ, &spec.fields)) != OBOL_OK) {
			x->vendor_err = e;
			return NULL;
		}
	}
}

/* The wallet's side of `frames` round trips. */
static obol_err wallet_rounds(struct exchange *x, unsigned frames)
{
	struct coupon_spec spec;
	struct coupon_token tok = { .index = 1000 };
	struct coupon_token_req req;
	uint32_t type;
	const uint8_t *body;
	size_t len;
	obol_err e;
	memcpy(tok.token, x->value, sizeof tok.token);
	for (unsigned i = 0; i < frames; i++) {
		coupon_spec_token(&spec, &tok);
		if ((e = obol_devlink_write(x->wallet, COUPON_MSG_TOKEN, &spec.fields)) != OBOL_OK ||
		    (e = obol_devlink_read(x->wallet, &type, &body, &len)) != OBOL_OK)
			return e;
		coupon_spec_token_req(&spec, &req);
		if (type != COUPON_MSG_TOKEN_REQ || (e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
			return type != COUPON_MSG_TOKEN_REQ ? OBOL_E_WIRE_UNEXPECTED_MESSAGE : e;
	}
	return OBOL_OK;
}

static obol_err one_round(void *a)
{
	return wallet_rounds(a, 1);
}

struct responder {
	struct obol_devlink *l;
	const struct obol_devlink_identity *me;
	obol_err e;
};

static void *respond_main(void *p)
{
	struct responder *r = p;
	r->e = obol_devlink_respond(r->l, r->me);
	return NULL;
}

/* A vendor proving a certificate of a master key made here. */
struct bench_vendor {
	struct obol_sign_keypair master;
	struct obol_box_keypair box;
	struct obol_vendor_cert cert;
	uint8_t cbor[OBOL_VENDOR_CERT_MAX];
	struct obol_devlink_identity me;
};

static obol_err bench_vendor(struct bench_vendor *v)
{
	size_t len;
	obol_err e;
	obol_sign_keypair_new(&v->master);
	obol_box_keypair_new(&v->box);
	v->cert = (struct obol_vendor_cert){ .vendor_id = 1, .account = 1, .has_box_pk = true,
					     .valid_from = obol_now() - 60, .valid_until = obol_now() + 3600 };
	snprintf(v->cert.name, sizeof v->cert.name, "bench");
	memcpy(v->cert.box_pk, v->box.pk, 32);
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, &v->master);
	if ((e = obol_vendor_cert_sign(&v->cert, &sg)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(&v->cert, v->cbor, sizeof v->cbor, &len)) != OBOL_OK)
		return e;
	v->me = (struct obol_devlink_identity){ .key = &v->box, .kind = OBOL_DL_CRED_VENDOR, .cred = v->cbor,
						.cred_len = len };
	return OBOL_OK;
}

/* A socketpair with a vendor thread on it, its two links encrypted or (with
 * cleartext) bench links in clear; the handshake is done here. */
static obol_err exchange_up(struct exchange *x, const struct bench_vendor *v, bool cleartext, pthread_t *th)
{
	struct obol_devlink_expect expect = { .issuer_pk = v->master.pk };
	struct responder r = { .me = &v->me };
	pthread_t rt;
	int sv[2];
	obol_err e;
	x->wallet = x->vendor = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
		return OBOL_E_IO;
	if ((e = obol_devlink_from_fd(sv[0], 10000, &x->wallet)) != OBOL_OK) {
		close(sv[1]);
		return e;
	}
	if ((e = obol_devlink_from_fd(sv[1], 10000, &x->vendor)) != OBOL_OK)
		return e;
	if (cleartext && ((e = obol_devlink_bench_cleartext(x->wallet)) != OBOL_OK ||
			  (e = obol_devlink_bench_cleartext(x->vendor)) != OBOL_OK))
		return e;
	r.l = x->vendor;
	if (pthread_create(&rt, NULL, respond_main, &r) != 0)
		return OBOL_E_INTERNAL;
	e = obol_devlink_initiate(x->wallet, &expect);
	pthread_join(rt, NULL);
	if (e == OBOL_OK)
		e = r.e;
	if (e != OBOL_OK)
		return e;
	return pthread_create(th, NULL, vendor_loop, x) == 0 ? OBOL_OK : OBOL_E_INTERNAL;
}

/* Closes both ends (the wallet's first: that ends the vendor's loop); th 0
 * when the loop never started. */
static void exchange_down(struct exchange *x, pthread_t th)
{
	obol_devlink_close(x->wallet);
	x->wallet = NULL;
	if (th != 0)
		pthread_join(th, NULL);
	obol_devlink_close(x->vendor);
	x->vendor = NULL;
}

/* ---- the vendor's token rate, encrypted vs in clear --------------------------------- */

struct token_rates {
	struct bench_token_rate enc, clear;
};

/* Rounds of bench coupon's token phase, alternating between the two
 * vendors (and which goes first), so that a change in the shared machine's
 * load touches both alike. */
static obol_err vendor_tokens(struct world *w, const struct daemon *enc, const struct daemon *clear, bool quick,
			      struct token_rates *r)
{
	int rounds = quick ? 2 : 4;
	double per_round = (quick ? 1.0 : 3.0) / rounds;
	obol_err e = OBOL_OK;
	for (int i = 0; i < 2 * rounds && e == OBOL_OK; i++) {
		bool cleartext = (i % 2 == 0) == (i / 2 % 2 == 0);
		e = bench_coupon_token_round(w, cleartext ? clear : enc, cleartext, BENCH_TOKEN_WALLETS(quick),
					     per_round, cleartext ? &r->clear : &r->enc);
	}
	return e;
}

static double tokens_per_s(const struct bench_token_rate *t)
{
	return t->elapsed > 0 ? (double)t->tokens / t->elapsed : 0;
}

static double vendor_us_per_token(const struct bench_token_rate *t)
{
	return t->tokens > 0 ? t->vendor_cpu_s * 1e6 / (double)t->tokens : 0;
}

/* ---- the command ------------------------------------------------------------------ */

struct link_figures {
	struct obol_bench_fig *figs;
	size_t n;
	struct hs_result hs;
	struct token_rates tok;
	double x25519_per_s;
	unsigned wallets, token_wallets;
	size_t frame_len;
};

static void print_json(const struct link_figures *f)
{
	printf("{");
	for (size_t i = 0; i < f->n; i++)
		printf("\"%s_per_s\": %.1f, \"%s_raw_per_s\": %.1f, \"%s_ratio\": %.4f, ", f->figs[i].key,
		       f->figs[i].per_s, f->figs[i].key, f->figs[i].raw_per_s, f->figs[i].key,
		       f->figs[i].raw_per_s > 0 ? f->figs[i].per_s / f->figs[i].raw_per_s : 0);
	printf("\"x25519_per_s\": %.1f, \"record_frame_bytes\": %zu, \"handshake_wallets\": %u, "
	       "\"vendor_handshakes_per_s\": %.1f, \"vendor_handshake_cpu_us\": %.1f, "
	       "\"wallet_handshake_cpu_us\": %.1f, \"token_wallets\": %u, \"ahead\": %d, "
	       "\"vendor_token_cpu_us\": %.3f, \"vendor_token_cleartext_cpu_us\": %.3f}\n",
	       f->x25519_per_s, f->frame_len, f->wallets, f->hs.per_s, f->hs.vendor_cpu_us, f->hs.wallet_cpu_us,
	       f->token_wallets, BENCH_TOKEN_AHEAD, vendor_us_per_token(&f->tok.enc),
	       vendor_us_per_token(&f->tok.clear));
}

static void print_text(const struct link_figures *f, bool quick)
{
	const struct obol_bench_fig *g = f->figs;
	double per_cpu = f->hs.vendor_cpu_us > 0 ? 1e6 / f->hs.vendor_cpu_us : 0;
	double enc_us = vendor_us_per_token(&f->tok.enc), clear_us = vendor_us_per_token(&f->tok.clear);
	obol_bench_print_table(stdout, quick ? "obol bench link (--quick)" : "obol bench link", g, f->n);
	printf("raw: X25519 %.0f/s; ChaCha20-Poly1305 enc+dec of a %zu-byte frame %.0f/s (one thread)\n",
	       f->x25519_per_s, f->frame_len, g[1].raw_per_s);
	printf("handshakes in memory: %.0f/s = %.2f of 6 raw X25519\n", g[0].per_s,
	       g[0].raw_per_s > 0 ? g[0].per_s / g[0].raw_per_s : 0);
	printf("handshakes at the vendor daemon (%u wallets): %.0f/s; vendor CPU %.0f us each = %.0f per CPU "
	       "second (%.2f of raw X25519 / 3); wallet CPU %.0f us each\n",
	       f->wallets, f->hs.per_s, f->hs.vendor_cpu_us, per_cpu,
	       f->x25519_per_s > 0 ? per_cpu * 3 / f->x25519_per_s : 0, f->hs.wallet_cpu_us);
	printf("link cost per token, %d ahead: one TOKEN record sealed+opened per %d tokens = %.4f us per token "
	       "(raw ChaCha20-Poly1305 on the same bytes: %.4f us)\n",
	       BENCH_TOKEN_AHEAD, BENCH_TOKEN_AHEAD, 1e6 / g[1].per_s / BENCH_TOKEN_AHEAD,
	       1e6 / g[1].raw_per_s / BENCH_TOKEN_AHEAD);
	printf("the vendor's token rate (bench coupon, %u wallets, %d ahead, store included): %.0f/s encrypted, "
	       "%.0f/s in clear: %.3f (limit: >= 0.75); per second of the vendor's own CPU (%.3f us a token "
	       "encrypted, %.3f in clear): %.3f\n",
	       f->token_wallets, BENCH_TOKEN_AHEAD, tokens_per_s(&f->tok.enc), tokens_per_s(&f->tok.clear),
	       g[2].raw_per_s > 0 ? g[2].per_s / g[2].raw_per_s : 0, enc_us, clear_us,
	       g[3].raw_per_s > 0 ? g[3].per_s / g[3].raw_per_s : 0);
}

static int cmd_bench_link(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "quick", no_argument, NULL, 'q' },
					      { "json", no_argument, NULL, 'j' },
					      { "wallets", required_argument, NULL, 'w' },
					      { NULL, 0, NULL, 0 } };
	int json = 0, c, rc = OBOL_EXIT_OK;
	double seconds = OBOL_BENCH_SECONDS;
	uint64_t wallets = 8;
	static struct mem m;
	static struct exchange enc, clear;
	static struct world w;
	struct daemon v_enc = { 0 }, v_clear = { 0 };
	struct bench_vendor v;
	struct link_figures f = { 0 };
	pthread_t te = 0, tc = 0;
	bool world = false;
	obol_err e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			seconds = OBOL_BENCH_QUICK_SECONDS;
		else if (c == 'j')
			json = 1;
		else if (c == 'w' && obol_parse_u64(optarg, 1, WALLETS_MAX, &wallets) == OBOL_OK)
			;
		else
			return obol_cli_usage_error(cmd, "unknown option or --wallets outside 1..32");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	bool quick = seconds < OBOL_BENCH_SECONDS;
	if ((e = obol_crypto_init()) != OBOL_OK)
		return obol_cli_fail(cmd, e, "initialising the crypto libraries");
	ssize_t len = readlink("/proc/self/exe", bench_self_exe, sizeof bench_self_exe - 1);
	if (len <= 0)
		return obol_cli_fail(cmd, OBOL_E_IO, "cannot find the obol binary");
	bench_self_exe[len] = '\0';

	/* The daemons first, while this process has one thread: the two
	 * vendors of the token rate are forked from it (bench_coupon.h). */
	memset(&w, 0, sizeof w);
	world = true;
	if (world_up(&w, "EUR:0.0001") != 0 || world_vendor_fork(&w, "encrypted", "EUR:0.0001", false, &v_enc) != 0 ||
	    world_vendor_fork(&w, "cleartext", "EUR:0.0001", true, &v_clear) != 0) {
		rc = obol_cli_fail(cmd, OBOL_E_NETWORK, "starting the issuer and vendor daemons");
		goto out;
	}

	/* In memory: the payload is a vendor certificate's size; the record a
	 * coupon TOKEN frame. */
	struct coupon_spec spec;
	struct coupon_token tok = { .index = 1000 };
	obol_box_keypair_new(&m.rs);
	obol_random(m.payload, sizeof m.payload);
	obol_random(tok.token, sizeof tok.token);
	coupon_spec_token(&spec, &tok);
	obol_random(m.k, sizeof m.k);
	memcpy(m.c.k, m.k, sizeof m.k);
	m.c.has_key = true;
	obol_random(m.scalar, sizeof m.scalar);
	crypto_scalarmult_base(m.point, m.scalar);
	if ((e = obol_frame_encode(COUPON_MSG_TOKEN, &spec.fields, m.frame, sizeof m.frame, &m.frame_len)) != OBOL_OK ||
	    (e = bench_vendor(&v)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "preparing the inputs");
		goto out;
	}
	obol_random(enc.value, sizeof enc.value);
	obol_hashchain_step(enc.anchor, enc.value, AHEAD);
	memcpy(clear.value, enc.value, sizeof enc.value);
	memcpy(clear.anchor, enc.anchor, sizeof enc.anchor);

	struct obol_bench_fig figs[] = {
		{ "handshake", "NX handshake in memory, both sides", "6 x crypto_scalarmult (X25519)", 0, 0 },
		{ "record", "seal + open one record (TOKEN frame)", "ChaCha20-Poly1305 IETF enc + dec", 0, 0 },
		{ "vendor_tokens_64_ahead", "vendor's tokens, 64 ahead: encrypted", "the same, links in clear", 0, 0 },
		{ "vendor_tokens_64_ahead_per_cpu", "the same per vendor CPU second", "the same, links in clear", 0, 0 },
		{ "tokens_exchange_64_ahead", "token exchange, no store: encrypted", "the same, links in clear", 0, 0 },
	};
	f.figs = figs;
	f.n = OBOL_ARRAY_LEN(figs);
	f.wallets = (unsigned)wallets;
	f.token_wallets = BENCH_TOKEN_WALLETS(quick);
	f.frame_len = m.frame_len;
	if ((e = obol_bench_pair(&figs[0], ours_handshake, &m, raw_x25519_6, &m, 1, seconds)) != OBOL_OK ||
	    (e = obol_bench_pair(&figs[1], ours_record, &m, raw_record, &m, 1, seconds)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "measuring in memory");
		goto out;
	}
	if ((e = exchange_up(&enc, &v, false, &te)) != OBOL_OK || (e = exchange_up(&clear, &v, true, &tc)) != OBOL_OK ||
	    (e = obol_bench_pair(&figs[4], one_round, &enc, one_round, &clear, AHEAD, seconds * 2)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "exchanging tokens");
		goto out;
	}
	if ((e = vendor_tokens(&w, &v_enc, &v_clear, quick, &f.tok)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "tokens at the vendor daemons");
		goto out;
	}
	figs[2].per_s = tokens_per_s(&f.tok.enc);
	figs[2].raw_per_s = tokens_per_s(&f.tok.clear);
	figs[3].per_s = vendor_us_per_token(&f.tok.enc) > 0 ? 1e6 / vendor_us_per_token(&f.tok.enc) : 0;
	figs[3].raw_per_s = vendor_us_per_token(&f.tok.clear) > 0 ? 1e6 / vendor_us_per_token(&f.tok.clear) : 0;
	if ((e = vendor_handshakes(&w, (unsigned)wallets, seconds * 2, &f.hs)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "handshakes at the vendor daemon");
		goto out;
	}
	f.x25519_per_s = figs[0].raw_per_s * 6;
	if (json)
		print_json(&f);
	else
		print_text(&f, quick);
out:
	exchange_down(&enc, te);
	exchange_down(&clear, tc);
	daemon_stop(&v_enc);
	daemon_stop(&v_clear);
	if (world)
		world_down(&w, false);
	OBOL_WIPE(m);
	return rc;
}

OBOL_COMMAND(bench_link_cmd, "bench link", "[--quick] [--json] [--wallets N]",
	     "measure the encrypted device link: handshakes at a vendor daemon, the cost per token, against raw X25519 "
	     "and ChaCha20-Poly1305, and the vendor's token rate with and without it",
	     "  --quick       about 0.2 s per figure in memory instead of about 1 s, and the token rate for\n"
	     "                1 s each way with 16 wallets instead of 3 s with 48 (as bench coupon --quick)\n"
	     "  --wallets N   wallets connecting at once to the vendor daemon for the handshakes (default 8)\n"
	     "  --json        print one JSON object: <figure>_per_s, <figure>_raw_per_s, <figure>_ratio\n"
	     "                (vendor_tokens_64_ahead_ratio: encrypted over in clear; _per_cpu: per second of\n"
	     "                the vendor's CPU, steadier on a shared machine), and the vendor's\n"
	     "                handshake and per-token CPU figures\n"
	     "Starts an issuer and three vendor daemons in a temporary directory: one for the handshakes,\n"
	     "and two alike for the token rate, one of whose links are bench links in clear (never\n"
	     "reachable by a wallet or vendor outside this bench).",
	     cmd_bench_link)
