# The standby pool of the brain's core (user/xlbd/core/capacity.c):
# scripted snapshots, the plan applied as xlbd applies it.
CAPACITY_TEST_BIN := $(BUILD)/tests/unit/xlbd_core_capacity

$(CAPACITY_TEST_BIN): tests/unit/xlbd_core/capacity_test.c $(BUILD)/tests/lib/testing.o $(LIBXLBBRAIN) $(MODELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(BRAIN_TEST_CFLAGS) -o $@ $< $(BUILD)/tests/lib/testing.o $(LIBXLBBRAIN) $(MODELS_LIB) -lm -lpthread

TEST_BINS += $(CAPACITY_TEST_BIN)

-include $(CAPACITY_TEST_BIN).d
