// SPDX-License-Identifier: GPL-2.0
/*
 * UDP mode: datagrams on a schedule, spread round-robin over --udp-flows
 * sockets, each with its own source port, so that a sticky balancer can be
 * seen to send each flow to exactly one backend. A request carries its
 * sequence number; the echo "NAME <request>" says who answered which.
 */
#include "clock.h"
#include "events.h"
#include "modes.h"
#include "report.h"
#include "schedule.h"
#include "sockets.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEQ_DIGITS 16
#define REPLY_MAX 2048
#define UDP_RING_MAX (1ull << 21)

/* A request in flight, at index seq & mask of a ring. */
struct udp_pending {
	uint64_t seq;
	uint64_t intended_ns;
	uint32_t flow;
	bool waiting;
};

struct udp_run {
	const struct load_options *o;
	struct load_result *r;
	int epfd;
	int *fds;
	struct udp_pending *ring;
	uint64_t mask;
	uint64_t next_seq; /* sequence number of the next request */
	uint64_t oldest;   /* no request older than this is waiting */
	unsigned int inflight;
	char *payload;
};

static int setup(struct udp_run *run)
{
	const struct load_options *o = run->o;
	struct load_result *r = run->r;
	uint64_t size = 1024, want;

	/* The ring must outlast both the in-flight cap and the timeout, so
	 * that a slot is free again when its sequence number comes round;
	 * capped at 2M slots (48 MiB): beyond, a slot still waiting makes
	 * its successor an overload. */
	want = 2 * (uint64_t)o->max_inflight;
	if (want < (uint64_t)(o->rate * o->timeout_ms / 1000.0) * 2)
		want = (uint64_t)(o->rate * o->timeout_ms / 1000.0) * 2;
	while (size < want && size < UDP_RING_MAX)
		size <<= 1;
	run->mask = size - 1;
	run->ring = calloc(size, sizeof(*run->ring));
	run->fds = calloc(o->udp_flows, sizeof(*run->fds));
	r->flows = calloc(o->udp_flows, sizeof(*r->flows));
	run->payload = malloc(o->payload_size);
	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!run->ring || !run->fds || !r->flows || !run->payload ||
	    run->epfd < 0) {
		fprintf(stderr, "xlb-load: Failed to set up the UDP loop: %s\n",
			strerror(errno));
		return -1;
	}
	r->flow_count = o->udp_flows;
	memset(run->payload, '.', o->payload_size);
	run->payload[o->payload_size - 1] = '\n';
	/* Connected sockets: the kernel drops datagrams from any other source,
	 * and reports an ICMP port unreachable as ECONNREFUSED. A DSR backend
	 * that answers from its own address instead of the VIP shows up as
	 * timeouts. */
	for (unsigned int i = 0; i < o->udp_flows; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		run->fds[i] = target_socket(o, SOCK_DGRAM, SOL_SOCKET,
					    SO_RCVBUF, 1 << 20);
		if (run->fds[i] < 0 ||
		    epoll_ctl(run->epfd, EPOLL_CTL_ADD, run->fds[i], &ev)) {
			fprintf(stderr,
				"xlb-load: Failed to open UDP flow %u to %s: "
				"%s\n",
				i, o->target, strerror(errno));
			return -1;
		}
		r->flows[i].local_port = local_port(run->fds[i]);
	}
	return 0;
}

static void teardown(struct udp_run *run)
{
	for (unsigned int i = 0; run->fds && i < run->o->udp_flows; i++)
		if (run->fds[i] > 0)
			close(run->fds[i]);
	if (run->epfd >= 0)
		close(run->epfd);
	free(run->fds);
	free(run->ring);
	free(run->payload);
}

static void send_request(struct udp_run *run, uint64_t intended_ns)
{
	struct load_result *r = run->r;
	uint64_t seq = run->next_seq;
	struct udp_pending *p = &run->ring[seq & run->mask];
	uint32_t flow = seq % run->o->udp_flows;
	char digits[SEQ_DIGITS + 1];
	uint64_t now;

	r->scheduled++;
	if (run->inflight >= run->o->max_inflight || p->waiting) {
		result_error(r, ERR_OVERLOAD, NULL);
		return;
	}
	run->next_seq++;
	snprintf(digits, sizeof(digits), "%016" PRIx64, seq);
	memcpy(run->payload, digits, SEQ_DIGITS);
	if (send(run->fds[flow], run->payload, run->o->payload_size, 0) < 0) {
		if (errno == ECONNREFUSED)
			result_error(r, ERR_REFUSED, NULL);
		else
			result_error(r, ERR_OTHER, strerror(errno));
		return;
	}
	*p = (struct udp_pending){ seq, intended_ns, flow, true };
	r->flows[flow].sent++;
	run->inflight++;
	r->sent++;
	now = now_ns();
	hist_record(&r->send_lag, now > intended_ns ? now - intended_ns : 0);
}

static void finish(struct udp_run *run, struct udp_pending *p)
{
	p->waiting = false;
	run->inflight--;
}

/* An ICMP port unreachable answers the oldest request of that flow. */
static void refused(struct udp_run *run, uint32_t flow)
{
	for (uint64_t s = run->oldest; s < run->next_seq; s++) {
		struct udp_pending *p = &run->ring[s & run->mask];

		if (p->waiting && p->seq == s && p->flow == flow) {
			finish(run, p);
			result_error(run->r, ERR_REFUSED, NULL);
			return;
		}
	}
}

static void handle_reply(struct udp_run *run, uint32_t flow, const char *buf,
			 size_t len, uint64_t now)
{
	struct load_result *r = run->r;
	const char *space = memchr(buf, ' ', len);
	struct udp_pending *p;
	char digits[SEQ_DIGITS + 1];
	uint64_t seq;
	size_t name_len;
	char *end;

	if (!space || (size_t)(buf + len - space - 1) < SEQ_DIGITS) {
		result_error(r, ERR_OTHER, "udp: malformed reply");
		return;
	}
	name_len = space - buf;
	memcpy(digits, space + 1, SEQ_DIGITS);
	digits[SEQ_DIGITS] = '\0';
	seq = strtoull(digits, &end, 16);
	p = &run->ring[seq & run->mask];
	if (*end || !p->waiting || p->seq != seq || p->flow != flow) {
		/* An answer after its timeout (already counted), or a
		 * duplicate. */
		r->late++;
		return;
	}
	finish(run, p);
	r->completed++;
	r->ok++;
	r->flows[flow].answered++;
	result_latency(r, now - p->intended_ns);
	names_add(&r->backends, buf, name_len, 1);
	names_add(&r->flows[flow].backends, buf, name_len, 1);
}

static void receive(struct udp_run *run, uint32_t flow)
{
	char buf[REPLY_MAX];

	for (;;) {
		ssize_t n = recv(run->fds[flow], buf, sizeof(buf), 0);

		if (n >= 0) {
			handle_reply(run, flow, buf, n, now_ns());
			continue;
		}
		if (errno == ECONNREFUSED) {
			refused(run, flow);
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			result_error(run->r, ERR_OTHER, strerror(errno));
		return;
	}
}

/* Expires, oldest first, what waited longer than --timeout; returns when
 * the oldest still waiting will expire. */
static uint64_t expire(struct udp_run *run, uint64_t now)
{
	uint64_t timeout = run->o->timeout_ms * NS_PER_MS;

	for (; run->oldest < run->next_seq; run->oldest++) {
		struct udp_pending *p = &run->ring[run->oldest & run->mask];

		if (!p->waiting || p->seq != run->oldest)
			continue;
		if (p->intended_ns + timeout > now)
			return p->intended_ns + timeout;
		finish(run, p);
		result_error(run->r, ERR_TIMEOUT, NULL);
	}
	return NEVER;
}

int udp_run(const struct load_options *o, struct load_result *r)
{
	struct udp_run run = { .o = o, .r = r, .epfd = -1 };
	struct epoll_event events[256];
	struct schedule sched;
	uint64_t hard_end, intended, now, next_expiry = NEVER;
	int n;

	if (setup(&run)) {
		teardown(&run);
		return -1;
	}
	hard_end = run_start(&sched, o, r);

	for (;;) {
		now = now_ns();
		run_check_stop(&sched, r, now);
		/* Expiry first: a timed-out request frees its ring slot. */
		next_expiry = expire(&run, now);
		while (schedule_take(&sched, now, &intended))
			send_request(&run, intended);
		if (schedule_over(&sched) && (!run.inflight || now >= hard_end))
			break;
		n = wait_events(
			run.epfd, events, 256,
			min_u64(min_u64(schedule_next(&sched), next_expiry),
				min_u64(progress_due(r), hard_end)));
		if (n < 0) {
			fprintf(stderr, "xlb-load: epoll_wait: %s\n",
				strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			receive(&run, events[i].data.u32);
		progress_tick(o, r, now_ns());
	}
	run_end(r, &sched, run.inflight);
	teardown(&run);
	return 0;
}
