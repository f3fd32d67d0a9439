/* The agent's guard around password checks: see payword_guard.h. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/payword_guard.h"

struct entry {
	char key[PAYWORD_GUARD_ADDR_MAX + 1];
	int64_t since; /* start of its window; 0: free */
	unsigned fails;
};

struct payword_guard {
	pthread_mutex_t mu;
	struct entry users[PAYWORD_GUARD_ENTRIES], addrs[PAYWORD_GUARD_ENTRIES];
	unsigned slots, busy;
	uint64_t hashes;
};

obol_err payword_guard_new(unsigned slots, struct payword_guard **out)
{
	struct payword_guard *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_init(&g->mu, NULL);
	g->slots = slots > 0 ? slots : 1;
	*out = g;
	return OBOL_OK;
}

void payword_guard_free(struct payword_guard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_destroy(&g->mu);
	free(g);
}

/* The entry of key in table t, in its current window; with make, a free
 * or the oldest entry is taken for it. NULL when absent (and not made). */
static struct entry *find(struct entry *t, const char *key, int64_t now, bool make)
{
	struct entry *oldest = &t[0];
	for (size_t i = 0; i < PAYWORD_GUARD_ENTRIES; i++) {
		struct entry *e = &t[i];
		if (e->since != 0 && now - e->since >= PAYWORD_GUARD_WINDOW)
			e->since = 0; /* its window is over */
		if (e->since != 0 && strcmp(e->key, key) == 0)
			return e;
		if (e->since < oldest->since)
			oldest = e;
	}
	if (!make)
		return NULL;
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	oldest->since = now;
	oldest->fails = 0;
	return oldest;
}

static void account_key(int64_t account, char out[32])
{
	snprintf(out, 32, "%lld", (long long)account);
}

obol_err payword_guard_check(struct payword_guard *g, int64_t account, const char *addr, int64_t now)
{
	char key[32];
	struct entry *u, *a = NULL;
	account_key(account, key);
	pthread_mutex_lock(&g->mu);
	u = account != 0 ? find(g->users, key, now, false) : NULL;
	if (addr != NULL)
		a = find(g->addrs, addr, now, false);
	bool limited = (u != NULL && u->fails >= PAYWORD_GUARD_USER_FAILS) ||
		       (a != NULL && a->fails >= PAYWORD_GUARD_ADDR_FAILS);
	pthread_mutex_unlock(&g->mu);
	return limited ? OBOL_E_PAYWORD_RATE_LIMITED : OBOL_OK;
}

void payword_guard_failed(struct payword_guard *g, int64_t account, const char *addr, int64_t now)
{
	char key[32];
	struct entry *e;
	account_key(account, key);
	pthread_mutex_lock(&g->mu);
	if (account != 0 && (e = find(g->users, key, now, true)) != NULL)
		e->fails++;
	if (addr != NULL && (e = find(g->addrs, addr, now, true)) != NULL)
		e->fails++;
	pthread_mutex_unlock(&g->mu);
}

obol_err payword_guard_enter(struct payword_guard *g)
{
	obol_err e = OBOL_OK;
	pthread_mutex_lock(&g->mu);
	if (g->busy >= g->slots) {
		e = OBOL_E_PAYWORD_BUSY;
	} else {
		g->busy++;
		g->hashes++;
	}
	pthread_mutex_unlock(&g->mu);
	return e;
}

void payword_guard_leave(struct payword_guard *g)
{
	pthread_mutex_lock(&g->mu);
	if (g->busy > 0)
		g->busy--;
	pthread_mutex_unlock(&g->mu);
}

uint64_t payword_guard_hashes(struct payword_guard *g)
{
	pthread_mutex_lock(&g->mu);
	uint64_t n = g->hashes;
	pthread_mutex_unlock(&g->mu);
	return n;
}
