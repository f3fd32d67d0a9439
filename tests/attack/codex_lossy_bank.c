/* The world between a codex wallet and its bank (issue 14 case 4): an HTTP
 * relay that passes every request on to the issuer, but for the first N
 * requests to one path, after the issuer has answered (and so applied
 * them), either drops the connection without an answer (--mode drop: a
 * lost reply) or answers 500 STORE_OPEN (--mode unknown: what a client sees
 * when the database's commit had an unknown outcome).
 *
 *   codex-lossy-bank --listen HOST:PORT --issuer URL --path /codex/sync
 *                    --mode drop|unknown [--count N]
 *
 * Prints "listening on HOST:PORT", then "intercepted: PATH MODE" for each
 * answer it withholds. One connection at a time; runs until killed. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "wire/json.h"

#define HEAD_MAX 65536
#define BODY_MAX (4u << 20)

struct relay {
	const char *issuer, *path, *mode;
	long count;
};

struct buf {
	char *p;
	size_t n, cap;
};

static size_t on_data(char *d, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int reply(int fd, long status, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %ld X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: keep-alive\r\n\r\n",
			 status, len);
	return send_all(fd, head, (size_t)n) || send_all(fd, body, len) ? -1 : 0;
}

/* Reads one request from fd: 0 done, 1 connection closed, -1 error. */
static int read_request(int fd, char *head, size_t *head_len, struct buf *body)
{
	size_t n = 0, want = 0;
	char *end = NULL;
	while (!end) {
		ssize_t r = recv(fd, head + n, HEAD_MAX - 1 - n, 0);
		if (r <= 0)
			return n == 0 ? 1 : -1;
		n += (size_t)r;
		head[n] = '\0';
		end = strstr(head, "\r\n\r\n");
		if (!end && n >= HEAD_MAX - 1)
			return -1;
	}
	*head_len = (size_t)(end - head) + 4;
	for (char *l = strstr(head, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n"))
		if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
			want = strtoul(l + 17, NULL, 10);
	if (want > BODY_MAX)
		return -1;
	body->n = 0;
	if (on_data(head + *head_len, 1, n - *head_len, body) != n - *head_len)
		return -1;
	while (body->n < want) {
		char chunk[65536];
		ssize_t r = recv(fd, chunk, sizeof chunk, 0);
		if (r <= 0 || on_data(chunk, 1, (size_t)r, body) != (size_t)r)
			return -1;
	}
	return 0;
}

/* Passes one request on to the issuer; *status and *out are its answer. */
static int forward(const struct relay *r, const char *head, size_t head_len, const struct buf *body, long *status,
		   struct buf *out, char *target, size_t tcap)
{
	char method[16], url[2048];
	struct curl_slist *hdrs = NULL;
	CURL *h = curl_easy_init();
	const char *line = strstr(head, "\r\n");
	int rc = -1;
	if (!h || sscanf(head, "%15s %1023s", method, target) != 2 || strlen(target) >= tcap)
		goto out;
	snprintf(url, sizeof url, "%s%s", r->issuer, target);
	/* every header but those the relay itself sets */
	while (line && (size_t)(line - head) + 4 < head_len) {
		const char *next = strstr(line + 2, "\r\n");
		size_t len = (size_t)(next - line - 2);
		char hv[4096];
		if (len > 0 && len < sizeof hv) {
			memcpy(hv, line + 2, len);
			hv[len] = '\0';
			if (strncasecmp(hv, "Host:", 5) && strncasecmp(hv, "Content-Length:", 15) &&
			    strncasecmp(hv, "Connection:", 11) && strncasecmp(hv, "Expect:", 7) &&
			    strncasecmp(hv, "Transfer-Encoding:", 18))
				hdrs = curl_slist_append(hdrs, hv);
		}
		line = next;
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->n ? body->p : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body->n);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	out->n = 0;
	if (curl_easy_perform(h) == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		rc = 0;
	}
out:
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

static void serve(int fd, struct relay *r)
{
	char *head = malloc(HEAD_MAX), target[1024];
	struct buf body = { 0 }, out = { 0 };
	size_t head_len;
	long status = 0;
	while (head && read_request(fd, head, &head_len, &body) == 0) {
		if (forward(r, head, head_len, &body, &status, &out, target, sizeof target) != 0) {
			reply(fd, 502, "{}", 2);
			break;
		}
		if (r->count > 0 && strcmp(target, r->path) == 0) {
			r->count--;
			printf("intercepted: %s %s\n", target, r->mode);
			fflush(stdout);
			if (strcmp(r->mode, "drop") == 0)
				break; /* the issuer applied it; the answer is lost */
			{
				json_t *err = obol_json_error_body(OBOL_E_STORE_OPEN, "commit outcome unknown");
				char *text = err ? json_dumps(err, JSON_COMPACT) : NULL;
				int bad = !text || reply(fd, 500, text, strlen(text));
				free(text);
				json_decref(err);
				if (bad)
					break;
			}
			continue;
		}
		if (reply(fd, status, out.n ? out.p : "", out.n) != 0)
			break;
	}
	free(head);
	free(body.p);
	free(out.p);
	close(fd);
}

static int run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' }, { "issuer", required_argument, NULL, 'i' },
		{ "path", required_argument, NULL, 'p' },   { "mode", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'c' },  { 0, 0, 0, 0 },
	};
	struct relay r = { .count = 1 };
	const char *listen_at = NULL;
	char host[64];
	unsigned port = 0;
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int ch, s, one = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'l': listen_at = optarg; break;
		case 'i': r.issuer = optarg; break;
		case 'p': r.path = optarg; break;
		case 'm': r.mode = optarg; break;
		case 'c': r.count = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!listen_at || !r.issuer || !r.path || !r.mode ||
	    (strcmp(r.mode, "drop") != 0 && strcmp(r.mode, "unknown") != 0) ||
	    sscanf(listen_at, "%63[^:]:%u", host, &port) != 2) {
		fprintf(stderr, "usage: %s --listen HOST:PORT --issuer URL --path P --mode drop|unknown [--count N]\n",
			argv[0]);
		return 2;
	}
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || (s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		close(s);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("listening on %s:%u\n", host, ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int fd = accept(s, NULL, NULL);
		if (fd >= 0)
			serve(fd, &r);
	}
	return 0;
}

OBOL_ATTACK(codex_lossy_bank, "codex-lossy-bank",
	    "--listen HOST:PORT --issuer URL --path /codex/sync --mode drop|unknown [--count N]",
	    "an HTTP relay to the bank that loses, or answers 500 to, a request the bank applied", run)
