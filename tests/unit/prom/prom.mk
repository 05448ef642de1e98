# Unit tests of libxlbprom: the text parser, the signal tracker, the
# Prometheus API reader. Fixtures live beside them in tests/unit/prom/.
PROM_TESTS     := prom_text signals promql
PROM_TEST_BINS := $(addprefix $(BUILD)/tests/unit/prom_,$(PROM_TESTS))

$(BUILD)/tests/unit/prom_%: tests/unit/prom/test_%.c $(TEST_LIB_OBJ) $(LIBXLBPROM)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuser/prom -Itests/lib -DPROM_FIXTURES='"tests/unit/prom"' $< $(TEST_LIB_OBJ) $(LIBXLBPROM_LIBS) -o $@

TEST_BINS += $(PROM_TEST_BINS)

# The end-to-end tests' window on the library (not a test itself).
$(BUILD)/tests/helpers/xlb-signals: tests/unit/prom/signals_tool.c $(LIBXLBPROM)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuser/prom $< $(LIBXLBPROM_LIBS) -o $@

TEST_BINS += $(BUILD)/tests/helpers/xlb-signals
