/* The published test vectors (tests/vectors/obol/<file>.json) are what obol's code
 * makes today: each file is built again from the same fixed keys and inputs
 * (tests/vectors/gen/) and compared with the checked-in one, field by field;
 * any difference fails and names the vector and field. After a deliberate
 * change of a signed message, `make vectors` rewrites the files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "../../vectors/gen/vg.h"

static void check_file(const struct vg_file *f)
{
	char path[256], why[512];
	json_error_t jerr;
	struct vg g;
	snprintf(path, sizeof path, "tests/vectors/obol/%s.json", f->name);
	json_t *ref = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (ref == NULL)
		test_note("%s: %s", path, jerr.text);
	REQUIRE(ref != NULL);
	vg_open(&g, VG_CHECK, f, ref);
	f->gen(&g);
	if (g.errors > 0)
		test_note("%s: generator: %s", f->name, g.first_error);
	CHECK_EQ_INT(g.errors, 0);
	int differs = vg_compare(g.doc, ref, why, sizeof why);
	if (differs)
		test_note("%s: %s", path, why);
	CHECK_EQ_INT(differs, 0);
	vg_close(&g);
	json_decref(ref);
}

TEST(vectors, common_matches_the_code) { check_file(&vg_files[0]); }
TEST(vectors, coupon_matches_the_code) { check_file(&vg_files[1]); }
TEST(vectors, ecash_matches_the_code) { check_file(&vg_files[2]); }
TEST(vectors, payword_matches_the_code) { check_file(&vg_files[3]); }
TEST(vectors, codex_matches_the_code) { check_file(&vg_files[4]); }

/* The comparison names a changed field: one byte of one vector's hash input
 * changed in a copy of the checked-in file is found. */
TEST(vectors, a_changed_byte_is_named)
{
	char why[512] = "";
	struct vg g;
	json_t *ref = json_load_file("tests/vectors/obol/coupon.json", 0, NULL);
	REQUIRE(ref != NULL);
	json_t *bad = json_deep_copy(ref);
	json_t *v = json_array_get(json_object_get(bad, "vectors"), 3);
	const char *name = json_string_value(json_object_get(v, "name"));
	char *hex = strdup(json_string_value(json_object_get(v, "hash_input")));
	REQUIRE(name != NULL && hex != NULL);
	hex[10] = hex[10] == '0' ? '1' : '0';
	json_object_set_new(v, "hash_input", json_string(hex));
	vg_open(&g, VG_CHECK, &vg_files[1], ref);
	vg_files[1].gen(&g);
	CHECK_EQ_INT(vg_compare(g.doc, ref, why, sizeof why), 0);
	CHECK_EQ_INT(vg_compare(g.doc, bad, why, sizeof why), 1);
	char want[128];
	snprintf(want, sizeof want, "vector %s.hash_input differs", name);
	CHECK_EQ_STR(why, want);
	vg_close(&g);
	free(hex);
	json_decref(bad);
	json_decref(ref);
}
