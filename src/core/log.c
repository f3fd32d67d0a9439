/* stderr logging; see log.h. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_tag = "obol";
static int log_level = -1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void obol_log_set_tag(const char *tag)
{
	log_tag = tag;
}

void obol_log_set_level(enum obol_log_level level)
{
	log_level = (int)level;
}

enum obol_log_level obol_log_level(void)
{
	if (log_level < 0) {
		const char *env = getenv("OBOL_LOG");
		log_level = OBOL_LOG_WARN;
		if (env != NULL) {
			if (strcmp(env, "error") == 0)
				log_level = OBOL_LOG_ERROR;
			else if (strcmp(env, "info") == 0)
				log_level = OBOL_LOG_INFO;
			else if (strcmp(env, "debug") == 0)
				log_level = OBOL_LOG_DEBUG;
		}
	}
	return (enum obol_log_level)log_level;
}

void obol_log(enum obol_log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	if (level > obol_log_level())
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s %s: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, log_tag, names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
	va_end(ap);
}
