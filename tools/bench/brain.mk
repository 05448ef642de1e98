# The brain core's tick benchmark (1,000 pairs over 4 VIPs, synthetic
# snapshots): $(BUILD)/bench/brain-tick-bench, run by make bench.
$(BUILD)/bench/brain-tick-bench: tools/bench/brain_tick_bench.c $(LIBXLBBRAIN) $(MODELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O2 -Iuser/xlbd/core -Iuser/models -o $@ $< $(LIBXLBBRAIN) $(MODELS_LIB) -lm

BENCH_BINS += $(BUILD)/bench/brain-tick-bench
