/* Concurrent writers on each backend: threads and processes making
 * transfers, group commit with failing units, and a process killed with
 * SIGKILL in the middle of its batches. After each, the audit is OK and no
 * money was created or lost. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/audit.h"
#include "store/batch.h"
#include "store/ledger.h"
#include "../test.h"
#include "store_test.h"

#define NUSERS 8
#define FUND_UNITS INT64_C(10000000000) /* EUR:100 each */

/* A ledger with NUSERS users (ids in users[]) and a vendor, each user funded. */
static bool setup(const char *db_url, int64_t users[NUSERS], int64_t *vendor)
{
	struct obol_store *s = NULL;
	struct obol_amount fund;
	bool ok = obol_store_open(db_url, true, &s) == OBOL_OK && obol_ledger_init(s, "EUR") == OBOL_OK &&
		  obol_amount_from_units("EUR", FUND_UNITS, &fund) == OBOL_OK && obol_store_begin(s) == OBOL_OK;
	for (int i = 0; ok && i < NUSERS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "user%d", i);
		ok = obol_account_create(s, OBOL_ACCOUNT_USER, name, NULL, &users[i]) == OBOL_OK &&
		     obol_ledger_fund(s, users[i], &fund, NULL) == OBOL_OK;
	}
	ok = ok && obol_account_create(s, OBOL_ACCOUNT_VENDOR, "vendor", NULL, vendor) == OBOL_OK &&
	     obol_store_commit(s) == OBOL_OK;
	obol_store_close(s);
	return ok;
}

/* Audit OK, and the users and vendor together still hold all the funding. */
static void check_conserved(const char *db_url)
{
	struct obol_store *s = NULL;
	char out[8192];
	REQUIRE_OK(obol_ledger_open(db_url, &s));
	FILE *f = fmemopen(out, sizeof(out), "w");
	REQUIRE(f != NULL);
	obol_err e = obol_audit_run(s, f);
	fclose(f);
	if (e != OBOL_OK)
		fprintf(stderr, "%s", out);
	CHECK_OK(e);
	CHECK_EQ_INT(store_test_count(s, "SELECT sum(balance) FROM accounts WHERE kind IN (1, 2)"),
		     NUSERS * FUND_UNITS);
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM accounts WHERE kind IN (1, 2) AND balance < 0"), 0);
	obol_store_close(s);
}

struct xfer {
	int64_t from, to;
	struct obol_amount amount;
	char ref[48];
};

static obol_err xfer_unit(struct obol_store *s, void *ctx)
{
	struct xfer *x = ctx;
	return obol_ledger_transfer(s, x->from, x->to, &x->amount, "test", x->ref, NULL);
}

/* Random transfers among the users (some too large: refused, nothing moves). */
static void random_xfer(unsigned *seed, const int64_t users[NUSERS], struct xfer *x)
{
	int a = rand_r(seed) % NUSERS, b = (a + 1 + rand_r(seed) % (NUSERS - 1)) % NUSERS;
	x->from = users[a];
	x->to = users[b];
	/* up to EUR:60: often more than the payer has after a few rounds */
	if (obol_amount_from_units("EUR", 1 + (int64_t)(rand_r(seed) % 6000) * 1000000, &x->amount) != OBOL_OK)
		abort();
}

struct worker {
	const char *db_url;
	const int64_t *users;
	unsigned seed;
	int n, ok, refused, other;
	obol_err first_other;
};

static void *thread_worker(void *arg)
{
	struct worker *w = arg;
	struct obol_store *s = NULL;
	if (obol_ledger_open(w->db_url, &s) != OBOL_OK) {
		w->other = w->n;
		return NULL;
	}
	for (int i = 0; i < w->n; i++) {
		struct xfer x;
		random_xfer(&w->seed, w->users, &x);
		snprintf(x.ref, sizeof(x.ref), "t%u-%d", w->seed, i);
		obol_err e = obol_store_transact(s, xfer_unit, &x);
		if (e == OBOL_OK)
			w->ok++;
		else if (e == OBOL_E_LEDGER_INSUFFICIENT_FUNDS)
			w->refused++;
		else if (w->other++ == 0)
			w->first_other = e;
	}
	obol_store_close(s);
	return NULL;
}

TEST_DB(concurrency, threads_making_transfers_keep_the_audit_ok)
{
	int64_t users[NUSERS], vendor = 0;
	enum { NT = 6 };
	struct worker w[NT];
	pthread_t th[NT];
	REQUIRE(setup(db_url, users, &vendor));
	for (int i = 0; i < NT; i++) {
		w[i] = (struct worker){ .db_url = db_url, .users = users, .seed = 1000u + (unsigned)i, .n = 120 };
		REQUIRE(pthread_create(&th[i], NULL, thread_worker, &w[i]) == 0);
	}
	int ok = 0, refused = 0, other = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
		refused += w[i].refused;
		other += w[i].other;
		if (w[i].other > 0)
			test_note("thread %d: %d failed, the first with %s", i, w[i].other,
				  obol_strerror(w[i].first_other));
	}
	test_note("%s: %d transfers committed, %d refused for funds, %d other errors", test_backend(), ok, refused,
		  other);
	CHECK_EQ_INT(other, 0);
	CHECK(ok > 0 && refused > 0);
	check_conserved(db_url);
	struct obol_store *s = NULL;
	REQUIRE_OK(obol_ledger_open(db_url, &s));
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM journal_entries WHERE reason = 'test'"), ok);
	obol_store_close(s);
}

TEST_DB(concurrency, processes_making_transfers_keep_the_audit_ok)
{
	int64_t users[NUSERS], vendor = 0;
	enum { NP = 4 };
	pid_t pids[NP];
	int fds[2];
	REQUIRE(setup(db_url, users, &vendor));
	REQUIRE(pipe(fds) == 0);
	for (int p = 0; p < NP; p++) {
		pids[p] = fork();
		REQUIRE(pids[p] >= 0);
		if (pids[p] == 0) {
			close(fds[0]);
			struct worker w = { .db_url = db_url, .users = users, .seed = 77u + (unsigned)p, .n = 100 };
			thread_worker(&w);
			char line[64];
			int n = snprintf(line, sizeof(line), "%d %d %d\n", w.ok, w.refused, w.other);
			_exit(write(fds[1], line, (size_t)n) == n ? 0 : 1);
		}
	}
	close(fds[1]);
	int ok = 0, refused = 0, other = 0, a, b, c;
	FILE *f = fdopen(fds[0], "r");
	REQUIRE(f != NULL);
	while (fscanf(f, "%d %d %d", &a, &b, &c) == 3) {
		ok += a;
		refused += b;
		other += c;
	}
	fclose(f);
	for (int p = 0; p < NP; p++) {
		int st = 0;
		waitpid(pids[p], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	test_note("%s: %d processes: %d transfers committed, %d refused for funds, %d other errors", test_backend(),
		  NP, ok, refused, other);
	CHECK_EQ_INT(other, 0);
	CHECK(ok > 0);
	check_conserved(db_url);
}

/* Through the batcher: every unit that returned OK is in the ledger, every
 * refused one is not, though they shared transactions. */
struct bworker {
	struct obol_batcher *b;
	const int64_t *users;
	unsigned seed;
	int id, n;
	char (*refs_ok)[48];
	int nok, refused, other;
};

static void *batch_worker(void *arg)
{
	struct bworker *w = arg;
	for (int i = 0; i < w->n; i++) {
		struct xfer x;
		random_xfer(&w->seed, w->users, &x);
		snprintf(x.ref, sizeof(x.ref), "b%d-%d", w->id, i);
		obol_err e = obol_batcher_run_retrying(w->b, NULL, NULL, xfer_unit, &x);
		if (e == OBOL_OK)
			memcpy(w->refs_ok[w->nok++], x.ref, sizeof(x.ref));
		else if (e == OBOL_E_LEDGER_INSUFFICIENT_FUNDS)
			w->refused++;
		else
			w->other++;
	}
	return NULL;
}

TEST_DB(concurrency, group_commit_keeps_each_units_outcome)
{
	int64_t users[NUSERS], vendor = 0;
	enum { NT = 8, N = 60 };
	struct bworker w[NT];
	pthread_t th[NT];
	struct obol_store *s = NULL;
	struct obol_batcher *b = NULL;
	static char refs[NT][N][48];
	REQUIRE(setup(db_url, users, &vendor));
	REQUIRE_OK(obol_ledger_open(db_url, &s));
	REQUIRE_OK(obol_batcher_start(s, 64, &b));
	for (int i = 0; i < NT; i++) {
		w[i] = (struct bworker){ .b = b, .users = users, .seed = 5u + (unsigned)i, .id = i, .n = N,
					 .refs_ok = refs[i] };
		REQUIRE(pthread_create(&th[i], NULL, batch_worker, &w[i]) == 0);
	}
	int ok = 0, refused = 0, other = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].nok;
		refused += w[i].refused;
		other += w[i].other;
	}
	uint64_t batches = 0, units = 0, retries = 0;
	obol_batcher_stats(b, &batches, &units, &retries);
	obol_batcher_stop(b);
	test_note("%s: %d units committed and %d refused in %llu batches", test_backend(), ok, refused,
		  (unsigned long long)batches);
	CHECK_EQ_INT(other, 0);
	CHECK_EQ_INT(units, NT * N);
	CHECK(refused > 0 && ok > 0);
	CHECK(batches < units); /* units did share transactions */
	check_conserved(db_url);
	REQUIRE_OK(obol_ledger_open(db_url, &s));
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM journal_entries WHERE reason = 'test'"), ok);
	struct obol_stmt *st = NULL;
	bool row = false;
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT count(*) FROM journal_entries WHERE ref = ?", &st));
	for (int i = 0; i < NT; i++) {
		for (int k = 0; k < w[i].nok; k++) {
			CHECK_OK(obol_stmt_bind_text(st, 1, refs[i][k]));
			CHECK_OK(obol_stmt_step(st, &row));
			if (!row || obol_stmt_column_int64(st, 0) != 1)
				obol_test_fail(__FILE__, __LINE__, "unit %s acknowledged but not stored once", refs[i][k]);
			obol_stmt_finish(st);
			REQUIRE_OK(obol_stmt_prepare(s, "SELECT count(*) FROM journal_entries WHERE ref = ?", &st));
		}
	}
	obol_stmt_finish(st);
	obol_store_close(s);
}

/* ---- SIGKILL in the middle of group commits ---- */

struct kworker {
	struct obol_batcher *b;
	const int64_t *users;
	int64_t vendor;
	int id, fd;
};

static void *kill_worker(void *arg)
{
	struct kworker *w = arg;
	for (int i = 0;; i++) {
		struct xfer x = { .from = w->users[w->id % NUSERS], .to = w->vendor };
		if (obol_amount_from_units("EUR", 1000000, &x.amount) != OBOL_OK)
			abort();
		snprintf(x.ref, sizeof(x.ref), "k%ld-%d-%d", (long)getpid(), w->id, i);
		if (obol_batcher_run(w->b, xfer_unit, &x) != OBOL_OK)
			continue;
		/* Acknowledged: the commit is durable. One write per line is atomic. */
		char line[64];
		int n = snprintf(line, sizeof(line), "%s\n", x.ref);
		if (write(w->fd, line, (size_t)n) != n)
			_exit(3);
	}
	return NULL;
}

static void kill_child(const char *db_url, const int64_t *users, int64_t vendor, int fd)
{
	struct obol_store *s = NULL;
	struct obol_batcher *b = NULL;
	enum { NT = 8 };
	struct kworker w[NT];
	pthread_t th[NT];
	if (obol_ledger_open(db_url, &s) != OBOL_OK || obol_batcher_start(s, 32, &b) != OBOL_OK)
		_exit(2);
	for (int i = 0; i < NT; i++) {
		w[i] = (struct kworker){ .b = b, .users = users, .vendor = vendor, .id = i, .fd = fd };
		if (pthread_create(&th[i], NULL, kill_worker, &w[i]) != 0)
			_exit(2);
	}
	for (;;)
		pause();
}

TEST_DB(concurrency, sigkill_during_group_commit_loses_no_acknowledged_unit)
{
	int64_t users[NUSERS], vendor = 0;
	REQUIRE(setup(db_url, users, &vendor));
	static char acked[20000][48];
	int nacked = 0;
	for (int round = 0; round < 3; round++) {
		int fds[2];
		REQUIRE(pipe(fds) == 0);
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			kill_child(db_url, users, vendor, fds[1]);
		}
		close(fds[1]);
		FILE *f = fdopen(fds[0], "r");
		REQUIRE(f != NULL);
		char line[64];
		int got = 0;
		/* Let it commit a while, then kill it wherever it is. */
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (nacked < 20000)
				snprintf(acked[nacked++], sizeof(acked[0]), "%s", line);
			if (++got == 150 + 50 * round)
				kill(pid, SIGKILL);
		}
		fclose(f);
		int st = 0;
		waitpid(pid, &st, 0);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		CHECK(got >= 150);
	}

	/* Reopen as after a restart: every acknowledged unit is there once, the
	 * ledger balances, nothing half-done remains. */
	check_conserved(db_url);
	struct obol_store *s = NULL;
	struct obol_stmt *st = NULL;
	bool row = false;
	REQUIRE_OK(obol_ledger_open(db_url, &s));
	int64_t stored = store_test_count(s, "SELECT count(*) FROM journal_entries WHERE reason = 'test'");
	test_note("%s: %d units acknowledged before 3 SIGKILLs, %lld stored (the rest committed unacknowledged)",
		  test_backend(), nacked, (long long)stored);
	CHECK(stored >= nacked);
	for (int i = 0; i < nacked; i++) {
		REQUIRE_OK(obol_stmt_prepare(s, "SELECT count(*) FROM journal_entries WHERE ref = ?", &st));
		CHECK_OK(obol_stmt_bind_text(st, 1, acked[i]));
		CHECK_OK(obol_stmt_step(st, &row));
		if (!row || obol_stmt_column_int64(st, 0) != 1)
			obol_test_fail(__FILE__, __LINE__, "unit %s acknowledged but not stored once", acked[i]);
		obol_stmt_finish(st);
	}
	obol_store_close(s);
}

/* Several issuer processes, each with its own group committer, on one
 * database: batches of different processes clash (PostgreSQL: serialization
 * failures; SQLite: the write lock) and are run again whole. */
TEST_DB(concurrency, processes_with_group_commit_keep_the_audit_ok)
{
	int64_t users[NUSERS], vendor = 0;
	enum { NP = 3, NT = 4, N = 40 };
	pid_t pids[NP];
	int fds[2];
	REQUIRE(setup(db_url, users, &vendor));
	REQUIRE(pipe(fds) == 0);
	for (int p = 0; p < NP; p++) {
		pids[p] = fork();
		REQUIRE(pids[p] >= 0);
		if (pids[p] != 0)
			continue;
		close(fds[0]);
		struct obol_store *s = NULL;
		struct obol_batcher *b = NULL;
		static char refs[NT][N][48];
		struct bworker w[NT];
		pthread_t th[NT];
		if (obol_ledger_open(db_url, &s) != OBOL_OK || obol_batcher_start(s, 16, &b) != OBOL_OK)
			_exit(2);
		for (int i = 0; i < NT; i++) {
			w[i] = (struct bworker){ .b = b, .users = users, .seed = 300u + (unsigned)(p * NT + i),
						 .id = p * NT + i, .n = N, .refs_ok = refs[i] };
			if (pthread_create(&th[i], NULL, batch_worker, &w[i]) != 0)
				_exit(2);
		}
		int ok = 0, refused = 0, other = 0;
		for (int i = 0; i < NT; i++) {
			pthread_join(th[i], NULL);
			ok += w[i].nok;
			refused += w[i].refused;
			other += w[i].other;
		}
		uint64_t batches = 0, units = 0, retries = 0;
		obol_batcher_stats(b, &batches, &units, &retries);
		obol_batcher_stop(b);
		char line[96];
		int n = snprintf(line, sizeof(line), "%d %d %d %llu\n", ok, refused, other, (unsigned long long)retries);
		_exit(write(fds[1], line, (size_t)n) == n ? 0 : 1);
	}
	close(fds[1]);
	int ok = 0, refused = 0, other = 0, a, b2, c;
	unsigned long long r, retries = 0;
	FILE *f = fdopen(fds[0], "r");
	REQUIRE(f != NULL);
	while (fscanf(f, "%d %d %d %llu", &a, &b2, &c, &r) == 4) {
		ok += a;
		refused += b2;
		other += c;
		retries += r;
	}
	fclose(f);
	for (int p = 0; p < NP; p++) {
		int st = 0;
		waitpid(pids[p], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	test_note("%s: %d processes with group commit: %d committed, %d refused, %d other errors, %llu batch retries",
		  test_backend(), NP, ok, refused, other, retries);
	CHECK_EQ_INT(other, 0);
	CHECK_EQ_INT(ok + refused, NP * NT * N);
	check_conserved(db_url);
	struct obol_store *s = NULL;
	REQUIRE_OK(obol_ledger_open(db_url, &s));
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM journal_entries WHERE reason = 'test'"), ok);
	obol_store_close(s);
}
