/* Crash points; see fault.h. */
#include "core/fault.h"

#include <stddef.h>

static obol_err (*fault_hook)(const char *where);

void obol_fault_set_hook(obol_err (*hook)(const char *where))
{
	fault_hook = hook;
}

obol_err obol_fault_point(const char *where)
{
	return fault_hook != NULL ? fault_hook(where) : OBOL_OK;
}
