/* The simulated network (sim.h): HTTP requests to the issuer node through
 * the transport hook of src/net/http_client.h, and device links through the
 * ops of src/net/devlink.h. Losses, duplicates and delays come from the
 * run's faults or a strategy's hook; frames on a link arrive in order
 * unless an adversary on the link drops them. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "sim_int.h"
#include "vendor/vendor.h"
#include "wire/cbor.h"
#include "net/devlink.h"

/* ---- HTTP --------------------------------------------------------------- */

struct http_copy {
	struct sim_node *from, *to;
	char *method, *path, *auth;
	uint8_t *body;
	size_t body_len;
	unsigned incarnation; /* of `to` when sent: a restart drops what was in flight to it */
};

static struct sim_node *node_by_url(struct sim *sim, const char *base)
{
	for (size_t i = 0; i < sim->nnodes; i++)
		if (sim->nodes[i]->kind == SIM_ISSUER && strcmp(sim->nodes[i]->url, base) == 0)
			return sim->nodes[i];
	return NULL;
}

static const char *short_path(const char *path)
{
	return path;
}

/* The issuer handles m now, on this thread, as its node. OBOL_OK with a
 * status and reply, or NETWORK when it is down or dies meanwhile. */
static obol_err deliver(struct sim *sim, const struct sim_http_msg *m, long *status, char **reply, size_t *len)
{
	struct sim_node *to = m->to;
	unsigned st = 0;
	*reply = NULL;
	if (to->dead || to->issuer == NULL) {
		if (sim->hooks.on_http != NULL)
			sim->hooks.on_http(sim, m, 0, NULL, 0);
		return OBOL_E_NETWORK;
	}
	struct obol_http_call call = { .method = m->method, .target = m->path, .auth = m->auth, .body = m->body,
				       .body_len = m->body_len };
	struct sim_node *saved = sim_current();
	sim_node_hold(to);
	sim_set_current(to);
	obol_err e = obol_issuer_handle(to->issuer, &call, &st, reply, len);
	sim_set_current(saved);
	bool died = to->dead;
	sim_node_release(sim, to);
	if (e == OBOL_OK && died) {
		obol_free_wiped(*reply);
		*reply = NULL;
		e = OBOL_E_NETWORK;
	}
	if (sim->hooks.on_http != NULL)
		sim->hooks.on_http(sim, m, e == OBOL_OK ? (long)st : 0, *reply, e == OBOL_OK ? *len : 0);
	if (e != OBOL_OK)
		return e == OBOL_E_NETWORK ? e : OBOL_E_NETWORK;
	*status = (long)st;
	sim_trace(sim, m->from, "%s %s -> %u", m->method, short_path(m->path), st);
	return OBOL_OK;
}

static void copy_free(struct http_copy *c)
{
	free(c->method);
	free(c->path);
	free(c->auth);
	obol_free_wiped(c->body);
	free(c);
}

static void late_event(struct sim *sim, void *arg)
{
	struct http_copy *c = arg;
	struct sim_http_msg m = { .from = c->from, .to = c->to, .method = c->method, .path = c->path, .auth = c->auth,
				  .body = c->body, .body_len = c->body_len };
	long status;
	char *reply = NULL;
	size_t len;
	sim_trace(sim, c->from, "a late copy of %s %s arrives", c->method, short_path(c->path));
	if (deliver(sim, &m, &status, &reply, &len) == OBOL_OK)
		obol_free_wiped(reply);
	copy_free(c);
}

void sim_http_later(struct sim *sim, const struct sim_http_msg *m, int64_t delay)
{
	struct http_copy *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	c->from = m->from;
	c->to = m->to;
	c->method = strdup(m->method);
	c->path = strdup(m->path);
	c->auth = m->auth != NULL ? strdup(m->auth) : NULL;
	c->body = malloc(m->body_len + 1);
	if (c->method == NULL || c->path == NULL || (m->auth != NULL && c->auth == NULL) || c->body == NULL)
		abort();
	if (m->body_len > 0)
		memcpy(c->body, m->body, m->body_len);
	c->body_len = m->body_len;
	sim_at(sim, delay, late_event, c);
}

static enum sim_fate choose(struct sim *sim, const struct sim_http_msg *m, int64_t *delay)
{
	enum sim_fate fate = SIM_DELIVER;
	*delay = 0;
	if (sim->in_template || m->from == NULL || sim->quiescing)
		return SIM_DELIVER;
	if (sim->hooks.http_hook != NULL && sim->hooks.http_hook(sim, m, &fate, delay))
		return fate;
	const struct sim_faults *f = &sim->faults;
	uint64_t r = sim_below(sim, 1000);
	unsigned acc = f->http_lose_request;
	if (r < acc)
		return SIM_LOSE_REQUEST;
	if (r < (acc += f->http_lose_reply))
		return SIM_LOSE_REPLY;
	if (r < (acc += f->http_duplicate) || r < acc + f->http_delay) {
		fate = r < acc ? SIM_DUPLICATE : SIM_DELAY;
		*delay = 1 + (int64_t)sim_below(sim, (uint64_t)(f->http_delay_max_ns > 0 ? f->http_delay_max_ns : SIM_S));
	}
	return fate;
}

static const char *fate_name(enum sim_fate f)
{
	static const char *names[] = { "delivered", "request lost", "reply lost", "delayed", "duplicated" };
	return names[f];
}

/* A context waits out its HTTP timeout (or dies waiting). */
static void wait_timeout(struct sim *sim, struct sim_node *n, int64_t until, const char *where)
{
	while (sim->now < until && !(n != NULL && n->dead)) {
		if (sim_maybe_kill_at_wait(sim, n, where))
			return;
		(void)sim_block(sim, until);
	}
}

/* One request from node from (the caller's context, or the main thread for
 * a scripted node, which never waits). */
static obol_err request(struct sim *sim, const struct sim_http_msg *m, long *status, char **reply, size_t *len)
{
	int64_t delay;
	bool waits = sim_self() != NULL;
	obol_err e;
	char *drop = NULL;
	size_t dlen;
	long dst;
	char where[96];
	snprintf(where, sizeof where, "wait for %s %s", m->method, m->path);
	enum sim_fate fate = choose(sim, m, &delay);
	if (fate != SIM_DELIVER)
		sim_trace(sim, m->from, "%s %s: %s%s", m->method, short_path(m->path), fate_name(fate),
			  fate == SIM_DELAY || fate == SIM_DUPLICATE ? " (later copy)" : "");
	int64_t until = sim->now + SIM_HTTP_TIMEOUT_NS;
	switch (fate) {
	case SIM_DELIVER:
		return deliver(sim, m, status, reply, len);
	case SIM_LOSE_REQUEST:
		break;
	case SIM_LOSE_REPLY:
		if (deliver(sim, m, &dst, &drop, &dlen) == OBOL_OK)
			obol_free_wiped(drop);
		break;
	case SIM_DUPLICATE:
		sim_http_later(sim, m, delay);
		return deliver(sim, m, status, reply, len);
	case SIM_DELAY:
		if (waits && delay < SIM_HTTP_TIMEOUT_NS) {
			wait_timeout(sim, m->from, sim->now + delay, where);
			if (m->from != NULL && m->from->dead)
				return OBOL_E_NETWORK;
			return deliver(sim, m, status, reply, len);
		}
		sim_http_later(sim, m, delay);
		break;
	}
	e = OBOL_E_NETWORK;
	if (waits)
		wait_timeout(sim, m->from, until, where);
	return e;
}

static obol_err transport(void *ctx, const char *base, const char *method, const char *path, const char *auth,
			  const void *body, size_t body_len, long *status, char **resp, size_t *resp_len)
{
	struct sim *sim = ctx;
	sim_assert_baton("an HTTP request");
	struct sim_node *from = sim_current(), *to = node_by_url(sim, base);
	if (to == NULL || (from != NULL && from->dead))
		return OBOL_E_NETWORK;
	if (from != NULL && sim_maybe_kill_at_wait(sim, from, "before a request"))
		return OBOL_E_NETWORK;
	struct sim_http_msg m = { .from = from, .to = to, .method = method, .path = path, .auth = auth,
				  .body = body, .body_len = body_len };
	obol_err e = request(sim, &m, status, resp, resp_len);
	if (e == OBOL_OK && strlen(*resp) != *resp_len)
		e = OBOL_E_WIRE_MALFORMED;
	return e;
}

obol_err sim_http(struct sim *sim, struct sim_node *from, struct sim_node *to, const char *method, const char *path,
		  const char *auth, const char *body, long *status, char **reply)
{
	size_t len;
	struct sim_http_msg m = { .from = from, .to = to, .method = method, .path = path, .auth = auth,
				  .body = (const uint8_t *)body, .body_len = body != NULL ? strlen(body) : 0 };
	return request(sim, &m, status, reply, &len);
}

static struct obol_http_transport http_transport = { .request = transport };

/* ---- device links -------------------------------------------------------- */

/* Bytes written by one end and not yet read by the other: one write each. */
struct chunk {
	struct chunk *next;
	size_t len, off;
	uint8_t data[];
};

struct end {
	struct sim_link_int *l;
	int side;               /* 0: a, 1: b */
	bool closed;            /* its owner closed it */
	bool eof;               /* the peer closed it, after what arrived */
	struct chunk *head, *tail;
	struct sim_thread *reader;
	int64_t next_arrival;   /* writes toward this end arrive in order */
	struct chunk *held;     /* an adversary holds this write back until the next one */
};

struct sim_link_int {
	struct sim_link pub;
	struct end end[2];
	struct sim_link_int *next;
};

struct chunk_ev {
	struct sim_link_int *l;
	int to;
	size_t len;
	uint8_t data[];
};

static struct sim_node *end_node(struct end *e)
{
	return e->side == 0 ? e->l->pub.a : e->l->pub.b;
}

struct sim_node *sim_link_peer(const struct sim_link *l, const struct sim_node *self)
{
	return l->a == self ? l->b : l->a;
}

static void chunks_free(struct end *e)
{
	while (e->head != NULL) {
		struct chunk *c = e->head;
		e->head = c->next;
		obol_free_wiped(c);
	}
	e->tail = NULL;
	obol_free_wiped(e->held);
	e->held = NULL;
}

static void break_link(struct sim *sim, struct sim_link_int *l, const char *why)
{
	if (l->pub.broken)
		return;
	l->pub.broken = true;
	sim_trace(sim, NULL, "link %u (%s-%s) breaks: %s", l->pub.id, l->pub.a->name, l->pub.b->name, why);
	for (int i = 0; i < 2; i++) {
		l->end[i].eof = true;
		sim_wake(sim, l->end[i].reader);
	}
}

void sim_links_break_node(struct sim *sim, struct sim_node *n)
{
	for (struct sim_link_int *l = sim->links; l != NULL; l = l->next)
		if ((l->pub.a == n || l->pub.b == n) && !(l->end[0].closed && l->end[1].closed))
			break_link(sim, l, "its node died");
}

void sim_links_free(struct sim *sim)
{
	while (sim->links != NULL) {
		struct sim_link_int *l = sim->links;
		sim->links = l->next;
		chunks_free(&l->end[0]);
		chunks_free(&l->end[1]);
		free(l);
	}
}

static void chunk_event(struct sim *sim, void *arg)
{
	struct chunk_ev *f = arg;
	struct end *e = &f->l->end[f->to];
	if (!f->l->pub.broken && !sim->quiescing && sim_chance(sim, sim->faults.link_break))
		break_link(sim, f->l, "the world, with bytes in flight");
	if (f->l->pub.broken || e->closed || end_node(e)->dead) {
		obol_free_wiped(f);
		return;
	}
	struct chunk *c = malloc(sizeof *c + f->len);
	if (c == NULL)
		abort();
	c->next = NULL;
	c->len = f->len;
	c->off = 0;
	memcpy(c->data, f->data, f->len);
	if (e->tail != NULL)
		e->tail->next = c;
	else
		e->head = c;
	e->tail = c;
	obol_free_wiped(f);
	sim_wake(sim, e->reader);
}

static void close_event(struct sim *sim, void *arg)
{
	struct end *e = arg;
	e->eof = true;
	sim_wake(sim, e->reader);
}

/* Carries one write's bytes to the other end, in order. */
static void carry(struct sim *sim, struct sim_link_int *l, struct end *dst, const uint8_t *buf, size_t n)
{
	struct chunk_ev *f = malloc(sizeof *f + n);
	if (f == NULL)
		abort();
	f->l = l;
	f->to = dst->side;
	f->len = n;
	memcpy(f->data, buf, n);
	int64_t at = sim->now + SIM_MS + (int64_t)sim_below(sim, 4) * SIM_MS;
	if (at < dst->next_arrival)
		at = dst->next_arrival;
	dst->next_arrival = at;
	sim_at(sim, at - sim->now, chunk_event, f);
}

static obol_err end_write(struct sim *sim, struct end *e, const uint8_t *buf, size_t n)
{
	struct sim_node *self = end_node(e);
	struct sim_link_int *l = e->l;
	struct end *dst = &l->end[1 - e->side];
	if (self->dead || l->pub.broken || e->closed)
		return OBOL_E_NETWORK;
	if (!sim->quiescing && sim_chance(sim, sim->faults.link_break_write)) {
		break_link(sim, l, "the world, as bytes are written");
		return OBOL_E_NETWORK;
	}
	enum sim_tap what = sim->hooks.tap != NULL && !sim->quiescing ? sim->hooks.tap(sim, &l->pub, self, buf, n)
								       : SIM_TAP_PASS;
	if (what != SIM_TAP_PASS)
		sim_trace(sim, self, "-> %s link %u: %zu bytes %s on the link", dst == &l->end[1] ? l->pub.b->name : l->pub.a->name,
			  l->pub.id, n,
			  what == SIM_TAP_DROP ? "dropped" : what == SIM_TAP_REPLAY ? "replayed" : "held back");
	if (what == SIM_TAP_DROP)
		return OBOL_OK;
	if (what == SIM_TAP_HOLD && dst->held == NULL) {
		if ((dst->held = malloc(sizeof *dst->held + n)) == NULL)
			abort();
		dst->held->len = n;
		memcpy(dst->held->data, buf, n);
		return OBOL_OK;
	}
	carry(sim, l, dst, buf, n);
	if (what == SIM_TAP_REPLAY)
		carry(sim, l, dst, buf, n);
	if (dst->held != NULL) {
		carry(sim, l, dst, dst->held->data, dst->held->len);
		obol_free_wiped(dst->held);
		dst->held = NULL;
	}
	return OBOL_OK;
}

static void end_close(struct sim *sim, struct end *e)
{
	if (e->closed)
		return;
	e->closed = true;
	chunks_free(e);
	struct end *peer = &e->l->end[1 - e->side];
	int64_t at = sim->now + SIM_MS;
	if (at < peer->next_arrival)
		at = peer->next_arrival;
	sim_at(sim, at - sim->now, close_event, peer);
}

/* The ops of a link's end: read blocks its context. */
static obol_err ops_read(void *ctx, uint8_t *buf, size_t n, int timeout_ms, size_t *got)
{
	struct end *e = ctx;
	struct sim *sim = sim_the;
	struct sim_node *self = end_node(e);
	int64_t deadline = sim->now + (int64_t)timeout_ms * SIM_MS;
	*got = 0;
	for (;;) {
		if (self->dead || e->l->pub.broken)
			return OBOL_E_NETWORK;
		if (e->head != NULL) {
			struct chunk *c = e->head;
			size_t k = c->len - c->off < n ? c->len - c->off : n;
			memcpy(buf, c->data + c->off, k);
			c->off += k;
			*got = k;
			if (c->off == c->len) {
				e->head = c->next;
				if (e->head == NULL)
					e->tail = NULL;
				obol_free_wiped(c);
			}
			return OBOL_OK;
		}
		if (e->eof)
			return OBOL_E_DEVLINK_CLOSED;
		if (sim->now >= deadline || sim_self() == NULL)
			return OBOL_E_NETWORK;
		if (sim_maybe_kill_at_wait(sim, self, "wait for a frame"))
			return OBOL_E_NETWORK;
		e->reader = sim_self();
		(void)sim_block(sim, deadline);
		e->reader = NULL;
	}
}

static obol_err ops_write(void *ctx, const uint8_t *buf, size_t n)
{
	return end_write(sim_the, ctx, buf, n);
}

static void ops_close(void *ctx)
{
	end_close(sim_the, ctx);
}

static const char *frame_name(struct sim *sim, uint32_t type, const uint8_t *body, size_t len)
{
	static char buf[160];
	if (type == OBOL_DL_TYPE_ERROR)
		snprintf(buf, sizeof buf, "ERROR %s", obol_strerror(obol_devlink_error_decode(body, len)));
	else if (type == OBOL_DL_TYPE_HELLO || type == OBOL_DL_TYPE_ACCEPT)
		snprintf(buf, sizeof buf, "%s (handshake)", type == OBOL_DL_TYPE_HELLO ? "HELLO" : "ACCEPT");
	else if (sim->scheme->describe != NULL)
		sim->scheme->describe(sim, type, body, len, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "type %u", (unsigned)type);
	return buf;
}

/* A frame an end sent, in clear: the hooks learn what its node said. */
static void ops_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct end *e = ctx;
	struct sim *sim = sim_the;
	struct sim_node *sender = end_node(e);
	uint32_t type;
	const uint8_t *body;
	size_t blen;
	if (obol_frame_decode(frame, len, &type, &body, &blen) != OBOL_OK)
		return;
	sim_trace(sim, sender, "-> %s link %u: %s", sim_link_peer(&e->l->pub, sender)->name, e->l->pub.id,
		  frame_name(sim, type, body, blen));
	if (sim->hooks.on_frame != NULL)
		sim->hooks.on_frame(sim, &e->l->pub, sender, type, body, blen);
}

static const struct obol_devlink_ops link_ops = { .read = ops_read, .write = ops_write, .close = ops_close,
						  .frame = ops_frame };

static struct sim_link_int *link_new(struct sim *sim, struct sim_node *a, struct sim_node *b)
{
	struct sim_link_int *l = calloc(1, sizeof *l);
	if (l == NULL)
		abort();
	l->pub.id = ++sim->next_link;
	l->pub.a = a;
	l->pub.b = b;
	for (int i = 0; i < 2; i++) {
		l->end[i].l = l;
		l->end[i].side = i;
	}
	l->next = sim->links;
	sim->links = l;
	return l;
}

struct serve_arg {
	struct sim_node *node;
	struct obol_devlink *dl;
};

static void serve_body(struct sim *sim, void *arg)
{
	struct serve_arg *s = arg;
	if (!s->node->dead) {
		if (s->node->kind == SIM_VENDOR && s->node->vendor != NULL)
			obol_vendor_serve_link(s->node->vendor, s->dl);
		else if (s->node->kind == SIM_SCRIPTED && s->node->serve != NULL)
			s->node->serve(sim, s->node, s->dl);
	}
	obol_devlink_close(s->dl);
	free(s);
}

/* A link from the current node to addr ("sim:NAME"): its accepting end is
 * served in a context of NAME's (a vendor daemon's link loop, or a
 * scripted party's serve); the opening end is returned without a session:
 * obol_devlink_connect runs the handshake over it. */
static obol_err connector(const char *addr, int timeout_ms, struct obol_devlink **out)
{
	struct sim *sim = sim_the;
	struct sim_node *from = sim_current();
	struct sim_node *to = strncmp(addr, "sim:", 4) == 0 ? sim_node_find(sim, addr + 4) : NULL;
	sim_assert_baton("a device link");
	if (from == NULL || to == NULL || from->dead || to->dead ||
	    !((to->kind == SIM_VENDOR && to->vendor != NULL) || (to->kind == SIM_SCRIPTED && to->serve != NULL)))
		return OBOL_E_NETWORK;
	struct sim_link_int *l = link_new(sim, from, to);
	struct serve_arg *s = malloc(sizeof *s);
	if (s == NULL)
		abort();
	s->node = to;
	if (obol_devlink_from_ops(&link_ops, &l->end[1], 0, &s->dl) != OBOL_OK)
		abort();
	sim_trace(sim, from, "opens link %u to %s", l->pub.id, to->name);
	sim_spawn(sim, to, serve_body, s);
	return obol_devlink_from_ops(&link_ops, &l->end[0], timeout_ms, out);
}

void sim_net_install(struct sim *sim)
{
	http_transport.ctx = sim;
	obol_http_set_transport(&http_transport);
	obol_devlink_set_connector(connector);
}
