# The Prometheus text parser, the node-signal tracker and the Prometheus API
# reader: $(BUILD)/libxlbprom.a, linked by xlbd and xlb-agent's tests.
# Link with $(LIBXLBPROM_LIBS) after it (json-c for the /api/v1 reader, -lm).
LIBXLBPROM      := $(BUILD)/libxlbprom.a
LIBXLBPROM_SRCS := $(wildcard user/prom/*.c)
LIBXLBPROM_OBJS := $(patsubst user/prom/%.c,$(BUILD)/user/prom/%.o,$(LIBXLBPROM_SRCS))
JSONC_CFLAGS    := $(shell pkg-config --cflags json-c 2>/dev/null)
JSONC_LIBS      := $(shell pkg-config --libs json-c 2>/dev/null)
LIBXLBPROM_LIBS := $(LIBXLBPROM) $(JSONC_LIBS) -lm

$(BUILD)/user/prom/%.o: user/prom/%.c $(wildcard user/prom/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(JSONC_CFLAGS) -Iuser/prom -c $< -o $@

$(LIBXLBPROM): $(LIBXLBPROM_OBJS)
	$(archive)

BINS += $(LIBXLBPROM)
