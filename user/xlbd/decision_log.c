// SPDX-License-Identifier: GPL-2.0
/*
 * The decision log: every change the brain wants, as one JSON line in
 * STATE_DIR/decisions.jsonl (what `xlbctl decisions` reads) and on stderr
 * (text or JSON), with the time, VIP, backend, old -> new, rule, scores,
 * the model's numbers and the features that deviated most.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "xlbd.h"

#define DECISION_LOG "decisions.jsonl"
/*
 * Past this size the log becomes decisions.jsonl.1 (one old file kept):
 * bounded like the history. xlbctl decisions --follow reopens on rename.
 */
#define DECISION_LOG_MAX_BYTES (64u << 20)

static void rotate(struct xlbd *d)
{
	char path[4096], old[4200];

	if (ftell(d->decision_log) < (long)DECISION_LOG_MAX_BYTES)
		return;
	snprintf(path, sizeof(path), "%s/%s", d->opt.state_dir, DECISION_LOG);
	snprintf(old, sizeof(old), "%s.1", path);
	fclose(d->decision_log);
	d->decision_log = NULL;
	if (rename(path, old))
		xlbd_log(d, "warn", "decision log %s: rotate: %s", path,
			 strerror(errno));
	xlbd_decision_log_open(d);
}

static json_object *number(double x)
{
	/* JSON has no NaN: unknown is null. */
	return isfinite(x) ? json_object_new_double(x) : NULL;
}

static const char *health_name(__u32 h)
{
	return h == XLB_HEALTH_OK	  ? "ok"
	       : h == XLB_HEALTH_DRAINING ? "draining"
	       : h == XLB_HEALTH_DOWN	  ? "down"
					  : "unknown";
}

static const char *op_name(__u32 s)
{
	return s == XLB_OP_ACTIVE     ? "active"
	       : s == XLB_OP_DRAINING ? "draining"
	       : s == XLB_OP_DOWN     ? "down"
	       : s == XLB_OP_STANDBY  ? "standby"
				      : "unknown";
}

char *xlbd_decision_json(double wall, const char *vip, const char *backend,
			 const struct xlb_brain_decision *dec, bool dry_run,
			 bool applied)
{
	json_object *o = json_object_new_object(), *top;
	char *line;

	json_object_object_add(o, "time", json_object_new_double(wall));
	json_object_object_add(o, "vip", json_object_new_string(vip));
	json_object_object_add(o, "backend", json_object_new_string(backend));
	json_object_object_add(
		o, "rule",
		json_object_new_string(xlb_brain_rule_name(dec->rule)));
	json_object_object_add(o, "old_factor",
			       json_object_new_double(dec->old_factor /
						      (double)XLB_FACTOR_ONE));
	json_object_object_add(o, "new_factor",
			       json_object_new_double(dec->new_factor /
						      (double)XLB_FACTOR_ONE));
	json_object_object_add(
		o, "old_health",
		json_object_new_string(health_name(dec->old_health)));
	json_object_object_add(
		o, "new_health",
		json_object_new_string(health_name(dec->new_health)));
	if (dec->old_op_state != dec->new_op_state) {
		json_object_object_add(
			o, "old_op_state",
			json_object_new_string(op_name(dec->old_op_state)));
		json_object_object_add(
			o, "new_op_state",
			json_object_new_string(op_name(dec->new_op_state)));
	}
	json_object_object_add(o, "anomaly_score", number(dec->anomaly_score));
	json_object_object_add(o, "predicted_util",
			       number(dec->predicted_util));
	top = json_object_new_array();
	for (unsigned int i = 0; i < dec->n_top && i < XLB_BRAIN_TOP_FEATURES;
	     i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(
			f, "name", json_object_new_string(dec->top[i].name));
		json_object_object_add(f, "value", number(dec->top[i].value));
		json_object_object_add(f, "fleet_median",
				       number(dec->top[i].fleet_median));
		json_object_object_add(f, "own_mean",
				       number(dec->top[i].own_mean));
		json_object_array_add(top, f);
	}
	json_object_object_add(o, "features", top);
	json_object_object_add(o, "reason",
			       json_object_new_string(dec->reason));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(o, "applied", json_object_new_boolean(applied));
	line = strdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return line;
}

int xlbd_decision_log_open(struct xlbd *d)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", d->opt.state_dir, DECISION_LOG);
	d->decision_log = fopen(path, "ae");
	if (!d->decision_log) {
		xlbd_log(d, "error", "decision log %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

void xlbd_decision_log_close(struct xlbd *d)
{
	if (d->decision_log)
		fclose(d->decision_log);
	d->decision_log = NULL;
}

void xlbd_decision_log(struct xlbd *d, const struct xlbd_pair *p,
		       const struct xlb_brain_decision *dec, bool applied)
{
	double wall = xlbd_wall(), t0 = xlbd_now();
	char *line = xlbd_decision_json(wall, p->vip_text, p->addr_text, dec,
					d->cfg.brain.dry_run, applied);

	if (!line)
		return;
	if (d->decision_log) {
		fprintf(d->decision_log, "%s\n", line);
		fflush(d->decision_log);
		rotate(d);
	}
	if (d->store)
		xlbd_store_decision(d, wall, line, p, dec);
	if (!d->opt.once && xlbd_log_json())
		fprintf(stderr, "%s\n", line);
	else if (!d->opt.once)
		xlbd_log(d, "decision",
			 "%s %s: %s, factor %.3f -> %.3f, health "
			 "%s -> %s%s: %s",
			 p->vip_text, p->addr_text,
			 xlb_brain_rule_name(dec->rule),
			 dec->old_factor / (double)XLB_FACTOR_ONE,
			 dec->new_factor / (double)XLB_FACTOR_ONE,
			 health_name(dec->old_health),
			 health_name(dec->new_health),
			 d->cfg.brain.dry_run ? " (dry run: not written)"
			 : applied	      ? ""
					      : " (NOT written)",
			 dec->reason);
	free(line);
	d->log_s += xlbd_now() - t0;
}
