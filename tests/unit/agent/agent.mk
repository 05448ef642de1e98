# Unit tests of xlb-agent's collectors on recorded /proc and cgroup files
# (tests/unit/agent/fixtures), read back through libxlbprom.
$(BUILD)/tests/unit/agent_collectors: tests/unit/agent/test_collectors.c $(TEST_LIB_OBJ) $(XLB_AGENT_LIB) $(LIBXLBPROM)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuser/xlb-agent -Iuser/prom -Itests/lib -DAGENT_FIXTURES='"tests/unit/agent/fixtures"' $< $(TEST_LIB_OBJ) $(XLB_AGENT_LIBS) $(LIBXLBPROM_LIBS) -o $@

TEST_BINS += $(BUILD)/tests/unit/agent_collectors
