/* The guard of the HTTP server's connections: deadlines for reading a
 * request, and room kept under a crowd of slow connections (contract in
 * http_server_int.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/http_server_int.h"

enum slot_state { SLOT_FREE, SLOT_READING, SLOT_HANDLING };

struct slot {
	struct obol_http_guard *g;
	enum slot_state state;
	int fd;
	bool shut;      /* the watchdog shut it down; libmicrohttpd is closing it */
	uint64_t since; /* monotonic ns: when it started reading its request */
	unsigned next_free;
};

/* The table has room for libmicrohttpd's limit, OBOL_HTTP_GUARD_SLACK
 * more than max_conns. */
#define SLOTS(max) ((max) + OBOL_HTTP_GUARD_SLACK(max))

struct obol_http_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* stop */
	pthread_t watchdog;
	bool stop;
	unsigned max_conns, open;
	uint64_t request_ns;
	struct slot *slots;
	unsigned nslots, free_head; /* free list through next_free; nslots = end */
	unsigned long long late, pressed;
};

/* Shuts down the socket of slot s (under mu): libmicrohttpd sees the
 * connection fail at its next turn and closes it. The slot stays the
 * connection's until libmicrohttpd says it closed (so the fd is still its
 * own here). */
static void shut(struct slot *s)
{
	if (!s->shut && shutdown(s->fd, SHUT_RDWR) == 0)
		s->shut = true;
}

/* Past max_conns: the connection that has been reading its request the
 * longest makes room for the new one (a client that has not sent its
 * request yet loses least). */
static void evict_oldest(struct obol_http_guard *g, const struct slot *keep)
{
	struct slot *oldest = NULL;
	for (unsigned i = 0; i < g->nslots; i++) {
		struct slot *s = &g->slots[i];
		if (s != keep && s->state == SLOT_READING && !s->shut && (oldest == NULL || s->since < oldest->since))
			oldest = s;
	}
	if (oldest != NULL) {
		shut(oldest);
		g->pressed++;
	}
}

static void watch_once(struct obol_http_guard *g)
{
	uint64_t now = obol_mono_ns();
	bool pressed = g->open > g->max_conns - g->max_conns / 4;
	uint64_t grace = (uint64_t)OBOL_HTTP_PRESSURE_GRACE_MS * 1000000u;
	for (unsigned i = 0; i < g->nslots; i++) {
		struct slot *s = &g->slots[i];
		if (s->state != SLOT_READING || s->shut || now < s->since)
			continue;
		if (now - s->since >= g->request_ns) {
			shut(s);
			g->late++;
		} else if (pressed && now - s->since >= grace) {
			shut(s);
			g->pressed++;
		}
	}
}

static void *watchdog(void *arg)
{
	struct obol_http_guard *g = arg;
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += OBOL_HTTP_WATCH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		int r = pthread_cond_timedwait(&g->cv, &g->mu, &ts);
		if (r != 0 && r != ETIMEDOUT)
			break;
		if (!g->stop)
			watch_once(g);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

obol_err obol_http_guard_new(unsigned max_conns, unsigned request_ms, struct obol_http_guard **out)
{
	struct obol_http_guard *g = calloc(1, sizeof *g);
	*out = NULL;
	if (g == NULL)
		return OBOL_E_NO_MEMORY;
	g->max_conns = max_conns;
	g->request_ns = (uint64_t)request_ms * 1000000u;
	g->slots = calloc(SLOTS((size_t)max_conns), sizeof *g->slots);
	if (g->slots == NULL) {
		free(g);
		return OBOL_E_NO_MEMORY;
	}
	g->free_head = UINT32_MAX;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->watchdog, NULL, watchdog, g) != 0) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		free(g->slots);
		free(g);
		return OBOL_E_NO_MEMORY;
	}
	*out = g;
	return OBOL_OK;
}

void obol_http_guard_free(struct obol_http_guard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->watchdog, NULL);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g->slots);
	free(g);
}

/* The slot of a connection, NULL when it is not tracked. */
static struct slot *slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

void obol_http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe)
{
	struct obol_http_guard *g = cls;
	pthread_mutex_lock(&g->mu);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		unsigned i = g->free_head;
		if (i != UINT32_MAX)
			g->free_head = g->slots[i].next_free;
		else if (g->nslots < SLOTS(g->max_conns))
			i = g->nslots++;
		if (i != UINT32_MAX && fi != NULL) {
			g->slots[i] = (struct slot){ .g = g, .state = SLOT_READING, .fd = fi->connect_fd,
						     .since = obol_mono_ns() };
			*socket_context = &g->slots[i];
			if (++g->open > g->max_conns)
				evict_oldest(g, &g->slots[i]);
		} else {
			if (i != UINT32_MAX) {
				g->slots[i].next_free = g->free_head;
				g->free_head = i;
			}
			*socket_context = NULL;
			obol_log_warn("http: a connection beyond the guard's table is not watched");
		}
	} else if (*socket_context != NULL) {
		struct slot *s = *socket_context;
		unsigned i = (unsigned)(s - g->slots);
		s->state = SLOT_FREE;
		s->next_free = g->free_head;
		g->free_head = i;
		g->open--;
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&g->mu);
}

static void set_state(struct MHD_Connection *conn, enum slot_state state)
{
	struct slot *s = slot_of(conn);
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->g->mu);
	if (s->state != SLOT_FREE) {
		s->state = state;
		s->since = obol_mono_ns();
	}
	pthread_mutex_unlock(&s->g->mu);
}

void obol_http_guard_handling(struct MHD_Connection *conn)
{
	set_state(conn, SLOT_HANDLING);
}

void obol_http_guard_reading(struct MHD_Connection *conn)
{
	set_state(conn, SLOT_READING);
}

void obol_http_guard_stats(struct obol_http_guard *g, struct obol_http_guard_stats *out)
{
	pthread_mutex_lock(&g->mu);
	out->late = g->late;
	out->pressed = g->pressed;
	out->open = g->open;
	pthread_mutex_unlock(&g->mu);
}
