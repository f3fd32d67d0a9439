/* `obol bench crypto --quick --json` runs and reports every figure. This
 * checks the shape and that each figure is a positive number, not timings. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "../test.h"

TEST(bench, crypto_quick_json_has_every_figure)
{
	char cmd[700], out[8192];
	snprintf(cmd, sizeof(cmd), "%s bench crypto --quick --json", test_obol_bin());
	FILE *p = popen(cmd, "r");
	REQUIRE(p != NULL);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int status = pclose(p);
	CHECK_EQ_INT(status, 0);

	json_error_t err;
	json_t *o = json_loads(out, 0, &err);
	REQUIRE(o != NULL && json_is_object(o));
	static const char *figs[] = { "blind_sign", "finalize", "rsa_verify", "sealbox_open", "ed25519_verify",
				      "sha256_chain" };
	static const char *suffixes[] = { "_per_s", "_raw_per_s", "_ratio" };
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		for (size_t j = 0; j < 3; j++) {
			char key[64];
			snprintf(key, sizeof(key), "%s%s", figs[i], suffixes[j]);
			json_t *v = json_object_get(o, key);
			if (v == NULL || !json_is_number(v) || json_number_value(v) <= 0)
				obol_test_fail(__FILE__, __LINE__, "%s missing or not positive", key);
		}
	}
	CHECK_EQ_INT(json_object_size(o), 18);
	json_decref(o);

	/* usage errors exit 2 */
	snprintf(cmd, sizeof(cmd), "%s bench crypto --bogus 2>/dev/null", test_obol_bin());
	p = popen(cmd, "r");
	REQUIRE(p != NULL);
	status = pclose(p);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
}
