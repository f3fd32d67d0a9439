/* The registry of the issuer's announced keys and the chain check
 * (contract in issuer_sig.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schemes/common/issuer_sig.h"
#include "schemes/common/key_announce.h"

struct held {
	struct obol_key_set *set; /* owned; NULL: a free slot */
	int64_t issued_at;
	uint64_t used; /* the tick of its last use, for eviction */
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct held table[OBOL_ISSUER_KEYS_MAX];
static uint64_t tick; /* atomic: bumped under the read lock too */

static void touch(struct held *h)
{
	__atomic_store_n(&h->used, __atomic_add_fetch(&tick, 1, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* The slot held for master_pk, or NULL. Under the lock. */
static struct held *find(const uint8_t master_pk[static OBOL_SIGN_PK_LEN])
{
	for (size_t i = 0; i < OBOL_ISSUER_KEYS_MAX; i++)
		if (table[i].set != NULL && memcmp(table[i].set->master_pk, master_pk, OBOL_SIGN_PK_LEN) == 0)
			return &table[i];
	return NULL;
}

obol_err obol_issuer_keys_register(const struct obol_key_set *set, int64_t issued_at)
{
	if (set->n == 0)
		return OBOL_OK;
	struct obol_key_set *copy = malloc(sizeof *copy);
	if (copy == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(copy, set, sizeof *copy);
	pthread_rwlock_wrlock(&lock);
	struct held *h = find(set->master_pk);
	if (h != NULL && h->issued_at > issued_at) {
		/* the held set comes from a later document */
		pthread_rwlock_unlock(&lock);
		free(copy);
		return OBOL_OK;
	}
	if (h == NULL) {
		/* a free slot, else the one least recently used */
		for (size_t i = 0; i < OBOL_ISSUER_KEYS_MAX; i++) {
			if (table[i].set == NULL) {
				h = &table[i];
				break;
			}
			if (h == NULL || table[i].used < h->used)
				h = &table[i];
		}
	}
	struct obol_key_set *old = h->set;
	h->set = copy;
	h->issued_at = issued_at;
	touch(h);
	pthread_rwlock_unlock(&lock);
	free(old);
	return OBOL_OK;
}

obol_err obol_issuer_keys_get(const uint8_t master_pk[static OBOL_SIGN_PK_LEN], struct obol_key_set *out,
			      int64_t *issued_at)
{
	obol_err e = OBOL_E_KEY_NOT_ANNOUNCED;
	pthread_rwlock_rdlock(&lock);
	struct held *h = find(master_pk);
	if (h != NULL) {
		memcpy(out, h->set, sizeof *out);
		if (issued_at != NULL)
			*issued_at = h->issued_at;
		e = OBOL_OK;
	}
	pthread_rwlock_unlock(&lock);
	return e;
}

void obol_issuer_keys_forget_all(void)
{
	pthread_rwlock_wrlock(&lock);
	for (size_t i = 0; i < OBOL_ISSUER_KEYS_MAX; i++) {
		free(table[i].set);
		table[i].set = NULL;
		table[i].issued_at = 0;
		table[i].used = 0;
	}
	pthread_rwlock_unlock(&lock);
}

obol_err obol_issuer_sig_verify(const uint8_t sig[static OBOL_SIGN_LEN], const char *context, const uint8_t *msg,
				size_t len, const uint8_t master_pk[static OBOL_SIGN_PK_LEN], int64_t now)
{
	if (obol_sign_verify(sig, context, msg, len, master_pk) == OBOL_OK)
		return OBOL_OK;
	obol_err e = OBOL_E_KEY_NOT_ANNOUNCED;
	pthread_rwlock_rdlock(&lock);
	struct held *h = find(master_pk);
	if (h != NULL) {
		touch(h);
		e = obol_key_set_verify_any(h->set, sig, context, msg, len, now, NULL);
	}
	pthread_rwlock_unlock(&lock);
	return e == OBOL_E_KEY_SIGNATURE_INVALID ? OBOL_E_SIGNATURE_INVALID : e;
}
