# Unit tests of xlbctl (no root): argument parsing, the config file, and
# libxlb's desired-state diff that config apply prints.
XLBCTL_UNIT_TESTS := cli config diff
XLBCTL_UNIT_BINS  := $(addprefix $(BUILD)/tests/unit/xlbctl_,$(addsuffix _test,$(XLBCTL_UNIT_TESTS)))
XLBCTL_UNIT_OBJS  := $(BUILD)/user/xlbctl/cli.o $(BUILD)/user/xlbctl/cli_table.o \
                     $(BUILD)/user/xlbctl/config_json.o

$(BUILD)/tests/unit/xlbctl_%_test: tests/unit/xlbctl/%_test.c $(TEST_LIB_OBJ) $(XLBCTL_UNIT_OBJS) $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib -Iuser/xlbctl -MMD -MP $< $(TEST_LIB_OBJ) $(XLBCTL_UNIT_OBJS) $(LIBXLB_LIBS) -ljson-c -lm -o $@

TEST_BINS += $(XLBCTL_UNIT_BINS)

-include $(XLBCTL_UNIT_BINS:=.d)
