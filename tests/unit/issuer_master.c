/* Helpers for tests holding key ceremonies (contract in issuer_master.h). */
#include "issuer_master.h"

#include "core/clock.h"
#include "issuer/keys.h"
#include "store/store.h"

obol_err test_master_keep(void *ctx, const struct obol_sign_keypair *m)
{
	if (m != NULL)
		*(struct obol_sign_keypair *)ctx = *m;
	return OBOL_OK;
}

obol_err test_ceremony(const char *db, const struct obol_sign_keypair *master)
{
	struct obol_store *s = NULL;
	struct obol_key_policy p;
	size_t added = 0, n = 0;
	obol_key_policy_default(&p);
	obol_err e = obol_store_open(db, false, &s);
	if (e == OBOL_OK && (e = obol_issuer_keys_plan(s, &p, obol_now(), &added)) == OBOL_OK)
		e = obol_issuer_keys_sign_pending(s, master, &n);
	obol_store_close(s);
	return e;
}
