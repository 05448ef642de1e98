# xlbctl: the operator's command line over libxlb (user/xlbctl/, man page
# user/xlbctl.8). Its objects but main.o also go into the unit tests of
# tests/unit/xlbctl/, so argument and config parsing test without root.
XLBCTL        := $(BUILD)/xlbctl
XLBCTL_SRCS   := $(wildcard user/xlbctl/*.c)
XLBCTL_OBJS   := $(patsubst user/xlbctl/%.c,$(BUILD)/user/xlbctl/%.o,$(XLBCTL_SRCS))
XLBCTL_LIB_OBJS := $(filter-out $(BUILD)/user/xlbctl/main.o,$(XLBCTL_OBJS))
XLBCTL_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
XLBCTL_CFLAGS  = $(CFLAGS) -Iuser/xlbctl -MMD -MP
XLBCTL_LIBS   := $(LIBXLB_LIBS) -ljson-c $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncurses) -lm \
                 -lsqlite3 -lcsv -lcurl

$(BUILD)/user/xlbctl/%.o: user/xlbctl/%.c $(BPF_SKELS)
	@mkdir -p $(@D)
	$(CC) $(XLBCTL_CFLAGS) -c $< -o $@

$(BUILD)/user/xlbctl/main.o: XLBCTL_CFLAGS += -DXLB_VERSION='"$(XLBCTL_VERSION)"'

# cluster status reads etcd through xlbd's gateway codec.
$(XLBCTL): $(XLBCTL_OBJS) $(LIBXLB) $(BUILD)/user/xlbd/cluster_etcd.o
	$(CC) $(XLBCTL_CFLAGS) $(XLBCTL_OBJS) $(BUILD)/user/xlbd/cluster_etcd.o $(XLBCTL_LIBS) -lcrypto -o $@

BINS += $(XLBCTL)

-include $(XLBCTL_OBJS:.o=.d)
