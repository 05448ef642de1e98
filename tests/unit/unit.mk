# Unit tests of the library's pure parts (no BPF, no root needed).
$(BUILD)/tests/unit/maglev_test: tests/unit/maglev_test.c $(TEST_LIB_OBJ) $(GOLDEN_OBJS) $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib $< $(TEST_LIB_OBJ) $(GOLDEN_OBJS) $(LIBXLB_LIBS) -o $@

TEST_BINS += $(BUILD)/tests/unit/maglev_test

$(BUILD)/tests/unit/addr_test: tests/unit/addr_test.c $(TEST_LIB_OBJ) $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib $< $(TEST_LIB_OBJ) $(LIBXLB_LIBS) -o $@

TEST_BINS += $(BUILD)/tests/unit/addr_test
