# libxlb (the map-owning library) and the programs over it.
LIBXLB      := $(BUILD)/libxlb.a
LIBXLB_SRCS := $(wildcard user/lib/*.c)
LIBXLB_OBJS := $(patsubst user/lib/%.c,$(BUILD)/user/lib/%.o,$(LIBXLB_SRCS))
LIBNL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
LIBNL_LIBS   := $(shell pkg-config --libs libnl-route-3.0 2>/dev/null)
# What a program linking libxlb needs after it.
LIBXLB_LIBS := $(LIBXLB) $(LIBBPF_LIBS) $(LIBNL_LIBS)

$(BUILD)/user/lib/%.o: user/lib/%.c $(wildcard user/lib/*.h headers/*.h) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -c $< -o $@

$(LIBXLB): $(LIBXLB_OBJS)
	$(archive)
