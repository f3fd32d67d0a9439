/* payword-issuer-mitm: a man in the middle between a payword vendor and the
 * agent (the issuer), on the vendor's HTTP path. It forwards every request
 * byte for byte, except that it
 *   --hold-first-report S   answers the first POST /payword/report it sees,
 *                       and every resend of the same body, with 503 for S
 *                       seconds (a transient failure: the vendor's outbox
 *                       retries that report after later ones, so they reach
 *                       the agent out of order);
 *   --block-crl FILE    answers GET /payword/crl and its pages with 503 while FILE exists
 *                       (the vendor's revocation list goes stale).
 * Each request it sees is printed as one "seen: METHOD PATH -> what" line;
 * "listening on HOST:PORT" when it is ready. It runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"

#define MITM_MAX (2u << 20) /* one request or response */

struct mitm {
	struct sockaddr_in up;
	int hold_s;
	char *held;       /* the body of the first report (malloc'ed) */
	time_t held_since;
	const char *block_crl;
	pthread_mutex_t out_mu;
};

struct conn {
	struct mitm *m;
	int fd;
};

static int parse_addr(const char *text, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Reads one HTTP message (headers, then Content-Length bytes) into buf;
 * returns its length, 0 on a clean close, -1 on error. */
static long read_message(int fd, char *buf, size_t cap)
{
	size_t len = 0, want = 0;
	char *end = NULL;
	for (;;) {
		if (end != NULL && len >= want)
			return (long)want;
		if (len == cap)
			return -1;
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return len == 0 ? 0 : -1;
		len += (size_t)n;
		if (end == NULL && (end = memmem(buf, len, "\r\n\r\n", 4)) != NULL) {
			size_t head = (size_t)(end - buf) + 4;
			long body = 0;
			for (char *p = buf; p < end; p++)
				if (strncasecmp(p, "\r\nContent-Length:", 17) == 0)
					body = strtol(p + 17, NULL, 10);
			want = head + (size_t)body;
		}
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#define UNAVAILABLE_BODY "{\"code\":306,\"name\":\"STORE_BUSY\",\"hint\":\"the database is busy; retry\"}"

/* The answer for a request it fails: 503 with the error body of STORE_BUSY. */
static int unavailable(int fd)
{
	char r[256];
	int n = snprintf(r, sizeof(r),
			 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 strlen(UNAVAILABLE_BODY), UNAVAILABLE_BODY);
	return write_all(fd, r, (size_t)n);
}

static void seen(struct mitm *m, const char *req, const char *what)
{
	char line[160];
	size_t n = strcspn(req, "\r\n");
	if (n > sizeof(line) - 1)
		n = sizeof(line) - 1;
	memcpy(line, req, n);
	line[n] = '\0';
	pthread_mutex_lock(&m->out_mu);
	printf("seen: %s -> %s\n", line, what);
	fflush(stdout);
	pthread_mutex_unlock(&m->out_mu);
}

/* Whether to fail this report: it is the first one, or a resend of it, and
 * the hold has not run out. */
static bool hold_report(struct mitm *m, const char *req)
{
	const char *body = strstr(req, "\r\n\r\n");
	bool hold = false;
	if (m->hold_s <= 0 || body == NULL)
		return false;
	pthread_mutex_lock(&m->out_mu);
	if (m->held == NULL) {
		m->held = strdup(body);
		m->held_since = time(NULL);
	}
	hold = m->held != NULL && strcmp(m->held, body) == 0 && time(NULL) - m->held_since < m->hold_s;
	pthread_mutex_unlock(&m->out_mu);
	return hold;
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	char *req = malloc(MITM_MAX), *rep = malloc(MITM_MAX);
	while (req != NULL && rep != NULL) {
		long n = read_message(c->fd, req, MITM_MAX - 1);
		if (n <= 0)
			break;
		req[n] = '\0';
		bool is_report = strncmp(req, "POST /payword/report ", 21) == 0;
		/* the whole list, or a page of it (GET /payword/crl/page?...) */
		bool is_crl = strncmp(req, "GET /payword/crl", 16) == 0 && strchr(" /?", req[16]) != NULL;
		if (is_report && hold_report(c->m, req)) {
			seen(c->m, req, "503 (held)");
			if (unavailable(c->fd) != 0)
				break;
			continue;
		}
		if (is_crl && c->m->block_crl != NULL && access(c->m->block_crl, F_OK) == 0) {
			seen(c->m, req, "503 (CRL blocked)");
			if (unavailable(c->fd) != 0)
				break;
			continue;
		}
		int up = socket(AF_INET, SOCK_STREAM, 0);
		long r = -1;
		if (up >= 0 && connect(up, (struct sockaddr *)&c->m->up, sizeof(c->m->up)) == 0 &&
		    write_all(up, req, (size_t)n) == 0)
			r = read_message(up, rep, MITM_MAX);
		if (up >= 0)
			close(up);
		if (r <= 0)
			break;
		seen(c->m, req, "forwarded");
		if (write_all(c->fd, rep, (size_t)r) != 0)
			break;
	}
	free(req);
	free(rep);
	close(c->fd);
	free(c);
	return NULL;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },    { "upstream", required_argument, NULL, 'u' },
		{ "hold-first-report", required_argument, NULL, 'f' }, { "block-crl", required_argument, NULL, 'b' },
		{ 0, 0, 0, 0 },
	};
	static struct mitm m;
	struct sockaddr_in la;
	const char *listen_at = "127.0.0.1:0", *upstream = NULL;
	int c, fd;
	socklen_t sl = sizeof(la);
	pthread_mutex_init(&m.out_mu, NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_at = optarg; break;
		case 'u': upstream = optarg; break;
		case 'f': m.hold_s = atoi(optarg); break;
		case 'b': m.block_crl = optarg; break;
		default: return 2;
		}
	}
	if (upstream == NULL || parse_addr(upstream, &m.up) != 0 || parse_addr(listen_at, &la) != 0) {
		fprintf(stderr, "payword-issuer-mitm: --upstream HOST:PORT is required\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) != 0 ||
	    bind(fd, (struct sockaddr *)&la, sizeof(la)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&la, &sl) != 0) {
		perror("payword-issuer-mitm");
		return 1;
	}
	printf("listening on 127.0.0.1:%u\n", ntohs(la.sin_port));
	fflush(stdout);
	for (;;) {
		int cfd = accept(fd, NULL, NULL);
		struct conn *cn;
		pthread_t th;
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if ((cn = malloc(sizeof(*cn))) == NULL) {
			close(cfd);
			continue;
		}
		cn->m = &m;
		cn->fd = cfd;
		if (pthread_create(&th, NULL, serve, cn) != 0) {
			close(cfd);
			free(cn);
			continue;
		}
		pthread_detach(th);
	}
}

OBOL_ATTACK(payword_issuer_mitm, "payword-issuer-mitm",
	    "--upstream HOST:PORT [--listen HOST:PORT] [--hold-first-report SECONDS] [--block-crl FILE]",
	    "between a payword vendor and the agent: holds back the first report (reordering them) or blocks the CRL", run)
