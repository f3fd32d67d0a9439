/* build/obol-sim: runs seeds of a scheme's world and reports the first
 * broken invariant of each (sim.h; tests/sim/README.md).
 *
 *   obol-sim --scheme S [--strategy NAME] [--seed X | --seeds N] [--steps K]
 *            [--seed-file FILE [--expect-fail]] [--trace] [--check-determinism]
 *            [--quiet] [--list]
 *
 * Exit 0 when every run kept every invariant, 1 when one did not (its seed,
 * step and invariant are printed, with the command that replays it), 2 on a
 * usage error.
 *
 * The simulator is a program of its own rather than an `obol` command: it
 * replaces the process's randomness with a seeded stream, its clock and
 * transports with simulated ones, and carries the cheating parties; none of
 * that belongs in the binary users run. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "schemes/common/issuer_sig.h"
#include "sim_int.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "store/store.h"
#include "vendor/vendor.h"

#define TEMPLATE_SEED UINT64_C(0x6f626f6c2d73696d) /* "obol-sim" */
#define REST_STEPS_MAX 400000

/* ---- files ---------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *copy_src, *copy_dst;

static int copy_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	char to[PATH_MAX * 2];
	(void)ftw;
	snprintf(to, sizeof to, "%s%s", copy_dst, path + strlen(copy_src));
	if (flag == FTW_D)
		return mkdir(to, sb->st_mode & 07777) == 0 || errno == EEXIST ? 0 : -1;
	if (flag != FTW_F)
		return 0;
	int in = open(path, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
							      sb->st_mode & 07777);
	char buf[65536];
	ssize_t r = 0;
	while (in >= 0 && out >= 0 && (r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r) {
			r = -1;
			break;
		}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return in < 0 || out < 0 || r < 0 ? -1 : 0;
}

static int copy_tree(const char *from, const char *to)
{
	copy_src = from;
	copy_dst = to;
	return nftw(from, copy_entry, 16, FTW_PHYS);
}

/* ---- invariants every scheme keeps ------------------------------------- */

/* P1 (the issuer's books balance, audit.c) and no account of a user or
 * vendor below zero; P4 for every honest node with an account: still
 * active. Only when the issuer's database changed since the last look. */
static void check_issuer(struct sim *sim)
{
	struct obol_store *s = sim->audit_db;
	struct obol_stmt *st;
	bool row;
	int64_t version = -1;
	if (s == NULL)
		return;
	if (obol_stmt_prepare(s, "PRAGMA data_version", &st) == OBOL_OK) {
		if (obol_stmt_step(st, &row) == OBOL_OK && row)
			version = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	if (version == sim->audit_version && !sim->audit_dirty)
		return;
	sim->audit_version = version;
	sim->audit_dirty = false;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		abort();
	obol_err e = obol_audit_run(s, f);
	fclose(f);
	if (e != OBOL_OK) {
		/* the first line naming a problem (a figure that does not match, or
		 * a scheme's finding that breaks the books) */
		const char *p = strstr(text, "FAIL");
		const char *line = text;
		for (const char *q = text; *q; q++)
			if (q[0] == '\n' && q[1] != '\0' &&
			    ((strncmp(q + 1, "audit:", 6) != 0 && strstr(q + 1, "!=") != NULL) ||
			     strncmp(q + 1, "audit: BROKEN: ", 15) == 0)) {
				line = q + 1;
				break;
			}
		sim_fail(sim, "P1", "obol audit: %s; %.*s", obol_strerror(e), (int)strcspn(line, "\n"),
			 p != NULL ? line : text);
	}
	free(text);
	if (sim->failed || obol_store_begin_read(s) != OBOL_OK)
		return;
	if (obol_stmt_prepare(s, "SELECT name, kind, status, balance FROM accounts WHERE kind IN (1, 2)", &st) ==
	    OBOL_OK) {
		while (obol_stmt_step(st, &row) == OBOL_OK && row) {
			const char *name = obol_stmt_column_text(st, 0);
			int64_t status = obol_stmt_column_int64(st, 2), bal = obol_stmt_column_int64(st, 3);
			struct sim_node *n = name != NULL ? sim_node_find(sim, name) : NULL;
			if (bal < 0)
				sim_fail(sim, "P1", "account %s has a negative balance (%" PRId64 " units)", name, bal);
			else if (n != NULL && n->honest && status != OBOL_ACCOUNT_ACTIVE)
				sim_fail(sim, "P4", "the honest %s's account is %s", name,
					 status == OBOL_ACCOUNT_SUSPENDED ? "suspended" : "closed");
		}
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
}

static void check_step(struct sim *sim)
{
	check_issuer(sim);
	if (!sim->failed && sim->scheme->check_step != NULL)
		sim->scheme->check_step(sim);
}

/* ---- a run ---------------------------------------------------------------- */

static void reset(struct sim *sim, uint64_t seed, bool tracing)
{
	uint8_t key[32];
	char label[64];
	for (size_t i = 0; i < sim->nnodes; i++) {
		free(sim->nodes[i]->data);
		free(sim->nodes[i]->engine_);
		free(sim->nodes[i]);
	}
	sim->nnodes = 0;
	sim->issuer = NULL;
	sim_links_free(sim);
	sim_clear_events(sim);
	sim->seed = seed;
	sim->step = 0;
	sim->now = SIM_EPOCH_S * SIM_S;
	sim->seq = 0;
	sim->next_link = 0;
	memset(&sim->faults, 0, sizeof sim->faults);
	sim->faults.restart_min_ns = 2 * SIM_S;
	sim->faults.restart_max_ns = 120 * SIM_S;
	memset(&sim->hooks, 0, sizeof sim->hooks);
	sim->scheme_data = NULL;
	sim->failed = false;
	sim->quiescing = false;
	sim->tracing = tracing;
	sim->audit_version = -1;
	sim->audit_dirty = true;
	sim_rng_seed(sim, seed);
	snprintf(label, sizeof label, "obol-sim crypto %" PRIu64, seed);
	crypto_hash_sha256(key, (const uint8_t *)label, strlen(label));
	sim_crypto_seed(key);
	crypto_hash_sha256_init(&sim->trace);
}

/* Runs events until no context runs and nothing but timers is queued, or
 * the bound; idle stretches (only timers until the next event) are
 * crossed at once. */
static bool drain(struct sim *sim, uint64_t bound)
{
	uint64_t start = sim->step;
	while (sim->nthreads > 0 || sim->pending > 0) {
		if (sim->step - start > bound)
			return false;
		if (sim->nthreads == 0 && sim->nheap > 0 && sim->heap[0].periodic) {
			int64_t next = INT64_MAX;
			for (size_t i = 0; i < sim->nheap; i++)
				if (!sim->heap[i].periodic && sim->heap[i].at < next)
					next = sim->heap[i].at;
			if (next != INT64_MAX && next - 60 * SIM_S > sim->now)
				sim->now = next - 60 * SIM_S;
		}
		if (!sim_step(sim))
			break;
		check_step(sim);
	}
	return true;
}

/* Runs timers only, for ns of world time. */
static void idle(struct sim *sim, int64_t ns)
{
	int64_t until = sim->now + ns;
	while (sim->nheap > 0 && sim->heap[0].at <= until && !sim->failed) {
		(void)sim_step(sim);
		check_step(sim);
	}
	if (sim->now < until)
		sim->now = until;
}

/* Brings the world to rest (see sim.h) and runs the invariants that need it. */
static void rest(struct sim *sim)
{
	sim->quiescing = true;
	sim_trace(sim, NULL, "the world comes to rest");
	for (int round = 0; round < 4 && !sim->failed; round++) {
		if (!drain(sim, REST_STEPS_MAX)) {
			sim_fail(sim, "REST", "the world does not come to rest (contexts or events keep going)");
			return;
		}
		bool restarted = false;
		for (size_t i = 0; i < sim->nnodes; i++)
			if (sim->nodes[i]->down) {
				sim_restart(sim, sim->nodes[i]);
				restarted = true;
			}
		if (!restarted)
			break;
	}
	if (sim->failed)
		return;
	sim_jump(sim, sim->scheme->rest_ns);
	idle(sim, 180 * SIM_S);
	if (!sim->failed && sim->scheme->recover != NULL) {
		sim->scheme->recover(sim);
		if (!drain(sim, REST_STEPS_MAX))
			sim_fail(sim, "REST", "the honest parties' recovery does not end");
		idle(sim, 180 * SIM_S);
	}
	if (sim->failed)
		return;
	sim->audit_dirty = true;
	check_step(sim);
	if (!sim->failed && sim->scheme->check_rest != NULL)
		sim->scheme->check_rest(sim);
}

/* Ends every context (all nodes die), stops the daemons. */
static void teardown(struct sim *sim)
{
	sim->quiescing = true;
	for (size_t i = 0; i < sim->nnodes; i++)
		if (!sim->nodes[i]->dead)
			sim_kill(sim, sim->nodes[i], "end of run", 0);
	while (sim->nthreads > 0 || sim->pending > 0)
		if (!sim_step(sim))
			break;
	obol_store_close(sim->audit_db);
	sim->audit_db = NULL;
	if (sim->scheme->stop != NULL && sim->scheme_data != NULL)
		sim->scheme->stop(sim);
	sim->scheme_data = NULL;
}

struct outcome {
	bool failed;
	uint64_t steps;
	uint8_t hash[32];
	char invariant[24];
	bool at_rest; /* it broke once the world was being brought to rest */
};

static obol_err open_audit(struct sim *sim)
{
	char url[PATH_MAX + 32];
	if (sim->issuer == NULL)
		return OBOL_OK;
	snprintf(url, sizeof url, "sqlite:%s/issuer.db", sim->issuer->dir);
	return obol_store_open(url, false, &sim->audit_db);
}

static const char *strategy_name(const struct sim_strategy *st)
{
	return st != NULL ? st->name : "-";
}

static int run_one(struct sim *sim, const struct sim_strategy *st, uint64_t seed, uint64_t steps, bool tracing,
		   struct outcome *out)
{
	char tmpl[PATH_MAX], run[PATH_MAX];
	snprintf(tmpl, sizeof tmpl, "%s/template-%s", sim->root, sim->scheme->name);
	snprintf(run, sizeof run, "%s/run", sim->root);
	rm_tree(run);
	if (copy_tree(tmpl, run) != 0) {
		fprintf(sim->out, "obol-sim: cannot copy %s to %s\n", tmpl, run);
		return -1;
	}
	reset(sim, seed, tracing);
	/* every run starts from the template's issuer (the same master key):
	 * what an earlier run's clock taught the process of its online keys
	 * must not outlive that run */
	obol_issuer_keys_forget_all();
	snprintf(sim->dir, sizeof sim->dir, "%s", run);
	sim->strategy = st;
	sim_trace(sim, NULL, "run: scheme %s, strategy %s, seed %" PRIu64, sim->scheme->name, strategy_name(st), seed);
	obol_err e = sim->scheme->start(sim);
	if (e == OBOL_OK)
		e = open_audit(sim);
	if (e != OBOL_OK) {
		fprintf(sim->out, "obol-sim: the world does not start: %s\n", obol_strerror(e));
		teardown(sim);
		return -1;
	}
	if (st != NULL && st->setup != NULL)
		st->setup(sim);
	check_step(sim);
	while (!sim->failed && sim->step < steps && sim_step(sim))
		check_step(sim);
	uint64_t main_steps = sim->step;
	if (!sim->failed)
		rest(sim);
	out->failed = sim->failed;
	out->steps = sim->step;
	snprintf(out->invariant, sizeof out->invariant, "%s", sim->failed ? sim->fail_inv : "");
	out->at_rest = sim->failed && sim->fail_step > main_steps;
	if (sim->failed && !sim->expecting) {
		fprintf(sim->out, "FAIL %s strategy=%s seed=%" PRIu64 " step=%" PRIu64 "%s invariant=%s: %s\n",
			sim->scheme->name, strategy_name(st), seed, sim->fail_step,
			sim->fail_step > main_steps ? " (at rest)" : "", sim->fail_inv, sim->fail_msg);
		fprintf(sim->out, "  replay: build/obol-sim --scheme %s --strategy %s --seed %" PRIu64 " --steps %" PRIu64
				  " --trace\n",
			sim->scheme->name, strategy_name(st), seed, steps);
	}
	teardown(sim);
	crypto_hash_sha256_final(&sim->trace, out->hash);
	return 0;
}

static void make_template(struct sim *sim)
{
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof tmpl, "%s/template-%s", sim->root, sim->scheme->name);
	rm_tree(tmpl);
	if (mkdir(tmpl, 0700) != 0) {
		fprintf(sim->out, "obol-sim: cannot create %s\n", tmpl);
		exit(1);
	}
	reset(sim, TEMPLATE_SEED, false);
	snprintf(sim->dir, sizeof sim->dir, "%s", tmpl);
	sim->in_template = true;
	obol_err e = sim->scheme->make_template(sim);
	for (size_t i = 0; i < sim->nnodes; i++) {
		struct sim_node *n = sim->nodes[i];
		if (n->issuer != NULL)
			obol_issuer_stop(n->issuer);
		if (n->vendor != NULL)
			obol_vendor_stop(n->vendor);
		n->issuer = NULL;
		n->vendor = NULL;
	}
	sim->in_template = false;
	if (e != OBOL_OK) {
		fprintf(sim->out, "obol-sim: cannot build the %s world: %s\n", sim->scheme->name, obol_strerror(e));
		exit(1);
	}
}

/* ---- the command line ----------------------------------------------------- */

static int usage(FILE *f)
{
	fprintf(f, "usage: obol-sim --scheme S [--strategy NAME] [--seed X | --seeds N] [--steps K]\n"
		   "                [--seed-file FILE [--expect-fail]] [--trace] [--check-determinism] [--quiet]\n"
		   "       obol-sim --scheme S --list\n"
		   "       obol-sim --schemes\n"
		   "  --scheme S            the scheme's world (");
	for (size_t i = 0; sim_schemes[i] != NULL; i++)
		fprintf(f, "%s%s", i ? ", " : "", sim_schemes[i]->name);
	fprintf(f, ")\n"
		   "  --strategy NAME       the adversary (--list shows them); default: each seed picks one\n"
		   "                        of the strategies the bounded run uses\n"
		   "  --seed X              run one seed (decimal or 0x hex)\n"
		   "  --seeds N             run N seeds from --seed (default: from 1); default 1\n"
		   "  --steps K             steps per run before the world is brought to rest (default 3000)\n"
		   "  --seed-file FILE      run the lines 'STRATEGY SEED [STEPS]' of FILE ('#' starts a comment)\n"
		   "  --trace               print every step of each run\n"
		   "  --check-determinism   run each seed twice (another between) and compare the traces' hashes\n"
		   "  --expect-fail         with --seed-file: each line ends with the invariant its run must break\n"
		   "                        (STRATEGY SEED STEPS INVARIANT); FOUND when it does, MISSED when not\n"
		   "  --quiet               print only failures and the summary\n"
		   "  --list                list the strategies and what each finds\n"
		   "  --schemes             list the schemes with a world\n"
		   "Exit 0: every invariant held; 1: one broke (printed with its seed, step and a replay line).\n");
	return 2;
}

static const struct sim_strategy *find_strategy(const struct sim_scheme *sch, const char *name)
{
	for (const struct sim_strategy *st = sch->strategies; st != NULL && st->name != NULL; st++)
		if (strcmp(st->name, name) == 0)
			return st;
	return NULL;
}

/* The strategy a seed picks when none is named: one of those the bounded
 * run uses (finds == NULL). */
static const struct sim_strategy *pick_strategy(const struct sim_scheme *sch, uint64_t seed)
{
	size_t n = 0;
	for (const struct sim_strategy *st = sch->strategies; st != NULL && st->name != NULL; st++)
		n += st->finds == NULL;
	if (n == 0)
		return NULL;
	uint64_t x = seed * 0x9e3779b97f4a7c15u, k = 0, want;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 29;
	want = x % n;
	for (const struct sim_strategy *st = sch->strategies; st->name != NULL; st++)
		if (st->finds == NULL && k++ == want)
			return st;
	return NULL;
}

/* In a sanitizer build (make asan), its reports go to the program's own
 * stderr, not to where the commands' output goes. */
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

struct job {
	const struct sim_strategy *st;
	uint64_t seed;
	uint64_t steps; /* 0: --steps */
	char expect[24]; /* --expect-fail: the invariant the run must break */
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scheme", required_argument, NULL, 's' },   { "strategy", required_argument, NULL, 'y' },
		{ "seed", required_argument, NULL, 'x' },     { "seeds", required_argument, NULL, 'n' },
		{ "steps", required_argument, NULL, 'k' },    { "seed-file", required_argument, NULL, 'f' },
		{ "trace", no_argument, NULL, 't' },          { "check-determinism", no_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },           { "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },          { "schemes", no_argument, NULL, 'S' },
		{ "expect-fail", no_argument, NULL, 'e' },
		{ 0, 0, 0, 0 },
	};
	const char *scheme = NULL, *strategy = NULL, *seed_file = NULL;
	uint64_t seed = 1, nseeds = 1, steps = 3000;
	bool tracing = false, determinism = false, list = false, quiet = false, expect_fail = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': scheme = optarg; break;
		case 'y': strategy = optarg; break;
		case 'f': seed_file = optarg; break;
		case 't': tracing = true; break;
		case 'd': determinism = true; break;
		case 'l': list = true; break;
		case 'x':
			if (obol_parse_u64(optarg, 0, UINT64_MAX, &seed) != OBOL_OK) {
				char *end;
				errno = 0;
				seed = strtoull(optarg, &end, 0);
				if (errno != 0 || *end != '\0')
					return usage(stderr);
			}
			break;
		case 'n':
			if (obol_parse_u64(optarg, 1, 100000000, &nseeds) != OBOL_OK)
				return usage(stderr);
			break;
		case 'k':
			if (obol_parse_u64(optarg, 1, UINT64_MAX / 2, &steps) != OBOL_OK)
				return usage(stderr);
			break;
		case 'q': quiet = true; break;
		case 'e': expect_fail = true; break;
		case 'S':
			for (size_t i = 0; sim_schemes[i] != NULL; i++)
				printf("%s\n", sim_schemes[i]->name);
			return 0;
		case 'h': usage(stdout); return 0;
		default: return usage(stderr);
		}
	}
	if (optind != argc || scheme == NULL || (expect_fail && seed_file == NULL))
		return usage(stderr);
	const struct sim_scheme *sch = NULL;
	for (size_t i = 0; sim_schemes[i] != NULL; i++)
		if (strcmp(sim_schemes[i]->name, scheme) == 0)
			sch = sim_schemes[i];
	if (sch == NULL) {
		fprintf(stderr, "obol-sim: no world for scheme '%s'\n", scheme);
		return usage(stderr);
	}
	if (list) {
		for (const struct sim_strategy *st = sch->strategies; st != NULL && st->name != NULL; st++)
			printf("%-22s %s%s%s%s\n", st->name, st->summary, st->finds ? " [finds " : "",
			       st->finds ? st->finds : "", st->finds ? "]" : "");
		return 0;
	}
	const struct sim_strategy *named = NULL;
	if (strategy != NULL && (named = find_strategy(sch, strategy)) == NULL) {
		fprintf(stderr, "obol-sim: scheme %s has no strategy '%s' (--list)\n", scheme, strategy);
		return 2;
	}

	/* The jobs: the seed file's lines, or seeds from --seed. */
	struct job *jobs = NULL;
	size_t njobs = 0;
	if (seed_file != NULL) {
		FILE *f = fopen(seed_file, "r");
		char line[256];
		if (f == NULL) {
			fprintf(stderr, "obol-sim: cannot read %s\n", seed_file);
			return 2;
		}
		while (fgets(line, sizeof line, f) != NULL) {
			char name[64], inv[24] = "";
			unsigned long long x, k = 0;
			line[strcspn(line, "#\n")] = '\0';
			if (sscanf(line, "%63s %llu %llu %23s", name, &x, &k, inv) < 2)
				continue;
			if (expect_fail && inv[0] == '\0') {
				fprintf(stderr, "obol-sim: %s: '%s' names no invariant to break\n", seed_file, line);
				fclose(f);
				return 2;
			}
			const struct sim_strategy *st = find_strategy(sch, name);
			if (st == NULL) {
				fprintf(stderr, "obol-sim: %s: no strategy '%s'\n", seed_file, name);
				fclose(f);
				return 2;
			}
			struct job *nj = realloc(jobs, (njobs + 1) * sizeof *nj);
			if (nj == NULL)
				abort();
			jobs = nj;
			jobs[njobs] = (struct job){ .st = st, .seed = x, .steps = k };
			snprintf(jobs[njobs++].expect, sizeof jobs->expect, "%s", inv);
		}
		fclose(f);
	} else {
		jobs = calloc(nseeds, sizeof *jobs);
		if (jobs == NULL)
			abort();
		for (uint64_t i = 0; i < nseeds; i++)
			jobs[njobs++] = (struct job){ .st = named != NULL ? named : pick_strategy(sch, seed + i),
						      .seed = seed + i };
	}

	/* The program's own output, apart from what the commands it runs print. */
	static struct sim s;
	struct sim *sim = &s;
	int out_fd = dup(1), err_fd = dup(2), null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (out_fd < 0 || err_fd < 0 || null_fd < 0 || (sim->out = fdopen(out_fd, "w")) == NULL)
		return 1;
	if (__sanitizer_set_report_fd != NULL)
		__sanitizer_set_report_fd((void *)(intptr_t)err_fd);
	setvbuf(sim->out, NULL, _IOLBF, 0);
	fflush(stdout);
	fflush(stderr);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	sim->scheme = sch;
	sim->expecting = expect_fail;
	pthread_mutex_init(&sim->big, NULL);
	pthread_cond_init(&sim->main_cv, NULL);
	pthread_mutex_lock(&sim->big);
	sim_install_hooks(sim);
	if (obol_crypto_init() != OBOL_OK) {
		fprintf(sim->out, "obol-sim: cannot initialise the crypto libraries\n");
		return 1;
	}
	json_object_seed(1);
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(sim->root, sizeof sim->root, "%s/obol-sim.XXXXXX", base);
	if (mkdtemp(sim->root) == NULL) {
		fprintf(sim->out, "obol-sim: cannot create a directory under %s\n", base);
		return 1;
	}
	/* the commands read no config file of the machine (/etc/obol) */
	setenv("OBOL_CONFIG_DIR", sim->root, 1);

	uint64_t t0 = (uint64_t)time(NULL), total_steps = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	make_template(sim);
	size_t failed = 0, runs = 0;
	int rc = 0;
	for (size_t i = 0; i < njobs; i++) {
		struct outcome o1, o2;
		uint64_t k = jobs[i].steps != 0 ? jobs[i].steps : steps;
		if (run_one(sim, jobs[i].st, jobs[i].seed, k, tracing, &o1) != 0) {
			rc = 1;
			break;
		}
		runs++;
		total_steps += o1.steps;
		if (expect_fail) {
			bool found = o1.failed && strcmp(o1.invariant, jobs[i].expect) == 0;
			failed += !found;
			fprintf(sim->out, "%s %s strategy=%s seed=%" PRIu64 ": %s%s%s at step %" PRIu64 "%s: %s\n",
				found ? "FOUND" : "MISSED", sch->name, strategy_name(jobs[i].st), jobs[i].seed,
				found ? "breaks " : "expected ", jobs[i].expect, found ? "" : " to break; it ended",
				found ? sim->fail_step : o1.steps, found && o1.at_rest ? " (at rest)" : "",
				o1.failed ? sim->fail_msg : "every invariant held");
			continue;
		}
		failed += o1.failed;
		if (determinism) {
			/* another seed in between, so that state one run leaves behind
			 * in the program shows as a difference too */
			if (run_one(sim, jobs[i].st, jobs[i].seed + 1, k, false, &o2) != 0) {
				rc = 1;
				break;
			}
			total_steps += o2.steps;
			if (run_one(sim, jobs[i].st, jobs[i].seed, k, false, &o2) != 0) {
				rc = 1;
				break;
			}
			total_steps += o2.steps;
			bool same = memcmp(o1.hash, o2.hash, 32) == 0 && o1.steps == o2.steps;
			char h1[65], h2[65];
			obol_hex_encode(o1.hash, 32, h1);
			obol_hex_encode(o2.hash, 32, h2);
			fprintf(sim->out, "%s determinism %s seed=%" PRIu64 ": trace %.16s.. twice%s\n",
				same ? "PASS" : "FAIL", strategy_name(jobs[i].st), jobs[i].seed, h1,
				same ? "" : " then ");
			if (!same) {
				fprintf(sim->out, "  second trace %.16s.. (%" PRIu64 " vs %" PRIu64 " steps)\n", h2, o1.steps,
					o2.steps);
				failed++;
			}
		} else if (!o1.failed && !quiet) {
			char h[65];
			obol_hex_encode(o1.hash, 32, h);
			fprintf(sim->out, "PASS %s strategy=%s seed=%" PRIu64 " steps=%" PRIu64 " trace=%.16s\n", sch->name,
				strategy_name(jobs[i].st), jobs[i].seed, o1.steps, h);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		     ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	fprintf(sim->out,
		"sim %s: %zu run%s, %" PRIu64 " steps in %.1f s (%.0f steps/s; %.1f s of CPU, %.0f steps per CPU second), "
		"%zu failed\n",
		sch->name, runs, runs == 1 ? "" : "s", total_steps, secs, secs > 0 ? (double)total_steps / secs : 0.0, cpu,
		cpu > 0 ? (double)total_steps / cpu : 0.0, failed);
	(void)t0;
	rm_tree(sim->root);
	free(jobs);
	pthread_mutex_unlock(&sim->big);
	return rc != 0 ? rc : failed > 0 ? 1 : 0;
}
