/* The page loop of the revocation list. See ecash_rl_fetch.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemes/ecash/messages.h"
#include "vendor/ecash_rl_fetch.h"
#include "wire/json.h"

obol_err ecash_rl_fetch_pages(struct obol_http_client *c, const struct ecash_bank_keys *bank_pk, struct ecash_rl_fetch *f,
			      struct ecash_rl_fetch_stats *stats)
{
	char query[160], target[192];
	obol_err e = OBOL_OK;
	while (e == OBOL_OK && !f->done) {
		struct ecash_rl_page page = { 0 };
		struct ecash_rl_page_spec sp;
		json_t *j = NULL;
		if ((e = ecash_rl_fetch_query(f, query, sizeof(query))) != OBOL_OK)
			break;
		snprintf(target, sizeof(target), "/ecash/revocations/page?%s", query);
		if ((e = obol_http_get_json(c, target, 0, &j)) == OBOL_OK && stats != NULL) {
			char *text = json_dumps(j, JSON_COMPACT);
			stats->bytes += text != NULL ? strlen(text) : 0;
			stats->pages++;
			free(text);
		}
		if (e == OBOL_OK) {
			ecash_rl_page_spec(&sp, &page, true);
			e = ecash_rl_page_done(&sp, obol_json_decode(j, &sp.s));
		}
		if (e == OBOL_OK)
			e = ecash_rl_fetch_take(f, &page, bank_pk);
		ecash_rl_page_clear(&page);
		json_decref(j);
	}
	return e;
}
