/* coupon-lossy-proxy: an HTTP proxy between a wallet and the issuer that
 * passes every request on, and for the first N requests to one path throws
 * the issuer's answer away and answers 502 with an HTML page, as a failing
 * proxy does. The request took effect at the issuer; the wallet must keep
 * it pending until it gets a definite answer, and the issuer must give the
 * stored answer to its retry whatever changed since (P3).
 *
 * Prints "listening on HOST:PORT", then "lost: METHOD PATH" for each answer
 * it threw away; runs until killed. One request per upstream connection. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "coupon_party.h"

#define HEAD_MAX 16384
#define BODY_MAX (2u << 20)

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int fd = -1;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

/* One HTTP message from fd: head (up to and with the blank line) and a body
 * of Content-Length bytes. *buf is malloc'ed; false at EOF or on error. */
static bool read_message(int fd, char **buf, size_t *head_len, size_t *total)
{
	size_t cap = HEAD_MAX + BODY_MAX, len = 0;
	char *b = malloc(cap + 1), *end = NULL;
	*buf = b;
	if (!b)
		return false;
	while (!end) {
		if (len >= HEAD_MAX)
			return false;
		ssize_t r = read(fd, b + len, HEAD_MAX - len);
		if (r <= 0)
			return false;
		len += (size_t)r;
		b[len] = '\0';
		end = strstr(b, "\r\n\r\n");
	}
	*head_len = (size_t)(end - b) + 4;
	size_t body = 0;
	for (char *l = strstr(b, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n"))
		if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
			body = strtoul(l + 17, NULL, 10);
	if (body > BODY_MAX)
		return false;
	while (len < *head_len + body) {
		ssize_t r = read(fd, b + len, *head_len + body - len);
		if (r <= 0)
			return false;
		len += (size_t)r;
	}
	*total = *head_len + body;
	return true;
}

/* The request's head with "Connection: close" and without Expect or
 * Connection lines of its own. */
static size_t rewrite_head(const char *head, size_t head_len, char *out, size_t cap)
{
	size_t n = 0;
	const char *line = head, *stop = head + head_len - 2;
	while (line < stop) {
		const char *eol = strstr(line, "\r\n");
		size_t l = (size_t)(eol - line) + 2;
		if (strncasecmp(line, "Connection:", 11) != 0 && strncasecmp(line, "Expect:", 7) != 0 &&
		    n + l < cap) {
			memcpy(out + n, line, l);
			n += l;
		}
		line = eol + 2;
	}
	n += (size_t)snprintf(out + n, cap - n, "Connection: close\r\n\r\n");
	return n;
}

static const char bad_gateway[] = "<html><head><title>502 Bad Gateway</title></head>"
				  "<body><h1>502 Bad Gateway</h1></body></html>\n";

static void serve(int c, const char *host, const char *port, const char *lose, int *losses)
{
	for (;;) {
		char *req = NULL, *resp = NULL, head[HEAD_MAX + 64];
		size_t hl, total, rhl, rtotal;
		if (!read_message(c, &req, &hl, &total)) {
			free(req);
			return;
		}
		if (strstr(req, "Expect: 100-continue") && !write_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25)) {
			free(req);
			return;
		}
		int u = dial(host, port);
		size_t nh = rewrite_head(req, hl, head, sizeof(head));
		bool ok = u >= 0 && write_all(u, head, nh) && write_all(u, req + hl, total - hl) &&
			  read_message(u, &resp, &rhl, &rtotal);
		if (u >= 0)
			close(u);
		char method[16] = "", path[256] = "";
		sscanf(req, "%15s %255s", method, path);
		if (ok && *losses > 0 && strcmp(path, lose) == 0) {
			(*losses)--;
			printf("lost: %s %s\n", method, path);
			fflush(stdout);
			char page[512];
			int n = snprintf(page, sizeof(page),
					 "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
					 "Connection: close\r\n\r\n%s",
					 sizeof(bad_gateway) - 1, bad_gateway);
			write_all(c, page, (size_t)n);
			ok = false; /* and close */
		} else if (ok) {
			ok = write_all(c, resp, rtotal);
		}
		free(req);
		free(resp);
		if (!ok)
			return;
	}
}

static int lossy(int argc, char **argv)
{
	const char *listen = coupon_party_arg(argc, argv, "--listen"), *url = coupon_party_arg(argc, argv, "--issuer");
	const char *lose = coupon_party_arg(argc, argv, "--lose"), *count = coupon_party_arg(argc, argv, "--count");
	char host[128], port[16];
	int fd;
	uint16_t bound;
	int losses = count ? atoi(count) : 1;
	if (!listen || !url || !lose || sscanf(url, "http://%127[^:]:%15[0-9]", host, port) != 2)
		return 2;
	if (obol_devlink_listen(listen, &fd, &bound) != OBOL_OK)
		return 1;
	printf("listening on 127.0.0.1:%u\n", (unsigned)bound);
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		serve(c, host, port, lose, &losses);
		close(c);
	}
	return 0;
}

OBOL_ATTACK(coupon_lossy_proxy, "coupon-lossy-proxy",
	    "--listen HOST:PORT --issuer http://HOST:PORT --lose PATH [--count N]",
	    "an HTTP proxy to the issuer that loses the first N answers to PATH (a 502 page instead)", lossy)
