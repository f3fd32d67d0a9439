/* Sessions and login limits (session.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "console/session.h"
#include "crypto/hash.h"
#include "crypto/secret.h"

#define NAMES_MAX 256

struct slot {
	bool used;
	uint8_t token_hash[OBOL_HASH_LEN];
	struct obol_session_info info;
};

/* A token bucket of failures: `tokens` left at `at`. */
struct bucket {
	int64_t tokens, at;
};

struct name_bucket {
	uint8_t name_hash[OBOL_HASH_LEN];
	struct bucket b;
	bool used;
};

struct obol_sessions {
	pthread_mutex_t mu;
	struct slot slots[OBOL_SESSIONS_MAX];
	struct bucket all;
	struct name_bucket names[NAMES_MAX];
};

obol_err obol_sessions_new(struct obol_sessions **out)
{
	struct obol_sessions *s = calloc(1, sizeof *s);
	if (s == NULL)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_init(&s->mu, NULL);
	s->all.tokens = OBOL_LOGIN_BURST;
	*out = s;
	return OBOL_OK;
}

void obol_sessions_free(struct obol_sessions *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	obol_wipe(s, sizeof *s);
	free(s);
}

static bool expired(const struct slot *sl, int64_t now)
{
	return now - sl->info.last_seen > OBOL_SESSION_IDLE_S || now - sl->info.created > OBOL_SESSION_LIFE_S ||
	       now < sl->info.created;
}

static void end_slot(struct slot *sl)
{
	obol_wipe(sl, sizeof *sl);
}

obol_err obol_session_create(struct obol_sessions *s, const char *user, const uint8_t user_fp[32], int64_t now,
			     char token[OBOL_SESSION_TOKEN_TEXT], struct obol_session_info *info)
{
	uint8_t raw[OBOL_SESSION_TOKEN_LEN], csrf[OBOL_SESSION_TOKEN_LEN];
	obol_err e = OBOL_OK;
	if (strlen(user) > OBOL_CONSOLE_USER_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	obol_random(raw, sizeof raw);
	obol_random(csrf, sizeof csrf);
	pthread_mutex_lock(&s->mu);
	struct slot *sl = NULL;
	for (size_t i = 0; i < OBOL_SESSIONS_MAX; i++) {
		struct slot *c = &s->slots[i];
		if (c->used && expired(c, now))
			end_slot(c);
		if (!c->used) {
			if (sl == NULL || sl->used)
				sl = c;
		} else if (sl == NULL || (sl->used && c->info.last_seen < sl->info.last_seen)) {
			sl = c;
		}
	}
	end_slot(sl);
	sl->used = true;
	obol_sha256(sl->token_hash, raw, sizeof raw);
	memcpy(sl->info.user, user, strlen(user) + 1);
	memcpy(sl->info.user_fp, user_fp, 32);
	sl->info.created = sl->info.last_seen = now;
	if ((e = obol_b64_encode(csrf, sizeof csrf, sl->info.csrf, sizeof sl->info.csrf)) == OBOL_OK &&
	    (e = obol_b64_encode(raw, sizeof raw, token, OBOL_SESSION_TOKEN_TEXT)) == OBOL_OK)
		*info = sl->info;
	else
		end_slot(sl);
	pthread_mutex_unlock(&s->mu);
	OBOL_WIPE(raw);
	OBOL_WIPE(csrf);
	return e;
}

/* The slot of a cookie's token, or NULL; under mu. */
static struct slot *lookup(struct obol_sessions *s, const char *token)
{
	uint8_t raw[OBOL_SESSION_TOKEN_LEN], h[OBOL_HASH_LEN];
	size_t n = 0;
	struct slot *hit = NULL;
	if (token == NULL || obol_b64_decode(token, raw, sizeof raw, &n, 1) != OBOL_OK)
		return NULL;
	obol_sha256(h, raw, sizeof raw);
	for (size_t i = 0; i < OBOL_SESSIONS_MAX; i++)
		if (obol_ct_equal(s->slots[i].token_hash, h, sizeof h) && s->slots[i].used)
			hit = &s->slots[i];
	OBOL_WIPE(raw);
	return hit;
}

obol_err obol_session_find(struct obol_sessions *s, const char *token, int64_t now, struct obol_session_info *out)
{
	obol_err e = OBOL_E_CONSOLE_SESSION;
	pthread_mutex_lock(&s->mu);
	struct slot *sl = lookup(s, token);
	if (sl != NULL && expired(sl, now)) {
		end_slot(sl);
	} else if (sl != NULL) {
		sl->info.last_seen = now;
		*out = sl->info;
		e = OBOL_OK;
	}
	pthread_mutex_unlock(&s->mu);
	return e;
}

void obol_session_end(struct obol_sessions *s, const char *token)
{
	pthread_mutex_lock(&s->mu);
	struct slot *sl = lookup(s, token);
	if (sl != NULL)
		end_slot(sl);
	pthread_mutex_unlock(&s->mu);
}

unsigned obol_sessions_live(struct obol_sessions *s, int64_t now)
{
	unsigned n = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < OBOL_SESSIONS_MAX; i++)
		if (s->slots[i].used && !expired(&s->slots[i], now))
			n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

bool obol_session_csrf_ok(const struct obol_session_info *info, const char *presented)
{
	size_t n = strlen(info->csrf);
	return presented != NULL && n > 0 && strlen(presented) == n && obol_ct_equal(info->csrf, presented, n);
}

/* ---- login limits -------------------------------------------------------- */

static void refill(struct bucket *b, int64_t burst, int64_t every, int64_t now)
{
	if (now < b->at) {
		b->at = now; /* the clock went back: start over from here */
		return;
	}
	int64_t earned = (now - b->at) / every;
	if (earned <= 0)
		return;
	b->tokens = b->tokens + earned >= burst ? burst : b->tokens + earned;
	b->at += earned * every;
	if (b->tokens == burst)
		b->at = now;
}

/* The bucket of a name, made when absent (the least used slot is reused);
 * under mu. */
static struct bucket *name_bucket(struct obol_sessions *s, const char *user, int64_t now)
{
	uint8_t h[OBOL_HASH_LEN];
	struct name_bucket *free_slot = NULL, *fullest = NULL;
	obol_sha256(h, user, strlen(user));
	for (size_t i = 0; i < NAMES_MAX; i++) {
		struct name_bucket *nb = &s->names[i];
		if (nb->used && memcmp(nb->name_hash, h, sizeof h) == 0)
			return &nb->b;
		if (!nb->used && free_slot == NULL)
			free_slot = nb;
		if (nb->used) {
			refill(&nb->b, OBOL_LOGIN_NAME_BURST, OBOL_LOGIN_NAME_REFILL_S, now);
			if (fullest == NULL || nb->b.tokens > fullest->b.tokens)
				fullest = nb;
		}
	}
	struct name_bucket *nb = free_slot != NULL ? free_slot : fullest;
	memcpy(nb->name_hash, h, sizeof h);
	nb->used = true;
	nb->b.tokens = OBOL_LOGIN_NAME_BURST;
	nb->b.at = now;
	return &nb->b;
}

obol_err obol_login_allowed(struct obol_sessions *s, const char *user, int64_t now)
{
	pthread_mutex_lock(&s->mu);
	refill(&s->all, OBOL_LOGIN_BURST, OBOL_LOGIN_REFILL_S, now);
	struct bucket *nb = name_bucket(s, user, now);
	refill(nb, OBOL_LOGIN_NAME_BURST, OBOL_LOGIN_NAME_REFILL_S, now);
	bool ok = s->all.tokens > 0 && nb->tokens > 0;
	pthread_mutex_unlock(&s->mu);
	return ok ? OBOL_OK : OBOL_E_CONSOLE_LOGIN_LIMITED;
}

void obol_login_failed(struct obol_sessions *s, const char *user, int64_t now)
{
	pthread_mutex_lock(&s->mu);
	struct bucket *nb = name_bucket(s, user, now);
	if (s->all.tokens > 0)
		s->all.tokens--;
	if (nb->tokens > 0)
		nb->tokens--;
	pthread_mutex_unlock(&s->mu);
}
