# Unit tests of xlbd's shell (no root, no maps): config parsing, the
# /metrics text and the decision log's lines, over the daemon's objects
# without main.o.
XLBD_UNIT_BIN := $(BUILD)/tests/unit/xlbd_test

$(XLBD_UNIT_BIN): tests/unit/xlbd/xlbd_test.c $(TEST_LIB_OBJ) $(XLBD_LIB_OBJS) $(LIBXLB) $(XLBD_DEPLIBS)
	@mkdir -p $(@D)
	$(CC) $(XLBD_CFLAGS) -Itests/lib $< $(TEST_LIB_OBJ) $(XLBD_LIB_OBJS) $(XLBD_LIBS) -o $@

TEST_BINS += $(XLBD_UNIT_BIN)

-include $(XLBD_UNIT_BIN).d

# xlbctl's decisions and history export, as parsed (xlbctl's parser objects).
XLBD_CLI_UNIT_BIN := $(BUILD)/tests/unit/xlbctl_brain_cli_test

$(XLBD_CLI_UNIT_BIN): tests/unit/xlbd/xlbctl_brain_cli_test.c $(TEST_LIB_OBJ) $(BUILD)/user/xlbctl/cli.o $(BUILD)/user/xlbctl/cli_table.o $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib -Iuser/xlbctl -MMD -MP $< $(TEST_LIB_OBJ) $(BUILD)/user/xlbctl/cli.o $(BUILD)/user/xlbctl/cli_table.o $(LIBXLB_LIBS) -ljson-c -lm -o $@

TEST_BINS += $(XLBD_CLI_UNIT_BIN)

-include $(XLBD_CLI_UNIT_BIN).d

# xlbd's history store (retention per resolution, aggregates against the
# raw rows), over the daemon's objects without main.o.
XLBD_STORE_UNIT_BIN := $(BUILD)/tests/unit/xlbd_store_test

$(XLBD_STORE_UNIT_BIN): tests/unit/xlbd/store_test.c $(TEST_LIB_OBJ) $(XLBD_LIB_OBJS) $(LIBXLB) $(XLBD_DEPLIBS)
	@mkdir -p $(@D)
	$(CC) $(XLBD_CFLAGS) -Itests/lib $< $(TEST_LIB_OBJ) $(XLBD_LIB_OBJS) $(XLBD_LIBS) -o $@

TEST_BINS += $(XLBD_STORE_UNIT_BIN)

-include $(XLBD_STORE_UNIT_BIN).d
