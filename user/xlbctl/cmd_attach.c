// SPDX-License-Identifier: GPL-2.0
/* attach, detach and status: the instance and where its program runs. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "output.h"
#include "report.h"
#include "session.h"

/* Undoes a creation this command made when its attach failed. */
static void undo_create(struct xlb *xlb, const struct stat *dir_before)
{
	struct xlb_attachment *att;
	struct xlb_vip_entry *vips;
	char dir[PATH_MAX];
	size_t n_att = 1, n_vips = 1;

	snprintf(dir, sizeof(dir), "%s", xlb_pin_dir(xlb));
	/* Only if still empty: another writer may have adopted it since. */
	if (!xlb_attachments(xlb, &att, &n_att))
		free(att);
	if (!xlb_vip_list(xlb, &vips, &n_vips))
		free(vips);
	if (!n_att && !n_vips && !xlb_destroy(xlb) && dir_before)
		mkdir(dir, dir_before->st_mode & 07777);
	xlb_close(xlb);
}

/* Opens the instance, creating it on first attach; *created says which. */
static int open_or_create(const struct cli *cli, struct xlb **xlb,
			  bool *created, struct stat *dir_before,
			  bool *dir_existed)
{
	struct xlb_create_opts opts = {
		.conn_table_size = cli->conn_table_size,
		.udp_timeout_s = cli->udp_timeout_s,
		.hash_seed = cli->hash_seed,
		.lock_timeout_ms = cli->lock_timeout_ms,
	};
	__u32 size;
	int err, rc;

	/* A random seed unless told: placement must not be predictable. */
	if (!cli->has_hash_seed &&
	    getrandom(&opts.hash_seed, sizeof(opts.hash_seed), 0) !=
		    sizeof(opts.hash_seed))
		return report(cli, -errno, "read a random hash seed: %s",
			      strerror(errno));
	*created = false;
	*dir_existed = !stat(cli->pin_path, dir_before);
	err = xlb_open(cli->pin_path, xlb);
	if (err == -ENOENT) {
		err = xlb_create(cli->pin_path, &opts, xlb);
		if (err)
			return report_lib(cli, err);
		*created = true;
		return 0;
	}
	if (err)
		return report_lib(cli, err);
	rc = session_lock(cli, *xlb);
	if (rc)
		return rc;
	size = xlb_meta(*xlb)->conn_table_size;
	if (cli->conn_table_size && cli->conn_table_size != size) {
		rc = report(cli, -EEXIST,
			    "the instance at %s has a connection table of %u "
			    "entries, fixed when it was created (detach --all "
			    "first to change it)",
			    cli->pin_path, size);
		xlb_close(*xlb);
		return rc;
	}
	return 0;
}

/*
 * With VLAN offload on, the driver strips the 802.1Q tag before XDP sees the
 * frame and XDP_TX sends it untagged: a warning with the fix, not a refusal
 * (untagged VIP traffic is fine, and veth turns offload on by default).
 */
static void warn_vlan_offload(const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GFLAGS };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool rx, tx;

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		close(fd);
		return;
	}
	close(fd);
	rx = ev.data & ETH_FLAG_RXVLAN;
	tx = ev.data & ETH_FLAG_TXVLAN;
	if (!rx && !tx)
		return;
	fprintf(stderr,
		"xlbctl: warning: %s has VLAN offload on (rxvlan %s, txvlan "
		"%s): XDP does not see 802.1Q tags and XDP_TX sends tagged "
		"VIP traffic untagged; if VIP traffic arrives tagged, run: "
		"ethtool -K %s rxvlan off txvlan off\n",
		ifname, rx ? "on" : "off", tx ? "on" : "off", ifname);
}

int cmd_attach(const struct cli *cli)
{
	struct xlb_attach_opts opts = { .mode = cli->mode,
					.force = cli->force };
	struct xlb_config before, cfg;
	bool created, dir_existed = false, config_changed = false;
	struct stat dir_before;
	struct xlb *xlb;
	int err, rc;

	if (!if_nametoindex(cli->ifname))
		return report(cli, -ENODEV, "no interface %s", cli->ifname);
	rc = open_or_create(cli, &xlb, &created, &dir_before, &dir_existed);
	if (rc)
		return rc;
	/* A new instance got its timeout at creation; an old one gets it now. */
	err = xlb_config_get(xlb, &before);
	cfg = before;
	if (cli->udp_timeout_s)
		cfg.udp_timeout_ns = cli->udp_timeout_s * 1000000000ull;
	if (cli->has_hash_seed)
		cfg.hash_seed = cli->hash_seed;
	if (cli->has_new_flow_budget)
		cfg.new_flow_budget = cli->new_flow_budget;
	/* The budget is not a creation option: a new instance gets it here. */
	if (!err && (!created || cli->has_new_flow_budget) &&
	    memcmp(&cfg, &before, sizeof(cfg))) {
		err = xlb_config_set(xlb, &cfg);
		config_changed = !err;
	}
	if (!err)
		err = xlb_attach(xlb, cli->ifname, &opts);
	if (!err) {
		warn_vlan_offload(cli->ifname);
		return session_finish(cli, xlb, 0);
	}

	rc = report_lib(cli, err);
	if (config_changed)
		xlb_config_set(xlb, &before);
	if (created)
		undo_create(xlb, dir_existed ? &dir_before : NULL);
	else
		xlb_close(xlb);
	return rc;
}

int cmd_detach(const struct cli *cli)
{
	struct xlb *xlb;
	int rc, err;

	/* A creation killed part-way left pins without xlb_meta: remove them. */
	if (cli->all) {
		err = xlb_remove_unfinished(cli->pin_path,
					    cli->lock_timeout_ms);
		if (!err)
			return EXIT_OK;
		if (err != -EEXIST && err != -ENOENT)
			return report_lib(cli, err);
	}
	rc = session_open_writer(cli, &xlb);
	if (rc)
		return rc;
	if (!cli->all)
		return session_finish(cli, xlb, xlb_detach(xlb, cli->ifname));
	rc = xlb_destroy(xlb);
	if (rc)
		rc = report_lib(cli, rc);
	xlb_close(xlb);
	return rc;
}

/* --- status --- */

struct status {
	const struct xlb_meta *meta;
	struct xlb_config config;
	struct xlb_attachment *att;
	size_t n_att;
	size_t n_vips, n_stale;
	size_t n_pairs, by_state[3]; /* down, active, draining */
	char **pins;
	size_t n_pins;
	struct xlb_conn_capacity cap;
};

static int pin_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_pins(const char *dir, struct status *s)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		void *grown;

		if (de->d_name[0] == '.')
			continue;
		grown = realloc(s->pins, (s->n_pins + 1) * sizeof(*s->pins));
		if (!grown)
			break;
		s->pins = grown;
		s->pins[s->n_pins++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (s->n_pins)
		qsort(s->pins, s->n_pins, sizeof(*s->pins), pin_cmp);
}

static int status_read(struct xlb *xlb, struct status *s)
{
	struct xlb_vip_entry *vips;
	struct xlb_pair_info *pairs;
	int err;

	s->meta = xlb_meta(xlb);
	err = xlb_config_get(xlb, &s->config);
	if (!err)
		err = xlb_conn_capacity(xlb, &s->cap);
	if (!err)
		err = xlb_attachments(xlb, &s->att, &s->n_att);
	if (!err)
		err = xlb_vip_list(xlb, &vips, &s->n_vips);
	if (err)
		return err;
	for (size_t i = 0; i < s->n_vips; i++)
		s->n_stale += vips[i].table_stale;
	free(vips);
	err = xlb_backend_list(xlb, NULL, &pairs, &s->n_pairs);
	if (err)
		return err;
	for (size_t i = 0; i < s->n_pairs; i++)
		s->by_state[pairs[i].state <= XLB_STATE_DRAINING
				    ? pairs[i].state
				    : XLB_STATE_DOWN]++;
	free(pairs);
	read_pins(xlb_pin_dir(xlb), s);
	return 0;
}

static void status_free(struct status *s)
{
	free(s->att);
	for (size_t i = 0; i < s->n_pins; i++)
		free(s->pins[i]);
	free(s->pins);
}

static const char *mode_name(const struct xlb_attachment *a)
{
	if (!a->ifindex)
		return "gone"; /* a link pin whose interface was removed */
	if (a->elsewhere)
		return "other-netns"; /* another namespace's interface */
	return a->mode == XLB_MODE_GENERIC ? "generic" : "native";
}

static void status_text(const struct cli *cli, const struct status *s)
{
	struct table *t;

	printf("instance  %s (layout version %u)\n", cli->pin_path,
	       s->meta->layout_version);
	printf("limits    %u VIPs, %u backends, %u connections\n",
	       s->meta->max_vips, s->meta->max_backends,
	       s->meta->conn_table_size);
	if (s->cap.per_cpu_lru)
		printf("conns     %u per CPU on %u CPUs: flows arriving on one "
		       "CPU fit in %u\n",
		       s->cap.per_cpu, s->cap.cpus, s->cap.per_cpu);
	printf("settings  UDP timeout %llu s, hash seed 0x%08x\n",
	       (unsigned long long)(s->config.udp_timeout_ns / 1000000000ull),
	       s->config.hash_seed);
	if (s->config.new_flow_budget)
		printf("budget    %u new flows per second per CPU\n",
		       s->config.new_flow_budget);
	else
		printf("budget    new flows unlimited\n");
	printf("VIPs      %zu (%zu with a stale table)\n", s->n_vips,
	       s->n_stale);
	printf("backends  %zu (%zu active, %zu draining, %zu down)\n",
	       s->n_pairs, s->by_state[XLB_STATE_ACTIVE],
	       s->by_state[XLB_STATE_DRAINING], s->by_state[XLB_STATE_DOWN]);
	printf("pins     ");
	for (size_t i = 0; i < s->n_pins; i++)
		printf(" %s", s->pins[i]);
	printf("\n\n");
	if (!s->n_att) {
		printf("not attached to any interface\n");
		return;
	}
	t = table_new("llrr", "INTERFACE", "MODE", "PROGRAM", "LINK", NULL);
	for (size_t i = 0; i < s->n_att; i++) {
		table_row(t);
		table_cell(t, "%s", s->att[i].ifname);
		table_cell(t, "%s", mode_name(&s->att[i]));
		table_cell(t, "%u", s->att[i].prog_id);
		table_cell(t, "%u", s->att[i].link_id);
	}
	table_print(t, stdout);
	table_free(t);
}

static json_object *status_json(const struct cli *cli, const struct status *s)
{
	json_object *doc = json_object_new_object(), *o, *list;

	char lock[PATH_MAX];

	json_object_object_add(doc, "pin_path",
			       json_object_new_string(cli->pin_path));
	if (!xlb_lock_path(cli->pin_path, lock, sizeof(lock)))
		json_object_object_add(doc, "lock",
				       json_object_new_string(lock));
	json_object_object_add(doc, "layout_version",
			       json_object_new_int(s->meta->layout_version));
	o = json_object_new_object();
	json_object_object_add(o, "max_vips",
			       json_object_new_int(s->meta->max_vips));
	json_object_object_add(o, "max_backends",
			       json_object_new_int(s->meta->max_backends));
	json_object_object_add(o, "conn_table_size",
			       json_object_new_int(s->meta->conn_table_size));
	json_object_object_add(o, "conn_table_per_cpu",
			       json_object_new_int64(s->cap.per_cpu));
	json_object_object_add(doc, "limits", o);
	json_object_object_add(
		doc, "udp_timeout_s",
		json_object_new_int(s->config.udp_timeout_ns / 1000000000ull));
	json_object_object_add(doc, "hash_seed",
			       json_object_new_int64(s->config.hash_seed));
	json_object_object_add(
		doc, "new_flow_budget",
		json_object_new_int64(s->config.new_flow_budget));
	json_object_object_add(doc, "vips", json_object_new_int(s->n_vips));
	json_object_object_add(doc, "stale_tables",
			       json_object_new_int(s->n_stale));
	o = json_object_new_object();
	json_object_object_add(o, "total", json_object_new_int(s->n_pairs));
	json_object_object_add(
		o, "active",
		json_object_new_int(s->by_state[XLB_STATE_ACTIVE]));
	json_object_object_add(
		o, "draining",
		json_object_new_int(s->by_state[XLB_STATE_DRAINING]));
	json_object_object_add(
		o, "down", json_object_new_int(s->by_state[XLB_STATE_DOWN]));
	json_object_object_add(doc, "backends", o);
	list = json_object_new_array();
	for (size_t i = 0; i < s->n_att; i++) {
		o = json_object_new_object();
		json_object_object_add(
			o, "interface",
			json_object_new_string(s->att[i].ifname));
		json_object_object_add(o, "ifindex",
				       json_object_new_int(s->att[i].ifindex));
		json_object_object_add(
			o, "elsewhere",
			json_object_new_boolean(s->att[i].elsewhere));
		json_object_object_add(
			o, "mode",
			json_object_new_string(mode_name(&s->att[i])));
		json_object_object_add(
			o, "prog_id", json_object_new_int64(s->att[i].prog_id));
		json_object_object_add(
			o, "link_id", json_object_new_int64(s->att[i].link_id));
		json_object_array_add(list, o);
	}
	json_object_object_add(doc, "attachments", list);
	list = json_object_new_array();
	for (size_t i = 0; i < s->n_pins; i++)
		json_object_array_add(list, json_object_new_string(s->pins[i]));
	json_object_object_add(doc, "pins", list);
	return doc;
}

int cmd_status(const struct cli *cli)
{
	struct status s = {};
	struct xlb *xlb;
	int rc, err;

	rc = session_open(cli, &xlb);
	if (rc)
		return rc;
	err = status_read(xlb, &s);
	if (err) {
		rc = report_lib(cli, err);
	} else if (cli->json) {
		json_object *doc = status_json(cli, &s);

		json_print(doc, stdout, false);
		json_object_put(doc);
	} else {
		status_text(cli, &s);
	}
	status_free(&s);
	xlb_close(xlb);
	return rc;
}
