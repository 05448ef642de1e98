// SPDX-License-Identifier: GPL-2.0
/*
 * Stream mode: long-lived TCP connections to the backends' echo port. Each
 * learns its backend from the greeting line, then sends a message every
 * --interval and waits for the echo. The report says, per connection, the
 * longest gap between two echoes and how it ended: the proof that an
 * established flow survives weight changes.
 *
 * The sends of all connections form one schedule of N/interval messages per
 * second, connection j % N sending the j-th: every connection keeps its own
 * interval, and they are spread evenly over it instead of sent in bursts.
 */
#include "clock.h"
#include "events.h"
#include "modes.h"
#include "report.h"
#include "schedule.h"
#include "sockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Echoes a connection may owe before it counts as stalled. */
#define OUTSTANDING_MAX 1024
#define GREETING_MAX 128

enum conn_state { CONNECTING, GREETING, OPEN, ENDED };

struct stream_conn {
	int fd;
	enum conn_state state;
	char greeting[GREETING_MAX];
	size_t greeting_len;
	size_t partial; /* bytes of the next echo received so far */
	uint64_t last_echo_ns;
	uint64_t intended[OUTSTANDING_MAX];
	struct conn_result *res;
};

struct stream_run {
	const struct load_options *o;
	struct load_result *r;
	int epfd;
	struct stream_conn *conns;
	char *message;
	unsigned int pending; /* connections not yet open or ended */
};

static uint64_t outstanding(const struct stream_conn *c)
{
	return c->res->sent - c->res->echoed;
}

/*
 * The segments the kernel retransmitted on @fd: a loss on this connection
 * itself, where the client-wide count also holds every other socket's.
 */
static uint32_t retransmits(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len))
		return 0;
	return info.tcpi_total_retrans;
}

/* Ends a connection with its reason, counted once as an error of @kind
 * (none for ERR_KINDS). */
static void end_conn(struct stream_run *run, struct stream_conn *c,
		     const char *why, enum error_kind kind)
{
	if (c->state == ENDED)
		return;
	if (c->state != OPEN)
		run->pending--;
	c->state = ENDED;
	c->res->end = why;
	c->res->retransmits = retransmits(c->fd);
	close(c->fd);
	c->fd = -1;
	if (kind < ERR_KINDS)
		result_error(run->r, kind, why);
}

/* The reason of an "other" end, in the error details. */
static void end_other(struct stream_run *run, struct stream_conn *c,
		      const char *why, int err)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "stream: %s: %s", why, strerror(err));
	names_add(&run->r->other_detail, detail, strlen(detail), 1);
	run->r->errors[ERR_OTHER]++;
	end_conn(run, c, why, ERR_KINDS);
}

static void end_by_errno(struct stream_run *run, struct stream_conn *c, int err)
{
	if (err == ECONNREFUSED)
		end_conn(run, c, "refused", ERR_REFUSED);
	else if (err == ECONNRESET || err == EPIPE)
		end_conn(run, c, "reset", ERR_RESET);
	else if (err == ETIMEDOUT)
		end_conn(run, c, "timeout", ERR_TIMEOUT);
	else
		end_other(run, c, "error", err);
}

static int open_conn(struct stream_run *run, struct stream_conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };

	c->fd = target_socket(run->o, SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY, 1);
	if (c->fd < 0)
		return -1;
	c->res->local_port = local_port(c->fd);
	c->state = CONNECTING;
	return epoll_ctl(run->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

/* "backend NAME\n" names the backend; nothing else may come first. */
static void read_greeting(struct stream_run *run, struct stream_conn *c,
			  const char *buf, size_t n, size_t *used)
{
	const char *nl = memchr(buf, '\n', n);
	size_t take = nl ? (size_t)(nl - buf) + 1 : n;
	size_t name_len;

	*used = take;
	if (c->greeting_len + take >= GREETING_MAX) {
		end_conn(run, c, "bad greeting", ERR_OTHER);
		return;
	}
	memcpy(c->greeting + c->greeting_len, buf, take);
	c->greeting_len += take;
	if (!nl)
		return;
	c->greeting[c->greeting_len - 1] = '\0';
	if (strncmp(c->greeting, "backend ", 8)) {
		end_conn(run, c, "bad greeting", ERR_OTHER);
		return;
	}
	name_len = strlen(c->greeting + 8);
	if (name_len >= sizeof(c->res->backend))
		name_len = sizeof(c->res->backend) - 1;
	memcpy(c->res->backend, c->greeting + 8, name_len);
	c->res->backend[name_len] = '\0';
	names_add(&run->r->backends, c->res->backend, name_len, 1);
	c->state = OPEN;
	run->pending--;
}

static void count_echoes(struct stream_run *run, struct stream_conn *c,
			 size_t n, uint64_t now)
{
	struct load_result *r = run->r;

	c->partial += n;
	while (c->partial >= run->o->message_size && outstanding(c)) {
		uint64_t gap = now - c->last_echo_ns;

		c->partial -= run->o->message_size;
		result_latency(
			r, now - c->intended[c->res->echoed % OUTSTANDING_MAX]);
		if (gap > c->res->max_gap_ns)
			c->res->max_gap_ns = gap;
		c->last_echo_ns = now;
		c->res->echoed++;
		r->completed++;
		r->ok++;
	}
	if (c->partial >= run->o->message_size)
		end_conn(run, c, "echoed more than sent", ERR_OTHER);
}

static void on_readable(struct stream_run *run, struct stream_conn *c)
{
	char buf[8192];

	while (c->state == GREETING || c->state == OPEN) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		size_t used = 0;

		if (n == 0) {
			end_conn(run, c, "closed", ERR_OTHER);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				end_by_errno(run, c, errno);
			return;
		}
		if (c->state == GREETING)
			read_greeting(run, c, buf, n, &used);
		if (c->state == OPEN && (size_t)n > used)
			count_echoes(run, c, n - used, now_ns());
	}
}

static void on_event(struct stream_run *run, struct stream_conn *c,
		     uint32_t events)
{
	if (c->state == CONNECTING) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			end_by_errno(run, c, err);
			return;
		}
		c->state = GREETING;
		epoll_ctl(run->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
	if (c->state == GREETING || c->state == OPEN)
		on_readable(run, c);
}

static void send_message(struct stream_run *run, struct stream_conn *c,
			 uint64_t intended_ns, uint64_t now)
{
	const struct load_options *o = run->o;
	struct load_result *r = run->r;
	ssize_t n;

	r->scheduled++;
	if (c->state != OPEN)
		return;
	if (outstanding(c) && c->intended[c->res->echoed % OUTSTANDING_MAX] +
					      o->timeout_ms * NS_PER_MS <=
				      now) {
		end_conn(run, c, "timeout", ERR_TIMEOUT);
		return;
	}
	if (outstanding(c) >= OUTSTANDING_MAX)
		return;
	n = send(c->fd, run->message, o->message_size, MSG_NOSIGNAL);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n != (ssize_t)o->message_size) {
		if (n < 0)
			end_by_errno(run, c, errno);
		else
			end_conn(run, c, "short send", ERR_OTHER);
		return;
	}
	if (!c->res->sent)
		c->last_echo_ns = intended_ns;
	c->intended[c->res->sent % OUTSTANDING_MAX] = intended_ns;
	c->res->sent++;
	r->sent++;
	hist_record(&r->send_lag, now > intended_ns ? now - intended_ns : 0);
}

static int setup(struct stream_run *run)
{
	const struct load_options *o = run->o;
	struct load_result *r = run->r;

	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	run->conns = calloc(o->connections, sizeof(*run->conns));
	r->conns = calloc(o->connections, sizeof(*r->conns));
	run->message = malloc(o->message_size);
	if (run->epfd < 0 || !run->conns || !r->conns || !run->message) {
		fprintf(stderr,
			"xlb-load: Failed to set up the stream loop: %s\n",
			strerror(errno));
		return -1;
	}
	r->conn_count = o->connections;
	memset(run->message, 'x', o->message_size);
	memcpy(run->message, "xlb-load", 8);
	run->message[o->message_size - 1] = '\n';
	for (unsigned int i = 0; i < o->connections; i++) {
		struct stream_conn *c = &run->conns[i];

		c->res = &r->conns[i];
		c->res->end = "ok";
		c->fd = -1;
		run->pending++;
		if (open_conn(run, c))
			end_by_errno(run, c, errno);
	}
	return 0;
}

static void teardown(struct stream_run *run)
{
	for (unsigned int i = 0; run->conns && i < run->o->connections; i++)
		if (run->conns[i].fd >= 0)
			close(run->conns[i].fd);
	if (run->epfd >= 0)
		close(run->epfd);
	free(run->conns);
	free(run->message);
}

static void poll_once(struct stream_run *run, uint64_t deadline)
{
	struct epoll_event events[256];
	int n = wait_events(run->epfd, events, 256,
			    min_u64(deadline, progress_due(run->r)));

	for (int i = 0; i < n; i++)
		on_event(run, events[i].data.ptr, events[i].events);
	progress_tick(run->o, run->r, now_ns());
}

/* Every connection open and greeted, or given up after --timeout. */
static void connect_all(struct stream_run *run)
{
	uint64_t until = now_ns() + run->o->timeout_ms * NS_PER_MS;

	while (run->pending && now_ns() < until && !load_stop_requested)
		poll_once(run, until);
	for (unsigned int i = 0; i < run->o->connections; i++)
		if (run->conns[i].state == CONNECTING ||
		    run->conns[i].state == GREETING)
			end_conn(run, &run->conns[i], "timeout", ERR_TIMEOUT);
}

static bool all_echoed(const struct stream_run *run)
{
	for (unsigned int i = 0; i < run->o->connections; i++)
		if (run->conns[i].state == OPEN && outstanding(&run->conns[i]))
			return false;
	return true;
}

/* What is still owed when the run ends counts as a gap up to now. */
static void finish(struct stream_run *run, uint64_t now)
{
	for (unsigned int i = 0; i < run->o->connections; i++) {
		struct stream_conn *c = &run->conns[i];

		if (c->state != OPEN)
			continue;
		if (outstanding(c)) {
			if (now - c->last_echo_ns > c->res->max_gap_ns)
				c->res->max_gap_ns = now - c->last_echo_ns;
			end_conn(run, c, "timeout", ERR_TIMEOUT);
		} else {
			end_conn(run, c, "ok", ERR_KINDS);
		}
	}
}

int stream_run(const struct load_options *o, struct load_result *r)
{
	struct stream_run run = { .o = o, .r = r, .epfd = -1 };
	struct schedule sched;
	uint64_t intended, now, drain_end, hard_end;
	uint64_t seq = 0;

	r->start_ns = now_ns();
	hard_end = r->start_ns + (uint64_t)(load_hard_limit_s(o) * NS_PER_SEC);
	progress_start(o, r);
	if (setup(&run)) {
		teardown(&run);
		return -1;
	}
	connect_all(&run);

	schedule_init(&sched, o, now_ns() + NS_PER_MS,
		      o->connections * 1000.0 / o->interval_ms,
		      o->count * o->connections);
	for (;;) {
		now = now_ns();
		if (load_stop_requested || now >= hard_end) {
			r->interrupted = true;
			schedule_stop(&sched, now);
			break;
		}
		while (schedule_take(&sched, now, &intended))
			send_message(&run, &run.conns[seq++ % o->connections],
				     intended, now);
		if (schedule_over(&sched))
			break;
		poll_once(&run, min_u64(schedule_next(&sched), hard_end));
	}
	drain_end = now_ns() + o->timeout_ms * NS_PER_MS;
	while (!all_echoed(&run) && now_ns() < min_u64(drain_end, hard_end))
		poll_once(&run, min_u64(drain_end, hard_end));
	finish(&run, now_ns());
	run_end(r, &sched, 0);
	teardown(&run);
	return 0;
}
