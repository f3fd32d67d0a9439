/* The console's tables in its daemon's database (the issuer's, or the
 * vendor's vendor.db), migration component "console":
 *
 *   console_operators  who may log in: a name and an Argon2id hash of the
 *                      password (libsodium's crypto_pwhash_str, INTERACTIVE
 *                      limits), never the password;
 *   console_actions    the audit log of what operators did through the
 *                      console: when, who, which action on what, with what
 *                      detail, and its result (OK or the error's name). Each
 *                      action carries the nonce of the confirmation page it
 *                      was confirmed on, unique: a confirmation submitted
 *                      twice (a double click, the browser's back and resend)
 *                      acts once.
 *
 * The functions taking a store run inside the caller's transaction. */
#ifndef OBOL_CONSOLE_CONSOLE_DB_H
#define OBOL_CONSOLE_CONSOLE_DB_H

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

#include "console/session.h"
#include "core/error.h"
#include "store/store.h"

#define OBOL_CONSOLE_PASSWORD_MIN 12
#define OBOL_CONSOLE_PASSWORD_MAX 256
#define OBOL_CONSOLE_PWHASH_MAX crypto_pwhash_STRBYTES
/* A generated password: 16 random bytes in base64url. */
#define OBOL_CONSOLE_PASSWORD_GEN OBOL_B64_LEN(16)

OBOL_MUST_CHECK obol_err obol_console_migrate(struct obol_store *s);

/* Names: 1..OBOL_CONSOLE_USER_MAX of [A-Za-z0-9._-]. */
bool obol_console_name_valid(const char *name);

/* Hashes a password (OBOL_CONSOLE_PASSWORD_MIN..MAX bytes, else
 * CONSOLE_PASSWORD_WEAK) with Argon2id at libsodium's INTERACTIVE limits:
 * about 64 MiB and a fraction of a second (its MIN limits under
 * OBOL_ARGON2_FAST=1, for tests, as wallet files). */
OBOL_MUST_CHECK obol_err obol_console_password_hash(const char *password, char out[OBOL_CONSOLE_PWHASH_MAX]);
/* Whether password matches the stored hash (libsodium compares in constant
 * time). */
bool obol_console_password_ok(const char *stored, const char *password);
/* A new random password. */
void obol_console_password_generate(char out[OBOL_CONSOLE_PASSWORD_GEN]);
/* The fingerprint a session keeps of a stored hash. */
void obol_console_pwhash_fp(const char *stored, uint8_t fp[32]);

/* Adds an operator (CONSOLE_OPERATOR_EXISTS when the name is taken), or with
 * replace sets the password of an existing one (CONSOLE_OPERATOR_UNKNOWN when
 * absent). pwhash from obol_console_password_hash. */
OBOL_MUST_CHECK obol_err obol_console_operator_set(struct obol_store *s, const char *name, const char *pwhash,
						   bool replace, int64_t now);
OBOL_MUST_CHECK obol_err obol_console_operator_remove(struct obol_store *s, const char *name);
/* The stored hash of an operator; CONSOLE_OPERATOR_UNKNOWN when absent. */
OBOL_MUST_CHECK obol_err obol_console_operator_get(struct obol_store *s, const char *name,
						   char pwhash[OBOL_CONSOLE_PWHASH_MAX]);
typedef obol_err (*obol_console_operator_fn)(void *ctx, const char *name, int64_t created, int64_t changed);
OBOL_MUST_CHECK obol_err obol_console_operator_list(struct obol_store *s, obol_console_operator_fn fn, void *ctx);

/* One action of the audit log. */
struct obol_console_action {
	int64_t id, at;
	const char *nonce, *operator, *action, *target, *detail, *result;
};
#define OBOL_CONSOLE_NONCE_TEXT OBOL_B64_LEN(16)
/* A new nonce for a confirmation page. */
void obol_console_nonce(char out[OBOL_CONSOLE_NONCE_TEXT]);
/* Records an action (its id and at are made here; *id gets the id, id may
 * be NULL); CONSOLE_ACTION_REPEATED when its nonce is in the log already. */
OBOL_MUST_CHECK obol_err obol_console_action_log(struct obol_store *s, const struct obol_console_action *a,
						 int64_t now, int64_t *id);
/* The id of the action recorded under a nonce, or 0. */
OBOL_MUST_CHECK obol_err obol_console_action_by_nonce(struct obol_store *s, const char *nonce, int64_t *id);
typedef obol_err (*obol_console_action_fn)(void *ctx, const struct obol_console_action *a);
/* Calls fn with the action of that id; NOT_FOUND when there is none. */
OBOL_MUST_CHECK obol_err obol_console_action_get(struct obol_store *s, int64_t id, obol_console_action_fn fn,
						 void *ctx);
/* The newest actions first, from offset, at most limit; *total the count. */
OBOL_MUST_CHECK obol_err obol_console_action_list(struct obol_store *s, int64_t offset, int64_t limit,
						  obol_console_action_fn fn, void *ctx, int64_t *total);

/* For the commands that set up operators (`issuer init`, `vendor init`,
 * `issuer|vendor console-user add|password`): opens the database at url
 * (create: make it when missing), makes the console's tables, and adds the
 * operator name (or with replace sets its password) in one transaction.
 * password NULL draws one (obol_console_password_generate) and puts it in
 * generated (else generated is ""). */
OBOL_MUST_CHECK obol_err obol_console_operator_setup(const char *url, bool create, const char *name,
						     const char *password, bool replace,
						     char generated[OBOL_CONSOLE_PASSWORD_GEN]);

#endif
