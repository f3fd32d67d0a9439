/* Noise_NX_25519_ChaChaPoly_SHA256 (src/crypto/noise.c) against the
 * published vectors in tests/vectors/noise_nx.txt (cacophony and snow), both
 * roles, handshake and transport; then the refusals. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/noise.h"
#include "crypto/secret.h"
#include "../test.h"

#define VEC_FILE "tests/vectors/noise_nx.txt"
#define VEC_MAX 4
#define MSG_MAX 8
#define HEX_MAX 512

struct vmsg {
	uint8_t payload[HEX_MAX], ct[HEX_MAX];
	size_t payload_len, ct_len;
};

struct vector {
	char name[32];
	uint8_t prologue[HEX_MAX];
	size_t prologue_len;
	uint8_t init_e[32], resp_s[32], resp_e[32], hash[32];
	bool has_hash;
	struct vmsg msg[MSG_MAX];
	size_t nmsg;
};

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	if (strcmp(s, "-") == 0) {
		*len = 0;
		return 0;
	}
	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int unhex32(const char *s, uint8_t out[32])
{
	size_t n;
	return unhex(s, out, 32, &n) == 0 && n == 32 ? 0 : -1;
}

static int load(struct vector *vs, size_t *nv)
{
	static char line[4 * HEX_MAX];
	FILE *f = fopen(VEC_FILE, "r");
	struct vector *v = NULL;
	int bad = 0;
	*nv = 0;
	if (f == NULL)
		return -1;
	while (!bad && fgets(line, sizeof line, f) != NULL) {
		char key[32], a[2 * HEX_MAX + 1], b[2 * HEX_MAX + 1];
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		if (line[0] == '[') {
			if (*nv == VEC_MAX) {
				bad = 1;
				break;
			}
			v = &vs[(*nv)++];
			memset(v, 0, sizeof *v);
			snprintf(v->name, sizeof v->name, "%s", line);
			continue;
		}
		if (v == NULL || sscanf(line, "%31s = %1024s %1024s", key, a, b) < 2) {
			bad = 1;
			break;
		}
		if (strcmp(key, "prologue") == 0)
			bad = unhex(a, v->prologue, sizeof v->prologue, &v->prologue_len);
		else if (strcmp(key, "init_ephemeral") == 0)
			bad = unhex32(a, v->init_e);
		else if (strcmp(key, "resp_static") == 0)
			bad = unhex32(a, v->resp_s);
		else if (strcmp(key, "resp_ephemeral") == 0)
			bad = unhex32(a, v->resp_e);
		else if (strcmp(key, "handshake_hash") == 0)
			bad = unhex32(a, v->hash) || !(v->has_hash = true);
		else if (strcmp(key, "msg") == 0 && v->nmsg < MSG_MAX) {
			struct vmsg *m = &v->msg[v->nmsg++];
			bad = unhex(a, m->payload, sizeof m->payload, &m->payload_len) ||
			      unhex(b, m->ct, sizeof m->ct, &m->ct_len);
		} else
			bad = 1;
	}
	fclose(f);
	return bad ? -1 : 0;
}

static void keypair(struct obol_box_keypair *kp, const uint8_t sk[32])
{
	memcpy(kp->sk, sk, 32);
	crypto_scalarmult_base(kp->pk, kp->sk);
}

/* Runs one vector: each side writes its messages, which must equal the
 * vector's ciphertexts, and reads the other's, which must give the payloads. */
static void run_vector(const struct vector *v)
{
	struct obol_noise_handshake ini, res;
	struct obol_noise_cipher i_tx, i_rx, r_tx, r_rx;
	struct obol_box_keypair rs;
	uint8_t out[HEX_MAX], pl[HEX_MAX], hi[32], hr[32];
	size_t len, plen;
	keypair(&rs, v->resp_s);
	REQUIRE(v->nmsg >= 2);
	REQUIRE_OK(obol_noise_handshake_init(&ini, &(struct obol_noise_init){ .initiator = true,
									    .prologue = v->prologue,
									    .prologue_len = v->prologue_len,
									    .fixed_e = v->init_e }));
	REQUIRE_OK(obol_noise_handshake_init(&res, &(struct obol_noise_init){ .initiator = false,
									    .prologue = v->prologue,
									    .prologue_len = v->prologue_len,
									    .s = &rs,
									    .fixed_e = v->resp_e }));
	for (size_t i = 0; i < 2; i++) {
		struct obol_noise_handshake *w = i == 0 ? &ini : &res, *r = i == 0 ? &res : &ini;
		const struct vmsg *m = &v->msg[i];
		REQUIRE_OK(obol_noise_write_message(w, m->payload, m->payload_len, out, sizeof out, &len));
		CHECK_EQ_INT(len, m->ct_len);
		CHECK_MEM_EQ(out, m->ct, m->ct_len);
		REQUIRE_OK(obol_noise_read_message(r, m->ct, m->ct_len, pl, sizeof pl, &plen));
		CHECK_EQ_INT(plen, m->payload_len);
		CHECK_MEM_EQ(pl, m->payload, m->payload_len);
	}
	REQUIRE(obol_noise_handshake_done(&ini) && obol_noise_handshake_done(&res));
	CHECK(obol_noise_remote_static(&ini) != NULL);
	CHECK_MEM_EQ(obol_noise_remote_static(&ini), rs.pk, 32);
	CHECK(obol_noise_remote_static(&res) == NULL);
	obol_noise_handshake_hash(&ini, hi);
	obol_noise_handshake_hash(&res, hr);
	CHECK_MEM_EQ(hi, hr, 32);
	if (v->has_hash)
		CHECK_MEM_EQ(hi, v->hash, 32);
	REQUIRE_OK(obol_noise_split(&ini, &i_tx, &i_rx));
	REQUIRE_OK(obol_noise_split(&res, &r_rx, &r_tx));
	/* Transport: initiator first, then alternating. */
	for (size_t i = 2; i < v->nmsg; i++) {
		const struct vmsg *m = &v->msg[i];
		bool from_ini = i % 2 == 0;
		REQUIRE(m->payload_len + OBOL_NOISE_TAG_LEN == m->ct_len);
		REQUIRE_OK(obol_noise_encrypt(from_ini ? &i_tx : &r_tx, NULL, 0, m->payload, m->payload_len, out));
		CHECK_MEM_EQ(out, m->ct, m->ct_len);
		REQUIRE_OK(obol_noise_decrypt(from_ini ? &r_rx : &i_rx, NULL, 0, m->ct, m->ct_len, pl));
		CHECK_MEM_EQ(pl, m->payload, m->payload_len);
	}
	obol_noise_handshake_wipe(&ini);
	obol_noise_handshake_wipe(&res);
}

TEST(noise, nx_published_vectors)
{
	static struct vector vs[VEC_MAX];
	size_t n;
	REQUIRE(load(vs, &n) == 0);
	REQUIRE(n == 2); /* cacophony and snow */
	for (size_t i = 0; i < n; i++) {
		test_note("vector %s: %zu messages%s", vs[i].name, vs[i].nmsg,
			  vs[i].has_hash ? ", handshake hash" : "");
		run_vector(&vs[i]);
	}
}

/* A fresh handshake with random keys, up to the second message written. */
static void handshake(struct obol_noise_handshake *ini, struct obol_noise_handshake *res,
		      const char *prologue_i, const char *prologue_r, uint8_t *m2, size_t *m2_len)
{
	static struct obol_box_keypair rs;
	uint8_t m1[64], pl[64];
	size_t n, plen;
	obol_box_keypair_new(&rs);
	if (obol_noise_handshake_init(ini, &(struct obol_noise_init){ .initiator = true,
								      .prologue = (const uint8_t *)prologue_i,
								      .prologue_len = strlen(prologue_i) }) != OBOL_OK ||
	    obol_noise_handshake_init(res, &(struct obol_noise_init){ .prologue = (const uint8_t *)prologue_r,
								      .prologue_len = strlen(prologue_r),
								      .s = &rs }) != OBOL_OK ||
	    obol_noise_write_message(ini, NULL, 0, m1, sizeof m1, &n) != OBOL_OK ||
	    obol_noise_read_message(res, m1, n, pl, sizeof pl, &plen) != OBOL_OK ||
	    obol_noise_write_message(res, (const uint8_t *)"cert", 4, m2, 256, m2_len) != OBOL_OK)
		obol_test_fail(__FILE__, __LINE__, "handshake setup failed");
}

TEST(noise, a_changed_bit_or_another_prologue_fails_the_handshake)
{
	struct obol_noise_handshake ini, res;
	uint8_t m2[256], pl[64];
	size_t n, plen;
	/* Every bit of message 2 matters: the ephemeral key, the encrypted
	 * static key and the payload. */
	for (size_t bit = 0; bit < 8 * (32 + 48 + 4 + 16); bit += 37) {
		handshake(&ini, &res, "obol", "obol", m2, &n);
		REQUIRE(n == 32 + 48 + 4 + 16);
		m2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		obol_err e = obol_noise_read_message(&ini, m2, n, pl, sizeof pl, &plen);
		if (e != OBOL_E_DECRYPT_FAILED && e != OBOL_E_KEY_INVALID)
			obol_test_fail(__FILE__, __LINE__, "bit %zu flipped: %s", bit, obol_strerror(e));
	}
	handshake(&ini, &res, "obol v2", "obol v1", m2, &n);
	CHECK_ERR(obol_noise_read_message(&ini, m2, n, pl, sizeof pl, &plen), OBOL_E_DECRYPT_FAILED);
	/* A failed handshake is dropped (§5): each case starts afresh. */
	handshake(&ini, &res, "obol", "obol", m2, &n);
	CHECK_ERR(obol_noise_read_message(&ini, m2, n - 1, pl, sizeof pl, &plen), OBOL_E_DECRYPT_FAILED);
	handshake(&ini, &res, "obol", "obol", m2, &n);
	CHECK_ERR(obol_noise_read_message(&ini, m2, 32 + 40, pl, sizeof pl, &plen), OBOL_E_WIRE_TRUNCATED);
	handshake(&ini, &res, "obol", "obol", m2, &n);
	CHECK_OK(obol_noise_read_message(&ini, m2, n, pl, sizeof pl, &plen));
	CHECK_EQ_INT(plen, 4);
}

TEST(noise, turns_roles_and_low_order_keys_are_refused)
{
	struct obol_noise_handshake hs;
	struct obol_box_keypair kp;
	uint8_t out[128], pl[16];
	size_t n;
	obol_box_keypair_new(&kp);
	/* NX: the initiator has no static key, the responder one. */
	CHECK_ERR(obol_noise_handshake_init(&hs, &(struct obol_noise_init){ .initiator = true, .s = &kp }),
		  OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_noise_handshake_init(&hs, &(struct obol_noise_init){ .initiator = false }),
		  OBOL_E_INVALID_ARGUMENT);
	/* The responder may not speak first, nor the initiator read first. */
	REQUIRE_OK(obol_noise_handshake_init(&hs, &(struct obol_noise_init){ .s = &kp }));
	CHECK_ERR(obol_noise_write_message(&hs, NULL, 0, out, sizeof out, &n), OBOL_E_INVALID_ARGUMENT);
	/* An all-zero ephemeral key from the initiator (a low-order point):
	 * the responder's ee gives zeros and is refused. */
	memset(out, 0, 32);
	REQUIRE_OK(obol_noise_read_message(&hs, out, 32, pl, sizeof pl, &n));
	CHECK_ERR(obol_noise_write_message(&hs, NULL, 0, out, sizeof out, &n), OBOL_E_KEY_INVALID);
	REQUIRE_OK(obol_noise_handshake_init(&hs, &(struct obol_noise_init){ .initiator = true }));
	CHECK_ERR(obol_noise_read_message(&hs, out, 32, pl, sizeof pl, &n), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_noise_split(&hs, &(struct obol_noise_cipher){ 0 }, &(struct obol_noise_cipher){ 0 }),
		  OBOL_E_INVALID_ARGUMENT);
}

TEST(noise, transport_nonces_are_implicit_and_end_at_the_reserved_value)
{
	struct obol_noise_cipher a = { .has_key = true }, b;
	uint8_t ct[32], ct2[32], pt[16];
	obol_random(a.k, sizeof a.k);
	b = a;
	REQUIRE_OK(obol_noise_encrypt(&a, NULL, 0, (const uint8_t *)"one", 3, ct));
	REQUIRE_OK(obol_noise_encrypt(&a, NULL, 0, (const uint8_t *)"two", 3, ct2));
	/* Out of order: the second under nonce 0 does not authenticate, and
	 * the failure leaves n where it was (§5.1). */
	CHECK_ERR(obol_noise_decrypt(&b, NULL, 0, ct2, 19, pt), OBOL_E_DECRYPT_FAILED);
	CHECK_EQ_INT(b.n, 0);
	CHECK_OK(obol_noise_decrypt(&b, NULL, 0, ct, 19, pt));
	/* A replay of the first under nonce 1 does not either. */
	CHECK_ERR(obol_noise_decrypt(&b, NULL, 0, ct, 19, pt), OBOL_E_DECRYPT_FAILED);
	CHECK_OK(obol_noise_decrypt(&b, NULL, 0, ct2, 19, pt));
	CHECK_MEM_EQ(pt, "two", 3);
	a.n = UINT64_MAX - 1;
	CHECK_OK(obol_noise_encrypt(&a, NULL, 0, pt, 3, ct));
	CHECK_ERR(obol_noise_encrypt(&a, NULL, 0, pt, 3, ct), OBOL_E_NOISE_EXHAUSTED);
	obol_noise_cipher_wipe(&a);
	obol_noise_cipher_wipe(&b);
}
