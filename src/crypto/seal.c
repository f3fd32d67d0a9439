/* Sealed boxes and authenticated file sealing (libsodium). See seal.h.
 *
 * File format (all integers big-endian), the first 58 bytes being the header
 * and the associated data of the AEAD:
 *   0  magic "OBOLSEAL"          8
 *   8  version = 1               1
 *   9  kdf (0 key file, 1 Argon2id)  1
 *  10  opslimit                  4   (0 for a key file)
 *  14  memlimit in KiB           4   (0 for a key file)
 *  18  salt                     16   (zero for a key file)
 *  34  nonce                    24   (random per sealing)
 *  58  ciphertext, then the 16-byte Poly1305 tag
 * XChaCha20-Poly1305-IETF's 24-byte nonce is drawn at random every time, so
 * re-sealing a wallet under the same key never repeats a nonce in practice. */
#include "crypto/seal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

#define SEAL_MAGIC "OBOLSEAL"
#define SEAL_MAGIC_LEN 8
#define SEAL_VERSION 1
#define KDF_KEYFILE 0
#define KDF_ARGON2ID 1
#define SALT_LEN 16
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

#define OFF_VERSION 8
#define OFF_KDF 9
#define OFF_OPS 10
#define OFF_MEM 14
#define OFF_SALT 18
#define OFF_NONCE 34

/* Bounds on Argon2id parameters read from a file: a crafted header must not
 * make the wallet spend minutes or gigabytes (libsodium's SENSITIVE level is
 * 4 passes over 1 GiB). */
#define OPS_MIN crypto_pwhash_argon2id_OPSLIMIT_MIN
#define OPS_MAX 16u
#define MEM_MIN_KIB (crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024u)
#define MEM_MAX_KIB (1024u * 1024u)

_Static_assert(OBOL_SEALBOX_OVERHEAD == crypto_box_SEALBYTES, "sealed box overhead");
_Static_assert(OBOL_BOX_PK_LEN == crypto_box_PUBLICKEYBYTES, "box pk");
_Static_assert(OBOL_BOX_SK_LEN == crypto_box_SECRETKEYBYTES, "box sk");
_Static_assert(OBOL_FILEKEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "file key");
_Static_assert(SALT_LEN == crypto_pwhash_argon2id_SALTBYTES, "salt");
_Static_assert(OBOL_FILESEAL_HEADER_LEN == OFF_NONCE + NONCE_LEN, "header layout");
_Static_assert(OBOL_FILESEAL_OVERHEAD == OBOL_FILESEAL_HEADER_LEN + TAG_LEN, "overhead");

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int kdf_params_ok(uint32_t ops, uint32_t mem_kib)
{
	return ops >= OPS_MIN && ops <= OPS_MAX && mem_kib >= MEM_MIN_KIB && mem_kib <= MEM_MAX_KIB;
}

void obol_box_keypair_new(struct obol_box_keypair *kp)
{
	if (obol_crypto_init() != OBOL_OK)
		abort(); /* a void function cannot report it; see sign.c */
	crypto_box_keypair(kp->pk, kp->sk);
}

obol_err obol_sealbox_seal(uint8_t *out, const uint8_t *msg, size_t len, const uint8_t pk[static OBOL_BOX_PK_LEN])
{
	if (obol_crypto_init() != OBOL_OK)
		return OBOL_E_CRYPTO_INIT;
	if (len > SIZE_MAX - OBOL_SEALBOX_OVERHEAD)
		return OBOL_E_INVALID_ARGUMENT;
	/* Fails only for a public key of small order (no shared secret). */
	if (crypto_box_seal(out, msg, len, pk) != 0)
		return OBOL_E_KEY_INVALID;
	return OBOL_OK;
}

obol_err obol_sealbox_open(uint8_t *out, const uint8_t *box, size_t len, const struct obol_box_keypair *kp)
{
	if (obol_crypto_init() != OBOL_OK)
		return OBOL_E_CRYPTO_INIT;
	if (len < OBOL_SEALBOX_OVERHEAD)
		return OBOL_E_DECRYPT_FAILED;
	if (crypto_box_seal_open(out, box, len, kp->pk, kp->sk) != 0) {
		obol_wipe(out, len - OBOL_SEALBOX_OVERHEAD);
		return OBOL_E_DECRYPT_FAILED;
	}
	return OBOL_OK;
}

obol_err obol_sealbox_open_by(const struct obol_box_opener *o, uint8_t *out, const uint8_t *box, size_t len)
{
	if (o->open == NULL)
		return obol_sealbox_open(out, box, len, o->kp);
	if (len < OBOL_SEALBOX_OVERHEAD)
		return OBOL_E_DECRYPT_FAILED;
	return o->open(o->ctx, o->kp->pk, out, box, len);
}

obol_err obol_argon2_fast(bool *fast)
{
	const char *v = getenv("OBOL_ARGON2_FAST");
	*fast = false;
	if (v == NULL || v[0] == '\0')
		return OBOL_OK;
	if (!obol_build_for_tests)
		return OBOL_E_ARGON2_FAST_REFUSED;
	*fast = strcmp(v, "1") == 0;
	return OBOL_OK;
}

obol_err obol_filekey_from_passphrase(struct obol_filekey *k, const char *passphrase, const uint8_t *salt,
				      uint32_t opslimit, uint32_t memlimit_kib)
{
	obol_err err;

	memset(k, 0, sizeof(*k));
	if (passphrase == NULL || passphrase[0] == '\0')
		return OBOL_E_PASSPHRASE_MISSING;
	if ((err = obol_crypto_init()) != OBOL_OK)
		return err;
	if (opslimit == 0 && memlimit_kib == 0) {
		bool fast = false;
		if ((err = obol_argon2_fast(&fast)) != OBOL_OK)
			return err;
		if (fast) {
			opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
			memlimit_kib = crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024u;
		} else {
			opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
			memlimit_kib = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE / 1024u;
		}
	}
	if (!kdf_params_ok(opslimit, memlimit_kib))
		return OBOL_E_INVALID_ARGUMENT;
	if (salt != NULL)
		memcpy(k->salt, salt, SALT_LEN);
	else
		obol_random(k->salt, SALT_LEN);
	if (crypto_pwhash(k->key, sizeof(k->key), passphrase, strlen(passphrase), k->salt, opslimit,
			  (size_t)memlimit_kib * 1024u, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		obol_filekey_wipe(k);
		return OBOL_E_NO_MEMORY; /* libsodium fails here only when it cannot allocate */
	}
	k->from_passphrase = 1;
	k->opslimit = opslimit;
	k->memlimit_kib = memlimit_kib;
	return OBOL_OK;
}

void obol_filekey_from_bytes(struct obol_filekey *k, const uint8_t key[static OBOL_FILEKEY_LEN])
{
	memset(k, 0, sizeof(*k));
	memcpy(k->key, key, OBOL_FILEKEY_LEN);
}

void obol_filekey_wipe(struct obol_filekey *k)
{
	obol_wipe(k, sizeof(*k));
}

obol_err obol_fileseal_header(const uint8_t *sealed, size_t len, int *from_passphrase, uint8_t salt[16],
			      uint32_t *opslimit, uint32_t *memlimit_kib)
{
	static const uint8_t zero_salt[SALT_LEN];

	if (sealed == NULL || len < OBOL_FILESEAL_OVERHEAD ||
	    memcmp(sealed, SEAL_MAGIC, SEAL_MAGIC_LEN) != 0 || sealed[OFF_VERSION] != SEAL_VERSION)
		return OBOL_E_SEAL_FORMAT;
	uint32_t ops = get_u32(sealed + OFF_OPS), mem = get_u32(sealed + OFF_MEM);
	switch (sealed[OFF_KDF]) {
	case KDF_KEYFILE:
		if (ops != 0 || mem != 0 || memcmp(sealed + OFF_SALT, zero_salt, SALT_LEN) != 0)
			return OBOL_E_SEAL_FORMAT;
		*from_passphrase = 0;
		break;
	case KDF_ARGON2ID:
		if (!kdf_params_ok(ops, mem))
			return OBOL_E_SEAL_FORMAT;
		*from_passphrase = 1;
		break;
	default:
		return OBOL_E_SEAL_FORMAT;
	}
	memcpy(salt, sealed + OFF_SALT, SALT_LEN);
	*opslimit = ops;
	*memlimit_kib = mem;
	return OBOL_OK;
}

obol_err obol_fileseal_seal(const struct obol_filekey *k, const uint8_t *plain, size_t len, uint8_t **out,
			    size_t *out_len)
{
	uint8_t *buf;
	unsigned long long clen = 0;

	*out = NULL;
	*out_len = 0;
	if (obol_crypto_init() != OBOL_OK)
		return OBOL_E_CRYPTO_INIT;
	if (len > SIZE_MAX - OBOL_FILESEAL_OVERHEAD || len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	if (k->from_passphrase && !kdf_params_ok(k->opslimit, k->memlimit_kib))
		return OBOL_E_INVALID_ARGUMENT;
	buf = malloc(len + OBOL_FILESEAL_OVERHEAD);
	if (buf == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(buf, SEAL_MAGIC, SEAL_MAGIC_LEN);
	buf[OFF_VERSION] = SEAL_VERSION;
	buf[OFF_KDF] = k->from_passphrase ? KDF_ARGON2ID : KDF_KEYFILE;
	put_u32(buf + OFF_OPS, k->from_passphrase ? k->opslimit : 0);
	put_u32(buf + OFF_MEM, k->from_passphrase ? k->memlimit_kib : 0);
	if (k->from_passphrase)
		memcpy(buf + OFF_SALT, k->salt, SALT_LEN);
	else
		memset(buf + OFF_SALT, 0, SALT_LEN);
	obol_random(buf + OFF_NONCE, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + OBOL_FILESEAL_HEADER_LEN, &clen, plain, len, buf,
						   OBOL_FILESEAL_HEADER_LEN, NULL, buf + OFF_NONCE, k->key);
	*out = buf;
	*out_len = OBOL_FILESEAL_HEADER_LEN + (size_t)clen;
	return OBOL_OK;
}

obol_err obol_fileseal_open(const struct obol_filekey *k, const uint8_t *sealed, size_t len, uint8_t **out,
			    size_t *out_len)
{
	int from_pass;
	uint8_t salt[SALT_LEN];
	uint32_t ops, mem;
	uint8_t *plain = NULL;
	unsigned long long plen = 0;
	size_t cap;
	obol_err err;

	*out = NULL;
	*out_len = 0;
	if ((err = obol_crypto_init()) != OBOL_OK)
		return err;
	if ((err = obol_fileseal_header(sealed, len, &from_pass, salt, &ops, &mem)) != OBOL_OK)
		return err;
	cap = len - OBOL_FILESEAL_OVERHEAD;
	plain = malloc(cap > 0 ? cap : 1);
	if (plain == NULL)
		return OBOL_E_NO_MEMORY;
	/* The tag covers the whole header: a changed KDF field, salt or
	 * nonce fails here just as a changed ciphertext byte does. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, sealed + OBOL_FILESEAL_HEADER_LEN,
						       len - OBOL_FILESEAL_HEADER_LEN, sealed,
						       OBOL_FILESEAL_HEADER_LEN, sealed + OFF_NONCE, k->key) != 0) {
		err = OBOL_E_DECRYPT_FAILED;
		goto out;
	}
	*out = plain;
	*out_len = (size_t)plen;
	plain = NULL;
out:
	if (plain != NULL) {
		obol_wipe(plain, cap);
		free(plain);
	}
	return err;
}
