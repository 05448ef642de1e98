// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd: the command line, the epoll loop and the tick. The tick reads top
 * to bottom: collect -> brain (features, models, policy) -> apply -> log ->
 * store -> metrics, each stage timed. Probes and scrapes run on their own
 * schedules between ticks; nothing on the loop blocks but the map writes
 * under the writer lock (bounded by its timeout) and SQLite's local disk.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "xlbd.h"
#include "cluster.h"
#include "status_page.h"

#ifndef XLB_PIN_DIR_DEFAULT
#define XLB_PIN_DIR_DEFAULT "/sys/fs/bpf/xlb"
#endif

/* ---------------------------------------------------------------- options */

enum {
	OPT_CONFIG = 256,
	OPT_PIN_DIR,
	OPT_STATE_DIR,
	OPT_METRICS_LISTEN,
	OPT_DRY_RUN,
	OPT_ONCE,
	OPT_FOREGROUND,
	OPT_LOG_FORMAT,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xlbd [options]\n"
		"The xlb brain: probes every backend, learns what normal looks "
		"like, and\nrewrites the pinned maps' weights and health "
		"states.\n\n"
		"Options:\n"
		"  --config FILE          config (default %s; a missing "
		"default\n"
		"                         file runs on defaults, a missing "
		"named one is an error)\n"
		"  --pin-dir DIR          the instance's pins (default %s)\n"
		"  --state-dir DIR        decision log, history, saved state "
		"(default %s)\n"
		"  --metrics-listen A:P   /metrics address (default %s; "
		"\"off\": none)\n"
		"  --dry-run              decide and log, write nothing\n"
		"  --once                 one tick, print its decisions as "
		"JSON, exit\n"
		"  --foreground           stay in the foreground (xlbd never "
		"forks;\n"
		"                         accepted for systemd and scripts)\n"
		"  --log-format text|json stderr format (default text, or "
		"log.format)\n"
		"  -h, --help             this text\n\n"
		"Signals: SIGHUP reloads the config (a bad file keeps the old "
		"one),\nSIGTERM/SIGINT stop after saving the state.\n\n"
		"Config keys (JSON objects; key: default  meaning):\n",
		XLBD_CONFIG_DEFAULT, XLB_PIN_DIR_DEFAULT,
		XLBD_STATE_DIR_DEFAULT, XLBD_METRICS_LISTEN_DEFAULT);
	xlbd_config_print_keys(out);
}

int xlbd_parse_args(int argc, char **argv, struct xlbd_options *o, char *err,
		    size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->config_path = XLBD_CONFIG_DEFAULT;
	o->pin_dir = XLB_PIN_DIR_DEFAULT;
	o->state_dir = XLBD_STATE_DIR_DEFAULT;
	o->metrics_listen = XLBD_METRICS_LISTEN_DEFAULT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG:
			o->config_path = optarg;
			o->config_given = true;
			break;
		case OPT_PIN_DIR:
			o->pin_dir = optarg;
			break;
		case OPT_STATE_DIR:
			o->state_dir = optarg;
			break;
		case OPT_METRICS_LISTEN:
			o->metrics_listen = optarg;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_ONCE:
			o->once = true;
			break;
		case OPT_FOREGROUND:
			o->foreground = true;
			break;
		case OPT_LOG_FORMAT:
			if (!strcmp(optarg, "text")) {
				o->log_format = XLBD_LOG_TEXT;
			} else if (!strcmp(optarg, "json")) {
				o->log_format = XLBD_LOG_JSON;
			} else {
				snprintf(err, errlen,
					 "--log-format: \"%s\" is not text or "
					 "json",
					 optarg);
				return -EINVAL;
			}
			o->log_format_given = true;
			break;
		case 'h':
			return 1;
		default:
			snprintf(err, errlen,
				 "%s: unknown option or missing "
				 "value (see xlbd --help)",
				 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "%s: unexpected argument", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- config */

/* The file, or the defaults when the default path has none. */
static int load_config(const struct xlbd_options *o, struct xlbd_config *cfg,
		       bool *defaults)
{
	char err[512];
	int ret;

	*defaults = false;
	ret = xlbd_config_load(o->config_path, cfg, err, sizeof(err));
	if (ret == -ENOENT && !o->config_given) {
		xlbd_config_default(cfg);
		*defaults = true;
		ret = 0;
	} else if (ret) {
		xlbd_log(NULL, "error", "config %s", err);
		return ret;
	}
	if (o->dry_run)
		cfg->brain.dry_run = true;
	return 0;
}

static void reload(struct xlbd *d)
{
	struct xlbd_config cfg;
	bool defaults;
	int ret;

	d->reloads++;
	if (load_config(&d->opt, &cfg, &defaults)) {
		d->reload_errors++;
		xlbd_log(d, "error", "reload refused: the old config stays");
		xlbd_notify("READY=1\nSTATUS=reload refused, old config kept");
		return;
	}
	ret = xlb_brain_reconfigure(d->brain, &cfg.brain);
	if (ret) {
		d->reload_errors++;
		xlbd_log(d, "error",
			 "reload refused: the brain refused the config (%s); "
			 "the old config stays",
			 strerror(-ret));
		xlbd_config_free(&cfg);
		return;
	}
	xlbd_config_move(&d->cfg, &cfg);
	if (!d->opt.log_format_given)
		xlbd_log_format = d->cfg.log_format;
	if (!d->opt.once) {
		xlbd_cluster_reconfigure(d);  /* when a cluster key changed */
		xlbd_announce_reconfigure(d); /* or an announce key */
	}
	/* Probe settings may have changed: every pair takes its new ones. */
	for (size_t i = 0; i < d->n_pairs; i++) {
		xlbd_probe_stop(d, d->pairs[i]);
		d->pairs[i]->probe.kind = xlbd_probe_conf(d, d->pairs[i])->kind;
	}
	xlbd_log(d, "info", "reloaded %s%s", d->opt.config_path,
		 defaults ? " (absent: defaults)" : "");
	xlbd_notify("READY=1\nSTATUS=running, config reloaded");
}

/* ---------------------------------------------------------------- tick */

static void arm_tick(struct xlbd *d)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)d->next_tick;
	its.it_value.tv_nsec =
		(long)((d->next_tick - floor(d->next_tick)) * 1e9);
	timerfd_settime(d->tick_timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void print_once(struct xlbd *d)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < d->plan.n_decisions; i++) {
		const struct xlb_brain_decision *dec = &d->plan.decisions[i];
		const struct xlbd_pair *p = d->pairs[dec->pair];
		char *line = xlbd_decision_json(xlbd_wall(), p->vip_text,
						p->addr_text, dec,
						d->cfg.brain.dry_run, false);

		json_object_array_add(arr, json_tokener_parse(line));
		free(line);
	}
	printf("%s\n",
	       json_object_to_json_string_ext(
		       arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(arr);
}

static void tick(struct xlbd *d)
{
	double t0 = xlbd_now(), t, wall = xlbd_wall();
	int ret;

	d->tick_lateness_s = d->opt.once ? 0 : fmax(0, t0 - d->next_tick);
	if (d->tick_lateness_s > d->tick_lateness_max_s)
		d->tick_lateness_max_s = d->tick_lateness_s;
	if (d->tick_lateness_s > d->cfg.brain.tick_s / 2) {
		d->ticks_late++;
		xlbd_log(d, "warn", "tick %llu is %.0f ms late",
			 (unsigned long long)d->ticks,
			 d->tick_lateness_s * 1e3);
	}
	/* The next one keeps the period, whatever this one costs. */
	do
		d->next_tick += d->cfg.brain.tick_s;
	while (d->next_tick <= t0);
	if (!d->opt.once)
		arm_tick(d);

	ret = xlbd_collect(d, t0);
	t = xlbd_now();
	d->stage_s[XLBD_STAGE_COLLECT] = t - t0;
	if (ret) {
		xlbd_log(d, "error", "collect: %s", xlb_errmsg());
		return;
	}
	ret = xlb_brain_tick(d->brain, &d->snap, &d->plan);
	if (ret) {
		xlbd_log(d, "error", "brain tick: %s", strerror(-ret));
		d->plan.n_decisions = 0;
	}
	d->stage_s[XLBD_STAGE_FEATURES] = d->plan.features_s;
	d->stage_s[XLBD_STAGE_MODELS] = d->plan.models_s;
	d->stage_s[XLBD_STAGE_POLICY] = d->plan.policy_s;
	for (size_t i = 0; !ret && i < d->n_pairs; i++) {
		d->pairs[i]->out = d->plan.pairs[i];
		d->pairs[i]->have_out = true;
	}
	for (size_t i = 0; !ret && i < d->n_vips; i++) {
		d->vips[i].out = d->plan.vips[i];
		d->vips[i].have_out = true;
	}

	t0 = xlbd_now();
	/* Probes due during the table swap's RCU wait go out first. */
	xlbd_probe_run(d, t0, t0 + 0.02);
	d->log_s = 0;
	ret = xlbd_apply_plan(d);
	t = xlbd_now();
	/* Each decision is logged as it is applied: the two apart. */
	d->stage_s[XLBD_STAGE_LOG] = d->log_s;
	d->stage_s[XLBD_STAGE_APPLY] = t - t0 - d->log_s;
	xlbd_scale_hook_tick(d, t); /* spawns and reaps, never waits */
	xlbd_cluster_tick(d);	    /* leader: publish; follower: report */

	t0 = t;
	if (d->store && !d->opt.once)
		xlbd_store_tick(d, wall);
	t = xlbd_now();
	d->stage_s[XLBD_STAGE_STORE] = t - t0;

	t0 = t;
	d->ticks++;
	free(d->metrics_text);
	d->metrics_text = xlbd_metrics_render(d, &d->metrics_len);
	xlbd_status_tick(d); /* the status page's forecast history */
	t = xlbd_now();
	d->stage_s[XLBD_STAGE_METRICS] = t - t0;
	xlbd_http_run(d); /* idle /metrics connections time out */

	d->tick_s = 0;
	for (int s = 0; s < XLBD_STAGE_N; s++) {
		d->tick_s += d->stage_s[s];
		d->stage_total_s[s] += d->stage_s[s];
	}
	if (d->opt.once)
		print_once(d);
}

/* ---------------------------------------------------------------- loop */

static void on_tick_timer(struct xlbd_watch *w, uint32_t events)
{
	struct xlbd *d =
		(void *)((char *)w - offsetof(struct xlbd, tick_timer));
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0)
		return;
	tick(d);
}

static void on_probe_timer(struct xlbd_watch *w, uint32_t events)
{
	struct xlbd *d =
		(void *)((char *)w - offsetof(struct xlbd, probe_timer));
	uint64_t n;
	double now;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	now = xlbd_now();
	xlbd_probe_run(d, now, now);
	xlbd_scrape_run(d, now);
	xlbd_promql_run(d, now);
}

static void on_signal(struct xlbd_watch *w, uint32_t events)
{
	struct xlbd *d =
		(void *)((char *)w - offsetof(struct xlbd, signal_watch));
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			d->reload = true;
		else
			d->stop = true;
	}
}

static int make_state_dir(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int setup_loop(struct xlbd *d)
{
	sigset_t mask;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->tick_timer.fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->tick_timer.fn = on_tick_timer;
	d->probe_timer.fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->probe_timer.fn = on_probe_timer;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->signal_watch.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->signal_watch.fn = on_signal;
	if (d->epfd < 0 || d->tick_timer.fd < 0 || d->probe_timer.fd < 0 ||
	    d->signal_watch.fd < 0)
		return -errno;
	if (xlbd_watch_add(d, &d->tick_timer, EPOLLIN) ||
	    xlbd_watch_add(d, &d->probe_timer, EPOLLIN) ||
	    xlbd_watch_add(d, &d->signal_watch, EPOLLIN))
		return -errno;
	return 0;
}

static void run(struct xlbd *d)
{
	struct epoll_event evs[64];

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 64, 1000);

		for (int i = 0; i < n; i++) {
			struct xlbd_watch *w = evs[i].data.ptr;

			/* the events after this one, for xlbd_watch_del */
			d->pending = evs + i + 1;
			d->n_pending = n - i - 1;
			if (w) /* NULL: deleted by an earlier handler */
				w->fn(w, evs[i].events);
		}
		d->pending = NULL;
		d->n_pending = 0;
		if (d->reload) {
			d->reload = false;
			reload(d);
		}
	}
}

int main(int argc, char **argv)
{
	struct xlbd d = { .epfd = -1 };
	char err[512];
	bool defaults;
	int ret;

	ret = xlbd_parse_args(argc, argv, &d.opt, err, sizeof(err));
	if (ret == 1) {
		usage(stdout);
		return 0;
	}
	if (ret) {
		fprintf(stderr, "xlbd: %s\n", err);
		return 1;
	}
	if (d.opt.log_format_given)
		xlbd_log_format = d.opt.log_format;
	if (load_config(&d.opt, &d.cfg, &defaults))
		return 1;
	if (!d.opt.log_format_given)
		xlbd_log_format = d.cfg.log_format;
	ret = xlb_brain_create(&d.cfg.brain, &d.brain);
	if (ret) {
		xlbd_log(&d, "error", "brain: %s", strerror(-ret));
		return 1;
	}
	ret = xlb_open(d.opt.pin_dir, &d.xlb);
	if (ret) {
		xlbd_log(&d, "error", "open %s: %s", d.opt.pin_dir,
			 xlb_errmsg());
		return ret == -ENOENT ? 2 : 5;
	}
	if (!d.opt.once) {
		ret = make_state_dir(d.opt.state_dir);
		if (ret) {
			xlbd_log(&d, "error", "state dir %s: %s",
				 d.opt.state_dir, strerror(-ret));
			return 5;
		}
	}
	ret = setup_loop(&d);
	if (!ret)
		ret = xlbd_curl_init(&d);
	if (!ret)
		ret = xlbd_probe_init(&d);
	if (ret) {
		xlbd_log(&d, "error", "event loop: %s", strerror(-ret));
		return 5;
	}
	d.start_mono = xlbd_now();
	srand((unsigned int)(getpid() ^ (pid_t)(xlbd_wall() * 1e3)));
	if (!d.opt.once) {
		if (d.cfg.store_enabled && xlbd_store_open(&d))
			return 5;
		if (d.store)
			xlbd_store_load_brain(&d);
		if (xlbd_decision_log_open(&d))
			return 5;
		if (xlbd_http_start(&d))
			return 5;
	}
	/* Adopt what the maps hold before the first tick. */
	ret = xlbd_collect_pairs(&d);
	if (ret) {
		xlbd_log(&d, "error", "read the maps: %s", xlb_errmsg());
		return 5;
	}
	if (!d.opt.once && xlbd_cluster_start(&d))
		return 5;
	if (!d.opt.once && xlbd_announce_start(&d))
		return 5;
	if (d.opt.once) {
		d.next_tick = xlbd_now();
		/* Rates need two reads: the first is a tick apart. */
		xlbd_collect(&d, xlbd_now());
		usleep((useconds_t)(fmin(d.cfg.brain.tick_s, 1.0) * 1e6));
		tick(&d);
		ret = 0;
		goto out;
	}
	xlbd_log(&d, "info",
		 "started: %zu VIPs, %zu pairs, config %s%s, pins %s, state "
		 "%s%s",
		 d.n_vips, d.n_pairs, d.opt.config_path,
		 defaults ? " (absent: defaults)" : "", d.opt.pin_dir,
		 d.opt.state_dir, d.cfg.brain.dry_run ? ", dry run" : "");
	d.next_tick = xlbd_now() + d.cfg.brain.tick_s;
	arm_tick(&d);
	xlbd_probe_run(&d, xlbd_now(), xlbd_now());
	xlbd_notify("READY=1\nSTATUS=running");
	run(&d);
	xlbd_notify("STOPPING=1");
	xlbd_log(&d, "info", "stopping after %llu ticks",
		 (unsigned long long)d.ticks);
out:
	xlbd_announce_stop(&d); /* the route withdrawn first */
	xlbd_cluster_stop(&d);
	if (d.store) {
		xlbd_store_tick(&d, xlbd_wall()); /* saves the brain state */
		xlbd_store_close(&d);
	}
	xlbd_http_stop(&d);
	xlbd_decision_log_close(&d);
	xlbd_probe_fini(&d);
	xlbd_promql_free(&d);
	xlbd_pairs_free(&d);
	xlbd_curl_fini(&d);
	xlb_stats_free(&d.stats);
	xlbd_scale_hook_fini(&d);
	xlb_brain_destroy(d.brain);
	xlb_close(d.xlb);
	free(d.metrics_text);
	xlbd_config_free(&d.cfg);
	return ret ? 1 : 0;
}
