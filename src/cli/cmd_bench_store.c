/* obol bench store: durable commits per second of the ledger, one transfer
 * per transaction and with group commit, each next to the raw limit of the
 * same database measured alternately in the same run (bench.h): a bare
 * BEGIN; INSERT; COMMIT loop (SQLite with the same pragmas; PostgreSQL
 * through libpq), every commit durable.
 *
 *   commits        one ledger transfer per transaction (obol_store_transact)
 *   group_commits  rounds in which each of N client threads hands one
 *                  transfer to the group committer (obol_batcher_run) and
 *                  waits for its durable commit; counted per transfer
 *
 * The bench writes to the database it is given: a ledger in the test
 * currency XTS with accounts bench-u*, bench-v, and a table bench_raw. It
 * refuses a database whose ledger keeps another currency. */
#include <getopt.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "store/batch.h"
#include "store/ledger.h"

#define BENCH_CURRENCY "XTS"
#define BENCH_MAX_THREADS 256
#define BENCH_SECONDS 4.0
#define BENCH_QUICK_SECONDS 1.0

struct bench {
	const char *url;
	int threads;
	int64_t users[BENCH_MAX_THREADS], vendor;
};

/* ---- the raw baseline: one row per durable transaction ---- */

struct raw {
	bool pg;
	int per_call; /* commits per call of raw_round */
	sqlite3 *db;
	sqlite3_stmt *ins, *begin, *commit;
	PGconn *c;
	long n;
};

static bool pg_ok(PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	PQclear(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static obol_err raw_open(struct raw *r, const char *url, bool pg)
{
	r->pg = pg;
	if (pg) {
		r->c = PQconnectdb(url);
		if (PQstatus(r->c) == CONNECTION_OK && pg_ok(PQexec(r->c, "SET client_min_messages = warning")) &&
		    pg_ok(PQexec(r->c, "CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, v BIGINT)")) &&
		    pg_ok(PQprepare(r->c, "ins", "INSERT INTO bench_raw (v) VALUES ($1)", 1, NULL)))
			return OBOL_OK;
		fprintf(stderr, "bench: raw postgres: %s", PQerrorMessage(r->c));
		return OBOL_E_STORE_OPEN;
	}
	const char *path = url + strlen("sqlite:");
	int flags = SQLITE_OPEN_READWRITE | (strncmp(path, "file:", 5) == 0 ? SQLITE_OPEN_URI : 0);
	if (sqlite3_open_v2(path, &r->db, flags, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(r->db, 10000) == SQLITE_OK &&
	    sqlite3_exec(r->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
				"CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, v BIGINT)",
			 NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(r->db, "INSERT INTO bench_raw (v) VALUES (?)", -1, &r->ins, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(r->db, "BEGIN IMMEDIATE", -1, &r->begin, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(r->db, "COMMIT", -1, &r->commit, NULL) == SQLITE_OK)
		return OBOL_OK;
	fprintf(stderr, "bench: raw sqlite: %s\n", r->db ? sqlite3_errmsg(r->db) : "open failed");
	return OBOL_E_STORE_OPEN;
}

static void raw_close(struct raw *r)
{
	sqlite3_finalize(r->ins);
	sqlite3_finalize(r->begin);
	sqlite3_finalize(r->commit);
	sqlite3_close_v2(r->db);
	PQfinish(r->c);
}

static obol_err raw_once(void *arg)
{
	struct raw *r = arg;
	r->n++;
	if (r->pg) {
		char v[24];
		const char *vals[1] = { v };
		snprintf(v, sizeof(v), "%ld", r->n);
		return pg_ok(PQexec(r->c, "BEGIN")) && pg_ok(PQexecPrepared(r->c, "ins", 1, vals, NULL, NULL, 0)) &&
			       pg_ok(PQexec(r->c, "COMMIT"))
		       ? OBOL_OK
		       : OBOL_E_STORE_QUERY;
	}
	sqlite3_bind_int64(r->ins, 1, r->n);
	bool ok = sqlite3_step(r->begin) == SQLITE_DONE && sqlite3_step(r->ins) == SQLITE_DONE &&
		  sqlite3_step(r->commit) == SQLITE_DONE;
	sqlite3_reset(r->begin);
	sqlite3_reset(r->ins);
	sqlite3_reset(r->commit);
	return ok ? OBOL_OK : OBOL_E_STORE_QUERY;
}

/* As many raw commits, one after the other, as a group round has clients:
 * both sides of the group pair then count the same units per call. */
static obol_err raw_round(void *arg)
{
	struct raw *r = arg;
	obol_err e = OBOL_OK;
	for (int i = 0; i < r->per_call && e == OBOL_OK; i++)
		e = raw_once(r);
	return e;
}

/* ---- the ledger ---- */

struct xfer {
	int64_t from, to;
	struct obol_amount amount;
};

static obol_err xfer_unit(struct obol_store *s, void *ctx)
{
	struct xfer *x = ctx;
	return obol_ledger_transfer(s, x->from, x->to, &x->amount, "bench", NULL, NULL);
}

static obol_err setup_tx(struct obol_store *s, void *ctx)
{
	struct bench *b = ctx;
	struct obol_account a;
	struct obol_amount fund;
	obol_err e = obol_amount_from_units(BENCH_CURRENCY, INT64_C(100000000000000), &fund);
	for (int i = 0; e == OBOL_OK && i <= b->threads; i++) {
		char name[32];
		bool vendor = i == b->threads;
		int64_t *id = vendor ? &b->vendor : &b->users[i];
		snprintf(name, sizeof(name), vendor ? "bench-v" : "bench-u%d", i);
		e = obol_account_by_name(s, name, &a);
		if (e == OBOL_OK) {
			*id = a.id;
			continue;
		}
		if (e != OBOL_E_LEDGER_ACCOUNT_UNKNOWN)
			break;
		e = obol_account_create(s, vendor ? OBOL_ACCOUNT_VENDOR : OBOL_ACCOUNT_USER, name, NULL, id);
		if (e == OBOL_OK && !vendor)
			e = obol_ledger_fund(s, *id, &fund, "bench");
	}
	return e;
}

struct single {
	struct obol_store *s;
	struct xfer x;
};

static obol_err single_once(void *arg)
{
	struct single *t = arg;
	return obol_store_transact(t->s, xfer_unit, &t->x);
}

/* Group commit: client threads that each run one unit per round. */
struct group {
	struct obol_batcher *batcher;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long round;
	int nclients, pending;
	bool stop;
	obol_err e;
};

struct client {
	struct group *g;
	struct xfer x;
	pthread_t th;
};

static void *client(void *arg)
{
	struct client *c = arg;
	struct group *g = c->g;
	unsigned long seen = 0;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->round == seen && !g->stop)
			pthread_cond_wait(&g->go, &g->mu);
		if (g->stop)
			break;
		seen = g->round;
		pthread_mutex_unlock(&g->mu);
		obol_err e = obol_batcher_run(g->batcher, xfer_unit, &c->x);
		pthread_mutex_lock(&g->mu);
		if (e != OBOL_OK)
			g->e = e;
		if (--g->pending == 0)
			pthread_cond_signal(&g->done);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

static obol_err group_round(void *arg)
{
	struct client *cl = arg;
	struct group *g = cl[0].g;
	pthread_mutex_lock(&g->mu);
	g->pending = g->nclients;
	g->round++;
	pthread_cond_broadcast(&g->go);
	while (g->pending > 0)
		pthread_cond_wait(&g->done, &g->mu);
	obol_err e = g->e;
	pthread_mutex_unlock(&g->mu);
	return e;
}

static int cmd_bench_store(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },	{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .threads = 32 };
	struct obol_store *s = NULL, *bs = NULL;
	struct raw raw = { 0 };
	struct single one = { 0 };
	struct group g = { .e = OBOL_OK };
	struct client *cl = NULL;
	struct obol_bench_fig figs[2] = {
		{ .key = "commits", .label = "ledger transfer per commit", .raw_label = "insert+commit loop" },
		{ .key = "group_commits", .label = "group commit, per transfer", .raw_label = "insert+commit loop" },
	};
	double seconds = BENCH_SECONDS;
	bool json = false;
	int c, started = 0, rc = OBOL_EXIT_OK;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			b.url = optarg;
		else if (c == 'q')
			seconds = BENCH_QUICK_SECONDS;
		else if (c == 'j')
			json = true;
		else if (c == 't')
			b.threads = atoi(optarg);
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (b.url == NULL)
		return obol_cli_usage_error(cmd, "--db URL is required");
	if (b.threads < 1 || b.threads > BENCH_MAX_THREADS)
		return obol_cli_usage_error(cmd, "--threads is 1 to 256");

	obol_err e = obol_store_open(b.url, true, &s);
	if (e == OBOL_OK)
		e = obol_ledger_init(s, BENCH_CURRENCY);
	if (e == OBOL_OK)
		e = obol_store_transact(s, setup_tx, &b);
	bool pg = s != NULL && obol_store_backend(s) == OBOL_STORE_POSTGRES;
	const char *backend = pg ? "postgres" : "sqlite";
	if (e == OBOL_E_LEDGER_CURRENCY) {
		obol_store_close(s);
		return obol_cli_fail(cmd, e, "the bench needs a scratch database (its ledger keeps XTS)");
	}
	/* s serves the one-per-transaction figure; bs goes to the batcher. */
	one.s = s;
	one.x = (struct xfer){ .from = b.users[0], .to = b.vendor };
	if (e == OBOL_OK)
		e = obol_amount_from_units(BENCH_CURRENCY, 1, &one.x.amount);
	raw.per_call = b.threads;
	if (e == OBOL_OK)
		e = raw_open(&raw, b.url, pg);
	if (e == OBOL_OK)
		e = obol_ledger_open(b.url, &bs);
	if (e == OBOL_OK)
		e = obol_batcher_start(bs, (size_t)b.threads, &g.batcher);
	else
		obol_store_close(bs);
	cl = e == OBOL_OK ? calloc((size_t)b.threads, sizeof(*cl)) : NULL;
	if (e == OBOL_OK && cl == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		pthread_mutex_init(&g.mu, NULL);
		pthread_cond_init(&g.go, NULL);
		pthread_cond_init(&g.done, NULL);
		g.nclients = b.threads;
		for (; started < b.threads && e == OBOL_OK; started++) {
			cl[started] = (struct client){ .g = &g, .x = { .from = b.users[started], .to = b.vendor } };
			e = obol_amount_from_units(BENCH_CURRENCY, 1, &cl[started].x.amount);
			if (e == OBOL_OK && pthread_create(&cl[started].th, NULL, client, &cl[started]) != 0)
				e = OBOL_E_NO_MEMORY;
		}
	}
	if (e == OBOL_OK)
		e = obol_bench_pair(&figs[0], single_once, &one, raw_once, &raw, 1, seconds);
	if (e == OBOL_OK)
		e = obol_bench_pair(&figs[1], group_round, cl, raw_round, &raw, (unsigned)b.threads, seconds);

	uint64_t batches = 0, units = 0, retries = 0;
	if (g.batcher != NULL) {
		pthread_mutex_lock(&g.mu);
		g.stop = true;
		pthread_cond_broadcast(&g.go);
		pthread_mutex_unlock(&g.mu);
		for (int i = 0; i < started; i++)
			pthread_join(cl[i].th, NULL);
		obol_batcher_stats(g.batcher, &batches, &units, &retries);
		obol_batcher_stop(g.batcher);
	}
	free(cl);
	raw_close(&raw);
	obol_store_close(s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, b.url);

	/* The raw figure of the run: both pairs measured it; use the mean. */
	double rawps = (figs[0].raw_per_s + figs[1].raw_per_s) / 2;
	double avg = batches ? (double)units / (double)batches : 0;
	if (json) {
		printf("{\"bench\":\"store\",\"backend\":\"%s\",\"seconds_per_figure\":%.1f,\"group_threads\":%d,"
		       "\"raw_commits_per_s\":%.1f,\"commits_per_s\":%.1f,\"group_commits_per_s\":%.1f,"
		       "\"commits_ratio\":%.4f,\"group_commits_ratio\":%.4f,\"commits_raw_per_s\":%.1f,"
		       "\"group_commits_raw_per_s\":%.1f,\"avg_batch\":%.2f,\"group_retries\":%llu}\n",
		       backend, seconds, b.threads, rawps, figs[0].per_s, figs[1].per_s,
		       figs[0].raw_per_s > 0 ? figs[0].per_s / figs[0].raw_per_s : 0,
		       figs[1].raw_per_s > 0 ? figs[1].per_s / figs[1].raw_per_s : 0, figs[0].raw_per_s,
		       figs[1].raw_per_s, avg, (unsigned long long)retries);
	} else {
		char title[160];
		snprintf(title, sizeof(title),
			 "store bench on %s: durable commits; group commit with %d clients (%.1f transfers per "
			 "commit, %llu retries)",
			 backend, b.threads, avg, (unsigned long long)retries);
		obol_bench_print_table(stdout, title, figs, 2);
	}
	return rc;
}

OBOL_COMMAND(bench_store_cmd, "bench store", "--db URL [--quick] [--json] [--threads N]",
	     "durable ledger commits per second, alone and with group commit, against the raw limit",
	     "  --db URL       a scratch database (sqlite:PATH or postgresql://...)\n"
	     "  --quick        1 s per figure instead of 4\n"
	     "  --json         one JSON object: raw_commits_per_s, commits_per_s, group_commits_per_s,\n"
	     "                 commits_ratio, group_commits_ratio, ...\n"
	     "  --threads N    clients of the group commit (default 32)",
	     cmd_bench_store)
