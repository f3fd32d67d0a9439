/* The issuer's master key in tests that hold key ceremonies themselves, as
 * an operator does with the master key file (docs/operations.md "The key
 * ceremony"). */
#ifndef OBOL_TEST_ISSUER_MASTER_H
#define OBOL_TEST_ISSUER_MASTER_H

#include "core/error.h"
#include "crypto/sign.h"

/* A keep callback for obol_issuer_init_db_master / _bare: copies the master
 * key pair to ctx (a struct obol_sign_keypair *; wipe it when done). */
obol_err test_master_keep(void *ctx, const struct obol_sign_keypair *m);

/* The key ceremony on the issuer database db at the clock's now: plans
 * under the default policy and signs every pending request with master. The
 * issuer may be running (it takes the keys up by itself). */
obol_err test_ceremony(const char *db, const struct obol_sign_keypair *master);

#endif
