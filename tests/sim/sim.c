/* The simulator's engine: the event queue, contexts handed one baton, the
 * simulated clock, the two random streams, nodes (start, kill, restart),
 * wallet commands, the trace and failures (sim.h, sim_int.h). */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_METHOD: the one way to replace OpenSSL's randomness */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/fault.h"
#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "net/reqauth.h"
#include "sim_int.h"
#include "store/ledger.h"
#include "vendor/vendor.h"
#include "wallet/file.h"

struct sim *sim_the;
static pthread_t main_thread;

static __thread struct sim_thread *tls_thread;
static __thread struct sim_node *tls_node;

void sim_assert_baton(const char *what)
{
	if (tls_thread != NULL || pthread_equal(pthread_self(), main_thread))
		return;
	fprintf(sim_the->out, "obol-sim: %s from a thread the simulator does not run: a scheme started a thread of "
			      "its own in process (do that work in its vendor tick, see tests/sim/README.md)\n",
		what);
	abort();
}

struct sim_thread *sim_self(void)
{
	return tls_thread;
}

struct sim_node *sim_current(void)
{
	return tls_node;
}

void sim_set_current(struct sim_node *n)
{
	tls_node = n;
}

/* ---- the crypto stream: libsodium's randombytes and OpenSSL's RAND ------- */

/* ChaCha20 keyed by the run's seed, read in order by whichever context runs
 * (one at a time), so every key, coin secret, nonce and salt replays. */
static struct {
	uint8_t key[32];
	uint64_t block;
	uint8_t buf[4096];
	size_t used;
} crypto = { .used = sizeof crypto.buf };

void sim_crypto_seed(const uint8_t key[32])
{
	memcpy(crypto.key, key, 32);
	crypto.block = 0;
	crypto.used = sizeof crypto.buf;
}

static void crypto_fill(void *out, size_t n)
{
	uint8_t *p = out;
	while (n > 0) {
		if (crypto.used == sizeof crypto.buf) {
			uint8_t nonce[8];
			for (int i = 0; i < 8; i++)
				nonce[i] = (uint8_t)(crypto.block >> (8 * i));
			crypto.block++;
			crypto_stream_chacha20(crypto.buf, sizeof crypto.buf, nonce, crypto.key);
			crypto.used = 0;
		}
		size_t k = sizeof crypto.buf - crypto.used < n ? sizeof crypto.buf - crypto.used : n;
		memcpy(p, crypto.buf + crypto.used, k);
		crypto.used += k;
		p += k;
		n -= k;
	}
}

static const char *rb_name(void)
{
	return "obol-sim";
}

static uint32_t rb_random(void)
{
	uint32_t r;
	crypto_fill(&r, sizeof r);
	return r;
}

static void rb_stir(void)
{
}

static uint32_t rb_uniform(const uint32_t upper)
{
	if (upper < 2)
		return 0;
	uint32_t min = (1U + ~upper) % upper, r;
	do
		r = rb_random();
	while (r < min);
	return r % upper;
}

static void rb_buf(void *const buf, const size_t size)
{
	crypto_fill(buf, size);
}

static int rb_close(void)
{
	return 0;
}

static randombytes_implementation rb_impl = {
	.implementation_name = rb_name,
	.random = rb_random,
	.stir = rb_stir,
	.uniform = rb_uniform,
	.buf = rb_buf,
	.close = rb_close,
};

static int ossl_bytes(unsigned char *buf, int num)
{
	crypto_fill(buf, (size_t)num);
	return 1;
}

static int ossl_seed(const void *buf, int num)
{
	(void)buf;
	(void)num;
	return 1;
}

static int ossl_add(const void *buf, int num, double entropy)
{
	(void)buf;
	(void)num;
	(void)entropy;
	return 1;
}

static int ossl_status(void)
{
	return 1;
}

static RAND_METHOD ossl_method = {
	.seed = ossl_seed, .bytes = ossl_bytes, .add = ossl_add, .pseudorand = ossl_bytes, .status = ossl_status,
};

/* ---- the world's own choices ------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void sim_rng_seed(struct sim *sim, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		sim->rng[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rand(struct sim *sim)
{
	uint64_t *s = sim->rng;
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

uint64_t sim_below(struct sim *sim, uint64_t n)
{
	return n <= 1 ? 0 : sim_rand(sim) % n;
}

bool sim_chance(struct sim *sim, unsigned permille)
{
	return permille > 0 && sim_below(sim, 1000) < permille;
}

uint64_t sim_seed(struct sim *sim)
{
	return sim->seed;
}

/* ---- the clock --------------------------------------------------------- */

static int64_t clock_now(void *ctx)
{
	struct sim *sim = ctx;
	sim_assert_baton("the clock read");
	int64_t skew = tls_node != NULL ? tls_node->skew_s : 0;
	return sim->now / SIM_S + skew;
}

static uint64_t clock_mono(void *ctx)
{
	struct sim *sim = ctx;
	return (uint64_t)sim->now;
}

static void clock_sleep(void *ctx, uint64_t ns)
{
	struct sim *sim = ctx;
	if (tls_thread != NULL)
		(void)sim_block(sim, sim->now + (int64_t)ns);
}

static struct obol_clock_source sim_clock = {
	.now = clock_now, .mono_ns = clock_mono, .sleep_ns = clock_sleep,
};

int64_t sim_time_ns(struct sim *sim)
{
	return sim->now;
}

int64_t sim_node_now(struct sim *sim, const struct sim_node *n)
{
	return sim->now / SIM_S + (n != NULL ? n->skew_s : 0);
}

/* ---- crash points -------------------------------------------------------- */

static obol_err fault_hook(const char *where)
{
	struct sim *sim = sim_the;
	struct sim_node *n = tls_node;
	if (sim == NULL || n == NULL || sim->in_template)
		return OBOL_OK;
	if (n->dead)
		return OBOL_E_IO;
	if (sim->quiescing)
		return OBOL_OK;
	int verdict = sim->hooks.crash_hook != NULL ? sim->hooks.crash_hook(sim, n, where) : 0;
	if (verdict > 0 || (verdict == 0 && n->honest && n->kind != SIM_SCRIPTED && sim_chance(sim, sim->faults.crash))) {
		char why[64];
		snprintf(why, sizeof why, "crash at %s", where);
		sim_kill(sim, n, why,
			 sim->faults.restart_min_ns +
				 (int64_t)sim_below(sim, (uint64_t)(sim->faults.restart_max_ns - sim->faults.restart_min_ns) + 1));
		return OBOL_E_IO;
	}
	return OBOL_OK;
}

bool sim_maybe_kill_at_wait(struct sim *sim, struct sim_node *n, const char *where)
{
	if (n == NULL || n->dead || !n->honest || n->kind == SIM_SCRIPTED || sim->quiescing || sim->in_template)
		return false;
	int verdict = sim->hooks.crash_hook != NULL ? sim->hooks.crash_hook(sim, n, where) : 0;
	if (verdict < 0 || (verdict == 0 && !sim_chance(sim, sim->faults.kill_at_wait)))
		return false;
	sim_kill(sim, n, "killed while waiting",
		 sim->faults.restart_min_ns +
			 (int64_t)sim_below(sim, (uint64_t)(sim->faults.restart_max_ns - sim->faults.restart_min_ns) + 1));
	return true;
}

void sim_install_hooks(struct sim *sim)
{
	sim_the = sim;
	main_thread = pthread_self();
	randombytes_set_implementation(&rb_impl);
	RAND_set_rand_method(&ossl_method);
	obol_clock_set_source(&sim_clock);
	sim_clock.ctx = sim;
	obol_fault_set_hook(fault_hook);
	sim_net_install(sim);
}

/* ---- events ---------------------------------------------------------------- */

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void push(struct sim *sim, int64_t at, sim_event_fn fn, void *arg, bool periodic)
{
	if (sim->nheap == sim->capheap) {
		size_t cap = sim->capheap ? sim->capheap * 2 : 256;
		struct sim_event *h = realloc(sim->heap, cap * sizeof *h);
		if (h == NULL)
			abort();
		sim->heap = h;
		sim->capheap = cap;
	}
	struct sim_event e = { .at = at < sim->now ? sim->now : at, .seq = sim->seq++, .fn = fn, .arg = arg,
			       .periodic = periodic };
	size_t i = sim->nheap++;
	while (i > 0 && ev_before(&e, &sim->heap[(i - 1) / 2])) {
		sim->heap[i] = sim->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	sim->heap[i] = e;
	if (!periodic)
		sim->pending++;
}

static struct sim_event pop(struct sim *sim)
{
	struct sim_event top = sim->heap[0], last = sim->heap[--sim->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= sim->nheap)
			break;
		if (c + 1 < sim->nheap && ev_before(&sim->heap[c + 1], &sim->heap[c]))
			c++;
		if (!ev_before(&sim->heap[c], &last))
			break;
		sim->heap[i] = sim->heap[c];
		i = c;
	}
	if (sim->nheap > 0)
		sim->heap[i] = last;
	if (!top.periodic)
		sim->pending--;
	return top;
}

void sim_at(struct sim *sim, int64_t delay_ns, sim_event_fn fn, void *arg)
{
	push(sim, sim->now + (delay_ns > 0 ? delay_ns : 0), fn, arg, false);
}

void sim_at_periodic(struct sim *sim, int64_t delay_ns, sim_event_fn fn, void *arg)
{
	push(sim, sim->now + (delay_ns > 0 ? delay_ns : 0), fn, arg, true);
}

/* The key ceremony an operator holds when the clock has jumped (issue 17):
 * each issuer's online keys must cover the new now, or it signs nothing.
 * issuer init left the master key beside the database (PATH.master-key);
 * the running issuer takes the imported keys up by itself. */
static void jump_ceremonies(struct sim *sim)
{
	for (size_t i = 0; i < sim->nnodes; i++) {
		const struct sim_node *n = sim->nodes[i];
		char db[PATH_MAX + 16], mk[PATH_MAX + 32], req[PATH_MAX + 32], sig[PATH_MAX + 32];
		if (n->kind != SIM_ISSUER)
			continue;
		snprintf(db, sizeof db, "sqlite:%s/issuer.db", n->dir);
		snprintf(mk, sizeof mk, "%s/issuer.db.master-key", n->dir);
		snprintf(req, sizeof req, "%s/key-requests.json", n->dir);
		snprintf(sig, sizeof sig, "%s/key-signatures.json", n->dir);
		const char *exp[] = { "issuer", "keys", "export-requests", "--db", db, "--out", req, NULL };
		const char *sgn[] = { "offline", "sign", "--master-key", mk, "--in", req, "--out", sig, NULL };
		const char *imp[] = { "issuer", "keys", "import", "--db", db, "--in", sig, NULL };
		if (sim_run_command(sim, exp) != 0 || sim_run_command(sim, sgn) != 0 || sim_run_command(sim, imp) != 0)
			sim_trace(sim, NULL, "the key ceremony of %s failed", n->name);
	}
}

void sim_jump(struct sim *sim, int64_t ns)
{
	if (ns <= 0)
		return;
	sim->now += ns;
	sim_trace(sim, NULL, "time jumps %" PRId64 " s ahead", ns / SIM_S);
	jump_ceremonies(sim);
}

bool sim_idle(struct sim *sim)
{
	return sim->nthreads == 0;
}

bool sim_quiescing(struct sim *sim)
{
	return sim->quiescing;
}

bool sim_step(struct sim *sim)
{
	if (sim->nheap == 0)
		return false;
	struct sim_event e = pop(sim);
	if (e.at > sim->now)
		sim->now = e.at;
	sim->step++;
	e.fn(sim, e.arg);
	return true;
}

void sim_clear_events(struct sim *sim)
{
	sim->nheap = 0;
	sim->pending = 0;
}

/* ---- contexts ----------------------------------------------------------------- */

struct resume {
	struct sim_thread *t;
	uint64_t gen;
	bool wake;
};

static void thread_free(struct sim_thread *t)
{
	pthread_cond_destroy(&t->cv);
	free(t);
}

static void run_thread(struct sim *sim, struct sim_thread *t)
{
	sim->running = t;
	pthread_cond_signal(&t->cv);
	while (sim->running != NULL)
		pthread_cond_wait(&sim->main_cv, &sim->big);
	if (!t->finished)
		return;
	pthread_join(t->th, NULL);
	for (struct sim_thread **p = &sim->threads; *p != NULL; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	sim->nthreads--;
	struct sim_node *n = t->node;
	t->node = NULL;
	sim_node_release(sim, n);
}

static void resume_event(struct sim *sim, void *arg)
{
	struct resume *r = arg;
	struct sim_thread *t = r->t;
	if (!t->finished && t->waiting && t->gen == r->gen) {
		t->woken = r->wake;
		t->waiting = false;
		run_thread(sim, t);
	}
	if (--t->refs == 0 && t->finished)
		thread_free(t);
	free(r);
}

static void schedule_resume(struct sim *sim, struct sim_thread *t, int64_t at, bool wake)
{
	struct resume *r = malloc(sizeof *r);
	if (r == NULL)
		abort();
	*r = (struct resume){ .t = t, .gen = t->gen, .wake = wake };
	t->refs++;
	push(sim, at, resume_event, r, false);
}

static void *trampoline(void *arg)
{
	struct sim_thread *t = arg;
	struct sim *sim = t->sim;
	pthread_mutex_lock(&sim->big);
	while (sim->running != t)
		pthread_cond_wait(&t->cv, &sim->big);
	tls_thread = t;
	tls_node = t->node;
	t->body(sim, t->arg);
	t->finished = true;
	sim->running = NULL;
	pthread_cond_signal(&sim->main_cv);
	pthread_mutex_unlock(&sim->big);
	return NULL;
}

void sim_spawn(struct sim *sim, struct sim_node *n, void (*fn)(struct sim *sim, void *arg), void *arg)
{
	sim_thread_spawn(sim, n, "spawned", fn, arg);
}

void sim_thread_spawn(struct sim *sim, struct sim_node *n, const char *label, void (*body)(struct sim *, void *),
		      void *arg)
{
	struct sim_thread *t = calloc(1, sizeof *t);
	if (t == NULL)
		abort();
	t->sim = sim;
	t->node = n;
	t->body = body;
	t->arg = arg;
	snprintf(t->label, sizeof t->label, "%s", label);
	pthread_cond_init(&t->cv, NULL);
	t->next = sim->threads;
	sim->threads = t;
	sim->nthreads++;
	sim_node_hold(n);
	t->waiting = true;
	if (pthread_create(&t->th, NULL, trampoline, t) != 0)
		abort();
	schedule_resume(sim, t, sim->now, true);
}

bool sim_block(struct sim *sim, int64_t deadline)
{
	struct sim_thread *t = tls_thread;
	struct sim_node *n = tls_node;
	t->gen++;
	t->waiting = true;
	t->woken = false;
	if (deadline != INT64_MAX)
		schedule_resume(sim, t, deadline, false);
	sim->running = NULL;
	pthread_cond_signal(&sim->main_cv);
	while (sim->running != t)
		pthread_cond_wait(&t->cv, &sim->big);
	tls_node = n;
	return t->woken;
}

void sim_wake(struct sim *sim, struct sim_thread *t)
{
	if (t != NULL && t->waiting)
		schedule_resume(sim, t, sim->now, true);
}

/* ---- nodes ---------------------------------------------------------------- */

struct sim_node *sim_node_add(struct sim *sim, enum sim_node_kind kind, const char *name, bool honest)
{
	if (sim->nnodes == SIM_NODES_MAX)
		abort();
	struct sim_node *n = calloc(1, sizeof *n);
	if (n == NULL)
		abort();
	snprintf(n->name, sizeof n->name, "%s", name);
	n->kind = kind;
	n->honest = honest;
	n->index = (unsigned)sim->nnodes;
	snprintf(n->dir, sizeof n->dir, "%s/%s", sim->dir, name);
	snprintf(n->wallet, sizeof n->wallet, "%s/wallet", n->dir);
	snprintf(n->key_file, sizeof n->key_file, "%s/wallet.key", n->dir);
	(void)mkdir(n->dir, 0700);
	sim->nodes[sim->nnodes++] = n;
	if (kind == SIM_ISSUER && sim->issuer == NULL)
		sim->issuer = n;
	return n;
}

struct sim_node *sim_node_find(struct sim *sim, const char *name)
{
	for (size_t i = 0; i < sim->nnodes; i++)
		if (strcmp(sim->nodes[i]->name, name) == 0)
			return sim->nodes[i];
	return NULL;
}

size_t sim_nodes(struct sim *sim, struct sim_node ***all)
{
	*all = sim->nodes;
	return sim->nnodes;
}

struct sim_node *sim_issuer(struct sim *sim)
{
	return sim->issuer;
}

void sim_node_hold(struct sim_node *n)
{
	if (n != NULL)
		n->threads++;
}

static void outbox_event(struct sim *sim, void *arg);

static void kick(void *ctx)
{
	struct sim_node *n = ctx;
	sim_outbox_kick(sim_the, n);
}

obol_err sim_issuer_start(struct sim *sim, struct sim_node *n)
{
	char url[PATH_MAX + 16];
	snprintf(url, sizeof url, "sqlite:%s/issuer.db", n->dir);
	snprintf(n->url, sizeof n->url, "http://127.0.0.1:%u", 8000 + n->index); /* loopback: plain HTTP allowed */
	struct obol_issuer_config cfg = { .db_url = url, .listen = "127.0.0.1:0", .readers = 2, .in_process = true };
	struct sim_node *saved = tls_node;
	(void)sim;
	tls_node = n;
	obol_err e = obol_issuer_start(&cfg, &n->issuer);
	tls_node = saved;
	if (e == OBOL_OK) {
		n->incarnation++;
		n->dead = n->down = false;
	}
	return e;
}

struct vendor_data {
	struct sim_node *issuer;
	bool pass_running;
	unsigned incarnation;
};

obol_err sim_vendor_start(struct sim *sim, struct sim_node *n, struct sim_node *issuer)
{
	if (n->engine_ == NULL && (n->engine_ = calloc(1, sizeof(struct vendor_data))) == NULL)
		return OBOL_E_NO_MEMORY;
	struct vendor_data *vd = n->engine_;
	vd->issuer = issuer;
	vd->pass_running = false;
	const char *const only[] = { sim->scheme->name, NULL };
	struct obol_vendor_config cfg = { .dir = n->dir, .issuer_url = issuer->url,
					  .price = n->price[0] ? n->price : NULL, .in_process = true,
					  .kick = kick, .kick_ctx = n, .schemes = only };
	struct sim_node *saved = tls_node;
	tls_node = n;
	obol_err e = obol_vendor_start(&cfg, &n->vendor);
	tls_node = saved;
	if (e != OBOL_OK)
		return e;
	n->incarnation++;
	vd->incarnation = n->incarnation;
	n->dead = n->down = false;
	sim_at_periodic(sim, SIM_OUTBOX_EVERY_NS, outbox_event, n);
	return OBOL_OK;
}

/* ---- the vendor's outbox ------------------------------------------------ */

static void outbox_body(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	int sent = 0;
	if (!n->dead)
		obol_vendor_tick(n->vendor);
	obol_err e = n->dead ? OBOL_E_IO : obol_vendor_outbox_pass(n->vendor, &sent);
	if (sent > 0 || e != OBOL_OK)
		sim_trace(sim, n, "outbox pass: %d answered%s%s", sent, e != OBOL_OK ? ", " : "",
			  e != OBOL_OK ? obol_strerror(e) : "");
	((struct vendor_data *)n->engine_)->pass_running = false;
}

void sim_outbox_kick(struct sim *sim, struct sim_node *n)
{
	struct vendor_data *vd = n->engine_;
	if (n->dead || n->vendor == NULL || vd == NULL || vd->pass_running)
		return;
	vd->pass_running = true;
	sim_thread_spawn(sim, n, "outbox", outbox_body, n);
}

static void outbox_event(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	struct vendor_data *vd = n->engine_;
	if (n->dead || vd->incarnation != n->incarnation)
		return; /* this incarnation's timer dies with it */
	sim_outbox_kick(sim, n);
	sim_at_periodic(sim, SIM_OUTBOX_EVERY_NS, outbox_event, n);
}

/* ---- kill and restart --------------------------------------------------- */

static void restart_event(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	if (n->down)
		sim_restart(sim, n);
}

struct down {
	struct sim_node *n;
	int64_t restart_after;
};

static void down_event(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	if (!n->dead || n->down || n->threads > 0)
		return;
	struct sim_node *saved = tls_node;
	tls_node = n;
	if (n->issuer != NULL)
		obol_issuer_stop(n->issuer);
	if (n->vendor != NULL)
		obol_vendor_stop(n->vendor);
	tls_node = saved;
	n->issuer = NULL;
	n->vendor = NULL;
	n->down = true;
	sim_trace(sim, n, "down");
}

void sim_node_release(struct sim *sim, struct sim_node *n)
{
	if (n == NULL)
		return;
	n->threads--;
	if (n->dead && n->threads == 0 && !n->down)
		sim_at(sim, 0, down_event, n);
}

void sim_kill(struct sim *sim, struct sim_node *n, const char *why, int64_t restart_after_ns)
{
	if (n->dead)
		return;
	n->dead = true;
	sim_trace(sim, n, "killed (%s)%s", why, restart_after_ns > 0 ? "" : ", not restarted");
	sim_links_break_node(sim, n);
	for (struct sim_thread *t = sim->threads; t != NULL; t = t->next)
		if (t->node == n)
			sim_wake(sim, t);
	if (n->threads == 0)
		sim_at(sim, 0, down_event, n);
	if (restart_after_ns > 0)
		sim_at(sim, restart_after_ns, restart_event, n);
}

void sim_restart(struct sim *sim, struct sim_node *n)
{
	obol_err e = OBOL_OK;
	if (!n->down) {
		if (n->dead) /* still unwinding: try again soon */
			sim_at(sim, SIM_S, restart_event, n);
		return;
	}
	n->dead = n->down = false;
	if (n->kind == SIM_ISSUER)
		e = sim_issuer_start(sim, n);
	else if (n->kind == SIM_VENDOR)
		e = sim_vendor_start(sim, n, ((struct vendor_data *)n->engine_)->issuer);
	if (e != OBOL_OK) {
		n->dead = n->down = true;
		sim_trace(sim, n, "restart failed: %s; again in 5 s", obol_strerror(e));
		sim_at(sim, 5 * SIM_S, restart_event, n);
		return;
	}
	if (n->kind != SIM_ISSUER && n->kind != SIM_VENDOR)
		n->incarnation++;
	sim_trace(sim, n, "restarted");
}

/* ---- wallet commands ---------------------------------------------------- */

struct command {
	struct sim_node *n;
	void (*done)(struct sim *, struct sim_node *, int, void *);
	void *arg;
	int argc;
	char *argv[24];
	int rc;
	unsigned incarnation;
};

static void command_done_event(struct sim *sim, void *arg)
{
	struct command *c = arg;
	c->n->busy = false;
	if (c->done != NULL)
		c->done(sim, c->n, c->rc, c->arg);
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c);
}

static void command_body(struct sim *sim, void *arg)
{
	struct command *c = arg;
	char *argv[24];
	memcpy(argv, c->argv, sizeof argv);
	optind = 0;
	c->rc = obol_cli_main(c->argc, argv);
	if (c->n->dead)
		c->rc = -1;
	sim_at(sim, 0, command_done_event, c);
}

void sim_command(struct sim *sim, struct sim_node *n, void (*done)(struct sim *, struct sim_node *, int, void *),
		 void *arg, const char *const *args)
{
	if (n->busy || n->dead) {
		if (done != NULL)
			done(sim, n, -2, arg);
		return;
	}
	struct command *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	c->n = n;
	c->done = done;
	c->arg = arg;
	c->argv[c->argc++] = strdup("obol");
	char line[512];
	size_t len = 0;
	for (size_t i = 0; args[i] != NULL && c->argc < 19; i++) {
		c->argv[c->argc++] = strdup(args[i]);
		len += (size_t)snprintf(line + len, len < sizeof line ? sizeof line - len : 0, "%s ", args[i]);
	}
	c->argv[c->argc++] = strdup("--wallet");
	c->argv[c->argc++] = strdup(n->wallet);
	c->argv[c->argc++] = strdup("--key-file");
	c->argv[c->argc++] = strdup(n->key_file);
	for (int i = 0; i < c->argc; i++)
		if (c->argv[i] == NULL)
			abort();
	n->busy = true;
	sim_trace(sim, n, "runs: obol %s", line);
	sim_thread_spawn(sim, n, "command", command_body, c);
}

int sim_command_here(struct sim *sim, struct sim_node *n, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	char line[512];
	size_t len = 0;
	argv[argc++] = (char *)"obol";
	for (size_t i = 0; args[i] != NULL && argc < 27; i++) {
		argv[argc++] = (char *)args[i];
		len += (size_t)snprintf(line + len, len < sizeof line ? sizeof line - len : 0, "%s ", args[i]);
	}
	argv[argc++] = (char *)"--wallet";
	argv[argc++] = n->wallet;
	argv[argc++] = (char *)"--key-file";
	argv[argc++] = n->key_file;
	argv[argc] = NULL;
	sim_trace(sim, n, "runs: obol %s", line);
	optind = 0;
	int rc = obol_cli_main(argc, argv);
	return n->dead ? -1 : rc;
}

/* ---- the trace and failures ----------------------------------------------- */

void sim_trace(struct sim *sim, const struct sim_node *n, const char *fmt, ...)
{
	char line[1024];
	int64_t t = sim->now - SIM_EPOCH_S * SIM_S;
	int k = snprintf(line, sizeof line, "%8" PRIu64 " %10" PRId64 ".%03" PRId64 " %-8s ", sim->step, t / SIM_S,
			 (t % SIM_S) / SIM_MS, n != NULL ? n->name : "-");
	va_list ap;
	va_start(ap, fmt);
	if (k > 0 && (size_t)k < sizeof line)
		vsnprintf(line + k, sizeof line - (size_t)k, fmt, ap);
	va_end(ap);
	crypto_hash_sha256_update(&sim->trace, (const uint8_t *)line, strlen(line) + 1);
	if (sim->tracing)
		fprintf(sim->out, "%s\n", line);
}

bool sim_tracing(struct sim *sim)
{
	return sim->tracing;
}

void sim_fail(struct sim *sim, const char *invariant, const char *fmt, ...)
{
	if (sim->failed)
		return;
	sim->failed = true;
	sim->fail_step = sim->step;
	snprintf(sim->fail_inv, sizeof sim->fail_inv, "%s", invariant);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sim->fail_msg, sizeof sim->fail_msg, fmt, ap);
	va_end(ap);
	sim_trace(sim, NULL, "INVARIANT %s BROKEN: %s", sim->fail_inv, sim->fail_msg);
}

bool sim_failed(struct sim *sim)
{
	return sim->failed;
}

struct sim_faults *sim_faults(struct sim *sim)
{
	return &sim->faults;
}

struct sim_hooks *sim_hooks(struct sim *sim)
{
	return &sim->hooks;
}

void *sim_scheme_data(struct sim *sim)
{
	return sim->scheme_data;
}

void sim_set_scheme_data(struct sim *sim, void *data)
{
	sim->scheme_data = data;
}

struct obol_store *sim_issuer_db(struct sim *sim)
{
	return sim->audit_db;
}

const char *sim_dir(struct sim *sim)
{
	return sim->dir;
}

/* ---- templates ---------------------------------------------------------- */

int sim_run_command(struct sim *sim, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"obol";
	for (size_t i = 0; args[i] != NULL && argc < 31; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	optind = 0;
	(void)sim;
	return obol_cli_main(argc, argv);
}

obol_err sim_template_issuer(struct sim *sim, struct sim_node *n, const char *const *init_args)
{
	char db[PATH_MAX + 16];
	const char *args[32] = { "issuer", "init", "--db", db, "--currency", "EUR" };
	size_t k = 6;
	snprintf(db, sizeof db, "sqlite:%s/issuer.db", n->dir);
	for (size_t i = 0; init_args != NULL && init_args[i] != NULL && k < 31; i++)
		args[k++] = init_args[i];
	args[k] = NULL;
	if (sim_run_command(sim, args) != 0)
		return OBOL_E_INTERNAL;
	return sim_issuer_start(sim, n);
}

static obol_err b64(const uint8_t *p, size_t n, char *out, size_t cap)
{
	return obol_b64_encode(p, n, out, cap);
}

obol_err sim_template_vendor(struct sim *sim, struct sim_node *n, struct sim_node *issuer)
{
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	char db[PATH_MAX + 16], cert[PATH_MAX + 16], spk[64], bpk[64];
	obol_err e;
	(void)rmdir(n->dir); /* vendor init makes it */
	const char *init[] = { "vendor", "init", "--dir", n->dir, "--issuer", issuer->url, NULL };
	if (sim_run_command(sim, init) != 0)
		return OBOL_E_INTERNAL;
	if ((e = obol_vendor_keys_load(n->dir, &sign, &box)) != OBOL_OK ||
	    (e = b64(sign.pk, 32, spk, sizeof spk)) != OBOL_OK || (e = b64(box.pk, 32, bpk, sizeof bpk)) != OBOL_OK)
		goto out;
	snprintf(db, sizeof db, "sqlite:%s/issuer.db", issuer->dir);
	snprintf(cert, sizeof cert, "%s/vendor.cert", n->dir);
	const char *add[] = { "issuer", "vendor", "add", "--db", db, "--name", n->name, "--vendor-key", spk,
			      "--box-key", bpk, "--valid-days", "3650", "--out", cert, NULL };
	e = sim_run_command(sim, add) == 0 ? OBOL_OK : OBOL_E_INTERNAL;
out:
	OBOL_WIPE(sign);
	OBOL_WIPE(box);
	return e;
}

obol_err sim_template_wallet(struct sim *sim, struct sim_node *n, struct sim_node *issuer, const char *fund)
{
	uint8_t key[32], sk[64];
	char db[PATH_MAX + 16], pk[64];
	int64_t id;
	obol_err e;
	obol_random(key, sizeof key);
	FILE *f = fopen(n->key_file, "wb");
	if (f == NULL || fwrite(key, 1, sizeof key, f) != sizeof key || fclose(f) != 0)
		return OBOL_E_IO;
	OBOL_WIPE(key);
	const char *init[] = { "wallet", "init", "--wallet", n->wallet, "--issuer", issuer->url, "--account", n->name,
			       "--key-file", n->key_file, NULL };
	if (sim_run_command(sim, init) != 0)
		return OBOL_E_INTERNAL;
	if ((e = sim_wallet_account_key(sim, n, &id, sk)) != OBOL_OK || (e = b64(sk + 32, 32, pk, sizeof pk)) != OBOL_OK)
		return e;
	OBOL_WIPE(sk);
	snprintf(db, sizeof db, "sqlite:%s/issuer.db", issuer->dir);
	const char *add[] = { "issuer", "account", "add", "--db", db, "--kind", "user", "--name", n->name,
			      "--auth-key", pk, NULL };
	const char *fnd[] = { "issuer", "fund", "--db", db, "--account", n->name, "--amount", fund, NULL };
	if (sim_run_command(sim, add) != 0 || (fund != NULL && sim_run_command(sim, fnd) != 0))
		return OBOL_E_INTERNAL;
	return OBOL_OK;
}

obol_err sim_wallet_account_key(struct sim *sim, struct sim_node *n, int64_t *account, uint8_t sk[64])
{
	struct obol_wallet_keysrc ks = { .key_file = n->key_file };
	struct obol_wallet *w = NULL;
	(void)sim;
	obol_err e = obol_wallet_open(n->wallet, &ks, &w);
	if (e == OBOL_OK)
		e = obol_wallet_account(w, account, sk);
	obol_wallet_close(w);
	return e;
}

obol_err sim_auth(struct sim *sim, struct sim_node *n, int64_t account, const uint8_t sk[64], const char *method,
		  const char *path, const char *body, char out[160])
{
	uint8_t bh[32];
	obol_sha256(bh, body != NULL ? body : "", body != NULL ? strlen(body) : 0);
	return obol_reqauth_make(out, method, path, bh, account, sim_node_now(sim, n), sk);
}
