/* build/obol-attack: runs one cheating party of tests/attack/ (see attack.h). */
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "core/clock.h"

static struct obol_attack *attacks;

void obol_attack_register(struct obol_attack *a)
{
	a->next = attacks;
	attacks = a;
}

static void list(FILE *f)
{
	fprintf(f, "usage: obol-attack NAME ARGS...\n\nattacks:\n");
	for (const struct obol_attack *a = attacks; a; a = a->next)
		fprintf(f, "  %-28s %s\n      %s %s\n", a->name, a->summary, a->name, a->usage);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		list(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	/* The same settable clock as the processes it cheats (core/clock.h). */
	if (obol_clock_install_for_tests() != OBOL_OK) {
		fprintf(stderr, "obol-attack: %s\n", obol_strerror(OBOL_E_CLOCK_TEST_FILE));
		return 2;
	}
	for (const struct obol_attack *a = attacks; a; a = a->next)
		if (!strcmp(a->name, argv[1]))
			return a->run(argc - 1, argv + 1);
	fprintf(stderr, "obol-attack: no attack named '%s'\n", argv[1]);
	list(stderr);
	return 2;
}
