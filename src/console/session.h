/* The console's sessions and its login limits, in the daemon's memory.
 *
 * A session is created by a good login and named by a token of
 * OBOL_SESSION_TOKEN_LEN bytes from obol_random, which only the browser
 * holds (its cookie, base64url): the store keeps the token's SHA-256, so
 * that what the daemon's memory holds cannot be replayed as a cookie, and
 * compares in constant time. Each session carries its CSRF token (as many
 * random bytes), which every form of the console repeats and every POST
 * must present (obol_session_csrf_ok).
 *
 * A session ends at logout, OBOL_SESSION_IDLE_S after its last request,
 * OBOL_SESSION_LIFE_S after the login whatever happens, when the daemon
 * stops, and as soon as its operator's password changes or the operator is
 * removed (the session keeps a fingerprint of the password hash it was
 * opened with; the console compares it with the stored one at every
 * request). At most OBOL_SESSIONS_MAX live at once; a new login then ends
 * the session idle for longest. */
#ifndef OBOL_CONSOLE_SESSION_H
#define OBOL_CONSOLE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/parse.h"

#define OBOL_SESSION_TOKEN_LEN 32
#define OBOL_SESSION_TOKEN_TEXT OBOL_B64_LEN(OBOL_SESSION_TOKEN_LEN)
#define OBOL_SESSIONS_MAX 64
#define OBOL_SESSION_IDLE_S (30 * 60)
#define OBOL_SESSION_LIFE_S (12 * 3600)
#define OBOL_CONSOLE_USER_MAX 64

struct obol_session_info {
	char user[OBOL_CONSOLE_USER_MAX + 1];
	uint8_t user_fp[32];                  /* SHA-256 of the password hash at login */
	char csrf[OBOL_SESSION_TOKEN_TEXT];   /* base64url, the forms' hidden field */
	int64_t created, last_seen;
};

struct obol_sessions;

OBOL_MUST_CHECK obol_err obol_sessions_new(struct obol_sessions **out);
/* Wipes every token. NULL is allowed. */
void obol_sessions_free(struct obol_sessions *s);

/* A new session for user: *token (base64url) is the cookie's value; info
 * gets its CSRF token. */
OBOL_MUST_CHECK obol_err obol_session_create(struct obol_sessions *s, const char *user, const uint8_t user_fp[32],
					     int64_t now, char token[OBOL_SESSION_TOKEN_TEXT],
					     struct obol_session_info *info);
/* The live session a cookie names, its last request moved to now.
 * CONSOLE_SESSION when there is none (unknown, malformed, expired: an
 * expired one is ended here). */
OBOL_MUST_CHECK obol_err obol_session_find(struct obol_sessions *s, const char *token, int64_t now,
					   struct obol_session_info *out);
/* Ends the session a cookie names (logout); nothing when there is none. */
void obol_session_end(struct obol_sessions *s, const char *token);
/* Live sessions (for the metrics). */
unsigned obol_sessions_live(struct obol_sessions *s, int64_t now);

/* Whether the token a form presented is the session's CSRF token (constant
 * time; a missing one is not). */
bool obol_session_csrf_ok(const struct obol_session_info *info, const char *presented);

/* Login limits: failed logins only are counted, so a good login is never
 * refused for an attacker's failures elsewhere, in two token buckets: one
 * for all names (OBOL_LOGIN_BURST failures, then one every
 * OBOL_LOGIN_REFILL_S) and one per name (OBOL_LOGIN_NAME_BURST, then one
 * every OBOL_LOGIN_NAME_REFILL_S). A login is refused (CONSOLE_LOGIN_LIMITED)
 * before its password is hashed when either bucket is empty. */
#define OBOL_LOGIN_BURST 20
#define OBOL_LOGIN_REFILL_S 3
#define OBOL_LOGIN_NAME_BURST 5
#define OBOL_LOGIN_NAME_REFILL_S 60
OBOL_MUST_CHECK obol_err obol_login_allowed(struct obol_sessions *s, const char *user, int64_t now);
void obol_login_failed(struct obol_sessions *s, const char *user, int64_t now);

#endif
