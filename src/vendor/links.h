/* Internal to src/vendor: the device-link server. An accept thread hands each
 * connection to a thread of its own (at most max_links at once; beyond that a
 * wallet gets an ERROR frame DEVLINK_BUSY, in clear). That thread first runs
 * the handshake (obol_devlink_respond), proving the box key the vendor's
 * certificate names with the certificate as credential; start refuses a
 * certificate that names no box key or another one (DEVLINK_CERT_KEY). A
 * session then reads frames, routes each
 * by its type to the scheme whose range holds it (opening that scheme's
 * session at its first frame), writes the reply frames, and sends an ERROR
 * frame for a handler's error or an unknown type. A frame that cannot be read
 * (oversized, truncated, malformed) ends the link after an ERROR frame. */
#ifndef OBOL_VENDOR_LINKS_H
#define OBOL_VENDOR_LINKS_H

#include "core/error.h"

struct obol_vendor;

OBOL_MUST_CHECK obol_err obol_vendor_links_start(struct obol_vendor *v, unsigned max_links);
/* Stops accepting, ends every open link (its sessions are closed), waits. */
void obol_vendor_links_stop(struct obol_vendor *v);

#endif
