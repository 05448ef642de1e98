# Unit tests of the library's pure parts (no BPF, no root needed).
GOLDEN_OBJS := $(BUILD)/tests/lib/golden.o $(BUILD)/tests/lib/golden_values.o

$(BUILD)/tests/lib/%.o: tests/lib/%.c $(wildcard tests/lib/*.h user/lib/*.h headers/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

$(BUILD)/tests/unit/maglev_test: tests/unit/maglev_test.c $(TEST_LIB_OBJ) $(GOLDEN_OBJS) $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib $< $(TEST_LIB_OBJ) $(GOLDEN_OBJS) $(LIBXLB_LIBS) -o $@

TEST_BINS += $(BUILD)/tests/unit/maglev_test
