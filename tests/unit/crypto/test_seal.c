/* Sealed boxes and file sealing (src/crypto/seal.c). Argon2id runs with
 * libsodium's MIN limits here (OBOL_ARGON2_FAST=1) except in the one case
 * that checks the defaults. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/seal.h"
#include "crypto/secret.h"
#include "../test.h"

static const uint8_t wallet[] = "{\"coins\":[{\"id\":\"abc\",\"left\":977}]}";

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/* Where a refused open's output points beforehand: the check that it is
 * NULL afterwards then shows that the open cleared it. */
static uint8_t stale;

TEST(seal, sealbox_roundtrip_and_refusals)
{
	struct obol_box_keypair kp, other;
	uint8_t box[sizeof(wallet) + OBOL_SEALBOX_OVERHEAD], bad[sizeof(box)], out[sizeof(wallet)];

	obol_box_keypair_new(&kp);
	obol_box_keypair_new(&other);
	REQUIRE_OK(obol_sealbox_seal(box, wallet, sizeof(wallet), kp.pk));
	REQUIRE_OK(obol_sealbox_open(out, box, sizeof(box), &kp));
	CHECK_MEM_EQ(out, wallet, sizeof(wallet));

	/* Sealing is randomised (a fresh ephemeral key each time). */
	REQUIRE_OK(obol_sealbox_seal(bad, wallet, sizeof(wallet), kp.pk));
	CHECK(memcmp(bad, box, sizeof(box)) != 0);

	CHECK_ERR(obol_sealbox_open(out, box, sizeof(box), &other), OBOL_E_DECRYPT_FAILED);
	for (size_t i = 0; i < sizeof(box); i++) {
		memcpy(bad, box, sizeof(box));
		bad[i] ^= 0x01;
		CHECK_ERR(obol_sealbox_open(out, bad, sizeof(bad), &kp), OBOL_E_DECRYPT_FAILED);
	}
	/* A refused box leaves nothing of the plaintext behind. */
	CHECK(all_zero(out, sizeof(out)));
	CHECK_ERR(obol_sealbox_open(out, box, sizeof(box) - 1, &kp), OBOL_E_DECRYPT_FAILED);
	CHECK_ERR(obol_sealbox_open(out, box, OBOL_SEALBOX_OVERHEAD - 1, &kp), OBOL_E_DECRYPT_FAILED);
	CHECK_ERR(obol_sealbox_open(out, box, 0, &kp), OBOL_E_DECRYPT_FAILED);

	/* An empty message seals to the bare overhead. */
	REQUIRE_OK(obol_sealbox_seal(bad, NULL, 0, kp.pk));
	CHECK_OK(obol_sealbox_open(out, bad, OBOL_SEALBOX_OVERHEAD, &kp));
	OBOL_WIPE(kp);
	OBOL_WIPE(other);
}

TEST(seal, file_keyfile_roundtrip_every_byte_and_truncation)
{
	struct obol_filekey k, wrong;
	uint8_t raw[OBOL_FILEKEY_LEN], raw2[OBOL_FILEKEY_LEN];
	uint8_t *sealed = NULL, *plain = NULL, *copy;
	size_t slen = 0, plen = 0;

	obol_random(raw, sizeof(raw));
	memcpy(raw2, raw, sizeof(raw));
	raw2[31] ^= 0x80;
	obol_filekey_from_bytes(&k, raw);
	obol_filekey_from_bytes(&wrong, raw2);

	REQUIRE_OK(obol_fileseal_seal(&k, wallet, sizeof(wallet), &sealed, &slen));
	CHECK_EQ_INT(slen, sizeof(wallet) + OBOL_FILESEAL_OVERHEAD);
	CHECK_MEM_EQ(sealed, "OBOLSEAL\x01\x00", 10);

	int fp = -1;
	uint8_t salt[16];
	uint32_t ops = 9, mem = 9;
	CHECK_OK(obol_fileseal_header(sealed, slen, &fp, salt, &ops, &mem));
	CHECK_EQ_INT(fp, 0);
	CHECK_EQ_INT(ops, 0);
	CHECK_EQ_INT(mem, 0);

	REQUIRE_OK(obol_fileseal_open(&k, sealed, slen, &plain, &plen));
	CHECK_EQ_INT(plen, sizeof(wallet));
	CHECK_MEM_EQ(plain, wallet, sizeof(wallet));
	obol_wipe(plain, plen);
	free(plain);
	plain = &stale;

	CHECK_ERR(obol_fileseal_open(&wrong, sealed, slen, &plain, &plen), OBOL_E_DECRYPT_FAILED);
	CHECK(plain == NULL);

	/* Every byte of header, ciphertext and tag, flipped, is refused:
	 * magic, version and kdf by name, the rest by the tag. */
	copy = malloc(slen);
	REQUIRE(copy != NULL);
	for (size_t i = 0; i < slen; i++) {
		memcpy(copy, sealed, slen);
		copy[i] ^= 0x04;
		plain = &stale;
		obol_err e = obol_fileseal_open(&k, copy, slen, &plain, &plen);
		/* Bytes 10..33 of a key-file header (KDF fields, salt) must be
		 * zero: a change there is a format error before decryption. */
		obol_err want = i < 34 ? OBOL_E_SEAL_FORMAT : OBOL_E_DECRYPT_FAILED;
		CHECK_ERR(e, want);
		CHECK(plain == NULL);
	}
	/* Truncated anywhere, or extended. */
	for (size_t n = 0; n < slen; n++) {
		obol_err e = obol_fileseal_open(&k, sealed, n, &plain, &plen);
		CHECK(e == (n < OBOL_FILESEAL_OVERHEAD ? OBOL_E_SEAL_FORMAT : OBOL_E_DECRYPT_FAILED));
	}
	uint8_t *longer = malloc(slen + 1);
	REQUIRE(longer != NULL);
	memcpy(longer, sealed, slen);
	longer[slen] = 0;
	CHECK_ERR(obol_fileseal_open(&k, longer, slen + 1, &plain, &plen), OBOL_E_DECRYPT_FAILED);
	free(longer);

	/* Two sealings of one plaintext differ (fresh nonce). */
	uint8_t *again = NULL;
	size_t alen = 0;
	REQUIRE_OK(obol_fileseal_seal(&k, wallet, sizeof(wallet), &again, &alen));
	CHECK(memcmp(again, sealed, slen) != 0);
	free(again);

	/* An empty plaintext round-trips. */
	REQUIRE_OK(obol_fileseal_seal(&k, NULL, 0, &again, &alen));
	CHECK_EQ_INT(alen, OBOL_FILESEAL_OVERHEAD);
	REQUIRE_OK(obol_fileseal_open(&k, again, alen, &plain, &plen));
	CHECK_EQ_INT(plen, 0);
	free(plain);
	free(again);

	/* Wiping leaves no key material. */
	obol_filekey_wipe(&k);
	CHECK(all_zero(&k, sizeof(k)));
	obol_filekey_wipe(&wrong);
	free(copy);
	free(sealed);
}

TEST(seal, file_passphrase_roundtrip_wrong_passphrase_and_header)
{
	struct obol_filekey k, k2, bad;
	uint8_t *sealed = NULL, *plain = NULL, *copy;
	size_t slen = 0, plen = 0;
	int fp;
	uint8_t salt[16];
	uint32_t ops, mem;

	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	CHECK_ERR(obol_filekey_from_passphrase(&k, NULL, NULL, 0, 0), OBOL_E_PASSPHRASE_MISSING);
	CHECK_ERR(obol_filekey_from_passphrase(&k, "", NULL, 0, 0), OBOL_E_PASSPHRASE_MISSING);
	CHECK_ERR(obol_filekey_from_passphrase(&k, "x", NULL, 0, 1), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_filekey_from_passphrase(&k, "x", NULL, 17, 8), OBOL_E_INVALID_ARGUMENT);

	REQUIRE_OK(obol_filekey_from_passphrase(&k, "correct horse battery staple", NULL, 0, 0));
	CHECK_EQ_INT(k.from_passphrase, 1);
	CHECK_EQ_INT(k.opslimit, crypto_pwhash_argon2id_OPSLIMIT_MIN);
	CHECK_EQ_INT(k.memlimit_kib, crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024);
	REQUIRE_OK(obol_fileseal_seal(&k, wallet, sizeof(wallet), &sealed, &slen));

	/* The opener reads the KDF parameters from the header, re-derives the
	 * key, and opens. */
	REQUIRE_OK(obol_fileseal_header(sealed, slen, &fp, salt, &ops, &mem));
	CHECK_EQ_INT(fp, 1);
	CHECK_MEM_EQ(salt, k.salt, 16);
	REQUIRE_OK(obol_filekey_from_passphrase(&k2, "correct horse battery staple", salt, ops, mem));
	CHECK_MEM_EQ(k2.key, k.key, OBOL_FILEKEY_LEN);
	REQUIRE_OK(obol_fileseal_open(&k2, sealed, slen, &plain, &plen));
	CHECK_EQ_INT(plen, sizeof(wallet));
	CHECK_MEM_EQ(plain, wallet, sizeof(wallet));
	obol_wipe(plain, plen);
	free(plain);
	plain = NULL;

	/* A wrong passphrase (one letter) fails; so does the right one under a
	 * fresh salt. */
	REQUIRE_OK(obol_filekey_from_passphrase(&bad, "correct horse battery stapler", salt, ops, mem));
	CHECK_ERR(obol_fileseal_open(&bad, sealed, slen, &plain, &plen), OBOL_E_DECRYPT_FAILED);
	obol_filekey_wipe(&bad);
	REQUIRE_OK(obol_filekey_from_passphrase(&bad, "correct horse battery staple", NULL, ops, mem));
	CHECK(memcmp(bad.salt, salt, 16) != 0);
	CHECK_ERR(obol_fileseal_open(&bad, sealed, slen, &plain, &plen), OBOL_E_DECRYPT_FAILED);
	obol_filekey_wipe(&bad);

	/* Every byte flipped. In the KDF fields a change is a format error
	 * when it leaves the bounds, else the tag refuses it. */
	copy = malloc(slen);
	REQUIRE(copy != NULL);
	for (size_t i = 0; i < slen; i++) {
		memcpy(copy, sealed, slen);
		copy[i] ^= 0x01;
		plain = &stale;
		obol_err e = obol_fileseal_open(&k, copy, slen, &plain, &plen);
		CHECK(e == OBOL_E_DECRYPT_FAILED || (i < 18 && e == OBOL_E_SEAL_FORMAT));
		if (i >= 18)
			CHECK_ERR(e, OBOL_E_DECRYPT_FAILED);
		CHECK(plain == NULL);
	}
	/* A header asking for 4 GiB of memory, or naming an unknown kdf, is
	 * refused before any work. */
	memcpy(copy, sealed, slen);
	copy[14] = 0x00, copy[15] = 0x40, copy[16] = 0x00, copy[17] = 0x00;
	CHECK_ERR(obol_fileseal_header(copy, slen, &fp, salt, &ops, &mem), OBOL_E_SEAL_FORMAT);
	memcpy(copy, sealed, slen);
	copy[9] = 2;
	CHECK_ERR(obol_fileseal_header(copy, slen, &fp, salt, &ops, &mem), OBOL_E_SEAL_FORMAT);

	obol_filekey_wipe(&k);
	obol_filekey_wipe(&k2);
	CHECK(all_zero(&k, sizeof(k)));
	CHECK(all_zero(&k2, sizeof(k2)));
	free(copy);
	free(sealed);
}

TEST(seal, default_limits_are_interactive)
{
	struct obol_filekey k;
	uint8_t salt[16] = { 1 };

	REQUIRE(unsetenv("OBOL_ARGON2_FAST") == 0);
	REQUIRE_OK(obol_filekey_from_passphrase(&k, "pw", salt, 0, 0));
	CHECK_EQ_INT(k.opslimit, crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
	CHECK_EQ_INT(k.memlimit_kib, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE / 1024);
	/* The key is libsodium's Argon2id13 output for these inputs. */
	uint8_t want[32];
	REQUIRE(crypto_pwhash(want, 32, "pw", 2, salt, crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) == 0);
	CHECK_MEM_EQ(k.key, want, 32);
	obol_filekey_wipe(&k);
	obol_wipe(want, sizeof(want));
}
