# xlbd, the brain's shell (user/xlbd/*.c; the pure core is user/xlbd/core/,
# $(BUILD)/libxlbbrain.a). Its objects but main.o also go into the unit
# tests of tests/unit/xlbd/ (config parsing, /metrics text, decision lines).
# This fragment is read before core.mk and prom.mk: prerequisites name their
# libraries by path, recipes may use their variables.
XLBD          := $(BUILD)/xlbd
XLBD_SRCS     := $(wildcard user/xlbd/*.c)
XLBD_OBJS     := $(patsubst user/xlbd/%.c,$(BUILD)/user/xlbd/%.o,$(XLBD_SRCS))
# The operator's config from etcd (cluster_config.c) is read by xlbctl's
# own parser: one definition of the file's format for both.
XLBD_OBJS     += $(BUILD)/user/xlbctl/config_json.o
XLBD_LIB_OBJS := $(filter-out $(BUILD)/user/xlbd/main.o,$(XLBD_OBJS))
XLBD_DEPLIBS  := $(BUILD)/libxlbbrain.a $(BUILD)/libxlbmodels.a
XLBD_CFLAGS    = $(CFLAGS) -Iuser/xlbd -Iuser/prom -MMD -MP \
                 $(shell pkg-config --cflags json-c libsystemd 2>/dev/null)
XLBD_LIBS      = $(XLBD_DEPLIBS) $(LIBXLB_LIBS) -ljson-c -lcurl -lmicrohttpd \
                 -lsqlite3 -lsystemd -lcrypto -lm -lpthread

# The node-signal tracker (user/prom/, H2's) when the tree has it: without
# it scrapes are fetched and refused as unparsed.
ifneq ($(wildcard user/prom/node_signals.c),)
XLBD_DEPLIBS  += $(BUILD)/libxlbprom.a
XLBD_CFLAGS   += -DXLBD_HAVE_NODE_SIGNALS
endif

$(BUILD)/user/xlbd/%.o: user/xlbd/%.c $(wildcard user/xlbd/*.h user/xlbd/core/brain.h) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(CC) $(XLBD_CFLAGS) -c $< -o $@

$(XLBD): $(XLBD_OBJS) $(LIBXLB) $(XLBD_DEPLIBS)
	$(CC) $(XLBD_CFLAGS) $(XLBD_OBJS) $(XLBD_LIBS) -o $@

BINS += $(XLBD)

-include $(XLBD_OBJS:.o=.d)
