// SPDX-License-Identifier: GPL-2.0
#include "park.h"
#include "faults.h"
#include "stats.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct delayed {
	uint64_t deadline_ns;
	struct MHD_Connection *conn;
};

/* Delayed connections form a min-heap on the deadline; hung ones a list. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started;
	atomic_bool stopping;
	struct delayed *heap;
	size_t heap_len, heap_cap;
	struct MHD_Connection **hung;
	size_t hung_len, hung_cap;
} park = { .lock = PTHREAD_MUTEX_INITIALIZER };

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int grow(void **array, size_t *cap, size_t len, size_t size)
{
	size_t n = *cap ? *cap * 2 : 64;
	void *p;

	if (len < *cap)
		return 0;
	p = realloc(*array, n * size);
	if (!p)
		return -1;
	*array = p;
	*cap = n;
	return 0;
}

static void heap_swap(size_t a, size_t b)
{
	struct delayed t = park.heap[a];

	park.heap[a] = park.heap[b];
	park.heap[b] = t;
}

static void heap_push(struct delayed d)
{
	size_t i = park.heap_len++;

	park.heap[i] = d;
	while (i && park.heap[(i - 1) / 2].deadline_ns > d.deadline_ns) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct MHD_Connection *heap_pop(void)
{
	struct MHD_Connection *conn = park.heap[0].conn;
	size_t i = 0;

	park.heap[0] = park.heap[--park.heap_len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < park.heap_len &&
		    park.heap[l].deadline_ns < park.heap[m].deadline_ns)
			m = l;
		if (r < park.heap_len &&
		    park.heap[r].deadline_ns < park.heap[m].deadline_ns)
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
	return conn;
}

static void release_hung(void)
{
	for (size_t i = 0; i < park.hung_len; i++)
		MHD_resume_connection(park.hung[i]);
	atomic_fetch_sub(&backend_stats.http_hung_now,
			 (long long)park.hung_len);
	park.hung_len = 0;
}

static void *park_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&park.lock);
	while (!atomic_load(&park.stopping)) {
		uint64_t now = monotonic_ns();
		struct timespec until;

		while (park.heap_len && park.heap[0].deadline_ns <= now)
			MHD_resume_connection(heap_pop());
		if (!fault_hang() && park.hung_len)
			release_hung();
		if (!park.heap_len) {
			pthread_cond_wait(&park.wake, &park.lock);
			continue;
		}
		until.tv_sec = park.heap[0].deadline_ns / 1000000000ull;
		until.tv_nsec = park.heap[0].deadline_ns % 1000000000ull;
		pthread_cond_timedwait(&park.wake, &park.lock, &until);
	}
	while (park.heap_len)
		MHD_resume_connection(heap_pop());
	release_hung();
	pthread_mutex_unlock(&park.lock);
	return NULL;
}

int park_start(void)
{
	pthread_condattr_t attr;
	int err;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&park.wake, &attr);
	pthread_condattr_destroy(&attr);
	err = pthread_create(&park.thread, NULL, park_thread, NULL);
	if (err) {
		fprintf(stderr, "xlb-backend: start park thread: %s\n",
			strerror(err));
		return -1;
	}
	pthread_mutex_lock(&park.lock);
	park.started = true;
	pthread_mutex_unlock(&park.lock);
	return 0;
}

void park_stop(void)
{
	if (!park.started)
		return;
	pthread_mutex_lock(&park.lock);
	atomic_store(&park.stopping, true);
	pthread_cond_signal(&park.wake);
	pthread_mutex_unlock(&park.lock);
	pthread_join(park.thread, NULL);
}

bool park_stopping(void)
{
	return atomic_load(&park.stopping);
}

int park_delay(struct MHD_Connection *conn, uint64_t deadline_ns)
{
	int ret = -1;

	pthread_mutex_lock(&park.lock);
	if (!atomic_load(&park.stopping) &&
	    !grow((void **)&park.heap, &park.heap_cap, park.heap_len,
		  sizeof(*park.heap))) {
		/* Suspended under the lock: the park thread cannot resume a
		 * connection before it is suspended. */
		MHD_suspend_connection(conn);
		heap_push((struct delayed){ deadline_ns, conn });
		pthread_cond_signal(&park.wake);
		ret = 0;
	}
	pthread_mutex_unlock(&park.lock);
	return ret;
}

int park_hang(struct MHD_Connection *conn)
{
	int ret = -1;

	pthread_mutex_lock(&park.lock);
	if (!atomic_load(&park.stopping) &&
	    !grow((void **)&park.hung, &park.hung_cap, park.hung_len,
		  sizeof(*park.hung))) {
		MHD_suspend_connection(conn);
		park.hung[park.hung_len++] = conn;
		atomic_fetch_add(&backend_stats.http_hung_now, 1);
		/* Hang may have ended between the caller's check and now. */
		pthread_cond_signal(&park.wake);
		ret = 0;
	}
	pthread_mutex_unlock(&park.lock);
	return ret;
}

void park_notify(void)
{
	pthread_mutex_lock(&park.lock);
	if (park.started)
		pthread_cond_signal(&park.wake);
	pthread_mutex_unlock(&park.lock);
}
