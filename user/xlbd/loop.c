// SPDX-License-Identifier: GPL-2.0
/*
 * What every stage of xlbd uses from the loop: the clocks, the log (text
 * or JSON lines on stderr) and the epoll watches. Apart from main.c so the
 * unit tests link the stages without the daemon's main().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <json-c/json.h>

#include "xlbd.h"

static const char *const stage_names[XLBD_STAGE_N] = {
	"collect", "features", "models", "policy",
	"apply",   "log",      "store",	 "metrics",
};

const char *xlbd_stage_name(enum xlbd_stage s)
{
	return stage_names[s];
}

double xlbd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double xlbd_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum xlbd_log_format xlbd_log_format = XLBD_LOG_TEXT;

bool xlbd_log_json(void)
{
	return xlbd_log_format == XLBD_LOG_JSON;
}

void xlbd_log(struct xlbd *d, const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	(void)d;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (xlbd_log_format == XLBD_LOG_JSON) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "time",
				       json_object_new_double(xlbd_wall()));
		json_object_object_add(o, "level",
				       json_object_new_string(level));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		fprintf(stderr, "%s\n",
			json_object_to_json_string_ext(o,
						       JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		fprintf(stderr, "xlbd: %s: %s\n", level, msg);
	}
}

int xlbd_watch_add(struct xlbd *d, struct xlbd_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

int xlbd_watch_mod(struct xlbd *d, struct xlbd_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void xlbd_watch_del(struct xlbd *d, struct xlbd_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (int i = 0; i < d->n_pending; i++)
		if (d->pending[i].data.ptr == w)
			d->pending[i].data.ptr = NULL;
}
