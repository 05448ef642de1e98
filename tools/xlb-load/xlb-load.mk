# xlb-load: the open-loop load generator (tools/xlb-load/).
XLB_LOAD_SRCS := $(wildcard tools/xlb-load/*.c)
XLB_LOAD_OBJS := $(XLB_LOAD_SRCS:%.c=$(BUILD)/%.o)
XLB_LOAD_LIBS := $(shell pkg-config --libs libcurl json-c 2>/dev/null || echo -lcurl -ljson-c) -lm

BINS += $(BUILD)/xlb-load

$(BUILD)/tools/xlb-load/%.o: tools/xlb-load/%.c $(wildcard tools/xlb-load/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/xlb-load: $(XLB_LOAD_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(XLB_LOAD_LIBS)
