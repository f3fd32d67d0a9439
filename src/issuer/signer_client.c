/* The issuer's side of its signing process (signer_client.h). */
#include "issuer/signer_client.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/rsa.h"
#include "crypto/secret.h"
#include "crypto/sign.h"

struct obol_signer_client {
	struct sockaddr_un addr;
	pthread_mutex_t mu;
	pthread_cond_t freed;              /* a connection went back or closed */
	int idle[OBOL_SIGNER_CLIENT_POOL];
	size_t nidle, open;                /* idle ones; all, idle or in use */
};

static int dial(const struct obol_signer_client *c)
{
	struct timeval tv = { .tv_sec = OBOL_SIGNER_CLIENT_TIMEOUT_MS / 1000,
			      .tv_usec = (OBOL_SIGNER_CLIENT_TIMEOUT_MS % 1000) * 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
	    connect(fd, (const struct sockaddr *)&c->addr, sizeof c->addr) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An idle connection (*pooled), or a new one while fewer than
 * OBOL_SIGNER_CLIENT_POOL are open, or, at that bound, the next one given
 * back; -1 when none can be made. */
static int take(struct obol_signer_client *c, bool *pooled)
{
	int fd = -1;
	pthread_mutex_lock(&c->mu);
	while (c->nidle == 0 && c->open >= OBOL_SIGNER_CLIENT_POOL)
		pthread_cond_wait(&c->freed, &c->mu);
	if (c->nidle > 0)
		fd = c->idle[--c->nidle];
	else
		c->open++;
	pthread_mutex_unlock(&c->mu);
	*pooled = fd >= 0;
	if (fd < 0 && (fd = dial(c)) < 0) {
		pthread_mutex_lock(&c->mu);
		c->open--;
		pthread_cond_signal(&c->freed);
		pthread_mutex_unlock(&c->mu);
	}
	return fd;
}

/* Closes a connection taken. */
static void drop(struct obol_signer_client *c, int fd)
{
	close(fd);
	pthread_mutex_lock(&c->mu);
	c->open--;
	pthread_cond_signal(&c->freed);
	pthread_mutex_unlock(&c->mu);
}

/* Closes every idle connection: one failed, so the signer they reached went. */
static void drain(struct obol_signer_client *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->nidle > 0) {
		close(c->idle[--c->nidle]);
		c->open--;
	}
	pthread_cond_broadcast(&c->freed);
	pthread_mutex_unlock(&c->mu);
}

static void give_back(struct obol_signer_client *c, int fd)
{
	pthread_mutex_lock(&c->mu);
	c->idle[c->nidle++] = fd; /* open <= POOL: there is room */
	pthread_cond_signal(&c->freed);
	pthread_mutex_unlock(&c->mu);
}

/* One round trip on fd: SIGNER_UNAVAILABLE when the connection fails. */
static obol_err round_trip(int fd, const uint8_t *head, size_t hlen, const uint8_t *payload, size_t len,
			   uint8_t *reply, size_t *rlen)
{
	obol_err e = obol_signer_frame_write(fd, head, hlen, payload, len);
	if (e == OBOL_OK)
		e = obol_signer_frame_read(fd, reply, 4 + OBOL_SIGNER_BOX_MAX + OBOL_RSA_MAX_MODULUS, rlen);
	if (e == OBOL_OK && *rlen < 4)
		e = OBOL_E_SIGNER_UNAVAILABLE;
	return e == OBOL_E_SIGNER_FRAME_INVALID ? OBOL_E_SIGNER_UNAVAILABLE : e;
}

obol_err obol_signer_client_call(struct obol_signer_client *c, unsigned kind,
				 const uint8_t key_id[static OBOL_SIGNER_KEY_ID_LEN], const uint8_t *payload, size_t len,
				 uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t head[1 + OBOL_SIGNER_KEY_ID_LEN];
	uint8_t reply[4 + OBOL_SIGNER_BOX_MAX + OBOL_RSA_MAX_MODULUS];
	size_t rlen = 0;
	bool pooled;
	obol_err e;
	head[0] = (uint8_t)kind;
	memcpy(head + 1, key_id, OBOL_SIGNER_KEY_ID_LEN);
	/* A pooled connection may have died with a signer that restarted:
	 * then once more on a new one. A request is signed at most once per
	 * answer the caller sees, and signing twice changes nothing stored. */
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = take(c, &pooled);
		if (fd < 0)
			return OBOL_E_SIGNER_UNAVAILABLE;
		e = round_trip(fd, head, sizeof head, payload, len, reply, &rlen);
		if (e != OBOL_OK) {
			drop(c, fd);
			if (!pooled)
				return e;
			drain(c);
			continue;
		}
		give_back(c, fd);
		break;
	}
	if (e != OBOL_OK)
		return e;
	uint32_t code = (uint32_t)reply[0] << 24 | (uint32_t)reply[1] << 16 | (uint32_t)reply[2] << 8 | reply[3];
	if (code != 0) {
		e = obol_err_is_known((int)code) ? (obol_err)code : OBOL_E_UNKNOWN_ERROR;
		goto out;
	}
	e = OBOL_E_SIGNER_FRAME_INVALID;
	if (rlen - 4 > cap)
		goto out;
	memcpy(out, reply + 4, rlen - 4);
	*out_len = rlen - 4;
	e = OBOL_OK;
out:
	obol_wipe(reply, rlen);
	return e;
}

obol_err obol_signer_client_open(const char *socket_path, struct obol_signer_client **out)
{
	struct obol_signer_client *c = calloc(1, sizeof(*c));
	uint8_t zero[OBOL_SIGNER_KEY_ID_LEN] = { 0 }, status[1024];
	size_t n;
	obol_err e;
	if (!c)
		return OBOL_E_NO_MEMORY;
	c->addr.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof(c->addr.sun_path)) {
		free(c);
		return OBOL_E_CONFIG;
	}
	memcpy(c->addr.sun_path, socket_path, strlen(socket_path) + 1);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->freed, NULL);
	if ((e = obol_signer_client_call(c, OBOL_SIGNER_STATUS, zero, NULL, 0, status, sizeof status, &n)) != OBOL_OK) {
		obol_signer_client_close(c);
		return e;
	}
	*out = c;
	return OBOL_OK;
}

void obol_signer_client_close(struct obol_signer_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nidle; i++)
		close(c->idle[i]);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->freed);
	free(c);
}

obol_err obol_signer_client_blind_sign(struct obol_signer_client *c,
				       const uint8_t key_id[static OBOL_SIGNER_KEY_ID_LEN], const uint8_t *blinded,
				       size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	return obol_signer_client_call(c, OBOL_SIGNER_BLIND_SIGN, key_id, blinded, len, sig, cap, sig_len);
}

obol_err obol_signer_client_rsa_sign(struct obol_signer_client *c, const uint8_t key_id[static OBOL_SIGNER_KEY_ID_LEN],
				     const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	uint8_t digest[OBOL_RSAPSS_DIGEST_LEN];
	crypto_hash_sha512(digest, msg, len); /* libsodium: the digest RSA-PSS SHA-512 signs */
	return obol_signer_client_call(c, OBOL_SIGNER_RSA_SIGN, key_id, digest, sizeof digest, sig, cap, sig_len);
}

obol_err obol_signer_client_box_open(void *ctx, const uint8_t pk[static OBOL_BOX_PK_LEN], uint8_t *out,
				     const uint8_t *box, size_t len)
{
	size_t n = 0;
	if (len <= OBOL_SEALBOX_OVERHEAD)
		return OBOL_E_DECRYPT_FAILED;
	obol_err e = obol_signer_client_call(ctx, OBOL_SIGNER_BOX_OPEN, pk, box, len, out,
					     len - OBOL_SEALBOX_OVERHEAD, &n);
	if (e == OBOL_OK && n != len - OBOL_SEALBOX_OVERHEAD)
		e = OBOL_E_DECRYPT_FAILED;
	return e;
}

obol_err obol_signer_client_ed25519_sign(void *ctx, const uint8_t pk[32], const char *context, const uint8_t *msg,
					 size_t len, uint8_t sig[64])
{
	size_t clen = strlen(context), n = 0;
	if (clen > OBOL_SIGNER_CONTEXT_MAX || len > OBOL_SIGNER_ED_MSG_MAX)
		return OBOL_E_SIGNER_FRAME_INVALID;
	uint8_t *p = malloc(1 + clen + len); /* a key document: up to a frame, not for a stack */
	if (p == NULL)
		return OBOL_E_NO_MEMORY;
	p[0] = (uint8_t)clen;
	memcpy(p + 1, context, clen);
	if (len)
		memcpy(p + 1 + clen, msg, len);
	obol_err e = obol_signer_client_call(ctx, OBOL_SIGNER_ED25519_SIGN, pk, p, 1 + clen + len, sig, OBOL_SIGN_LEN,
					     &n);
	free(p);
	if (e == OBOL_OK && n != OBOL_SIGN_LEN)
		e = OBOL_E_SIGNER_FRAME_INVALID;
	return e;
}
