/* The generator of obol's published test vectors (tests/vectors/obol/<file>.json).
 *
 * Each scheme's generator (gen_<file>.c) builds every signed message of that
 * file from fixed keys and inputs with obol's own encoders and signing
 * functions, and records per message: its inputs, its encoding on the wire,
 * the bytes each hash and signature covers, and the signature or hash. The
 * layouts are those of docs/protocol.md, section "Signed bytes"; an
 * implementation in another language rebuilds the bytes from the inputs and
 * compares (tests/vectors/verify.py does).
 *
 * One code path writes and checks: in VG_WRITE mode the documents are
 * written (build/obol-vectors, `make vectors`); in VG_CHECK mode (the C test
 * tests/unit/vectors/test_vectors.c) the same documents are built again and
 * compared with the checked-in files, field by field. Ed25519 signatures and
 * the blind RSA coin signatures (blind and salt fixed) are deterministic and
 * compared byte for byte; an RSASSA-PSS signature draws a fresh salt and a
 * sealed box or file a fresh nonce, so there the checked-in value is
 * verified (or opened) over the re-derived bytes and, when good, kept: in
 * both modes, so that rewriting the files changes only what the code
 * changed.
 *
 * Every signature a generator records is also verified (obol_sign_verify,
 * obol_rsapss_verify) over the signed bytes it records: a generator that
 * names the wrong bytes fails. */
#ifndef OBOL_TESTS_VECTORS_VG_H
#define OBOL_TESTS_VECTORS_VG_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sign.h"

enum vg_mode { VG_WRITE, VG_CHECK };

struct vg {
	enum vg_mode mode;
	const char *file;     /* "coupon", ... */
	json_t *doc;          /* {"file", "about", "keys", "vectors"} being built */
	json_t *keys, *vectors;
	json_t *cur, *cur_in; /* the vector being built and its inputs */
	const json_t *ref;    /* the checked-in document (NULL when there is none) */
	int errors;           /* generator-side failures (bad bytes, failed calls) */
	char first_error[256];
};

/* The vector files, in order; each fills one document. */
struct vg_file {
	const char *name;
	const char *about;
	void (*gen)(struct vg *);
};
extern const struct vg_file vg_files[];
extern const size_t vg_nfiles;

void vg_common(struct vg *);
void vg_coupon(struct vg *);
void vg_ecash(struct vg *);
void vg_payword(struct vg *);
void vg_codex(struct vg *);

/* Starts and ends a document. */
void vg_open(struct vg *g, enum vg_mode mode, const struct vg_file *f, const json_t *ref);
void vg_close(struct vg *g);

/* A generator-side failure (a call that should not fail did). */
void vg_fail(struct vg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define VG_OK(g, expr)                                                              \
	do {                                                                        \
		obol_err vg_e_ = (expr);                                            \
		if (vg_e_ != OBOL_OK)                                               \
			vg_fail((g), "%s:%d: %s: %s", __FILE__, __LINE__, #expr,    \
				obol_strerror(vg_e_));                              \
	} while (0)

/* Fixed keys. An Ed25519 key's seed is SHA-256("obol-vector-key " || name);
 * both seed and public key are recorded under "keys". RSA keys are read from
 * tests/vectors/obol/rsa_keys.txt (PKCS#8) and recorded as SubjectPublicKeyInfo
 * DER; the caller frees them. */
void vg_key_ed25519(struct vg *g, const char *name, struct obol_sign_keypair *kp);
EVP_PKEY *vg_key_rsa(struct vg *g, const char *name);
/* A fixed 32-byte value: SHA-256("obol-vector " || label). */
void vg_fixed(const char *label, uint8_t out[32]);

/* One vector: its name (unique in the file) and the heading of its layout
 * in docs/protocol.md's "Signed bytes". */
void vg_begin(struct vg *g, const char *name, const char *layout);
void vg_end(struct vg *g);

/* Inputs: byte strings as hex, integers as JSON integers (|v| < 2^53),
 * text as JSON strings. */
void vg_in_hex(struct vg *g, const char *k, const void *p, size_t n);
void vg_in_uint(struct vg *g, const char *k, uint64_t v);
void vg_in_int(struct vg *g, const char *k, int64_t v);
void vg_in_text(struct vg *g, const char *k, const char *s);
void vg_in_bool(struct vg *g, const char *k, bool v);
void vg_in_json(struct vg *g, const char *k, json_t *v); /* steals v */

/* Outputs: "encoded_cbor", "encoded_json" (text), "hash_input", "digest",
 * "signed_bytes", ... */
void vg_out_hex(struct vg *g, const char *k, const void *p, size_t n);
void vg_out_text(struct vg *g, const char *k, const char *s);

/* The signature over msg (the signed bytes): Ed25519 under obol's framing
 * "obol-sig-v1\0" || context || "\0" || msg; verified here. */
void vg_sig_ed25519(struct vg *g, const char *key, const char *context, const uint8_t *msg, size_t len,
		    const uint8_t sig[static OBOL_SIGN_LEN]);
/* The same recorded under another field (a second signature over the same
 * bytes). */
void vg_sig_ed25519_as(struct vg *g, const char *field, const char *key, const char *context, const uint8_t *msg,
		       size_t len, const uint8_t sig[static OBOL_SIGN_LEN]);
/* RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-byte salt (src/crypto/rsa.h):
 * randomized, so the checked-in signature is taken after verifying it,
 * and writes it over sig (same length) so that what the generator derives
 * from the signature later (digests that cover it) matches the file too. */
void vg_sig_rsapss(struct vg *g, const char *key, EVP_PKEY *pk, const uint8_t *msg, size_t len, uint8_t *sig,
		   size_t sig_len);
/* RFC 9474 RSABSSA-SHA384-PSS-Randomized, as a standard RSASSA-PSS signature
 * (SHA-384, MGF1-SHA-384, 48-byte salt) over the prepared message; the
 * caller fixed blind and salt, so it is compared byte for byte. */
void vg_sig_blindrsa(struct vg *g, const char *key, EVP_PKEY *pk, const uint8_t *prepared, size_t len,
		     const uint8_t *sig, size_t sig_len);

/* The checked-in vector's field k (hex) of the current vector,
 * decoded into out; 0 when absent. For outputs that draw fresh randomness
 * (a sealed file's nonce), which the generator then checks by other means. */
size_t vg_ref_hex(const struct vg *g, const char *k, uint8_t *out, size_t cap);

/* The checked-in signature ("sig"."hex") of the current vector; 0 when absent. */
size_t vg_ref_sig(const struct vg *g, uint8_t *out, size_t cap);

/* The obol_sha256_parts input: each part as 4-byte big-endian length || bytes. */
struct obol_hash_part;
size_t vg_parts_bytes(const struct obol_hash_part *parts, size_t n, uint8_t *out, size_t cap);

/* Records "hash_input" (the parts as obol_sha256_parts reads them) and
 * checks that SHA-256 of it is code_hash, what obol's own function made. */
void vg_hash_input(struct vg *g, const struct obol_hash_part *parts, size_t n,
		   const uint8_t code_hash[static 32]);

/* Compares a built document with the checked-in one: 0 when equal, else
 * writes the first difference into why. */
int vg_compare(const json_t *built, const json_t *ref, char *why, size_t cap);

#endif
