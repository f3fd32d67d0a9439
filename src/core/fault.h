/* Crash points, for the deterministic simulator (tests/sim).
 *
 * The simulator runs many obol processes inside one program and "kills" one
 * at any durable write: from then on nothing that process does may reach its
 * durable state (its database, its wallet file), as if it had died there,
 * while its code unwinds through its ordinary error paths. Every shell calls
 * obol_fault_point() just before such a write and treats an error as a
 * failed write.
 *
 * Without a hook (every command of build/obol) obol_fault_point returns
 * OBOL_OK at once. Nothing installs a hook from the environment or a file:
 * only a program that calls obol_fault_set_hook does. */
#ifndef OBOL_CORE_FAULT_H
#define OBOL_CORE_FAULT_H

#include "core/error.h"

/* where names the write ("store unit", "wallet save"), for the simulator's
 * trace. OBOL_OK: go on; otherwise the write must not happen (OBOL_E_IO). */
OBOL_MUST_CHECK obol_err obol_fault_point(const char *where);

/* Installs the hook (NULL removes it). Call it before other threads run. */
void obol_fault_set_hook(obol_err (*hook)(const char *where));

#endif
