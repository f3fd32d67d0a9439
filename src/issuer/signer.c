/* The issuer's signing process (contracts and protocol in signer.h). */
#include "issuer/signer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/clock.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "schemes/codex/blacklist_pages.h"
#include "schemes/common/key_announce.h"
#include "schemes/payword/messages.h"

/* The largest lists the issuer signs through this process fit a frame
 * (their signed bytes: payword cert.c crl_page_body, codex
 * blacklist_pages.c); past it a full page would be SIGNER_FRAME_INVALID. */
_Static_assert(4 + 5 * 8 + 8 * (size_t)PAYWORD_CRL_PAGE_MAX <= OBOL_SIGNER_ED_MSG_MAX,
	       "a whole payword CRL page fits one signer frame");
_Static_assert(CODEX_BLACKLIST_PAGE_BYTES_MAX <= OBOL_SIGNER_ED_MSG_MAX,
	       "a whole Codex blacklist page fits one signer frame");

const char *const obol_signer_contexts[] = {
	"issuer-keys",	       "vendor-cert",	  "coupon-lock-reply",	 "coupon-settle-reply",
	"coupon-refusal",      "coupon-refund-reply", "codex-cert",	 "codex-state",
	"codex-blacklist",     "codex-refusal",	  "payword-vendor-cert", "payword-crl",
	"payword-crl-page",    "codex-blacklist-page", NULL,
};

static const char *const kind_names[OBOL_SIGNER_KINDS] = { "unknown", "blind-sign", "rsa-sign",
							   "box-open", "ed25519-sign", "status" };

const char *obol_signer_kind_name(unsigned kind)
{
	return kind < OBOL_SIGNER_KINDS ? kind_names[kind] : "unknown";
}

/* ---- frames ---- */

static obol_err io_full(int fd, void *p, size_t n, bool rd)
{
	uint8_t *b = p;
	while (n > 0) {
		ssize_t r = rd ? read(fd, b, n) : send(fd, b, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return OBOL_E_SIGNER_UNAVAILABLE;
		b += r;
		n -= (size_t)r;
	}
	return OBOL_OK;
}

obol_err obol_signer_frame_write(int fd, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t hdr[4];
	size_t n = alen + blen;
	if (n == 0 || n > OBOL_SIGNER_FRAME_MAX)
		return OBOL_E_SIGNER_FRAME_INVALID;
	hdr[0] = (uint8_t)(n >> 24), hdr[1] = (uint8_t)(n >> 16), hdr[2] = (uint8_t)(n >> 8), hdr[3] = (uint8_t)n;
	/* one write for small frames: a request is one segment */
	uint8_t buf[4 + 1024];
	if (n <= sizeof(buf) - 4) {
		memcpy(buf, hdr, 4);
		if (alen)
			memcpy(buf + 4, a, alen);
		if (blen)
			memcpy(buf + 4 + alen, b, blen);
		obol_err e = io_full(fd, buf, 4 + n, false);
		obol_wipe(buf, 4 + n);
		return e;
	}
	obol_err e = io_full(fd, hdr, 4, false);
	if (e == OBOL_OK && alen)
		e = io_full(fd, (void *)a, alen, false);
	if (e == OBOL_OK && blen)
		e = io_full(fd, (void *)b, blen, false);
	return e;
}

obol_err obol_signer_frame_read(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t hdr[4];
	obol_err e;
	if ((e = io_full(fd, hdr, 4, true)) != OBOL_OK)
		return e;
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (n == 0 || n > cap)
		return OBOL_E_SIGNER_FRAME_INVALID;
	if ((e = io_full(fd, buf, n, true)) != OBOL_OK)
		return e;
	*len = n;
	return OBOL_OK;
}

/* ---- keys ---- */

struct signer_key {
	uint8_t id[OBOL_SIGNER_KEY_ID_LEN];
	int kind;
	int64_t valid_from, use_until; /* the announced use window, both inclusive */
	bool announced, revoked;       /* by the master, as the store holds it */
	EVP_PKEY *rsa;			    /* DENOM, BANK */
	struct obol_box_keypair box;	    /* BOX */
	struct obol_sign_keypair ed;	    /* ONLINE */
};

struct conn {
	int fd;
	pthread_t thread;
	bool used, done;
	struct obol_signer *sg;
};

struct obol_signer {
	pthread_rwlock_t keys_lock; /* keys, nkeys: read to sign, written to reload */
	struct signer_key *keys;
	size_t nkeys;
	char *db_url;
	int64_t generation; /* the store's import count the keys were loaded at */
	time_t checked;	    /* when the accept thread last looked at it */
	pthread_mutex_t reload_mu;
	struct obol_store *store; /* under reload_mu: held open for the looks; NULL after a failed one */
	uint64_t store_opens;	  /* under reload_mu */
	int listen_fd, stop_pipe[2];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uid_t peer_uid;
	FILE *log;
	bool own_log;
	pthread_t accept_thread;
	pthread_mutex_t mu; /* conns, counts, log */
	struct conn conns[OBOL_SIGNER_MAX_CONNS];
	struct obol_signer_counts counts;
	time_t flushed; /* the second the log was last flushed */
};

static void keys_free(struct signer_key *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		EVP_PKEY_free(k[i].rsa);
		OBOL_WIPE(k[i].box);
		OBOL_WIPE(k[i].ed);
	}
	free(k);
}

/* The announcements of the store, each verified under its pinned master
 * key; the ones that do not verify are left out (they announce nothing). */
struct announcements {
	struct obol_key_announce *a;
	size_t n;
};

static obol_err announcements_load(struct obol_store *s, struct announcements *out)
{
	struct obol_stmt *st = NULL;
	uint8_t master[OBOL_SIGN_PK_LEN];
	bool row = false, pinned = false;
	size_t len, cap = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT master_pk FROM signer_master WHERE id = 1", &st);
	memset(out, 0, sizeof *out);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		if (b != NULL && len == sizeof master) {
			memcpy(master, b, sizeof master);
			pinned = true;
		}
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK || !pinned)
		return e; /* no master: no key is announced */
	if ((e = obol_stmt_prepare(s, "SELECT announcement FROM signer_announcements ORDER BY serial", &st)) != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct obol_key_announce *na = realloc(out->a, ncap * sizeof *na);
			if (na == NULL) {
				e = OBOL_E_NO_MEMORY;
				break;
			}
			out->a = na;
			cap = ncap;
		}
		struct obol_key_announce *a = &out->a[out->n];
		if (b != NULL && obol_key_announce_decode(b, len, a) == OBOL_OK && obol_key_announce_verify(a, master) == OBOL_OK)
			out->n++;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK) {
		free(out->a);
		memset(out, 0, sizeof *out);
	}
	return e;
}

/* Whether a bank key announced after a (a later valid_from) is among the
 * announcements: bank keys then rotate, and a's window ends. */
static bool bank_successor(const struct announcements *an, const struct obol_key_announce *a)
{
	for (size_t i = 0; i < an->n; i++)
		if (an->a[i].kind == OBOL_KEY_ECASH_BANK && an->a[i].valid_from > a->valid_from)
			return true;
	return false;
}

/* Sets x's window and flags from the announcements: its announcement (of
 * its kind, naming its key id) and any revocation naming it. */
static void key_announced(struct signer_key *x, const struct announcements *an)
{
	uint8_t aid[32], id[32];
	uint64_t kind;
	switch (x->kind) {
	case OBOL_SIGNER_KEY_DENOM: kind = OBOL_KEY_COUPON_DENOM; break;
	case OBOL_SIGNER_KEY_BANK: kind = OBOL_KEY_ECASH_BANK; break;
	case OBOL_SIGNER_KEY_ONLINE: kind = OBOL_KEY_ONLINE; break;
	default: return; /* the box key signs nothing: no announcement */
	}
	/* an announcement names a key by SHA-256 of its bytes: an RSA key's
	 * id here, an online key's public key hashed */
	if (x->kind == OBOL_SIGNER_KEY_ONLINE)
		obol_sha256(aid, x->id, OBOL_SIGN_PK_LEN);
	else
		memcpy(aid, x->id, sizeof aid);
	for (size_t i = 0; i < an->n; i++) {
		const struct obol_key_announce *a = &an->a[i];
		if (a->kind == OBOL_KEY_REVOKE) {
			x->revoked |= memcmp(a->revoked, aid, sizeof aid) == 0;
			continue;
		}
		if (a->kind != kind || x->announced)
			continue;
		obol_key_announce_key_id(a, id);
		if (memcmp(id, aid, sizeof id) != 0)
			continue;
		x->announced = true;
		x->valid_from = a->valid_from;
		x->use_until = a->use_until - 1;
		/* a bank key with no successor announced keeps no end (signer.h) */
		if (x->kind == OBOL_SIGNER_KEY_BANK && !bank_successor(an, a))
			x->use_until = INT64_MAX;
	}
}

static obol_err keys_load(struct obol_store *s, struct signer_key **out, size_t *n)
{
	struct obol_stmt *st;
	struct signer_key *k = NULL;
	struct announcements an;
	size_t cap = 0;
	bool row;
	obol_err e;
	*n = 0;
	if ((e = announcements_load(s, &an)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_prepare(s, "SELECT key_id, kind, secret, public FROM signer_keys", &st)) != OBOL_OK) {
		free(an.a);
		return e;
	}
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t idlen, slen, plen;
		uint8_t rid[OBOL_SIGNER_KEY_ID_LEN];
		const uint8_t *id = obol_stmt_column_blob(st, 0, &idlen);
		const uint8_t *sec = obol_stmt_column_blob(st, 2, &slen);
		const uint8_t *pub = obol_stmt_column_blob(st, 3, &plen);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct signer_key *nk = realloc(k, cap * sizeof(*nk));
			if (!nk) {
				e = OBOL_E_NO_MEMORY;
				break;
			}
			k = nk;
		}
		struct signer_key *x = &k[*n];
		memset(x, 0, sizeof(*x));
		e = OBOL_E_KEY_INVALID;
		if (idlen != OBOL_SIGNER_KEY_ID_LEN)
			break;
		memcpy(x->id, id, idlen);
		x->kind = (int)obol_stmt_column_int64(st, 1);
		switch (x->kind) {
		case OBOL_SIGNER_KEY_DENOM:
		case OBOL_SIGNER_KEY_BANK:
			/* named by its own id, never by the column's word */
			if ((e = obol_rsa_private_from_der(sec, slen, &x->rsa)) == OBOL_OK &&
			    (e = obol_rsa_key_id(x->rsa, rid)) == OBOL_OK && memcmp(rid, x->id, sizeof rid) != 0)
				e = OBOL_E_KEY_INVALID;
			break;
		case OBOL_SIGNER_KEY_BOX:
			if (slen == OBOL_BOX_SK_LEN && plen == OBOL_BOX_PK_LEN) {
				memcpy(x->box.sk, sec, slen);
				memcpy(x->box.pk, pub, plen);
				e = OBOL_OK;
			}
			break;
		case OBOL_SIGNER_KEY_ONLINE:
			if (slen == OBOL_SIGN_SEED_LEN) {
				obol_sign_keypair_from_seed(&x->ed, sec);
				e = obol_ct_equal(x->ed.pk, x->id, OBOL_SIGN_PK_LEN) ? OBOL_OK : OBOL_E_KEY_INVALID;
			}
			break;
		default:
			break;
		}
		(*n)++;
		if (e != OBOL_OK)
			break;
		key_announced(x, &an);
	}
	obol_stmt_finish(st);
	free(an.a);
	if (e != OBOL_OK) {
		keys_free(k, *n);
		*n = 0;
		return e;
	}
	*out = k;
	return OBOL_OK;
}

/* The store's import count (0 before the first import). */
static obol_err generation_read(struct obol_store *s, int64_t *g)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	*g = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT generation FROM signer_state WHERE id = 1", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*g = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

static const struct signer_key *key_find(const struct obol_signer *sg, int kind, const uint8_t *id)
{
	for (size_t i = 0; i < sg->nkeys; i++)
		if (sg->keys[i].kind == kind && memcmp(sg->keys[i].id, id, OBOL_SIGNER_KEY_ID_LEN) == 0)
			return &sg->keys[i];
	return NULL;
}

/* The key a request names, of the kind its request uses, announced, not
 * revoked, inside its window (the box key: held). Under keys_lock. */
static obol_err key_usable(const struct obol_signer *sg, int kind, const uint8_t *id, const struct signer_key **out)
{
	const struct signer_key *k = key_find(sg, kind, id);
	if (!k)
		return OBOL_E_SIGNER_KEY_UNKNOWN;
	if (kind == OBOL_SIGNER_KEY_BOX) {
		*out = k;
		return OBOL_OK;
	}
	if (!k->announced)
		return OBOL_E_SIGNER_KEY_NOT_ANNOUNCED;
	if (k->revoked)
		return OBOL_E_SIGNER_KEY_REVOKED;
	int64_t now = obol_now();
	if (now < k->valid_from || now > k->use_until)
		return OBOL_E_SIGNER_KEY_NOT_USABLE;
	*out = k;
	return OBOL_OK;
}

static bool context_allowed(const uint8_t *ctx, size_t len)
{
	for (size_t i = 0; obol_signer_contexts[i]; i++)
		if (strlen(obol_signer_contexts[i]) == len && memcmp(obol_signer_contexts[i], ctx, len) == 0)
			return true;
	return false;
}

/* ---- requests ---- */

struct answer {
	uint8_t out[OBOL_SIGNER_BOX_MAX + OBOL_RSA_MAX_MODULUS];
	size_t len;
};

static obol_err do_status(struct obol_signer *sg, struct answer *a)
{
	struct obol_signer_counts c;
	size_t off = 0;
	obol_signer_counts(sg, &c);
	off += (size_t)snprintf((char *)a->out + off, sizeof(a->out) - off, "{");
	for (unsigned k = 1; k < OBOL_SIGNER_KINDS; k++)
		off += (size_t)snprintf((char *)a->out + off, sizeof(a->out) - off, "%s\"%s\":{\"ok\":%llu,\"refused\":%llu}",
					k > 1 ? "," : "", kind_names[k], (unsigned long long)c.ok[k],
					(unsigned long long)c.refused[k]);
	/* the keys it signs with now, per kind, and until when the online
	 * keys it holds cover without a gap: the operator's warning that the
	 * ceremony is due (under keys_lock, as every request) */
	int64_t now = obol_now(), cover = now;
	unsigned usable[5] = { 0 };
	for (bool moved = true; moved;) {
		moved = false;
		for (size_t i = 0; i < sg->nkeys; i++) {
			const struct signer_key *k = &sg->keys[i];
			if (k->kind == OBOL_SIGNER_KEY_ONLINE && k->announced && !k->revoked && k->valid_from <= cover &&
			    cover <= k->use_until) {
				cover = k->use_until == INT64_MAX ? INT64_MAX : k->use_until + 1;
				moved = cover != INT64_MAX;
			}
		}
	}
	for (size_t i = 0; i < sg->nkeys; i++) {
		const struct signer_key *k = &sg->keys[i], *u;
		if (k->kind >= 1 && k->kind <= 4 && key_usable(sg, k->kind, k->id, &u) == OBOL_OK)
			usable[k->kind]++;
	}
	off += (size_t)snprintf((char *)a->out + off, sizeof(a->out) - off,
				",\"usable\":{\"denom\":%u,\"bank\":%u,\"box\":%u,\"online\":%u},"
				"\"online_cover_until\":%lld,\"import\":%lld}",
				usable[OBOL_SIGNER_KEY_DENOM], usable[OBOL_SIGNER_KEY_BANK], usable[OBOL_SIGNER_KEY_BOX],
				usable[OBOL_SIGNER_KEY_ONLINE], (long long)cover, (long long)sg->generation);
	a->len = off < sizeof(a->out) ? off : sizeof(a->out) - 1;
	return OBOL_OK;
}

static obol_err handle(struct obol_signer *sg, unsigned kind, const uint8_t *id, const uint8_t *p, size_t n,
		       struct answer *a)
{
	const struct signer_key *k;
	obol_err e;
	switch (kind) {
	case OBOL_SIGNER_BLIND_SIGN:
		if ((e = key_usable(sg, OBOL_SIGNER_KEY_DENOM, id, &k)) != OBOL_OK)
			return e;
		if (n != obol_rsa_modulus_len(k->rsa))
			return OBOL_E_SIGNER_FRAME_INVALID;
		return obol_blindrsa_blind_sign(k->rsa, p, n, a->out, sizeof(a->out), &a->len);
	case OBOL_SIGNER_RSA_SIGN:
		if (n != OBOL_RSAPSS_DIGEST_LEN)
			return OBOL_E_SIGNER_FRAME_INVALID;
		if ((e = key_usable(sg, OBOL_SIGNER_KEY_BANK, id, &k)) != OBOL_OK)
			return e;
		return obol_rsapss_sign_digest(k->rsa, p, a->out, sizeof(a->out), &a->len);
	case OBOL_SIGNER_BOX_OPEN:
		if (n <= OBOL_SEALBOX_OVERHEAD || n > OBOL_SIGNER_BOX_MAX)
			return OBOL_E_SIGNER_FRAME_INVALID;
		if ((e = key_usable(sg, OBOL_SIGNER_KEY_BOX, id, &k)) != OBOL_OK)
			return e;
		if ((e = obol_sealbox_open(a->out, p, n, &k->box)) != OBOL_OK)
			return e;
		a->len = n - OBOL_SEALBOX_OVERHEAD;
		return OBOL_OK;
	case OBOL_SIGNER_ED25519_SIGN: {
		char ctx[OBOL_SIGNER_CONTEXT_MAX + 1];
		if (n < 1 || (size_t)p[0] + 1 > n || p[0] > OBOL_SIGNER_CONTEXT_MAX ||
		    n - 1 - p[0] > OBOL_SIGNER_ED_MSG_MAX)
			return OBOL_E_SIGNER_FRAME_INVALID;
		if (!context_allowed(p + 1, p[0]))
			return OBOL_E_SIGNER_CONTEXT_REFUSED;
		if ((e = key_usable(sg, OBOL_SIGNER_KEY_ONLINE, id, &k)) != OBOL_OK)
			return e;
		memcpy(ctx, p + 1, p[0]);
		ctx[p[0]] = '\0';
		obol_sign(a->out, ctx, p + 1 + p[0], n - 1 - p[0], k->ed.sk);
		a->len = OBOL_SIGN_LEN;
		return OBOL_OK;
	}
	case OBOL_SIGNER_STATUS:
		return n == 0 ? do_status(sg, a) : OBOL_E_SIGNER_FRAME_INVALID;
	default:
		return OBOL_E_SIGNER_REQUEST_REFUSED;
	}
}

/* One line per request: kind, key id (its first 8 bytes), size, the
 * result. Never a message's content, never a key. */
static void note(struct obol_signer *sg, unsigned kind, const uint8_t *id, size_t size, obol_err e)
{
	char hex[17] = "-";
	struct timespec ts;
	if (id)
		sodium_bin2hex(hex, sizeof hex, id, 8);
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&sg->mu);
	unsigned k = kind < OBOL_SIGNER_KINDS ? kind : 0;
	if (e == OBOL_OK)
		sg->counts.ok[k]++;
	else
		sg->counts.refused[k]++;
	fprintf(sg->log, "%lld.%03ld signer %s key=%s size=%zu %s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000,
		obol_signer_kind_name(kind), hex, size, e == OBOL_OK ? "OK" : obol_strerror(e));
	/* written at most a second late: once a second under load (not a
	 * write per signature), else by the accept thread's idle tick */
	if (e != OBOL_OK || ts.tv_sec != sg->flushed) {
		fflush(sg->log);
		sg->flushed = ts.tv_sec;
	}
	pthread_mutex_unlock(&sg->mu);
}

static void refuse(int fd, obol_err e)
{
	uint8_t code[4] = { (uint8_t)((uint32_t)e >> 24), (uint8_t)((uint32_t)e >> 16), (uint8_t)((uint32_t)e >> 8),
			    (uint8_t)e };
	if (obol_signer_frame_write(fd, code, 4, NULL, 0) != OBOL_OK)
		shutdown(fd, SHUT_RDWR); /* the peer went: its connection ends */
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct obol_signer *sg = c->sg;
	uint8_t *req = malloc(OBOL_SIGNER_FRAME_MAX);
	struct answer *a = malloc(sizeof(*a));
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	if (!req || !a)
		goto out;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.uid != sg->peer_uid) {
		note(sg, 0, NULL, 0, OBOL_E_SIGNER_PEER_REFUSED);
		refuse(c->fd, OBOL_E_SIGNER_PEER_REFUSED);
		goto out;
	}
	for (;;) {
		size_t n;
		obol_err e = obol_signer_frame_read(c->fd, req, OBOL_SIGNER_FRAME_MAX, &n);
		if (e == OBOL_E_SIGNER_FRAME_INVALID) {
			note(sg, 0, NULL, 0, e);
			refuse(c->fd, e);
			break;
		}
		if (e != OBOL_OK)
			break;
		unsigned kind = req[0];
		if (n < 1 + OBOL_SIGNER_KEY_ID_LEN) {
			e = OBOL_E_SIGNER_FRAME_INVALID;
			note(sg, kind, NULL, n, e);
			refuse(c->fd, e);
			continue;
		}
		const uint8_t *id = req + 1;
		size_t plen = n - 1 - OBOL_SIGNER_KEY_ID_LEN;
		a->len = 0;
		pthread_rwlock_rdlock(&sg->keys_lock);
		e = handle(sg, kind, id, req + 1 + OBOL_SIGNER_KEY_ID_LEN, plen, a);
		pthread_rwlock_unlock(&sg->keys_lock);
		note(sg, kind, id, plen, e);
		obol_wipe(req, n);
		if (e != OBOL_OK) {
			refuse(c->fd, e);
			continue;
		}
		static const uint8_t ok[4] = { 0 };
		e = obol_signer_frame_write(c->fd, ok, 4, a->out, a->len);
		obol_wipe(a->out, a->len);
		if (e != OBOL_OK)
			break;
	}
out:
	free(req);
	free(a);
	pthread_mutex_lock(&sg->mu);
	c->done = true;
	pthread_mutex_unlock(&sg->mu);
	return NULL;
}

/* Joins connections that ended, so their slots serve again. */
static void reap(struct obol_signer *sg, bool all)
{
	for (size_t i = 0; i < OBOL_SIGNER_MAX_CONNS; i++) {
		struct conn *c = &sg->conns[i];
		pthread_mutex_lock(&sg->mu);
		bool ended = c->used && (c->done || all);
		pthread_mutex_unlock(&sg->mu);
		if (!ended)
			continue;
		if (all)
			shutdown(c->fd, SHUT_RDWR);
		pthread_join(c->thread, NULL);
		close(c->fd);
		c->used = c->done = false;
	}
}

static void *accept_main(void *arg)
{
	struct obol_signer *sg = arg;
	struct pollfd p[2] = { { .fd = sg->listen_fd, .events = POLLIN }, { .fd = sg->stop_pipe[0], .events = POLLIN } };
	for (;;) {
		int n = poll(p, 2, 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[1].revents)
			break;
		time_t t = time(NULL);
		if (t != sg->checked) { /* at most once a second, loaded or idle */
			sg->checked = t;
			bool reloaded = false;
			obol_err re = obol_signer_refresh(sg, &reloaded);
			if (re != OBOL_OK || reloaded) {
				pthread_mutex_lock(&sg->mu);
				if (re != OBOL_OK)
					fprintf(sg->log, "signer: reload failed, keeping the keys held: %s\n", obol_strerror(re));
				else
					fprintf(sg->log, "signer: reloaded %zu keys (import %lld)\n", sg->nkeys,
						(long long)sg->generation);
				fflush(sg->log);
				pthread_mutex_unlock(&sg->mu);
			}
		}
		if (n == 0) { /* idle: the log's last lines out */
			pthread_mutex_lock(&sg->mu);
			fflush(sg->log);
			pthread_mutex_unlock(&sg->mu);
			continue;
		}
		int fd = accept4(sg->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		reap(sg, false);
		struct conn *c = NULL;
		for (size_t i = 0; i < OBOL_SIGNER_MAX_CONNS && !c; i++)
			if (!sg->conns[i].used)
				c = &sg->conns[i];
		if (!c) {
			refuse(fd, OBOL_E_SIGNER_UNAVAILABLE);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->sg = sg;
		c->done = false;
		c->used = true;
		if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
			c->used = false;
			close(fd);
		}
	}
	return NULL;
}

obol_err obol_signer_start(const struct obol_signer_config *cfg, struct obol_signer **out)
{
	struct obol_signer *sg = calloc(1, sizeof(*sg));
	struct obol_store *s = NULL;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat stb;
	obol_err e;
	if (!sg)
		return OBOL_E_NO_MEMORY;
	sg->listen_fd = sg->stop_pipe[0] = sg->stop_pipe[1] = -1;
	pthread_mutex_init(&sg->mu, NULL);
	pthread_mutex_init(&sg->reload_mu, NULL);
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* a reload waits for the signatures under way, not for a stream of them */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sg->keys_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	sg->checked = time(NULL);
	sg->peer_uid = cfg->peer_uid;
	if (strlen(cfg->socket_path) >= sizeof(addr.sun_path)) {
		e = OBOL_E_CONFIG;
		goto fail;
	}
	if (!(sg->db_url = strdup(cfg->db_url))) {
		e = OBOL_E_NO_MEMORY;
		goto fail;
	}
	if ((e = obol_store_open(cfg->db_url, false, &s)) != OBOL_OK || (e = obol_signer_store_migrate(s)) != OBOL_OK ||
	    (e = generation_read(s, &sg->generation)) != OBOL_OK || (e = keys_load(s, &sg->keys, &sg->nkeys)) != OBOL_OK)
		goto fail;
	sg->store = s; /* kept for the looks at the import count */
	sg->store_opens = 1;
	s = NULL;
	sg->log = stderr;
	if (cfg->log_path) {
		e = OBOL_E_CONFIG;
		if (!(sg->log = fopen(cfg->log_path, "ae")))
			goto fail;
		sg->own_log = true;
	}
	/* a stale socket of a signer that stopped is replaced; any other file is not */
	if (lstat(cfg->socket_path, &stb) == 0) {
		e = OBOL_E_CONFIG;
		if (!S_ISSOCK(stb.st_mode) || unlink(cfg->socket_path) != 0)
			goto fail;
	}
	memcpy(addr.sun_path, cfg->socket_path, strlen(cfg->socket_path) + 1);
	snprintf(sg->path, sizeof sg->path, "%s", cfg->socket_path);
	e = OBOL_E_CONFIG;
	if ((sg->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	mode_t old = umask(0177);
	int rc = bind(sg->listen_fd, (struct sockaddr *)&addr, sizeof addr);
	umask(old);
	if (rc != 0 || chmod(cfg->socket_path, 0600) != 0 || listen(sg->listen_fd, 128) != 0 ||
	    pipe2(sg->stop_pipe, O_CLOEXEC) != 0)
		goto fail;
	if (pthread_create(&sg->accept_thread, NULL, accept_main, sg) != 0)
		goto fail;
	fprintf(sg->log, "signer: %zu keys, socket %s, peer uid %u\n", sg->nkeys, sg->path, (unsigned)sg->peer_uid);
	fflush(sg->log);
	*out = sg;
	return OBOL_OK;
fail:
	obol_store_close(s);
	obol_store_close(sg->store);
	if (sg->listen_fd >= 0) {
		close(sg->listen_fd);
		unlink(sg->path);
	}
	if (sg->stop_pipe[0] >= 0) {
		close(sg->stop_pipe[0]);
		close(sg->stop_pipe[1]);
	}
	if (sg->own_log)
		fclose(sg->log);
	keys_free(sg->keys, sg->nkeys);
	free(sg->db_url);
	free(sg);
	return e;
}

void obol_signer_counts(struct obol_signer *sg, struct obol_signer_counts *out)
{
	pthread_mutex_lock(&sg->mu);
	*out = sg->counts;
	pthread_mutex_unlock(&sg->mu);
	pthread_mutex_lock(&sg->reload_mu);
	out->store_opens = sg->store_opens;
	pthread_mutex_unlock(&sg->reload_mu);
}

obol_err obol_signer_refresh(struct obol_signer *sg, bool *reloaded)
{
	struct obol_store *s = NULL;
	struct signer_key *k = NULL, *old;
	size_t n = 0, oldn;
	int64_t g = 0;
	if (reloaded)
		*reloaded = false;
	pthread_mutex_lock(&sg->reload_mu);
	obol_err e = OBOL_OK;
	if (sg->store == NULL && (e = obol_store_open(sg->db_url, false, &sg->store)) == OBOL_OK)
		sg->store_opens++;
	s = sg->store;
	if (e == OBOL_OK)
		e = generation_read(s, &g);
	if (e == OBOL_OK && g != sg->generation)
		e = keys_load(s, &k, &n);
	if (e != OBOL_OK) { /* a connection that failed is opened again at the next look */
		obol_store_close(sg->store);
		sg->store = NULL;
	}
	if (e == OBOL_OK && g != sg->generation) {
		pthread_rwlock_wrlock(&sg->keys_lock);
		old = sg->keys, oldn = sg->nkeys;
		sg->keys = k, sg->nkeys = n;
		sg->generation = g;
		pthread_rwlock_unlock(&sg->keys_lock);
		keys_free(old, oldn);
		if (reloaded)
			*reloaded = true;
	}
	pthread_mutex_unlock(&sg->reload_mu);
	return e;
}

void obol_signer_stop(struct obol_signer *sg)
{
	if (!sg)
		return;
	if (write(sg->stop_pipe[1], "x", 1) != 1)
		shutdown(sg->listen_fd, SHUT_RDWR);
	pthread_join(sg->accept_thread, NULL);
	close(sg->listen_fd);
	unlink(sg->path);
	reap(sg, true);
	close(sg->stop_pipe[0]);
	close(sg->stop_pipe[1]);
	if (sg->own_log)
		fclose(sg->log);
	keys_free(sg->keys, sg->nkeys);
	obol_store_close(sg->store);
	pthread_rwlock_destroy(&sg->keys_lock);
	pthread_mutex_destroy(&sg->reload_mu);
	pthread_mutex_destroy(&sg->mu);
	free(sg->db_url);
	free(sg);
}
