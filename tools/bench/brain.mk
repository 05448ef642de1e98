# The brain core's tick benchmark (1,000 pairs over 4 VIPs, synthetic
# snapshots): $(BUILD)/bench/brain-tick-bench, run by make bench.
$(BUILD)/bench/brain-tick-bench: tools/bench/brain_tick_bench.c $(LIBXLBBRAIN) $(MODELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O2 -Iuser/xlbd/core -Iuser/models -o $@ $< $(LIBXLBBRAIN) $(MODELS_LIB) -lm

BENCH_BINS += $(BUILD)/bench/brain-tick-bench

# xlbd's whole tick on pinned maps (collect, brain, apply with table
# rebuilds), over the daemon's objects without main.o.
$(BUILD)/bench/xlbd-tick-bench: tools/bench/xlbd_tick_bench.c $(XLBD_LIB_OBJS) $(LIBXLB) $(XLBD_DEPLIBS)
	@mkdir -p $(@D)
	$(CC) $(XLBD_CFLAGS) $< $(XLBD_LIB_OBJS) $(XLBD_LIBS) -o $@

BENCH_BINS += $(BUILD)/bench/xlbd-tick-bench
-include $(BUILD)/bench/xlbd-tick-bench.d
