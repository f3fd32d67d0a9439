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
 * (oversized, truncated, malformed) ends the link after an ERROR frame.
 *
 * Limits, so that one wallet cannot turn the others away:
 *   - at most max_per_ip links from one peer address (TCP; a unix socket's
 *     peers are not told apart): one more gets DEVLINK_BUSY, in clear, and
 *     nobody else does;
 *   - a session must make progress: its next frame that a scheme takes
 *     (its handler returns OK) must arrive within the vendor's link_idle_ns
 *     of the last one (of the handshake, at first). A frame of a type no
 *     scheme owns, one a scheme refuses (out of order, malformed), or bytes
 *     that trickle in, do not move that deadline;
 *   - a link lives at most link_session_ns from its handshake, whatever it
 *     does.
 * A link past either deadline is told DEVLINK_EXPIRED and closed. */
#ifndef OBOL_VENDOR_LINKS_H
#define OBOL_VENDOR_LINKS_H

#include "core/error.h"

#define OBOL_VENDOR_LINKS_PER_IP 8
#define OBOL_VENDOR_LINK_SESSION_S 600

struct obol_vendor;

OBOL_MUST_CHECK obol_err obol_vendor_links_start(struct obol_vendor *v, unsigned max_links, unsigned max_per_ip);
/* Stops accepting, ends every open link (its sessions are closed), waits. */
void obol_vendor_links_stop(struct obol_vendor *v);

#endif
