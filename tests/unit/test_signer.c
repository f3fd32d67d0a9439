/* The issuer's signing process (src/issuer/signer.h) and its client
 * (signer_client.h): what it signs, and each refusal by name. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "schemes/codex/blacklist_pages.h"
#include "schemes/codex/messages.h"
#include "schemes/common/key_announce.h"
#include "schemes/common/keys_doc.h"
#include "schemes/common/receipt.h"
#include "schemes/common/vendor_cert.h"
#include "schemes/coupon/messages.h"
#include "schemes/payword/messages.h"
#include "issuer/signer.h"
#include "issuer/signer_client.h"
#include "test.h"

/* A signer store with, each announced by the master f->master (its public
 * key pinned as the import does): a denomination key usable now, one whose
 * window has ended, one whose window has not begun, the bank key, the box
 * key (no announcement: it signs nothing) and an online Ed25519 key; and
 * two denomination keys the signer must refuse: bare_id (no announcement)
 * and foreign_id (announced by another master). */
struct fixture {
	char db[512], sock[512], log[512];
	EVP_PKEY *now_key, *bank_key;
	uint8_t now_id[32], old_id[32], next_id[32], bank_id[32], bare_id[32], foreign_id[32];
	struct obol_box_keypair box;
	struct obol_sign_keypair ed, master;
	struct obol_signer *sg;
	uint64_t serial;
	int64_t now; /* the windows above are from it */
};

static obol_err put_rsa(struct obol_store *s, int kind, EVP_PKEY *k, uint8_t id[32])
{
	uint8_t *sk = NULL, *pk = NULL;
	size_t skl = 0, pkl = 0;
	obol_err e;
	if ((e = obol_rsa_key_id(k, id)) == OBOL_OK && (e = obol_rsa_private_to_der(k, &sk, &skl)) == OBOL_OK &&
	    (e = obol_rsa_public_to_der(k, &pk, &pkl)) == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO signer_keys (key_id, kind, secret, public, valid_from, use_until, announced)"
				   " VALUES (?, ?, ?, ?, 0, 0, 0)",
				   "bibb", id, (size_t)32, (int64_t)kind, sk, skl, pk, pkl);
	if (sk)
		obol_rsa_der_free(sk, skl);
	if (pk)
		obol_rsa_der_free(pk, pkl);
	return e;
}

static obol_err put_raw(struct obol_store *s, int kind, const uint8_t *id, const uint8_t *secret, size_t len)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO signer_keys (key_id, kind, secret, public, valid_from, use_until, announced)"
			      " VALUES (?, ?, ?, ?, 0, 0, 0)",
			      "bibb", id, (size_t)32, (int64_t)kind, secret, len, id, (size_t)32);
}

/* Stores an announcement signed by master: of an online key (key: its 32
 * bytes), of an RSA key (k), or, kind REVOKE, of the revocation of the key
 * whose announcement id is revoked, in force from `from`. */
static obol_err announce(struct obol_store *s, struct fixture *f, const struct obol_sign_keypair *master,
			 uint64_t kind, EVP_PKEY *k, const uint8_t *key, const uint8_t *revoked, int64_t from,
			 int64_t until)
{
	struct obol_key_announce a;
	uint8_t *der = NULL, buf[OBOL_KEY_ANNOUNCE_MAX + 128];
	size_t len = 0;
	obol_err e = OBOL_OK;
	memset(&a, 0, sizeof a);
	a.kind = kind;
	strcpy(a.currency, "EUR");
	a.serial = ++f->serial;
	a.valid_from = from;
	if (kind == OBOL_KEY_REVOKE) {
		memcpy(a.revoked, revoked, 32);
	} else {
		a.use_until = until;
		a.accept_until = until + 10;
		if (kind == OBOL_KEY_ONLINE) {
			memcpy(a.key, key, 32);
			a.key_len = 32;
		} else {
			if ((e = obol_rsa_public_to_der(k, &der, &len)) != OBOL_OK)
				return e;
			memcpy(a.key, der, len);
			a.key_len = len;
			obol_rsa_der_free(der, len);
			a.legal_end = a.accept_until + 10;
		}
		if (kind == OBOL_KEY_COUPON_DENOM) {
			a.tokens = 1;
			if ((e = obol_amount_parse("EUR:1", &a.value)) != OBOL_OK)
				return e;
		}
	}
	if ((e = obol_key_announce_sign(&a, master->sk)) != OBOL_OK ||
	    (e = obol_key_announce_encode(&a, buf, sizeof buf, &len)) != OBOL_OK)
		return e;
	return obol_store_run(s, NULL, "INSERT INTO signer_announcements (serial, announcement) VALUES (?, ?)", "ib",
			      (int64_t)a.serial, buf, len);
}

/* One more import: a running signer reloads. */
static obol_err bump(struct obol_store *s)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO signer_state (id, generation) VALUES (1, 1)"
			      " ON CONFLICT (id) DO UPDATE SET generation = signer_state.generation + 1",
			      "");
}

static bool fixture_up(struct fixture *f, uid_t peer)
{
	struct obol_store *s = NULL;
	EVP_PKEY *old = NULL, *next = NULL, *bare = NULL, *foreign = NULL;
	struct obol_sign_keypair other;
	uint8_t seed[32];
	int64_t now = obol_now();
	bool ok = false;
	memset(f, 0, sizeof(*f));
	f->now = now;
	snprintf(f->db, sizeof f->db, "sqlite:%s/signer.db", test_tmpdir());
	snprintf(f->sock, sizeof f->sock, "%s/signer.sock", test_tmpdir());
	snprintf(f->log, sizeof f->log, "%s/signer.log", test_tmpdir());
	obol_box_keypair_new(&f->box);
	for (size_t i = 0; i < sizeof seed; i++)
		seed[i] = (uint8_t)(7 * i + 1);
	obol_sign_keypair_new(&f->master);
	obol_sign_keypair_new(&other);
	obol_sign_keypair_from_seed(&f->ed, seed);
	if (obol_rsa_generate(1024, &f->now_key) != OBOL_OK || obol_rsa_generate(1024, &old) != OBOL_OK ||
	    obol_rsa_generate(1024, &next) != OBOL_OK || obol_rsa_generate(2048, &f->bank_key) != OBOL_OK ||
	    obol_rsa_generate(1024, &bare) != OBOL_OK || obol_rsa_generate(1024, &foreign) != OBOL_OK ||
	    obol_store_open(f->db, true, &s) != OBOL_OK || obol_signer_store_migrate(s) != OBOL_OK ||
	    obol_store_run(s, NULL, "INSERT INTO signer_master (id, master_pk) VALUES (1, ?)", "b", f->master.pk,
			   (size_t)32) != OBOL_OK ||
	    put_rsa(s, OBOL_SIGNER_KEY_DENOM, f->now_key, f->now_id) != OBOL_OK ||
	    put_rsa(s, OBOL_SIGNER_KEY_DENOM, old, f->old_id) != OBOL_OK ||
	    put_rsa(s, OBOL_SIGNER_KEY_DENOM, next, f->next_id) != OBOL_OK ||
	    put_rsa(s, OBOL_SIGNER_KEY_DENOM, bare, f->bare_id) != OBOL_OK ||
	    put_rsa(s, OBOL_SIGNER_KEY_DENOM, foreign, f->foreign_id) != OBOL_OK ||
	    put_rsa(s, OBOL_SIGNER_KEY_BANK, f->bank_key, f->bank_id) != OBOL_OK ||
	    put_raw(s, OBOL_SIGNER_KEY_BOX, f->box.pk, f->box.sk, 32) != OBOL_OK ||
	    put_raw(s, OBOL_SIGNER_KEY_ONLINE, f->ed.pk, seed, 32) != OBOL_OK ||
	    announce(s, f, &f->master, OBOL_KEY_COUPON_DENOM, f->now_key, NULL, NULL, now - 60, now + 3601) != OBOL_OK ||
	    announce(s, f, &f->master, OBOL_KEY_COUPON_DENOM, old, NULL, NULL, now - 7200, now - 3599) != OBOL_OK ||
	    announce(s, f, &f->master, OBOL_KEY_COUPON_DENOM, next, NULL, NULL, now + 3600, now + 7201) != OBOL_OK ||
	    announce(s, f, &other, OBOL_KEY_COUPON_DENOM, foreign, NULL, NULL, now - 60, now + 3601) != OBOL_OK ||
	    /* the bank's announced window ended: it keeps no end (signer.h) */
	    announce(s, f, &f->master, OBOL_KEY_ECASH_BANK, f->bank_key, NULL, NULL, now - 7200, now - 3600) != OBOL_OK ||
	    announce(s, f, &f->master, OBOL_KEY_ONLINE, NULL, f->ed.pk, NULL, now - 60, now + 3601) != OBOL_OK ||
	    bump(s) != OBOL_OK)
		goto out;
	struct obol_signer_config cfg = { .db_url = f->db, .socket_path = f->sock, .log_path = f->log, .peer_uid = peer };
	ok = obol_signer_start(&cfg, &f->sg) == OBOL_OK;
out:
	obol_store_close(s);
	EVP_PKEY_free(old);
	EVP_PKEY_free(next);
	EVP_PKEY_free(bare);
	EVP_PKEY_free(foreign);
	OBOL_WIPE(other);
	return ok;
}

static void fixture_down(struct fixture *f)
{
	obol_signer_stop(f->sg);
	EVP_PKEY_free(f->now_key);
	EVP_PKEY_free(f->bank_key);
}

/* A blinded message for key k. */
static void blinded_for(EVP_PKEY *k, uint8_t *out, size_t *len, struct obol_blindrsa_state *st)
{
	uint8_t prepared[64];
	size_t plen;
	static const uint8_t msg[] = "a coin";
	if (obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_RANDOMIZED, msg, sizeof msg, prepared, sizeof prepared, &plen) !=
		    OBOL_OK ||
	    obol_blindrsa_blind(k, prepared, plen, out, OBOL_RSA_MAX_MODULUS, len, st) != OBOL_OK)
		*len = 0;
}

TEST(signer, blind_signs_only_a_denomination_key_usable_now)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	struct obol_blindrsa_state st;
	uint8_t blinded[OBOL_RSA_MAX_MODULUS], sig[OBOL_RSA_MAX_MODULUS], fin[OBOL_RSA_MAX_MODULUS], unknown[32] = { 1 };
	size_t blen = 0, slen = 0, flen = 0;
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	blinded_for(f.now_key, blinded, &blen, &st);
	REQUIRE(blen == 128);
	CHECK_OK(obol_signer_client_blind_sign(c, f.now_id, blinded, blen, sig, sizeof sig, &slen));
	CHECK_OK(obol_blindrsa_finalize(f.now_key, &st, sig, slen, fin, sizeof fin, &flen));
	CHECK_ERR(obol_signer_client_blind_sign(c, unknown, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_UNKNOWN);
	CHECK_ERR(obol_signer_client_blind_sign(c, f.old_id, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_NOT_USABLE);
	CHECK_ERR(obol_signer_client_blind_sign(c, f.next_id, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_NOT_USABLE);
	/* held, but without an announcement, or announced by another master */
	CHECK_ERR(obol_signer_client_blind_sign(c, f.bare_id, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_NOT_ANNOUNCED);
	CHECK_ERR(obol_signer_client_blind_sign(c, f.foreign_id, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_NOT_ANNOUNCED);
	/* the bank's key is no denomination key, nor the box's */
	CHECK_ERR(obol_signer_client_blind_sign(c, f.bank_id, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_UNKNOWN);
	CHECK_ERR(obol_signer_client_blind_sign(c, f.box.pk, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_UNKNOWN);
	CHECK_ERR(obol_signer_client_blind_sign(c, f.now_id, blinded, blen - 1, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_FRAME_INVALID);
	/* the bank signs RSA-PSS under its own key only, messages of any
	 * length (a revocation list far beyond a frame) */
	size_t big_len = 3 * OBOL_SIGNER_FRAME_MAX;
	uint8_t *big = calloc(1, big_len), digest[OBOL_RSAPSS_DIGEST_LEN] = { 0 };
	REQUIRE(big);
	big[big_len - 1] = 1;
	CHECK_OK(obol_signer_client_rsa_sign(c, f.bank_id, big, big_len, sig, sizeof sig, &slen));
	CHECK_OK(obol_rsapss_verify(f.bank_key, big, big_len, sig, slen));
	free(big);
	CHECK_ERR(obol_signer_client_rsa_sign(c, f.now_id, blinded, 40, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_UNKNOWN);
	CHECK_ERR(obol_signer_client_call(c, OBOL_SIGNER_RSA_SIGN, f.bank_id, digest, sizeof digest - 1, sig, sizeof sig,
					  &slen),
		  OBOL_E_SIGNER_FRAME_INVALID);
	struct obol_signer_counts n;
	obol_signer_counts(f.sg, &n);
	CHECK_EQ_INT(n.ok[OBOL_SIGNER_BLIND_SIGN], 1);
	CHECK_EQ_INT(n.refused[OBOL_SIGNER_BLIND_SIGN], 8);
	obol_signer_client_close(c);
	fixture_down(&f);
}

TEST(signer, ed25519_signs_under_the_allowed_contexts_only)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	uint8_t sig[64], other[32] = { 9 };
	static const uint8_t msg[] = "an answer";
	/* exactly the shape of struct obol_ed25519_signer's sign */
	obol_err (*sign)(void *ctx, const uint8_t pk[32], const char *context, const uint8_t *msg, size_t len,
			 uint8_t sig[64]) = obol_signer_client_ed25519_sign;
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	CHECK_OK(sign(c, f.ed.pk, "coupon-lock-reply", msg, sizeof msg, sig));
	CHECK_OK(obol_sign_verify(sig, "coupon-lock-reply", msg, sizeof msg, f.ed.pk));
	CHECK_OK(sign(c, f.ed.pk, "issuer-keys", msg, sizeof msg, sig));
	/* the master's context, a vendor's request, a made-up one */
	CHECK_ERR(sign(c, f.ed.pk, "key-announce", msg, sizeof msg, sig), OBOL_E_SIGNER_CONTEXT_REFUSED);
	CHECK_ERR(sign(c, f.ed.pk, "coupon-lock", msg, sizeof msg, sig), OBOL_E_SIGNER_CONTEXT_REFUSED);
	CHECK_ERR(sign(c, f.ed.pk, "coupon-lock-reply2", msg, sizeof msg, sig), OBOL_E_SIGNER_CONTEXT_REFUSED);
	CHECK_ERR(sign(c, f.ed.pk, "", msg, sizeof msg, sig), OBOL_E_SIGNER_CONTEXT_REFUSED);
	CHECK_ERR(sign(c, other, "coupon-lock-reply", msg, sizeof msg, sig), OBOL_E_SIGNER_KEY_UNKNOWN);
	/* a message beyond the cap, sent as a raw request */
	uint8_t *big = calloc(1, 2 + 17 + OBOL_SIGNER_ED_MSG_MAX), out[64];
	size_t n;
	REQUIRE(big);
	big[0] = 17;
	memcpy(big + 1, "coupon-lock-reply", 17);
	CHECK_ERR(obol_signer_client_call(c, OBOL_SIGNER_ED25519_SIGN, f.ed.pk, big, 1 + 17 + OBOL_SIGNER_ED_MSG_MAX + 1,
					  out, sizeof out, &n),
		  OBOL_E_SIGNER_FRAME_INVALID);
	CHECK_OK(obol_signer_client_call(c, OBOL_SIGNER_ED25519_SIGN, f.ed.pk, big, 1 + 17 + OBOL_SIGNER_ED_MSG_MAX, out,
					 sizeof out, &n));
	free(big);
	obol_signer_client_close(c);
	fixture_down(&f);
}

TEST(signer, opens_boxes_sealed_to_the_issuer_only)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	struct obol_box_keypair other;
	uint8_t box[16 + OBOL_SEALBOX_OVERHEAD], plain[16];
	static const uint8_t msg[16] = "sealed to F";
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	REQUIRE_OK(obol_sealbox_seal(box, msg, sizeof msg, f.box.pk));
	CHECK_OK(obol_signer_client_box_open(c, f.box.pk, plain, box, sizeof box));
	CHECK(memcmp(plain, msg, sizeof msg) == 0);
	/* through an opener, as the coupon core does */
	struct obol_box_keypair pub = { 0 };
	memcpy(pub.pk, f.box.pk, 32);
	struct obol_box_opener by = { .kp = &pub, .open = obol_signer_client_box_open, .ctx = c };
	memset(plain, 0, sizeof plain);
	CHECK_OK(obol_sealbox_open_by(&by, plain, box, sizeof box));
	CHECK(memcmp(plain, msg, sizeof msg) == 0);
	box[20] ^= 1;
	CHECK_ERR(obol_signer_client_box_open(c, f.box.pk, plain, box, sizeof box), OBOL_E_DECRYPT_FAILED);
	obol_box_keypair_new(&other);
	REQUIRE_OK(obol_sealbox_seal(box, msg, sizeof msg, other.pk));
	CHECK_ERR(obol_signer_client_box_open(c, other.pk, plain, box, sizeof box), OBOL_E_SIGNER_KEY_UNKNOWN);
	CHECK_ERR(obol_signer_client_box_open(c, f.ed.pk, plain, box, sizeof box), OBOL_E_SIGNER_KEY_UNKNOWN);
	obol_signer_client_close(c);
	fixture_down(&f);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The code of the one reply frame on fd; -1 when the connection ended. */
static long reply_code(int fd)
{
	uint8_t buf[2048];
	size_t n;
	if (obol_signer_frame_read(fd, buf, sizeof buf, &n) != OBOL_OK || n < 4)
		return -1;
	return (long)((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3]);
}

TEST(signer, refuses_unknown_kinds_and_bad_frames)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	uint8_t out[64], zero[32] = { 0 };
	size_t n;
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	CHECK_ERR(obol_signer_client_call(c, 0, zero, NULL, 0, out, sizeof out, &n), OBOL_E_SIGNER_REQUEST_REFUSED);
	CHECK_ERR(obol_signer_client_call(c, 9, zero, out, 8, out, sizeof out, &n), OBOL_E_SIGNER_REQUEST_REFUSED);
	CHECK_ERR(obol_signer_client_call(c, 255, f.now_id, out, 8, out, sizeof out, &n), OBOL_E_SIGNER_REQUEST_REFUSED);

	/* a request shorter than kind and key id: refused, the connection goes on */
	int fd = raw_connect(f.sock);
	REQUIRE(fd >= 0);
	static const uint8_t shortreq[3] = { OBOL_SIGNER_BLIND_SIGN, 1, 2 };
	REQUIRE_OK(obol_signer_frame_write(fd, shortreq, sizeof shortreq, NULL, 0));
	CHECK_EQ_INT(reply_code(fd), OBOL_E_SIGNER_FRAME_INVALID);
	uint8_t status[33] = { OBOL_SIGNER_STATUS };
	REQUIRE_OK(obol_signer_frame_write(fd, status, sizeof status, NULL, 0));
	CHECK_EQ_INT(reply_code(fd), 0);
	/* a length beyond the maximum: refused, and the connection ends */
	static const uint8_t huge[4] = { 0x7f, 0xff, 0xff, 0xff };
	CHECK(send(fd, huge, 4, MSG_NOSIGNAL) == 4);
	CHECK_EQ_INT(reply_code(fd), OBOL_E_SIGNER_FRAME_INVALID);
	CHECK_EQ_INT(reply_code(fd), -1);
	close(fd);
	/* a zero length */
	fd = raw_connect(f.sock);
	REQUIRE(fd >= 0);
	CHECK(send(fd, zero, 4, MSG_NOSIGNAL) == 4);
	CHECK_EQ_INT(reply_code(fd), OBOL_E_SIGNER_FRAME_INVALID);
	close(fd);
	/* a truncated frame: 100 bytes announced, 10 sent, then the end: no
	 * answer, nothing signed, and the signer serves the others */
	fd = raw_connect(f.sock);
	REQUIRE(fd >= 0);
	uint8_t trunc[14] = { 0, 0, 0, 100, OBOL_SIGNER_BLIND_SIGN };
	CHECK(send(fd, trunc, sizeof trunc, MSG_NOSIGNAL) == (ssize_t)sizeof trunc);
	shutdown(fd, SHUT_WR);
	CHECK_EQ_INT(reply_code(fd), -1);
	close(fd);
	uint8_t counts[1024];
	CHECK_OK(obol_signer_client_call(c, OBOL_SIGNER_STATUS, zero, NULL, 0, counts, sizeof counts, &n));
	struct obol_signer_counts k;
	obol_signer_counts(f.sg, &k);
	CHECK_EQ_INT(k.ok[OBOL_SIGNER_BLIND_SIGN], 0);
	obol_signer_client_close(c);
	fixture_down(&f);
}

TEST(signer, answers_its_configured_uid_only)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	/* the test runs as one user: a signer configured for another refuses it */
	REQUIRE(fixture_up(&f, geteuid() + 1));
	CHECK_ERR(obol_signer_client_open(f.sock, &c), OBOL_E_SIGNER_PEER_REFUSED);
	struct obol_signer_counts k;
	obol_signer_counts(f.sg, &k);
	CHECK_EQ_INT(k.refused[0], 1);
	CHECK_EQ_INT(k.ok[OBOL_SIGNER_STATUS], 0);
	fixture_down(&f);
}

TEST(signer, log_names_kind_key_and_size_never_content)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	uint8_t sig[64], buf[8192];
	static const uint8_t msg[] = "SECRET-MESSAGE-CONTENT";
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	CHECK_OK(obol_signer_client_ed25519_sign(c, f.ed.pk, "vendor-cert", msg, sizeof msg, sig));
	CHECK_ERR(obol_signer_client_ed25519_sign(c, f.ed.pk, "key-announce", msg, sizeof msg, sig),
		  OBOL_E_SIGNER_CONTEXT_REFUSED);
	obol_signer_client_close(c);
	fixture_down(&f);
	FILE *l = fopen(f.log, "r");
	REQUIRE(l);
	size_t n = fread(buf, 1, sizeof buf - 1, l);
	fclose(l);
	buf[n] = '\0';
	CHECK(strstr((char *)buf, " ed25519-sign key=") != NULL);
	CHECK(strstr((char *)buf, "size=35 OK") != NULL);
	CHECK(strstr((char *)buf, "SIGNER_CONTEXT_REFUSED") != NULL);
	CHECK(strstr((char *)buf, "SECRET") == NULL);
	CHECK(memmem(buf, n, f.ed.sk, 16) == NULL);
}

struct par {
	struct obol_signer_client *c;
	struct fixture *f;
	int ok;
};

static void *par_main(void *arg)
{
	struct par *p = arg;
	for (int i = 0; i < 8; i++) {
		struct obol_blindrsa_state st;
		uint8_t b[OBOL_RSA_MAX_MODULUS], s[OBOL_RSA_MAX_MODULUS], fin[OBOL_RSA_MAX_MODULUS];
		size_t bl = 0, sl = 0, fl = 0;
		blinded_for(p->f->now_key, b, &bl, &st);
		if (obol_signer_client_blind_sign(p->c, p->f->now_id, b, bl, s, sizeof s, &sl) == OBOL_OK &&
		    obol_blindrsa_finalize(p->f->now_key, &st, s, sl, fin, sizeof fin, &fl) == OBOL_OK)
			p->ok++;
	}
	return NULL;
}

TEST(signer, serves_threads_at_once_and_comes_back_after_a_restart)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	struct par p[4];
	pthread_t t[4];
	uint8_t zero[32] = { 0 }, out[1024];
	size_t n;
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	for (int i = 0; i < 4; i++) {
		p[i] = (struct par){ .c = c, .f = &f };
		REQUIRE(pthread_create(&t[i], NULL, par_main, &p[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ_INT(p[i].ok, 8);
	}
	/* the signer goes: retryable refusal; back on the same socket: the
	 * pooled connections that died are replaced */
	obol_signer_stop(f.sg);
	f.sg = NULL;
	CHECK_ERR(obol_signer_client_call(c, OBOL_SIGNER_STATUS, zero, NULL, 0, out, sizeof out, &n),
		  OBOL_E_SIGNER_UNAVAILABLE);
	struct obol_signer_config cfg = { .db_url = f.db, .socket_path = f.sock, .log_path = f.log, .peer_uid = geteuid() };
	REQUIRE_OK(obol_signer_start(&cfg, &f.sg));
	CHECK_OK(obol_signer_client_call(c, OBOL_SIGNER_STATUS, zero, NULL, 0, out, sizeof out, &n));
	obol_signer_client_close(c);
	fixture_down(&f);
}

/* A revocation the store holds stops the key at once, whatever its
 * valid_from (here a year ahead): the running signer picks it up from the
 * import count within a second or two, without a restart. */
TEST(signer, stops_a_revoked_key_as_soon_as_the_revocation_is_imported)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	struct obol_store *s = NULL;
	struct obol_blindrsa_state st;
	uint8_t sig[OBOL_RSA_MAX_MODULUS], blinded[OBOL_RSA_MAX_MODULUS], hid[32];
	size_t blen = 0, slen = 0;
	static const uint8_t msg[] = "an answer";
	int64_t now = obol_now();
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	blinded_for(f.now_key, blinded, &blen, &st);
	CHECK_OK(obol_signer_client_ed25519_sign(c, f.ed.pk, "issuer-keys", msg, sizeof msg, sig));
	CHECK_OK(obol_signer_client_blind_sign(c, f.now_id, blinded, blen, sig, sizeof sig, &slen));
	/* its status: the keys it signs with now (the box key, the bank key,
	 * one denomination key, one online key until its use ends) */
	char status[1024], want[128];
	uint8_t zero[32] = { 0 };
	size_t n = 0;
	REQUIRE_OK(obol_signer_client_call(c, OBOL_SIGNER_STATUS, zero, NULL, 0, (uint8_t *)status, sizeof status - 1, &n));
	status[n] = '\0';
	CHECK(strstr(status, "\"usable\":{\"denom\":1,\"bank\":1,\"box\":1,\"online\":1}") != NULL);
	snprintf(want, sizeof want, "\"online_cover_until\":%lld,", (long long)(f.now + 3601));
	CHECK(strstr(status, want) != NULL);
	REQUIRE_OK(obol_store_open(f.db, false, &s));
	obol_sha256(hid, f.ed.pk, 32); /* an announcement names an online key by its hash */
	/* a revocation signed by another master revokes nothing */
	struct obol_sign_keypair other;
	obol_sign_keypair_new(&other);
	REQUIRE_OK(announce(s, &f, &other, OBOL_KEY_REVOKE, NULL, NULL, hid, now, 0));
	REQUIRE_OK(bump(s));
	bool reloaded = false;
	REQUIRE_OK(obol_signer_refresh(f.sg, &reloaded));
	CHECK(reloaded);
	CHECK_OK(obol_signer_client_ed25519_sign(c, f.ed.pk, "issuer-keys", msg, sizeof msg, sig));
	/* the master's, in force only in a year: both keys stop now */
	REQUIRE_OK(announce(s, &f, &f.master, OBOL_KEY_REVOKE, NULL, NULL, hid, now + 365 * 86400, 0));
	REQUIRE_OK(announce(s, &f, &f.master, OBOL_KEY_REVOKE, NULL, NULL, f.now_id, now + 365 * 86400, 0));
	/* not yet imported (the count unchanged): the signer still signs */
	REQUIRE_OK(obol_signer_refresh(f.sg, &reloaded));
	CHECK(!reloaded);
	CHECK_OK(obol_signer_client_ed25519_sign(c, f.ed.pk, "issuer-keys", msg, sizeof msg, sig));
	REQUIRE_OK(bump(s));
	obol_store_close(s);
	obol_err e = OBOL_OK;
	for (int i = 0; i < 400 && e == OBOL_OK; i++) { /* the accept thread's once-a-second look */
		e = obol_signer_client_ed25519_sign(c, f.ed.pk, "issuer-keys", msg, sizeof msg, sig);
		if (e == OBOL_OK)
			usleep(50000);
	}
	CHECK_ERR(e, OBOL_E_SIGNER_KEY_REVOKED);
	CHECK_ERR(obol_signer_client_blind_sign(c, f.now_id, blinded, blen, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_REVOKED);
	/* the others sign on */
	CHECK_OK(obol_signer_client_rsa_sign(c, f.bank_id, msg, sizeof msg, sig, sizeof sig, &slen));
	REQUIRE_OK(obol_signer_client_call(c, OBOL_SIGNER_STATUS, zero, NULL, 0, (uint8_t *)status, sizeof status - 1, &n));
	status[n] = '\0';
	CHECK(strstr(status, "\"usable\":{\"denom\":0,\"bank\":1,\"box\":1,\"online\":0}") != NULL);
	/* every look above, the accept thread's included, went over the one
	 * store connection opened at start (not a new one a second) */
	struct obol_signer_counts cnt;
	obol_signer_counts(f.sg, &cnt);
	CHECK_EQ_INT(cnt.store_opens, 1);
	OBOL_WIPE(other);
	obol_signer_client_close(c);
	fixture_down(&f);
}

/* An online key the store holds without an announcement, or with only the
 * announcement of another kind naming the same bytes, does not sign. */
TEST(signer, refuses_an_online_key_without_its_announcement)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	struct obol_store *s = NULL;
	struct obol_sign_keypair k;
	uint8_t seed[32], sig[64];
	static const uint8_t msg[] = "an answer";
	REQUIRE(fixture_up(&f, geteuid()));
	obol_random(seed, sizeof seed);
	obol_sign_keypair_from_seed(&k, seed);
	REQUIRE_OK(obol_store_open(f.db, false, &s));
	REQUIRE_OK(put_raw(s, OBOL_SIGNER_KEY_ONLINE, k.pk, seed, 32));
	REQUIRE_OK(bump(s));
	obol_store_close(s);
	REQUIRE_OK(obol_signer_refresh(f.sg, NULL));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	CHECK_ERR(obol_signer_client_ed25519_sign(c, k.pk, "issuer-keys", msg, sizeof msg, sig),
		  OBOL_E_SIGNER_KEY_NOT_ANNOUNCED);
	CHECK_OK(obol_signer_client_ed25519_sign(c, f.ed.pk, "issuer-keys", msg, sizeof msg, sig));
	OBOL_WIPE(k);
	OBOL_WIPE(seed);
	obol_signer_client_close(c);
	fixture_down(&f);
}

/* Every context the issuer's cores sign with online keys is one the signer
 * allows (a context missing here would be refused once issuer serve signs
 * through the signer); the list names nothing else. */
TEST(signer, allows_every_context_the_issuer_signs_and_no_other)
{
	static const char *const issuer_signs[] = {
		OBOL_KEYS_CONTEXT,	      OBOL_VENDOR_CERT_CONTEXT, COUPON_CTX_LOCK_REPLY, COUPON_CTX_SETTLE_REPLY,
		COUPON_CTX_REFUSAL,	      COUPON_CTX_REFUND_REPLY,	CODEX_CTX_CERT,	       CODEX_CTX_STATE,
		CODEX_CTX_BLACKLIST,	      CODEX_CTX_REFUSAL,	CODEX_CTX_BLACKLIST_PAGE, PAYWORD_CTX_VCERT,
		PAYWORD_CTX_CRL,	      PAYWORD_CTX_CRL_PAGE,
	};
	size_t listed = 0;
	for (size_t i = 0; obol_signer_contexts[i]; i++)
		listed++;
	CHECK_EQ_INT(listed, OBOL_ARRAY_LEN(issuer_signs));
	for (size_t k = 0; k < OBOL_ARRAY_LEN(issuer_signs); k++) {
		bool found = false;
		for (size_t i = 0; obol_signer_contexts[i] && !found; i++)
			found = strcmp(obol_signer_contexts[i], issuer_signs[k]) == 0;
		if (!found)
			fprintf(stderr, "    context %s is not allowed\n", issuer_signs[k]);
		CHECK(found);
	}
	/* what other parties sign, and the master's, are not */
	static const char *const never[] = { OBOL_KEY_ANNOUNCE_CONTEXT, COUPON_CTX_LOCK_REQ, COUPON_CTX_SETTLE_REQ,
					     COUPON_CTX_STATUS_REQ, CODEX_CTX_TOKEN, CODEX_CTX_ACK, PAYWORD_CTX_RANGE,
					     OBOL_RECEIPT_CONTEXT };
	for (size_t k = 0; k < OBOL_ARRAY_LEN(never); k++)
		for (size_t i = 0; obol_signer_contexts[i]; i++)
			CHECK(strcmp(obol_signer_contexts[i], never[k]) != 0);
}

/* The hook for keys drawn once the issuer has a signer: the private half
 * only in the signer's store, the public half returned; refused by name
 * without a link or for the box key. */
TEST(signer, draws_a_key_in_its_store_and_returns_the_public_half)
{
	struct obol_signer_link link = { .linked = false };
	struct obol_store *s = NULL;
	struct obol_stmt *st = NULL;
	EVP_PKEY *pub = NULL;
	uint8_t out[2048], id[32];
	size_t n = 0, len = 0;
	bool row = false;
	CHECK_ERR(obol_signer_draw(&link, OBOL_SIGNER_KEY_BANK, 1024, out, sizeof out, &n), OBOL_E_SIGNER_NOT_LINKED);
	link.linked = true;
	snprintf(link.db_url, sizeof link.db_url, "sqlite:%s/drawn.db", test_tmpdir());
	REQUIRE_OK(obol_store_open(link.db_url, true, &s));
	obol_store_close(s);
	s = NULL;
	CHECK_ERR(obol_signer_draw(&link, OBOL_SIGNER_KEY_BOX, 0, out, sizeof out, &n), OBOL_E_INVALID_ARGUMENT);
	REQUIRE_OK(obol_signer_draw(&link, OBOL_SIGNER_KEY_BANK, 1024, out, sizeof out, &n));
	REQUIRE_OK(obol_rsa_public_from_der(out, n, &pub));
	REQUIRE_OK(obol_rsa_key_id(pub, id));
	REQUIRE_OK(obol_store_open(link.db_url, false, &s));
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT secret, kind FROM signer_keys WHERE key_id = ?", &st));
	REQUIRE_OK(obol_stmt_bind_blob(st, 1, id, sizeof id));
	REQUIRE_OK(obol_stmt_step(st, &row));
	CHECK(row);
	if (row) {
		EVP_PKEY *sk = NULL;
		const uint8_t *der = obol_stmt_column_blob(st, 0, &len);
		CHECK_OK(obol_rsa_private_from_der(der, len, &sk));
		CHECK_EQ_INT(obol_stmt_column_int64(st, 1), OBOL_SIGNER_KEY_BANK);
		EVP_PKEY_free(sk);
	}
	obol_stmt_finish(st);
	/* an online key: its 32-byte public key, the seed there */
	REQUIRE_OK(obol_signer_draw(&link, OBOL_SIGNER_KEY_ONLINE, 0, out, sizeof out, &n));
	CHECK_EQ_INT(n, 32);
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT COUNT(*) FROM signer_keys WHERE key_id = ? AND length(secret) = 32", &st));
	REQUIRE_OK(obol_stmt_bind_blob(st, 1, out, 32));
	REQUIRE_OK(obol_stmt_step(st, &row));
	CHECK(row && obol_stmt_column_int64(st, 0) == 1);
	obol_stmt_finish(st);
	obol_store_close(s);
	EVP_PKEY_free(pub);
}

/* The bank key keeps no end while it is the only one announced; once a
 * successor is announced (bank keys rotate), its own window ends it and
 * the successor signs inside its window. */
TEST(signer, bank_key_ends_with_its_window_once_a_successor_is_announced)
{
	struct fixture f;
	struct obol_signer_client *c = NULL;
	struct obol_store *s = NULL;
	EVP_PKEY *next = NULL;
	uint8_t next_id[32], sig[OBOL_RSA_MAX_MODULUS];
	size_t slen = 0;
	static const uint8_t msg[] = "a revocation list";
	REQUIRE(fixture_up(&f, geteuid()));
	REQUIRE_OK(obol_signer_client_open(f.sock, &c));
	/* its announced window ended an hour ago: it signs on */
	CHECK_OK(obol_signer_client_rsa_sign(c, f.bank_id, msg, sizeof msg, sig, sizeof sig, &slen));
	REQUIRE_OK(obol_rsa_generate(2048, &next));
	REQUIRE_OK(obol_store_open(f.db, false, &s));
	REQUIRE_OK(put_rsa(s, OBOL_SIGNER_KEY_BANK, next, next_id));
	REQUIRE_OK(announce(s, &f, &f.master, OBOL_KEY_ECASH_BANK, next, NULL, NULL, f.now - 3600, f.now + 3600));
	REQUIRE_OK(bump(s));
	obol_store_close(s);
	REQUIRE_OK(obol_signer_refresh(f.sg, NULL));
	CHECK_ERR(obol_signer_client_rsa_sign(c, f.bank_id, msg, sizeof msg, sig, sizeof sig, &slen),
		  OBOL_E_SIGNER_KEY_NOT_USABLE);
	CHECK_OK(obol_signer_client_rsa_sign(c, next_id, msg, sizeof msg, sig, sizeof sig, &slen));
	CHECK_OK(obol_rsapss_verify(next, msg, sizeof msg, sig, slen));
	EVP_PKEY_free(next);
	obol_signer_client_close(c);
	fixture_down(&f);
}
