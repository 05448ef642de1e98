# The models library (forecaster, Isolation Forest, model file, CSV reader):
# $(BUILD)/libxlbmodels.a, plain C, no BPF. -ffp-contract=off keeps the
# arithmetic identical on every architecture (no fused multiply-adds), so a
# seed gives the same forest everywhere. Link with -lm, and -lcsv when the
# CSV reader is used.
MODELS_SRCS := $(wildcard user/models/*.c)
MODELS_OBJS := $(patsubst user/models/%.c,$(BUILD)/models/%.o,$(MODELS_SRCS))
MODELS_LIB  := $(BUILD)/libxlbmodels.a
MODELS_CFLAGS = $(CFLAGS) -O3 -ffp-contract=off -Iuser/models -MMD -MP

$(BUILD)/models/%.o: user/models/%.c
	@mkdir -p $(@D)
	$(CC) $(MODELS_CFLAGS) -c $< -o $@

$(MODELS_LIB): $(MODELS_OBJS)
	$(archive)

BINS += $(MODELS_LIB)

-include $(MODELS_OBJS:.o=.d)

# The library's benchmark program (tools/bench/models/, run by
# tools/bench/bench-models.sh next to scikit-learn on the same data).
$(BUILD)/bench/models-bench: tools/bench/models/bench_models.c $(MODELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(MODELS_CFLAGS) -o $@ $< $(MODELS_LIB) -lcsv -lm

BENCH_BINS += $(BUILD)/bench/models-bench

-include $(BUILD)/bench/models-bench.d
