#!/usr/bin/env bash
# xlb-model on small CSV files: what it prints, and how it refuses bad
# input (a clear message on stderr and a non-zero exit, every time).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/testing.sh

BUILD=${BUILD:-build}
XM=$BUILD/xlb-model
if [[ ! -x $XM ]]; then
	fail models_cli "$XM not built (make)"
	summary
	exit
fi
T=$(mktemp -d /tmp/xlb-model-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT

# Deterministic pseudo-random data; the values only need to vary.
awk 'BEGIN { srand(7); print "a,b,c";
	for (i = 0; i < 500; i++) printf "%.6f,%.6f,%.6f\n", rand(), rand() * 10, rand() - i / 1000 }' >"$T/train.csv"
head -n 38 "$T/train.csv" >"$T/score.csv"
tail -n +2 "$T/score.csv" >"$T/score-noheader.csv"
awk -F, 'NR == 1 { print "extra,c,a,b"; next } { print NR "," $3 "," $1 "," $2 }' "$T/score.csv" >"$T/score-reordered.csv"
awk 'BEGIN { srand(3); print "time,load"; y = 100;
	for (i = 0; i < 400; i++) { y = 100 + 0.6 * (y - 100) + 10 * (rand() - 0.5); printf "%d,%.4f\n", i, y } }' >"$T/series.csv"

# expect_fail NAME PATTERN COMMAND...: non-zero exit and PATTERN on stderr.
expect_fail() {
	local name=$1 pattern=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if ((rc == 0)); then
		fail "$name" "exit status 0"
	elif ((rc >= 128)); then
		fail "$name" "killed by signal $((rc - 128))"
	elif ! grep -qF -- "$pattern" "$T/err"; then
		fail "$name" "stderr lacks \"$pattern\": $(head -c 300 "$T/err")"
	else
		pass "$name"
	fi
}

# --- iforest ---------------------------------------------------------------
$XM iforest --train "$T/train.csv" --score "$T/score.csv" --seed 4 >"$T/s1"
if [[ $(wc -l <"$T/s1") -eq 37 ]] &&
	awk '!($1 > 0 && $1 < 1) { exit 1 }' "$T/s1"; then
	pass iforest_prints_one_score_in_0_1_per_row
else
	fail iforest_prints_one_score_in_0_1_per_row "$(wc -l <"$T/s1") lines: $(head -3 "$T/s1" | tr '\n' ' ')"
fi

$XM iforest --train "$T/train.csv" --score "$T/score.csv" --seed 4 >"$T/s2"
$XM iforest --train "$T/train.csv" --score "$T/score.csv" --seed 5 >"$T/s3"
if cmp -s "$T/s1" "$T/s2" && ! cmp -s "$T/s1" "$T/s3"; then
	pass iforest_same_seed_same_scores_other_seed_other_scores
else
	fail iforest_same_seed_same_scores_other_seed_other_scores "outputs compared wrongly"
fi

$XM iforest --train "$T/train.csv" --score "$T/score-noheader.csv" --seed 4 >"$T/s4"
check iforest_score_file_header_is_optional cmp "$T/s1" "$T/s4"

$XM iforest --train "$T/train.csv" --score "$T/score.csv" --columns a,c >"$T/s5"
$XM iforest --train "$T/train.csv" --score "$T/score.csv" --columns 1,3 >"$T/s6"
if cmp -s "$T/s5" "$T/s6" && [[ $(wc -l <"$T/s5") -eq 37 ]]; then
	pass iforest_columns_by_name_or_number
else
	fail iforest_columns_by_name_or_number "outputs differ"
fi

$XM iforest --train "$T/train.csv" --seed 4 --save "$T/model.xlbf" &&
	$XM iforest --load "$T/model.xlbf" --score "$T/score.csv" >"$T/s7"
check iforest_saved_model_scores_the_same cmp "$T/s1" "$T/s7"

$XM iforest --load "$T/model.xlbf" --score "$T/score-reordered.csv" >"$T/s8"
check iforest_loaded_model_finds_its_columns_by_name cmp "$T/s1" "$T/s8"

# --- forecast --------------------------------------------------------------
$XM forecast --csv "$T/series.csv" --column load >"$T/f1" 2>"$T/f1.err"
if [[ $(wc -l <"$T/f1") -eq 400 && -z $(head -n 1 "$T/f1") && -n $(sed -n 2p "$T/f1") ]]; then
	pass forecast_one_line_per_row_empty_without_history
else
	fail forecast_one_line_per_row_empty_without_history "$(wc -l <"$T/f1") lines, first \"$(head -n 1 "$T/f1")\""
fi
if grep -q 'MAE .* RMSE .* sMAPE .*%' "$T/f1.err"; then
	pass forecast_prints_error_summary_on_stderr
else
	fail forecast_prints_error_summary_on_stderr "$(cat "$T/f1.err")"
fi

# Change row 301 (file line 302, output line 301): the forecasts up to and
# including that row's must not move; the next one must.
awk -F, 'NR == 302 { print $1 "," $2 * 3; next } { print }' "$T/series.csv" >"$T/series-changed.csv"
$XM forecast --csv "$T/series-changed.csv" --column load >"$T/f2" 2>/dev/null
if cmp -s <(head -n 301 "$T/f1") <(head -n 301 "$T/f2") &&
	! cmp -s <(sed -n 302p "$T/f1") <(sed -n 302p "$T/f2"); then
	pass forecast_for_a_row_uses_only_earlier_rows
else
	fail forecast_for_a_row_uses_only_earlier_rows "earlier forecasts moved, or the next did not"
fi

$XM forecast --csv "$T/series.csv" --column 2 --model last >"$T/f3" 2>/dev/null
if cmp -s <(tail -n +2 "$T/f3") <(tail -n +2 "$T/series.csv" | head -n 399 | cut -d, -f2 | awk '{ printf "%.10g\n", $1 }'); then
	pass forecast_last_model_repeats_the_previous_row
else
	fail forecast_last_model_repeats_the_previous_row "$(head -3 "$T/f3" | tr '\n' ' ')"
fi

for m in ar ses auto; do
	if $XM forecast --csv "$T/series.csv" --column load --model $m --lags 3 --window 100 >"$T/f4" 2>/dev/null &&
		[[ $(wc -l <"$T/f4") -eq 400 ]]; then
		pass "forecast_model_${m}_runs"
	else
		fail "forecast_model_${m}_runs" "exit or line count wrong"
	fi
done

# --- bad input -------------------------------------------------------------
: >"$T/empty.csv"
printf 'a,b\n' >"$T/header-only.csv"
printf 'a,b\n1,2\n3,4\n5,abc\n' >"$T/text.csv"
printf 'a,b,c\n1,2,3\n4,5\n' >"$T/ragged.csv"
printf 'a,b\n1,2\n3,nan\n' >"$T/nan.csv"
printf 'a,b\n1,2\ninf,3\n' >"$T/inf.csv"
head -c 1000 "$T/model.xlbf" >"$T/truncated.xlbf"
cp "$T/train.csv" "$T/foreign.xlbf"

expect_fail bad_input_empty_csv "empty.csv: no rows" \
	$XM iforest --train "$T/empty.csv" --score "$T/score.csv"
expect_fail bad_input_header_only_csv "header-only.csv: a header but no data rows" \
	$XM forecast --csv "$T/header-only.csv" --column a
expect_fail bad_input_non_numeric_cell 'text.csv: line 4, column 2 (b): "abc" is not a number' \
	$XM iforest --train "$T/text.csv" --score "$T/score.csv"
expect_fail bad_input_non_numeric_cell_in_series 'line 4, column 2 (b): "abc" is not a number' \
	$XM forecast --csv "$T/text.csv" --column b
expect_fail bad_input_mismatched_column_count "ragged.csv: line 3: 2 fields, expected 3" \
	$XM iforest --train "$T/train.csv" --score "$T/ragged.csv"
expect_fail bad_input_nan_value 'nan.csv: line 3, column 2 (b): "nan" is not a finite number' \
	$XM iforest --train "$T/nan.csv" --score "$T/score.csv"
expect_fail bad_input_infinite_value 'inf.csv: line 3, column 1 (a): "inf" is not a finite number' \
	$XM forecast --csv "$T/inf.csv" --column a
expect_fail bad_input_unknown_column 'unknown column "zz"' \
	$XM iforest --train "$T/train.csv" --score "$T/score.csv" --columns a,zz
expect_fail bad_input_unknown_series_column 'unknown column "zz"' \
	$XM forecast --csv "$T/series.csv" --column zz
expect_fail bad_input_train_and_load_together "give exactly one of --train and --load" \
	$XM iforest --train "$T/train.csv" --load "$T/model.xlbf" --score "$T/score.csv"
expect_fail bad_input_score_width_differs "2 columns chosen, the model has 3 features" \
	$XM iforest --load "$T/model.xlbf" --score "$T/nan.csv" --columns a,b
expect_fail bad_input_missing_model_file "missing.xlbf: cannot load model: input/output error: No such file or directory" \
	$XM iforest --load "$T/missing.xlbf" --score "$T/score.csv"
expect_fail bad_input_foreign_model_file "not an xlb model file" \
	$XM iforest --load "$T/foreign.xlbf" --score "$T/score.csv"
expect_fail bad_input_truncated_model_file "model file is truncated or corrupt" \
	$XM iforest --load "$T/truncated.xlbf" --score "$T/score.csv"
expect_fail bad_input_model_path_is_a_directory "not a regular file" \
	$XM iforest --load "$T" --score "$T/score.csv"
expect_fail bad_input_option_out_of_range '--trees: "0" is not an integer' \
	$XM iforest --train "$T/train.csv" --score "$T/score.csv" --trees 0
expect_fail bad_input_unknown_model '--model: "arima" is not one of' \
	$XM forecast --csv "$T/series.csv" --column load --model arima
expect_fail bad_input_unknown_command 'unknown command "train"' $XM train

summary
