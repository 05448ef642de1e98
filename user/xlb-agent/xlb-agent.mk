# xlb-agent: node metrics of a backend host over HTTP (user/xlb-agent/).
# The collectors are also an archive, so tests/unit/agent runs them on
# recorded /proc and cgroup files.
XLB_AGENT_SRCS := $(filter-out user/xlb-agent/main.c,$(wildcard user/xlb-agent/*.c))
XLB_AGENT_OBJS := $(patsubst user/xlb-agent/%.c,$(BUILD)/user/xlb-agent/%.o,$(XLB_AGENT_SRCS))
XLB_AGENT_LIB  := $(BUILD)/user/xlb-agent/libagent.a
XLB_AGENT_LIBS := $(XLB_AGENT_LIB) $(shell pkg-config --libs libmicrohttpd libcurl 2>/dev/null || echo -lmicrohttpd -lcurl) -lpthread -lm

$(BUILD)/user/xlb-agent/%.o: user/xlb-agent/%.c $(wildcard user/xlb-agent/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuser/xlb-agent -c $< -o $@

$(XLB_AGENT_LIB): $(XLB_AGENT_OBJS)
	$(archive)

$(BUILD)/xlb-agent: $(BUILD)/user/xlb-agent/main.o $(XLB_AGENT_LIB)
	$(CC) $(CFLAGS) $< -o $@ $(XLB_AGENT_LIBS)

BINS += $(BUILD)/xlb-agent
