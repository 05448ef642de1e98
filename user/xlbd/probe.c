// SPDX-License-Identifier: GPL-2.0
/*
 * The probe scheduler: every pair's probe on its own jittered interval
 * (default 100 ms), independent of the tick, on one timerfd armed for the
 * earliest due time. A probe only reports (ok, latency) to the core
 * through xlb_brain_probe_result(); a health transition it returns is
 * written at once (a state write, no table rebuild: the data plane skips
 * slots that are not active), and the tick rebuilds the table later.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>

#include "xlbd.h"
#include "cluster.h"

int xlbd_probe_init(struct xlbd *d)
{
	(void)d;
	return 0;
}

void xlbd_probe_fini(struct xlbd *d)
{
	for (size_t i = 0; i < d->n_pairs; i++)
		xlbd_probe_stop(d, d->pairs[i]);
}

socklen_t xlbd_probe_target(const struct xlbd *d, const struct xlbd_pair *p,
			    struct sockaddr_storage *ss)
{
	const struct xlbd_probe_config *c = xlbd_probe_conf(d, p);
	__u16 port = htons(c->port ? c->port : ntohs(p->info.vip.port));

	memset(ss, 0, sizeof(*ss));
	if (p->info.be.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = port;
		memcpy(&s6->sin6_addr, &p->info.be.addr, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = port;
		memcpy(&s4->sin_addr, &p->info.be.addr, 4);
		return sizeof(*s4);
	}
}

const struct xlbd_probe_config *xlbd_probe_conf(const struct xlbd *d,
						const struct xlbd_pair *p)
{
	const struct xlbd_probe_config *c =
		xlbd_config_probe(&d->cfg, p->vip_text);
	static struct xlbd_probe_config none;

	/*
	 * A UDP VIP has no connect to probe: unless a UDP probe is set for
	 * it (or for all), counters and agents only.
	 */
	if (p->info.vip.proto == IPPROTO_UDP && c == &d->cfg.probe &&
	    c->kind != XLBD_PROBE_UDP) {
		none = *c;
		none.kind = XLBD_PROBE_NONE;
		return &none;
	}
	return c;
}

static double jittered(const struct xlbd_probe_config *c)
{
	double j = c->jitter * (2.0 * rand() / RAND_MAX - 1.0);

	return c->interval_s * (1.0 + j);
}

void xlbd_probe_stop(struct xlbd *d, struct xlbd_pair *p)
{
	if (p->probe.kind == XLBD_PROBE_HTTP || p->probe.curl)
		xlbd_probe_http_done(d, p, -1, 0); /* cancels */
	xlbd_probe_tcp_cancel(d, p); /* the probe's socket, TCP or UDP */
	p->probe.started = 0;
}

static void arm_at(struct xlbd *d, double at, double now)
{
	struct itimerspec its = { 0 };
	double in = fmax(at - now, 0.001); /* 0 would disarm */

	its.it_value.tv_sec = (time_t)in;
	its.it_value.tv_nsec = (long)((in - floor(in)) * 1e9);
	timerfd_settime(d->probe_timer.fd, 0, &its, NULL);
	d->probe_timer_at = now + in;
}

/*
 * A probe's result makes its next due time the pair's next event in place
 * of its deadline, which the timer may be armed for: without this, pairs
 * probed together would next be probed at their deadline (timeout_s, not
 * interval_s, apart). A timer already due is left alone: its handler
 * re-arms for every pair.
 */
static void arm_if_earlier(struct xlbd *d, double at, double now)
{
	if (at < d->probe_timer_at && d->probe_timer_at > now)
		arm_at(d, at, now);
}

static void arm(struct xlbd *d, double now)
{
	double next = INFINITY;

	for (size_t i = 0; i < d->n_pairs; i++) {
		const struct xlbd_probe *pr = &d->pairs[i]->probe;

		if (pr->kind == XLBD_PROBE_NONE)
			continue;
		next = fmin(next, pr->started ? pr->deadline : pr->next_due);
	}
	if (d->cfg.scrape_enabled && !d->cfg.prometheus_url[0])
		for (size_t i = 0; i < d->n_pairs; i++)
			next = fmin(next, d->pairs[i]->scrape.next_due);
	if (!isfinite(next))
		next = now + 1.0;
	arm_at(d, next, now);
}

/*
 * A result against the pair's health starts a fall (or a rise): the rest
 * of it is probed fast_interval_s apart, as HAProxy's fastinter does, so a
 * killed server is down one interval plus (fall - 1) fast ones after it
 * died, not fall intervals. Only as many as fall or rise need: a pair the
 * result cannot move (a follower's rise, a dry run) goes back to the
 * interval.
 */
static void fast_follow_up(struct xlbd *d, struct xlbd_pair *p, bool ok,
			   double now)
{
	const struct xlbd_probe_config *c = xlbd_probe_conf(d, p);
	struct xlbd_probe *pr = &p->probe;
	unsigned int run = ok ? d->cfg.brain.probe_rise
			      : d->cfg.brain.probe_fall;

	if (ok != (p->info.health == XLB_HEALTH_DOWN)) {
		pr->against = 0;
		return;
	}
	if (++pr->against < run && c->fast_interval_s < c->interval_s &&
	    now + c->fast_interval_s < pr->next_due)
		pr->next_due = now + c->fast_interval_s;
}

void xlbd_probe_done(struct xlbd *d, struct xlbd_pair *p, bool ok,
		     const char *error)
{
	struct xlbd_probe *pr = &p->probe;
	struct xlb_brain_decision dec;
	double now = xlbd_now(), latency = now - pr->started;

	pr->started = 0;
	if (ok) {
		pr->tick_ok++;
		pr->total_ok++;
		pr->tick_latency_sum += latency;
		pr->last_latency_s = latency;
		pr->last_error[0] = 0;
	} else {
		pr->tick_failed++;
		pr->total_failed++;
		snprintf(pr->last_error, sizeof(pr->last_error), "%s", error);
	}
	memset(&dec, 0, sizeof(dec));
	fast_follow_up(d, p, ok, now);
	arm_if_earlier(d, pr->next_due, now);
	if (xlb_brain_probe_result(d->brain, p->key, now, ok,
				   ok ? latency : NAN, &dec) == 1) {
		dec.pair = p->idx;
		if (!ok && !dec.reason[0])
			snprintf(dec.reason, sizeof(dec.reason),
				 "probe failed: %s", error);
		d->probe_transitions++;
		xlbd_apply_probe(d, p, &dec);
	} else if (!ok) {
		xlbd_cluster_probe_failed(d, p); /* a leader may confirm */
	}
}

/* Probe p at the next timer expiry (a leader asked to confirm a report). */
void xlbd_probe_soon(struct xlbd *d, struct xlbd_pair *p)
{
	double now = xlbd_now();

	if (p->probe.kind == XLBD_PROBE_NONE || p->probe.started)
		return; /* its answer is on the way */
	p->probe.next_due = now;
	arm_at(d, now, now);
}

void xlbd_probe_run(struct xlbd *d, double now, double until)
{
	for (size_t i = 0; i < d->n_pairs; i++) {
		struct xlbd_pair *p = d->pairs[i];
		struct xlbd_probe *pr = &p->probe;
		const struct xlbd_probe_config *c;
		int ret;

		if (pr->kind == XLBD_PROBE_NONE)
			continue;
		if (pr->started) {
			/* A target that accepts and never answers. */
			if (now >= pr->deadline) {
				xlbd_probe_stop(d, p);
				pr->started =
					now - xlbd_probe_conf(d, p)->timeout_s;
				xlbd_probe_done(d, p, false, "timed out");
			}
			continue;
		}
		if (pr->next_due > until)
			continue;
		c = xlbd_probe_conf(d, p);
		pr->kind = c->kind;
		pr->started = now;
		pr->deadline = now + c->timeout_s;
		/*
		 * From the due time, so the schedule does not drift; a pair
		 * an interval late or more (the loop stalled) starts afresh
		 * from now, so that late pairs neither fall due back to back
		 * nor all at once.
		 */
		pr->next_due += jittered(c);
		if (pr->next_due <= now)
			pr->next_due = now + jittered(c);
		ret = pr->kind == XLBD_PROBE_HTTP  ? xlbd_probe_http_start(d, p)
		      : pr->kind == XLBD_PROBE_UDP ? xlbd_probe_udp_start(d, p)
						   : xlbd_probe_tcp_start(d, p);
		if (ret < 0) {
			char why[96];

			snprintf(why, sizeof(why), "%s", strerror(-ret));
			xlbd_probe_stop(d, p);
			pr->started = now;
			xlbd_probe_done(d, p, false, why);
		}
	}
	arm(d, now);
}
