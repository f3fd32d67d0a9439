/* build/obol-vectors: writes obol's published test vectors,
 * tests/vectors/obol/<file>.json, from fixed keys and inputs with obol's own
 * encoders and signing functions (tests/vectors/gen/vg.h). `make vectors`
 * runs it; tests/unit/vectors/test_vectors.c checks the files against the
 * code, tests/vectors/verify.py checks them independently.
 *   obol-vectors [DIR]   (default tests/vectors/obol) */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/secret.h"
#include "gen/vg.h"

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/vectors/obol";
	char path[512];
	int rc = 0;
	if (obol_crypto_init() != OBOL_OK) {
		fprintf(stderr, "obol-vectors: crypto init failed\n");
		return 1;
	}
	for (size_t i = 0; i < vg_nfiles; i++) {
		struct vg g;
		snprintf(path, sizeof path, "%s/%s.json", dir, vg_files[i].name);
		/* The file as it is: its randomized values (RSASSA-PSS salts,
		 * sealing nonces) are kept while they still verify, so that
		 * rewriting changes only what the code changed. */
		json_t *old = json_load_file(path, 0, NULL);
		vg_open(&g, VG_WRITE, &vg_files[i], old);
		vg_files[i].gen(&g);
		if (g.errors > 0) {
			fprintf(stderr, "obol-vectors: %s: %d errors, first: %s\n", vg_files[i].name, g.errors,
				g.first_error);
			rc = 1;
		} else if (json_dump_file(g.doc, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) != 0) {
			fprintf(stderr, "obol-vectors: cannot write %s\n", path);
			rc = 1;
		} else {
			printf("  VEC     %s (%zu vectors)\n", path, json_array_size(g.vectors));
		}
		vg_close(&g);
		json_decref(old);
	}
	return rc;
}
