// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/dev of the agent's network namespace, per interface, named as
 * node_exporter's netdev collector (lo included; dashboards filter it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* The columns of /proc/net/dev that become series, by index. */
static const struct {
	int col;
	const char *name, *help;
} columns[] = {
	{ 0, "node_network_receive_bytes_total", "Bytes received." },
	{ 1, "node_network_receive_packets_total", "Packets received." },
	{ 2, "node_network_receive_errs_total", "Receive errors." },
	{ 3, "node_network_receive_drop_total", "Received packets dropped." },
	{ 8, "node_network_transmit_bytes_total", "Bytes sent." },
	{ 9, "node_network_transmit_packets_total", "Packets sent." },
	{ 10, "node_network_transmit_errs_total", "Transmit errors." },
	{ 11, "node_network_transmit_drop_total", "Sent packets dropped." },
};

int collect_network(struct agent *a)
{
	struct out_buf *o = &a->out;
	char *line, *save = NULL;
	int header = 0;

	if (agent_read(a, a->cfg.proc_root, "net/dev") < 0)
		return -1;
	a->n_devices = 0;
	for (line = strtok_r(a->file, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct net_device *d = &a->devices[a->n_devices];
		char *colon = strchr(line, ':'), *p = line;
		size_t k = 0;

		if (header < 2) { /* two header lines */
			header++;
			continue;
		}
		if (!colon || a->n_devices == AGENT_MAX_DEVICES)
			continue;
		while (*p == ' ')
			p++;
		while (p < colon && k + 1 < sizeof(d->name))
			d->name[k++] = *p++;
		d->name[k] = '\0';
		p = colon + 1;
		for (int c = 0; c < 16; c++)
			d->v[c] = strtoull(p, &p, 10);
		a->n_devices++;
	}
	for (size_t c = 0; c < sizeof(columns) / sizeof(columns[0]); c++) {
		out_family(o, columns[c].name, "counter", columns[c].help);
		for (size_t i = 0; i < a->n_devices; i++) {
			char labels[160], esc[140];

			snprintf(labels, sizeof(labels), "device=\"%s\"",
				 out_escape(esc, sizeof(esc),
					    a->devices[i].name));
			out_sample(o, columns[c].name, labels,
				   (double)a->devices[i].v[columns[c].col]);
		}
	}
	return 0;
}
