/* ecash-drop-reply: the world losing an answer (issue 12, case 3). An HTTP
 * relay in front of the issuer that passes every request on, and for the
 * first N requests to a path throws the issuer's answer away (the request
 * was served, the client hears nothing).
 *
 *   obol-attack ecash-drop-reply --listen HOST:PORT --issuer HOST:PORT --drop PATH [--times N]
 *
 * One request per connection (it asks the issuer to close after each);
 * runs until killed. Prints "listening on ..." and "dropped: PATH" for each
 * answer it lost. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "core/parse.h"
#include "net/devlink.h"

#define REQ_MAX (2u << 20)

static int connect_to(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int fd = -1;
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one request (headers and a Content-Length body) into buf. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0, want = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end == NULL) {
			if (len + 1 >= cap)
				return -1;
			continue;
		}
		size_t head = (size_t)(end - buf) + 4;
		if (want == 0) {
			char *cl = strcasestr(buf, "\r\ncontent-length:");
			want = head + (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
			if (want >= cap)
				return -1;
		}
		if (len >= want)
			return (ssize_t)len;
	}
}

/* The request with its keep-alive turned into "Connection: close". */
static size_t close_after(const char *req, size_t len, char *out)
{
	const char *end = strstr(req, "\r\n\r\n");
	size_t head = (size_t)(end - req);
	size_t o = 0;
	for (const char *line = req; line < req + head;) {
		const char *nl = strstr(line, "\r\n");
		if (nl == NULL || nl > req + head)
			nl = req + head;
		if (strncasecmp(line, "connection:", 11) != 0) {
			memcpy(out + o, line, (size_t)(nl - line));
			o += (size_t)(nl - line);
			memcpy(out + o, "\r\n", 2);
			o += 2;
		}
		line = nl + 2;
	}
	o += (size_t)sprintf(out + o, "Connection: close\r\n\r\n");
	memcpy(out + o, end + 4, len - head - 4);
	return o + len - head - 4;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "drop", required_argument, NULL, 'd' },
		{ "times", required_argument, NULL, 't' },
		{ 0, 0, 0, 0 },
	};
	const char *listen_at = NULL, *issuer = NULL, *drop = NULL;
	uint64_t times = 1;
	int fd = -1, ch;
	uint16_t port = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'l')
			listen_at = optarg;
		else if (ch == 'i')
			issuer = optarg;
		else if (ch == 'd')
			drop = optarg;
		else if (ch == 't' && obol_parse_u64(optarg, 0, 1000, &times) != OBOL_OK)
			return 2;
		else if (ch != 't')
			return 2;
	}
	if (listen_at == NULL || issuer == NULL || drop == NULL)
		return 2;
	if (obol_devlink_listen(listen_at, &fd, &port) != OBOL_OK)
		return 1;
	printf("listening on 127.0.0.1:%u\n", port);
	fflush(stdout);
	char *req = malloc(REQ_MAX), *fwd = malloc(REQ_MAX + 64), *resp = malloc(REQ_MAX);
	if (req == NULL || fwd == NULL || resp == NULL)
		return 1;
	for (;;) {
		int c = accept(fd, NULL, NULL), u = -1;
		if (c < 0)
			continue;
		ssize_t n = read_request(c, req, REQ_MAX);
		char method[16] = "", path[512] = "";
		if (n > 0 && sscanf(req, "%15s %511s", method, path) == 2 && (u = connect_to(issuer)) >= 0) {
			size_t fl = close_after(req, (size_t)n, fwd);
			size_t rl = 0;
			ssize_t r;
			if (write_all(u, fwd, fl) == 0)
				while (rl < REQ_MAX && (r = read(u, resp + rl, REQ_MAX - rl)) > 0)
					rl += (size_t)r;
			if (times > 0 && strncmp(path, drop, strlen(drop)) == 0) {
				times--;
				printf("dropped: %s\n", path);
				fflush(stdout);
			} else if (write_all(c, resp, rl) != 0) {
				fprintf(stderr, "could not answer %s\n", path);
			}
		}
		if (u >= 0)
			close(u);
		close(c);
	}
	return 0;
}

OBOL_ATTACK(ecash_drop_reply_attack, "ecash-drop-reply", "--listen HOST:PORT --issuer HOST:PORT --drop PATH [--times N]",
	    "relays HTTP to the issuer and loses the answer of the first N requests to PATH", run)
