/* Issue 16, items 4 and 9: wrong payword passwords from many addresses at
 * once. Each guess costs the agent an Argon2id check at the INTERACTIVE
 * limits (64 MiB, about a tenth of a second of a processor), before the
 * guesser has paid anything; sixteen guessers used to raise the honest
 * client's latency from 1 ms to 3 s and the issuer's memory to 540 MB.
 *
 * The crowd here comes from 32 addresses of 127.0.0.0/8, one connection at
 * a time each (so the per-address connection limit never turns it away:
 * what it meets is the password guard), each address guessing for 4
 * accounts of its own (the guard counts 5 failures per account and 20 per
 * address a minute; 4 accounts give an address its 20). The agent hashes in
 * at most PAYWORD_GUARD_SLOTS requests at once and refuses the others with
 * PAYWORD_BUSY (503, Retry-After) at once: the test holds
 *   - every answer named (PAYWORD_BAD_PASSWORD, PAYWORD_BUSY,
 *     PAYWORD_RATE_LIMITED), and some PAYWORD_BUSY: over the bound a
 *     refusal, not a queue;
 *   - the memory the process took at its peak during the flood under
 *     ABUSE_PW_MEMORY_MB (the slots' 64 MiB each and room to spare; with
 *     every guess hashed at once it is 32 times 64 MiB);
 *   - the honest client's payouts within the bound of every abuse test
 *     (abuse.h), measured before and under the flood. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "abuse.h"
#include "core/clock.h"
#include "crypto/hash.h"
#include "issuer/payword_guard.h"
#include "net/reqauth.h"
#include "store/ledger.h"

enum { PW_ADDRS = 32, PW_ACCOUNTS = 4, PW_FIRST_ADDR = 40 };
/* The bound on the peak memory the flood may add: the guard's slots at 64
 * MiB each, the honest client's and the guessers' threads, and room to
 * spare. Every guess hashed at once would take PW_ADDRS * 64 MiB. */
#define ABUSE_PW_MEMORY_MB (PAYWORD_GUARD_SLOTS * 64 + 192)

struct guesser {
	uint16_t port;
	unsigned src;
	int64_t account[PW_ACCOUNTS];
	struct obol_sign_keypair kp[PW_ACCOUNTS];
	atomic_bool *stop;
	int hashed, busy, limited, other, busy_without_retry_after;
	double slowest_busy_ms, slowest_ms;
	char other_text[80];
};

static obol_err add_guessers(struct obol_store *s, void *arg)
{
	struct guesser *g = arg;
	obol_err e = OBOL_OK;
	for (int i = 0; i < PW_ADDRS && e == OBOL_OK; i++)
		for (int j = 0; j < PW_ACCOUNTS && e == OBOL_OK; j++) {
			char name[32];
			snprintf(name, sizeof name, "guesser-%d-%d", i, j);
			e = obol_account_create(s, OBOL_ACCOUNT_USER, name, g[i].kp[j].pk, &g[i].account[j]);
		}
	return e;
}

/* One signed POST /payword/cert with a wrong password, from the guesser's
 * address on a connection of its own; the answer, malloc'ed. */
static char *guess(struct guesser *g, int j)
{
	char body[160], auth[OBOL_AUTH_HEADER_MAX], req[640];
	uint8_t h[OBOL_HASH_LEN];
	int n = snprintf(body, sizeof body, "{\"username\":\"guesser-%u-%d\",\"password\":\"not the password\",\"serial\":1}",
			 g->src - PW_FIRST_ADDR, j);
	obol_sha256(h, body, (size_t)n);
	if (obol_reqauth_make(auth, "POST", "/payword/cert", h, g->account[j], obol_now(), g->kp[j].sk) != OBOL_OK)
		return NULL;
	int len = snprintf(req, sizeof req,
			   "POST /payword/cert HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
			   "Content-Length: %d\r\n" OBOL_AUTH_HEADER ": %s\r\nConnection: close\r\n\r\n%s",
			   n, auth, body);
	bool closed;
	return abuse_exchange_from(g->src, g->port, req, (size_t)len, &closed);
}

static void *guesser_run(void *arg)
{
	struct guesser *g = arg;
	for (int j = 0; !atomic_load(g->stop); j = (j + 1) % PW_ACCOUNTS) {
		double t0 = abuse_now_ms();
		char *r = guess(g, j);
		double ms = abuse_now_ms() - t0;
		if (ms > g->slowest_ms)
			g->slowest_ms = ms;
		if (r != NULL && strstr(r, "\"name\":\"PAYWORD_BAD_PASSWORD\"") != NULL) {
			g->hashed++;
		} else if (r != NULL && strstr(r, "\"name\":\"PAYWORD_BUSY\"") != NULL) {
			g->busy++;
			if (strncmp(r, "HTTP/1.1 503 ", 13) != 0 || strstr(r, "\r\nRetry-After: ") == NULL)
				g->busy_without_retry_after++;
			if (ms > g->slowest_busy_ms)
				g->slowest_busy_ms = ms;
		} else if (r != NULL && strstr(r, "\"name\":\"PAYWORD_RATE_LIMITED\"") != NULL) {
			g->limited++;
		} else {
			if (g->other++ == 0)
				snprintf(g->other_text, sizeof g->other_text, "%.79s",
					 r != NULL && r[0] != '\0' ? r : "no answer");
		}
		free(r);
	}
	return NULL;
}

/* The process's peak resident memory, in MiB (VmHWM); reset_peak starts
 * it again from the memory resident now (/proc/PID/clear_refs, value 5:
 * Linux 4.0 and later). */
static bool reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	bool ok = f != NULL && fputs("5", f) >= 0;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	return ok;
}

static double peak_mb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kb = -1;
	size_t n = strlen(field);
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kb = strtod(line + n + 1, NULL);
	if (f != NULL)
		fclose(f);
	return kb / 1024;
}

TEST(abuse, password_flood_from_many_addresses)
{
	/* The agent's real cost of a guess: OBOL_ARGON2_FAST=1 (the tests'
	 * cheap limits) is taken off before the issuer reads it at start. */
	const char *fast = getenv("OBOL_ARGON2_FAST");
	char *fast_saved = fast != NULL ? strdup(fast) : NULL;
	unsetenv("OBOL_ARGON2_FAST");
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { 0 };
	struct abuse_latency base, attack;
	static struct guesser g[PW_ADDRS];
	pthread_t th[PW_ADDRS];
	atomic_bool stop = false;
	bool started = abuse_issuer_start(test_db_url_new("issuer"), &cfg, &a);
	if (fast_saved != NULL)
		setenv("OBOL_ARGON2_FAST", fast_saved, 1);
	free(fast_saved);
	REQUIRE(started);
	memset(g, 0, sizeof g);
	for (int i = 0; i < PW_ADDRS; i++) {
		g[i].port = a.port;
		g[i].src = PW_FIRST_ADDR + (unsigned)i;
		g[i].stop = &stop;
		for (int j = 0; j < PW_ACCOUNTS; j++)
			obol_sign_keypair_new(&g[i].kp[j]);
	}
	REQUIRE_OK(obol_issuer_run(a.iss, add_guessers, g));

	abuse_payouts(&a, 30, false, &base);
	double rss0 = peak_mb("VmRSS");
	bool peak_reset = reset_peak();
	for (int i = 0; i < PW_ADDRS; i++)
		REQUIRE(pthread_create(&th[i], NULL, guesser_run, &g[i]) == 0);
	abuse_sleep_ms(300); /* the flood is under way */
	abuse_payouts(&a, 30, false, &attack);
	atomic_store(&stop, true);
	int hashed = 0, busy = 0, limited = 0, other = 0, no_retry_after = 0;
	double slowest = 0, slowest_busy = 0;
	const char *other_text = NULL;
	for (int i = 0; i < PW_ADDRS; i++) {
		pthread_join(th[i], NULL);
		hashed += g[i].hashed;
		busy += g[i].busy;
		limited += g[i].limited;
		other += g[i].other;
		no_retry_after += g[i].busy_without_retry_after;
		if (g[i].other > 0 && other_text == NULL)
			other_text = g[i].other_text;
		if (g[i].slowest_ms > slowest)
			slowest = g[i].slowest_ms;
		if (g[i].slowest_busy_ms > slowest_busy)
			slowest_busy = g[i].slowest_busy_ms;
	}
	double grown = peak_mb("VmHWM") - rss0;
	test_note("%d addresses guessed passwords: %d hashed (PAYWORD_BAD_PASSWORD), %d refused PAYWORD_BUSY, %d "
		  "PAYWORD_RATE_LIMITED, %d other%s%s; slowest answer %.0f ms, slowest PAYWORD_BUSY %.0f ms; peak "
		  "memory %.0f MiB over the %.0f MiB resident before (bound %d MiB)",
		  PW_ADDRS, hashed, busy, limited, other, other_text ? ": " : "", other_text ? other_text : "", slowest,
		  slowest_busy, grown, rss0, ABUSE_PW_MEMORY_MB);
	CHECK(hashed > 0);
	CHECK(busy > 0); /* over the bound: refused, not queued */
	CHECK_EQ_INT(no_retry_after, 0);
	CHECK_EQ_INT(other, 0);
	CHECK(peak_reset);
	CHECK(grown < ABUSE_PW_MEMORY_MB);
	CHECK(abuse_report("password flood from many addresses", &base, &attack,
			   abuse_bound_ms(&base, ABUSE_FACTOR, ABUSE_FLOOR_MS)));
	abuse_issuer_stop(&a);
}
