# The brain core's medians (user/xlbd/core/median.c) against the selection
# they replace, bit for bit.
MEDIAN_TEST_BIN := $(BUILD)/tests/unit/xlbd_core_median

$(MEDIAN_TEST_BIN): tests/unit/xlbd_core/median_test.c $(BUILD)/tests/lib/testing.o $(LIBXLBBRAIN) $(MODELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(BRAIN_TEST_CFLAGS) -o $@ $< $(BUILD)/tests/lib/testing.o $(LIBXLBBRAIN) $(MODELS_LIB) -lm -lpthread

TEST_BINS += $(MEDIAN_TEST_BIN)

-include $(MEDIAN_TEST_BIN).d
