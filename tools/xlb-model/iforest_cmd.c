// SPDX-License-Identifier: GPL-2.0
/* xlb-model iforest: train an Isolation Forest on a CSV, score another. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "iforest.h"
#include "model_error.h"
#include "model_file.h"

static const char usage[] =
	"usage: xlb-model iforest --train TRAIN.csv --score TEST.csv\n"
	"                         [--trees N] [--samples PSI] [--seed S]\n"
	"                         [--columns a,b,...] [--save MODEL]\n"
	"       xlb-model iforest --load MODEL --score TEST.csv [--columns "
	"a,b,...]\n"
	"Prints one anomaly score in (0, 1) per row of TEST.csv (near 1:\n"
	"anomalous, 0.5 or less: ordinary). Defaults: 100 trees, psi 256, seed "
	"0.\n";

struct options {
	const char *train, *score, *columns, *save, *load;
	unsigned long long trees, samples, seed;
	bool shape_given;
};

static bool parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "train", required_argument, NULL, 't' },
		{ "score", required_argument, NULL, 's' },
		{ "trees", required_argument, NULL, 'n' },
		{ "samples", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 'S' },
		{ "columns", required_argument, NULL, 'c' },
		{ "save", required_argument, NULL, 'w' },
		{ "load", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*o = (struct options){ .trees = XLB_IFOREST_DEFAULT_TREES,
			       .samples = XLB_IFOREST_DEFAULT_SAMPLES };
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			o->train = optarg;
			break;
		case 's':
			o->score = optarg;
			break;
		case 'n':
			if (!cli_uint("--trees", optarg, 1,
				      XLB_IFOREST_MAX_TREES, &o->trees))
				return false;
			o->shape_given = true;
			break;
		case 'p':
			if (!cli_uint("--samples", optarg, 2,
				      XLB_IFOREST_MAX_SAMPLES, &o->samples))
				return false;
			o->shape_given = true;
			break;
		case 'S':
			if (!cli_uint("--seed", optarg, 0, UINT64_MAX,
				      &o->seed))
				return false;
			o->shape_given = true;
			break;
		case 'c':
			o->columns = optarg;
			break;
		case 'w':
			o->save = optarg;
			break;
		case 'l':
			o->load = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return false;
		}
	}
	if (optind < argc) {
		cli_error("iforest: unexpected argument \"%s\"", argv[optind]);
		return false;
	}
	if (!o->train == !o->load) {
		cli_error("iforest: give exactly one of --train and --load");
		return false;
	}
	if (o->load && (o->shape_given || o->save)) {
		cli_error("iforest: --trees, --samples, --seed and --save "
			  "apply to --train; a loaded model keeps its own");
		return false;
	}
	if (!o->score && !o->save) {
		cli_error("iforest: nothing to do: give --score (and/or "
			  "--save)");
		return false;
	}
	return true;
}

static struct xlb_iforest *train(const struct options *o)
{
	struct xlb_iforest_config cfg = {
		.n_trees = o->trees,
		.max_samples = o->samples,
		.seed = o->seed,
	};
	struct xlb_iforest *forest = NULL;
	const char **names = NULL;
	struct xlb_csv_table t;
	size_t *cols = NULL, n;
	double *x = NULL;
	int err;

	if (!cli_read_csv(o->train, &t))
		return NULL;
	if (!cli_columns(o->train, &t, o->columns, &cols, &n) ||
	    !cli_numbers(o->train, &t, cols, n, &x))
		goto out;
	err = xlb_iforest_create(&cfg, n, &forest);
	if (!err)
		err = xlb_iforest_fit(forest, x, t.n_rows);
	if (err) {
		cli_error("%s: cannot train: %s", o->train,
			  xlb_model_strerror(err));
		xlb_iforest_destroy(forest);
		forest = NULL;
		goto out;
	}
	if (t.has_header) {
		names = calloc(n, sizeof(*names));
		for (size_t j = 0; names && j < n; j++)
			names[j] = xlb_csv_name(&t, cols[j]);
		if (names)
			xlb_iforest_set_feature_names(forest, names);
	}
out:
	free(names);
	free(x);
	free(cols);
	xlb_csv_free(&t);
	return forest;
}

/* Columns of the scored file: as asked, by the model's names, or all. */
static bool score_columns(const struct options *o,
			  const struct xlb_iforest *forest,
			  const struct xlb_csv_table *t, size_t **cols,
			  size_t *n)
{
	struct xlb_iforest_info info;

	xlb_iforest_get_info(forest, &info);
	if (!o->columns && t->has_header &&
	    xlb_iforest_feature_name(forest, 0)[0]) {
		*cols = calloc(info.n_features, sizeof(**cols));
		if (!*cols)
			return false;
		for (unsigned int j = 0; j < info.n_features; j++) {
			const char *name = xlb_iforest_feature_name(forest, j);
			long c = xlb_csv_find_column(t, name);

			if (c < 0) {
				cli_error("%s: no column \"%s\", which the "
					  "model was trained on",
					  o->score, name);
				free(*cols);
				*cols = NULL;
				return false;
			}
			(*cols)[j] = c;
		}
		*n = info.n_features;
		return true;
	}
	if (!cli_columns(o->score, t, o->columns, cols, n))
		return false;
	if (*n != info.n_features) {
		cli_error("%s: %zu columns chosen, the model has %u features",
			  o->score, *n, info.n_features);
		free(*cols);
		*cols = NULL;
		return false;
	}
	return true;
}

static bool score(const struct options *o, const struct xlb_iforest *forest)
{
	struct xlb_csv_table t;
	double *x = NULL, *scores = NULL;
	size_t *cols = NULL, n;
	bool ok = false;
	int err;

	if (!cli_read_csv(o->score, &t))
		return false;
	if (!score_columns(o, forest, &t, &cols, &n) ||
	    !cli_numbers(o->score, &t, cols, n, &x))
		goto out;
	scores = malloc(t.n_rows * sizeof(*scores));
	if (!scores) {
		cli_error("%s: out of memory", o->score);
		goto out;
	}
	err = xlb_iforest_score(forest, x, t.n_rows, scores);
	if (err) {
		cli_error("%s: cannot score: %s", o->score,
			  xlb_model_strerror(err));
		goto out;
	}
	for (size_t i = 0; i < t.n_rows; i++)
		printf("%.10f\n", scores[i]);
	ok = fflush(stdout) == 0;
	if (!ok)
		cli_error("writing the scores failed");
out:
	free(scores);
	free(x);
	free(cols);
	xlb_csv_free(&t);
	return ok;
}

int cmd_iforest(int argc, char **argv)
{
	struct xlb_iforest *forest = NULL;
	struct options o;
	char detail[256];
	int err, rc = 1;

	if (!parse_options(argc, argv, &o))
		return EXIT_USAGE;
	if (o.load) {
		err = xlb_iforest_load(o.load, &forest, detail, sizeof(detail));
		if (err) {
			cli_error("%s: cannot load model: %s%s%s", o.load,
				  xlb_model_strerror(err),
				  detail[0] ? ": " : "", detail);
			return 1;
		}
	} else {
		forest = train(&o);
		if (!forest)
			return 1;
	}
	if (o.save) {
		err = xlb_iforest_save(forest, o.save);
		if (err == XLB_MODEL_EIO) {
			cli_error("%s: cannot save model: %m", o.save);
			goto out;
		}
		if (err) {
			cli_error("%s: cannot save model: %s", o.save,
				  xlb_model_strerror(err));
			goto out;
		}
	}
	if (o.score && !score(&o, forest))
		goto out;
	rc = 0;
out:
	xlb_iforest_destroy(forest);
	return rc;
}
