/* The wallet's history, kept to its newest entries: see prune.h. */
#include <string.h>

#include "wallet/prune.h"

size_t obol_history_prune(struct obol_wallet *w, size_t keep, size_t batch)
{
	json_t *a = json_object_get(obol_wallet_doc(w), "history");
	size_t gone = 0, i = 0;
	if (!json_is_array(a))
		return 0;
	/* the oldest first; a pending entry stays where it is */
	while (gone < batch && json_array_size(a) > keep && i < json_array_size(a) - keep) {
		const char *state = json_string_value(json_object_get(json_array_get(a, i), "state"));
		if (state != NULL && strcmp(state, "pending") == 0) {
			i++;
			continue;
		}
		if (json_array_remove(a, i) != 0)
			break;
		gone++;
	}
	return gone;
}
