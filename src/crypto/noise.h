/* The Noise Protocol Framework, revision 34 (noiseprotocol.org/noise.html),
 * for the one protocol obol speaks on the device link:
 *
 *   Noise_NX_25519_ChaChaPoly_SHA256
 *     -> e
 *     <- e, ee, s, es
 *
 * The initiator (the payer's wallet) has no static key, so it stays
 * anonymous; the responder (a vendor, or a wallet taking a payment) sends its
 * static X25519 key encrypted in the second message and proves it holds it
 * through the es Diffie-Hellman: the payload of that message only decrypts
 * for a responder that holds the private half of the key it sent.
 *
 * The suite: X25519 (libsodium crypto_scalarmult), ChaCha20-Poly1305 IETF
 * (crypto_aead_chacha20poly1305_ietf; nonce = 4 zero bytes || n little-endian,
 * §12.3), SHA-256 with HMAC-SHA-256 (crypto_hash_sha256,
 * crypto_auth_hmacsha256: the HMAC of RFC 2104 that HKDF needs, §4.3, comes
 * ready-made, where BLAKE2b would need an HMAC written by hand), HASHLEN 32.
 *
 * The objects of §5: CipherState (struct obol_noise_cipher), SymmetricState
 * and HandshakeState (struct obol_noise_handshake). Pure code: no I/O, no
 * allocation; secrets are wiped by obol_noise_handshake_wipe and
 * obol_noise_cipher_wipe. Checked against the cacophony and snow test vectors
 * (tests/vectors/noise_nx.txt). */
#ifndef OBOL_CRYPTO_NOISE_H
#define OBOL_CRYPTO_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/seal.h"

#define OBOL_NOISE_DH_LEN 32
#define OBOL_NOISE_HASH_LEN 32
#define OBOL_NOISE_KEY_LEN 32
#define OBOL_NOISE_TAG_LEN 16
#define OBOL_NOISE_MSG_MAX 65535 /* §3: every Noise message, handshake or transport */
#define OBOL_NOISE_PROTOCOL "Noise_NX_25519_ChaChaPoly_SHA256"

/* §5.1 CipherState. n is the next nonce; n = 2^64-1 is reserved, so a
 * cipher whose n reached it refuses to work (NONCE_EXHAUSTED). */
struct obol_noise_cipher {
	uint8_t k[OBOL_NOISE_KEY_LEN]; /* secret */
	uint64_t n;
	bool has_key;
};

/* EncryptWithAd: out holds len + OBOL_NOISE_TAG_LEN bytes (len when the
 * cipher has no key yet: the plaintext is copied). out must not overlap in. */
OBOL_MUST_CHECK obol_err obol_noise_encrypt(struct obol_noise_cipher *c, const uint8_t *ad, size_t ad_len,
					    const uint8_t *in, size_t len, uint8_t *out);
/* DecryptWithAd: out holds len - OBOL_NOISE_TAG_LEN bytes. DECRYPT_FAILED
 * when the ciphertext does not authenticate under k, n and ad (n is then
 * left as it was, §5.1); nothing in out is meaningful then. */
OBOL_MUST_CHECK obol_err obol_noise_decrypt(struct obol_noise_cipher *c, const uint8_t *ad, size_t ad_len,
					    const uint8_t *in, size_t len, uint8_t *out);
void obol_noise_cipher_wipe(struct obol_noise_cipher *c);

enum obol_noise_token { NOISE_TOK_E = 1, NOISE_TOK_S, NOISE_TOK_EE, NOISE_TOK_ES, NOISE_TOK_SE, NOISE_TOK_SS };

#define OBOL_NOISE_MESSAGES_MAX 3
#define OBOL_NOISE_TOKENS_MAX 6

/* §5.2 SymmetricState and §5.3 HandshakeState. */
struct obol_noise_handshake {
	struct obol_noise_cipher cs;
	uint8_t ck[OBOL_NOISE_HASH_LEN]; /* secret */
	uint8_t h[OBOL_NOISE_HASH_LEN];
	struct obol_box_keypair s, e; /* secret halves */
	uint8_t rs[OBOL_NOISE_DH_LEN], re[OBOL_NOISE_DH_LEN];
	bool has_s, has_e, has_rs, has_re;
	bool initiator;
	uint8_t fixed_e[OBOL_NOISE_DH_LEN]; /* test vectors only */
	bool has_fixed_e;
	unsigned next, count; /* the next message pattern, and how many there are */
	enum obol_noise_token patterns[OBOL_NOISE_MESSAGES_MAX][OBOL_NOISE_TOKENS_MAX + 1]; /* 0-terminated */
};

struct obol_noise_init {
	bool initiator;
	const uint8_t *prologue; /* §6; may be NULL when prologue_len is 0 */
	size_t prologue_len;
	const struct obol_box_keypair *s; /* the local static key pair (the NX responder's); NULL for none */
	const uint8_t *fixed_e; /* the ephemeral private key to use instead of a random one:
				   test vectors only (Initialize's e argument, §5.3); NULL draws one */
};

/* Initialize(NX, ...), §5.3. INVALID_ARGUMENT when the role's static key is
 * missing or superfluous (NX: the responder has one, the initiator none). */
OBOL_MUST_CHECK obol_err obol_noise_handshake_init(struct obol_noise_handshake *hs, const struct obol_noise_init *init);

/* WriteMessage(payload), §5.3: the next handshake message into out (cap
 * bytes), *len its length. WIRE_OVERSIZED when it would pass cap or
 * OBOL_NOISE_MSG_MAX; INVALID_ARGUMENT when it is not this side's turn or the
 * handshake is over; KEY_INVALID when a Diffie-Hellman result is all zeros
 * (a low-order public key from the peer; allowed to be refused, §12.1). */
OBOL_MUST_CHECK obol_err obol_noise_write_message(struct obol_noise_handshake *hs, const uint8_t *payload,
						  size_t payload_len, uint8_t *out, size_t cap, size_t *len);
/* ReadMessage(message), §5.3: the payload into payload (cap bytes), *len its
 * length. WIRE_TRUNCATED when the message is shorter than its keys and tags;
 * DECRYPT_FAILED when an encrypted key or the payload does not authenticate
 * (the handshake has then failed and must be dropped); KEY_INVALID as above;
 * WIRE_OVERSIZED when the payload does not fit cap. */
OBOL_MUST_CHECK obol_err obol_noise_read_message(struct obol_noise_handshake *hs, const uint8_t *msg, size_t len,
						 uint8_t *payload, size_t cap, size_t *payload_len);

/* Whether every message pattern has been processed. */
bool obol_noise_handshake_done(const struct obol_noise_handshake *hs);
/* The current h: after the last message, GetHandshakeHash() (§11.2). */
void obol_noise_handshake_hash(const struct obol_noise_handshake *hs, uint8_t out[static OBOL_NOISE_HASH_LEN]);
/* The remote static key received in the handshake, or NULL. */
const uint8_t *obol_noise_remote_static(const struct obol_noise_handshake *hs);

/* Split(), §5.2, once the handshake is done: c1 encrypts from initiator to
 * responder, c2 the other way. INVALID_ARGUMENT before the last message. */
OBOL_MUST_CHECK obol_err obol_noise_split(const struct obol_noise_handshake *hs, struct obol_noise_cipher *c1,
					  struct obol_noise_cipher *c2);

/* Wipes every secret of the handshake. */
void obol_noise_handshake_wipe(struct obol_noise_handshake *hs);

#endif
