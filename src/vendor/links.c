/* The vendor's device-link server (contract in links.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/log.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "vendor/links.h"
#include "vendor/vendor_int.h"

#define ACCEPT_POLL_MS 200
#define MAX_LINKS_HARD 1024

#define PEER_MAX INET6_ADDRSTRLEN

struct link {
	struct obol_vendor *v;
	struct obol_devlink *dl;
	size_t slot;
};

/* The peer address of an open link, "" when it has none to tell apart
 * (a unix socket). */
struct peer {
	char addr[PEER_MAX];
};

struct obol_vendor_links {
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	unsigned max, active, max_per_ip;
	struct obol_devlink **open; /* slot -> link (NULL when free) */
	struct peer *peers;         /* slot -> its peer's address */
	/* The identity at the start (checked there: the certificate names the
	 * vendor's box key); each link takes the one current at its start. */
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	struct obol_devlink_identity me;
};

/* Sends an ERROR frame on a link that is about to close: a failure to send
 * changes nothing then. */
static void tell(struct obol_devlink *dl, obol_err e)
{
	obol_err r = obol_devlink_write_error(dl, e);
	(void)r;
}

/* Whether a scheme's session on this link is over by its own clock. */
static bool expired(struct obol_vendor *v, void *const sessions[])
{
	for (size_t i = 0; i < v->nschemes; i++)
		if (sessions[i] != NULL && v->schemes[i].sch->expired != NULL &&
		    v->schemes[i].sch->expired(v, sessions[i]))
			return true;
	return false;
}

/* Serves one link until it ends, within its deadlines (links.h). */
static void serve(struct obol_vendor *v, struct obol_devlink *dl)
{
	void *sessions[OBOL_VENDOR_MAX_SCHEMES] = { 0 };
	struct obol_vendor_out out = { 0 };
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	uint64_t end = obol_mono_ns() + v->link_session_ns; /* its whole life */
	uint64_t progress = obol_mono_ns() + v->link_idle_ns; /* the session's next frame */

	for (;;) {
		uint64_t deadline = progress < end ? progress : end;
		obol_err e = obol_devlink_read_by(dl, deadline, &type, &body, &body_len);
		if (e == OBOL_E_NETWORK && obol_mono_ns() >= deadline) {
			obol_log_debug("device link: past its %s deadline", deadline == end ? "session's" : "progress");
			tell(dl, OBOL_E_DEVLINK_EXPIRED);
			break;
		}
		if (e == OBOL_E_DEVLINK_CLOSED || e == OBOL_E_NETWORK || e == OBOL_E_WIRE_OVERSIZED)
			break; /* gone, silent, or already told */
		if (e != OBOL_OK) {
			tell(dl, e);
			break;
		}
		if (expired(v, sessions))
			break;
		size_t i = 0;
		while (i < v->nschemes && (type < v->schemes[i].sch->type_min || type > v->schemes[i].sch->type_max))
			i++;
		if (i == v->nschemes || v->schemes[i].sch->on_frame == NULL) {
			if (obol_devlink_write_error(dl, OBOL_E_WIRE_UNKNOWN_TYPE) != OBOL_OK)
				break;
			continue;
		}
		struct obol_vendor_scheme *sch = v->schemes[i].sch;
		if (sessions[i] == NULL && sch->open != NULL) {
			e = sch->open(v, &sessions[i]);
			if (e != OBOL_OK) {
				tell(dl, e);
				break;
			}
		}
		out.len = 0;
		out.close = false;
		e = sch->on_frame(v, sessions[i], type, body, body_len, &out);
		if (e == OBOL_OK) /* a frame of the session: it moves on */
			progress = obol_mono_ns() + v->link_idle_ns;
		if (out.len > 0 && obol_devlink_write_frame(dl, out.buf, out.len) != OBOL_OK)
			break;
		if (e != OBOL_OK) {
			obol_log_debug("%s frame %u: %s", sch->name, (unsigned)type, obol_strerror(e));
			if (obol_devlink_write_error(dl, e) != OBOL_OK)
				break;
		}
		if (out.close)
			break;
	}
	for (size_t i = 0; i < v->nschemes; i++)
		if (sessions[i] != NULL && v->schemes[i].sch->close != NULL)
			v->schemes[i].sch->close(v, sessions[i]);
	free(out.buf);
}

/* What a link's handshake proves: the box key that the vendor's
 * certificate names, the certificate in message 2 (cert holds its bytes). */
static obol_err identity(struct obol_vendor *v, uint8_t cert[OBOL_VENDOR_CERT_MAX], struct obol_devlink_identity *me)
{
	size_t cert_len;
	/* the current certificate: a renewal serves from the next link on */
	const struct obol_vendor_cert cur = obol_vendor_cert(v);
	/* The link proves the box key: the certificate must name this one. */
	if (!cur.has_box_pk || !obol_ct_equal(cur.box_pk, v->box.pk, OBOL_BOX_PK_LEN))
		return OBOL_E_DEVLINK_CERT_KEY;
	obol_err e = obol_vendor_cert_encode(&cur, cert, OBOL_VENDOR_CERT_MAX, &cert_len);
	if (e == OBOL_OK)
		*me = (struct obol_devlink_identity){ .key = &v->box, .kind = OBOL_DL_CRED_VENDOR, .cred = cert,
						      .cred_len = cert_len };
	return e;
}

void obol_vendor_serve_link(struct obol_vendor *v, struct obol_devlink *dl)
{
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	struct obol_devlink_identity me;
	obol_err e = identity(v, cert, &me);
	if (e == OBOL_OK)
		e = obol_devlink_respond(dl, &me);
	if (e == OBOL_OK)
		serve(v, dl);
	else
		obol_log_debug("device link handshake: %s", obol_strerror(e));
}

static void *link_thread(void *arg)
{
	struct link *l = arg;
	struct obol_vendor_links *ls = l->v->links;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	struct obol_devlink_identity me;
	/* The handshake runs here, not in the accept thread: a slow or
	 * silent wallet holds up only its own link. It presents the
	 * certificate current now (a renewal, src/vendor/renew.h). */
	obol_err e = identity(l->v, cert, &me);
	if (e == OBOL_OK)
		e = obol_devlink_respond(l->dl, &me);
	if (e == OBOL_OK)
		serve(l->v, l->dl);
	else
		obol_log_debug("device link handshake: %s", obol_strerror(e));
	pthread_mutex_lock(&ls->mu);
	ls->open[l->slot] = NULL;
	ls->peers[l->slot].addr[0] = '\0';
	ls->active--;
	pthread_cond_broadcast(&ls->cv);
	pthread_mutex_unlock(&ls->mu);
	obol_devlink_close(l->dl);
	free(l);
	return NULL;
}

/* The peer address of a link's socket ("" for a unix socket). */
static void peer_of(struct obol_devlink *dl, struct peer *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	p->addr[0] = '\0';
	if (getpeername(obol_devlink_fd(dl), (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, p->addr, sizeof p->addr);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, p->addr, sizeof p->addr);
}

/* Links open from p's address (under mu). */
static unsigned links_from(const struct obol_vendor_links *ls, const struct peer *p)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ls->max; i++)
		n += ls->open[i] != NULL && strcmp(ls->peers[i].addr, p->addr) == 0;
	return n;
}

static void *accept_thread(void *arg)
{
	struct obol_vendor *v = arg;
	struct obol_vendor_links *ls = v->links;
	for (;;) {
		pthread_mutex_lock(&ls->mu);
		bool stop = ls->stop;
		pthread_mutex_unlock(&ls->mu);
		if (stop)
			break;
		struct obol_devlink *dl;
		struct peer peer;
		if (obol_devlink_accept(v->listen_fd, ACCEPT_POLL_MS, 0, &dl) != OBOL_OK)
			continue;
		peer_of(dl, &peer);
		pthread_mutex_lock(&ls->mu);
		/* One address holding its share gets BUSY, not the others. */
		if (ls->active >= ls->max || ls->stop ||
		    (peer.addr[0] != '\0' && links_from(ls, &peer) >= ls->max_per_ip)) {
			pthread_mutex_unlock(&ls->mu);
			tell(dl, OBOL_E_DEVLINK_BUSY);
			obol_devlink_close(dl);
			continue;
		}
		size_t slot = 0;
		while (ls->open[slot] != NULL)
			slot++;
		struct link *l = malloc(sizeof *l);
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (l != NULL) {
			*l = (struct link){ .v = v, .dl = dl, .slot = slot };
			ls->open[slot] = dl;
			ls->peers[slot] = peer;
			ls->active++;
		}
		if (l == NULL || pthread_create(&t, &attr, link_thread, l) != 0) {
			if (l != NULL) {
				ls->open[slot] = NULL;
				ls->active--;
			}
			free(l);
			obol_devlink_close(dl);
		}
		pthread_attr_destroy(&attr);
		pthread_mutex_unlock(&ls->mu);
	}
	return NULL;
}

obol_err obol_vendor_links_start(struct obol_vendor *v, unsigned max_links, unsigned max_per_ip)
{
	struct obol_vendor_links *ls = calloc(1, sizeof *ls);
	if (ls == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = identity(v, ls->cert, &ls->me);
	if (e != OBOL_OK) {
		free(ls);
		return e;
	}
	ls->max = max_links < MAX_LINKS_HARD ? max_links : MAX_LINKS_HARD;
	ls->max_per_ip = max_per_ip > 0 ? max_per_ip : 1;
	ls->open = calloc(ls->max, sizeof *ls->open);
	ls->peers = calloc(ls->max, sizeof *ls->peers);
	if (ls->open == NULL || ls->peers == NULL) {
		free(ls->open);
		free(ls->peers);
		free(ls);
		return OBOL_E_NO_MEMORY;
	}
	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->cv, NULL);
	v->links = ls;
	if (pthread_create(&ls->acceptor, NULL, accept_thread, v) != 0) {
		v->links = NULL;
		pthread_mutex_destroy(&ls->mu);
		pthread_cond_destroy(&ls->cv);
		free(ls->open);
		free(ls->peers);
		free(ls);
		return OBOL_E_INTERNAL;
	}
	return OBOL_OK;
}

void obol_vendor_links_stop(struct obol_vendor *v)
{
	struct obol_vendor_links *ls = v->links;
	if (ls == NULL)
		return;
	pthread_mutex_lock(&ls->mu);
	ls->stop = true;
	pthread_mutex_unlock(&ls->mu);
	pthread_join(ls->acceptor, NULL);
	pthread_mutex_lock(&ls->mu);
	/* Wake every session blocked in a read; each closes its own link. */
	for (unsigned i = 0; i < ls->max; i++)
		if (ls->open[i] != NULL)
			shutdown(obol_devlink_fd(ls->open[i]), SHUT_RDWR);
	while (ls->active > 0)
		pthread_cond_wait(&ls->cv, &ls->mu);
	pthread_mutex_unlock(&ls->mu);
	pthread_mutex_destroy(&ls->mu);
	pthread_cond_destroy(&ls->cv);
	free(ls->open);
	free(ls->peers);
	free(ls);
	v->links = NULL;
}
