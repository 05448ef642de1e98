# Unit tests of the models library: one program per module in
# $(BUILD)/tests/unit/models_*, run by tests/run.sh; helpers the parity
# scripts call live in $(BUILD)/tests/unit/models/ (not run as tests).
MODELS_TESTS := ols forecast iforest threshold model_file csv
MODELS_TEST_BINS := $(addprefix $(BUILD)/tests/unit/models_,$(MODELS_TESTS))
MODELS_TEST_CFLAGS = $(CFLAGS) -Iuser/models -Itests/lib -MMD -MP

$(BUILD)/tests/unit/models_%: tests/unit/models/test_%.c $(BUILD)/tests/lib/testing.o $(BUILD)/libxlbmodels.a
	@mkdir -p $(@D)
	$(CC) $(MODELS_TEST_CFLAGS) -o $@ $< $(BUILD)/tests/lib/testing.o $(BUILD)/libxlbmodels.a -lcsv -lm -lpthread

$(BUILD)/tests/unit/models/ols-fit: tests/unit/models/ols_fit_csv.c $(BUILD)/libxlbmodels.a
	@mkdir -p $(@D)
	$(CC) $(MODELS_TEST_CFLAGS) -o $@ $< $(BUILD)/libxlbmodels.a -lcsv -lm

TEST_BINS += $(MODELS_TEST_BINS) $(BUILD)/tests/unit/models/ols-fit

-include $(MODELS_TEST_BINS:=.d) $(BUILD)/tests/unit/models/ols-fit.d
