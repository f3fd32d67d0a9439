/* Cheating parties for the end-to-end attack tests: `build/obol-attack NAME ARGS...`.
 *
 * The daemons and the wallet in build/obol only ever behave honestly; a test
 * that shows an attack fails needs a party that deviates (a vendor that asks
 * for more than it offered, a payer that re-spends, a man in the middle of a
 * device link). Each lives in its own file here, declared with OBOL_ATTACK,
 * and is built into build/obol-attack, which is never installed: nothing here
 * is reachable from the obol command.
 *
 * An attack prints what it did and what it saw on stdout, one "key: value"
 * line each, so that the e2e script that runs it can check the honest party's
 * standing afterwards. It exits 0 when it ran as scripted (whether or not the
 * attack succeeded: the script decides that from the honest side), 1 when it
 * could not run, 2 on a usage error. */
#ifndef OBOL_TESTS_ATTACK_H
#define OBOL_TESTS_ATTACK_H

struct obol_attack {
	const char *name;  /* "coupon-greedy-vendor" */
	const char *usage; /* "--listen HOST:PORT --dir DIR ..." */
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the attack's name */
	struct obol_attack *next;
};

void obol_attack_register(struct obol_attack *a);

#define OBOL_ATTACK(ident, name_, usage_, summary_, fn_)                                          \
	static struct obol_attack ident = { .name = name_, .usage = usage_, .summary = summary_, \
					    .run = fn_ };                                         \
	__attribute__((constructor)) static void ident##_register(void)                          \
	{                                                                                         \
		obol_attack_register(&ident);                                                     \
	}

#endif
