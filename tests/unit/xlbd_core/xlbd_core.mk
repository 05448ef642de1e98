# Unit tests of the brain's functional core: scripted snapshots over time,
# asserting the decisions. One program, run by tests/run.sh.
BRAIN_TEST_BIN := $(BUILD)/tests/unit/xlbd_core
BRAIN_TEST_CFLAGS = $(CFLAGS) -Iuser/xlbd/core -Iuser/models -Itests/lib -MMD -MP

$(BRAIN_TEST_BIN): tests/unit/xlbd_core/brain_test.c $(BUILD)/tests/lib/testing.o $(LIBXLBBRAIN) $(MODELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(BRAIN_TEST_CFLAGS) -o $@ $< $(BUILD)/tests/lib/testing.o $(LIBXLBBRAIN) $(MODELS_LIB) -lm -lpthread

TEST_BINS += $(BRAIN_TEST_BIN)

-include $(BRAIN_TEST_BIN).d

# The forecaster's selector against its candidates on a real trace (SKIPs
# without ../shared/data/twitter-stream-2021-08-rps.txt.gz).
SELECTOR_TEST_BIN := $(BUILD)/tests/unit/xlbd_core_selector_trace
$(SELECTOR_TEST_BIN): tests/unit/xlbd_core/selector_trace_test.c $(BUILD)/tests/lib/testing.o $(MODELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(BRAIN_TEST_CFLAGS) -o $@ $< $(BUILD)/tests/lib/testing.o $(MODELS_LIB) -lz -lm -lpthread

TEST_BINS += $(SELECTOR_TEST_BIN)

-include $(SELECTOR_TEST_BIN).d
