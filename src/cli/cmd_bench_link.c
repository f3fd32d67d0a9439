/* obol bench link: what the encrypted device link (src/net/devlink.h,
 * Noise_NX_25519_ChaChaPoly_SHA256) costs, next to the raw primitives
 * measured in the same run:
 *
 *   handshake     one NX handshake in memory, both sides (6 X25519, the
 *                 credential payload, SHA-256/HKDF), vs 6 raw
 *                 crypto_scalarmult
 *   record        sealing and opening one record holding a coupon TOKEN
 *                 frame, vs crypto_aead_chacha20poly1305_ietf encrypt+decrypt
 *                 of the same bytes
 *   handshakes at the vendor: wallets connecting to a real `obol vendor
 *                 serve` (started with an issuer in a temporary directory)
 *                 and closing; per second, and per second of the vendor's
 *                 own CPU next to raw X25519 (3 per responder handshake)
 *   tokens, 64 ahead, plain vs encrypted: a wallet thread and a vendor
 *                 thread exchange TOKEN_REQ/TOKEN frames of the coupon
 *                 scheme over a socketpair, the vendor checking 64 hash-chain
 *                 steps per TOKEN as the coupon vendor does, over the
 *                 encrypted link and, alternately in the same run, over plain
 *                 frames: read as version 1's link read them (a poll before
 *                 each recv of a header or a body, and before each send), and
 *                 with bare blocking read/write (the cheapest plain transport
 *                 there is). The vendor's store is left out, which makes the
 *                 link's share look larger than in the daemon: the ratios are
 *                 floors. */
#include <getopt.h>
#include <poll.h>
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

static obol_err vendor_handshakes(unsigned wallets, double seconds, struct hs_result *r)
{
	struct world w;
	struct hs_job jobs[WALLETS_MAX];
	pthread_t th[WALLETS_MAX];
	uint8_t pk[32];
	size_t n;
	obol_err e = OBOL_OK;
	ssize_t len = readlink("/proc/self/exe", bench_self_exe, sizeof bench_self_exe - 1);
	if (len <= 0)
		return OBOL_E_IO;
	bench_self_exe[len] = '\0';
	if (world_up(&w, "EUR:0.001") != 0)
		return OBOL_E_NETWORK;
	const char *mpk = json_string_value(json_object_get(w.keys, "master_pk"));
	if (mpk == NULL || obol_b64_decode(mpk, pk, sizeof pk, &n, 1) != OBOL_OK) {
		e = OBOL_E_KEYS_INVALID;
		goto out;
	}
	double v0 = proc_cpu(w.vendor.pid), m0 = proc_cpu(getpid());
	uint64_t t0 = obol_mono_ns(), deadline = t0 + (uint64_t)(seconds * 1e9);
	for (unsigned i = 0; i < wallets; i++) {
		jobs[i] = (struct hs_job){ .addr = w.vendor.addr, .issuer_pk = pk, .deadline = deadline };
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
		r->vendor_cpu_us = (proc_cpu(w.vendor.pid) - v0) * 1e6 / (double)total;
		r->wallet_cpu_us = (proc_cpu(getpid()) - m0) * 1e6 / (double)total;
	}
out:
	world_down(&w, false);
	return e;
}

/* ---- tokens, 64 ahead, plain vs encrypted ----------------------------------------- */

/* One end of the exchange: a link, or a socket carrying plain frames (with
 * v1_io: a poll before every recv and send, as version 1's link did). */
struct end {
	struct obol_devlink *l;
	int fd;
	bool v1_io;
	uint8_t buf[OBOL_FRAME_HEADER_LEN + 256];
};

static void v1_wait(const struct end *x, short events)
{
	struct pollfd p = { .fd = x->fd, .events = events };
	if (x->v1_io)
		(void)poll(&p, 1, 10000);
}

static obol_err end_send(struct end *x, uint32_t type, const struct obol_fields *body)
{
	size_t n;
	obol_err e;
	if (x->l != NULL)
		return obol_devlink_write(x->l, type, body);
	if ((e = obol_frame_encode(type, body, x->buf, sizeof x->buf, &n)) != OBOL_OK)
		return e;
	v1_wait(x, POLLOUT);
	return write(x->fd, x->buf, n) == (ssize_t)n ? OBOL_OK : OBOL_E_NETWORK;
}

static obol_err read_exact(const struct end *x, uint8_t *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		v1_wait(x, POLLIN);
		ssize_t r = read(x->fd, p + got, n - got);
		if (r <= 0)
			return OBOL_E_DEVLINK_CLOSED;
		got += (size_t)r;
	}
	return OBOL_OK;
}

static obol_err end_recv(struct end *x, uint32_t *type, const uint8_t **body, size_t *len)
{
	size_t need;
	obol_err e;
	if (x->l != NULL)
		return obol_devlink_read(x->l, type, body, len);
	if ((e = read_exact(x, x->buf, OBOL_FRAME_HEADER_LEN)) != OBOL_OK ||
	    (e = obol_frame_need(x->buf, OBOL_FRAME_HEADER_LEN, &need)) != OBOL_OK)
		return e;
	if (need > sizeof x->buf)
		return OBOL_E_WIRE_OVERSIZED;
	if ((e = read_exact(x, x->buf + OBOL_FRAME_HEADER_LEN, need - OBOL_FRAME_HEADER_LEN)) != OBOL_OK)
		return e;
	return obol_frame_decode(x->buf, need, type, body, len);
}

struct exchange {
	struct end wallet, vendor;
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
		obol_err e = end_recv(&x->vendor, &type, &body, &len);
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
		if ((e = end_send(&x->vendor, COUPON_MSG_TOKEN_REQ, &spec.fields)) != OBOL_OK) {
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
		if ((e = end_send(&x->wallet, COUPON_MSG_TOKEN, &spec.fields)) != OBOL_OK ||
		    (e = end_recv(&x->wallet, &type, &body, &len)) != OBOL_OK)
			return e;
		coupon_spec_token_req(&spec, &req);
		if (type != COUPON_MSG_TOKEN_REQ || (e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
			return type != COUPON_MSG_TOKEN_REQ ? OBOL_E_WIRE_UNEXPECTED_MESSAGE : e;
	}
	return OBOL_OK;
}

static obol_err ours_tokens(void *a)
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
	if ((e = obol_vendor_cert_sign(&v->cert, v->master.sk)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(&v->cert, v->cbor, sizeof v->cbor, &len)) != OBOL_OK)
		return e;
	v->me = (struct obol_devlink_identity){ .key = &v->box, .kind = OBOL_DL_CRED_VENDOR, .cred = v->cbor,
						.cred_len = len };
	return OBOL_OK;
}

/* A socketpair with a vendor thread on it: a session (v), or plain frames
 * (with version 1's I/O when v1_io). */
static obol_err exchange_up(struct exchange *x, const struct bench_vendor *v, bool v1_io, pthread_t *th)
{
	int sv[2];
	obol_err e;
	memset(&x->wallet, 0, sizeof x->wallet);
	memset(&x->vendor, 0, sizeof x->vendor);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return OBOL_E_IO;
	x->wallet.fd = sv[0];
	x->vendor.fd = sv[1];
	x->wallet.v1_io = x->vendor.v1_io = v1_io;
	if (v != NULL) {
		struct obol_devlink_expect expect = { .issuer_pk = v->master.pk };
		pthread_t rt;
		if ((e = obol_devlink_from_fd(sv[0], 10000, &x->wallet.l)) != OBOL_OK ||
		    (e = obol_devlink_from_fd(sv[1], 10000, &x->vendor.l)) != OBOL_OK)
			return e;
		struct responder r = { x->vendor.l, &v->me, OBOL_OK };
		if (pthread_create(&rt, NULL, respond_main, &r) != 0)
			return OBOL_E_INTERNAL;
		e = obol_devlink_initiate(x->wallet.l, &expect);
		pthread_join(rt, NULL);
		if (e == OBOL_OK)
			e = r.e;
		if (e != OBOL_OK)
			return e;
	}
	return pthread_create(th, NULL, vendor_loop, x) == 0 ? OBOL_OK : OBOL_E_INTERNAL;
}

static void exchange_down(struct exchange *x, pthread_t th)
{
	/* Closing the wallet's end ends the vendor's loop. */
	if (x->wallet.l != NULL)
		obol_devlink_close(x->wallet.l);
	else
		close(x->wallet.fd);
	pthread_join(th, NULL);
	if (x->vendor.l != NULL)
		obol_devlink_close(x->vendor.l);
	else
		close(x->vendor.fd);
}

/* ---- the command ------------------------------------------------------------------ */

static void print_json(const struct obol_bench_fig *figs, size_t n, const struct hs_result *hs, double x25519_per_s)
{
	printf("{");
	for (size_t i = 0; i < n; i++)
		printf("\"%s_per_s\": %.1f, \"%s_raw_per_s\": %.1f, \"%s_ratio\": %.4f, ", figs[i].key, figs[i].per_s,
		       figs[i].key, figs[i].raw_per_s, figs[i].key,
		       figs[i].raw_per_s > 0 ? figs[i].per_s / figs[i].raw_per_s : 0);
	printf("\"x25519_per_s\": %.1f, \"vendor_handshakes_per_s\": %.1f, \"vendor_handshake_cpu_us\": %.1f, "
	       "\"wallet_handshake_cpu_us\": %.1f}\n",
	       x25519_per_s, hs->per_s, hs->vendor_cpu_us, hs->wallet_cpu_us);
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
	static struct exchange enc, plain, bare;
	struct bench_vendor v;
	struct hs_result hs = { 0 };
	pthread_t te = 0, tp = 0, tb = 0;
	bool up_e = false, up_p = false, up_b = false;
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
	if ((e = obol_crypto_init()) != OBOL_OK)
		return obol_cli_fail(cmd, e, "initialising the crypto libraries");

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
	memcpy(plain.value, enc.value, sizeof enc.value);
	memcpy(plain.anchor, enc.anchor, sizeof enc.anchor);
	memcpy(bare.value, enc.value, sizeof enc.value);
	memcpy(bare.anchor, enc.anchor, sizeof enc.anchor);

	struct obol_bench_fig figs[] = {
		{ "handshake", "NX handshake in memory, both sides", "6 x crypto_scalarmult (X25519)", 0, 0 },
		{ "record", "seal + open one record (TOKEN frame)", "ChaCha20-Poly1305 IETF enc + dec", 0, 0 },
		{ "tokens_64_ahead", "tokens, 64 ahead: encrypted link", "plain frames, version 1's I/O", 0, 0 },
		{ "tokens_64_ahead_bare", "tokens, 64 ahead: encrypted link", "plain frames, bare read/write", 0, 0 },
	};
	if ((e = obol_bench_pair(&figs[0], ours_handshake, &m, raw_x25519_6, &m, 1, seconds)) != OBOL_OK ||
	    (e = obol_bench_pair(&figs[1], ours_record, &m, raw_record, &m, 1, seconds)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "measuring in memory");
		goto out;
	}
	if ((e = exchange_up(&enc, &v, false, &te)) != OBOL_OK || !(up_e = true) ||
	    (e = exchange_up(&plain, NULL, true, &tp)) != OBOL_OK || !(up_p = true) ||
	    (e = exchange_up(&bare, NULL, false, &tb)) != OBOL_OK || !(up_b = true) ||
	    (e = obol_bench_pair(&figs[2], ours_tokens, &enc, ours_tokens, &plain, AHEAD, seconds * 2)) != OBOL_OK ||
	    (e = obol_bench_pair(&figs[3], ours_tokens, &enc, ours_tokens, &bare, AHEAD, seconds * 2)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "exchanging tokens");
		goto out;
	}
	if ((e = vendor_handshakes((unsigned)wallets, seconds * 2, &hs)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "handshakes at the vendor daemon");
		goto out;
	}

	double x25519 = figs[0].raw_per_s * 6;
	double per_cpu = hs.vendor_cpu_us > 0 ? 1e6 / hs.vendor_cpu_us : 0;
	double tok_enc_us = 1e6 / figs[2].per_s, tok_plain_us = 1e6 / figs[2].raw_per_s,
	       tok_bare_us = 1e6 / figs[3].raw_per_s;
	if (json) {
		print_json(figs, OBOL_ARRAY_LEN(figs), &hs, x25519);
		goto out;
	}
	obol_bench_print_table(stdout,
			       seconds < OBOL_BENCH_SECONDS ? "obol bench link (--quick)" : "obol bench link",
			       figs, OBOL_ARRAY_LEN(figs));
	printf("raw: X25519 %.0f/s; ChaCha20-Poly1305 enc+dec of a %zu-byte frame %.0f/s (one thread)\n", x25519,
	       m.frame_len, figs[1].raw_per_s);
	printf("handshakes at the vendor daemon (%u wallets, %.1f s): %.0f/s; vendor CPU %.0f us each = %.0f per CPU "
	       "second (%.2f of raw X25519 / 3); wallet CPU %.0f us each\n",
	       (unsigned)wallets, seconds * 2, hs.per_s, hs.vendor_cpu_us, per_cpu,
	       x25519 > 0 ? per_cpu * 3 / x25519 : 0, hs.wallet_cpu_us);
	printf("link cost per token, 64 ahead: %.4f us at each end (one record sealed and one opened per %d tokens)\n",
	       1e6 / figs[1].per_s / AHEAD, AHEAD);
	printf("token exchange, 64 ahead, vendor without its store: %.3f us per token encrypted, %.3f plain "
	       "(version 1's I/O), %.3f plain (bare read/write): encrypted/plain %.3f and %.3f (limit: >= 0.75)\n",
	       tok_enc_us, tok_plain_us, tok_bare_us, figs[2].per_s / figs[2].raw_per_s,
	       figs[3].per_s / figs[3].raw_per_s);
out:
	if (up_e)
		exchange_down(&enc, te);
	if (up_p)
		exchange_down(&plain, tp);
	if (up_b)
		exchange_down(&bare, tb);
	OBOL_WIPE(m);
	return rc;
}

OBOL_COMMAND(bench_link_cmd, "bench link", "[--quick] [--json] [--wallets N]",
	     "measure the encrypted device link: handshakes at a vendor daemon, the cost per token, against raw X25519 "
	     "and ChaCha20-Poly1305",
	     "  --quick       about 0.2 s per figure instead of about 1 s\n"
	     "  --wallets N   wallets connecting at once to the vendor daemon (default 8)\n"
	     "  --json        print one JSON object: <figure>_per_s, <figure>_raw_per_s, <figure>_ratio, and the\n"
	     "                vendor's handshake figures\n"
	     "Starts an issuer and a vendor daemon in a temporary directory for the handshakes.",
	     cmd_bench_link)
