# xlb-backend: the test backend server (tools/xlb-backend/).
XLB_BACKEND_SRCS := $(wildcard tools/xlb-backend/*.c)
XLB_BACKEND_OBJS := $(XLB_BACKEND_SRCS:%.c=$(BUILD)/%.o)
XLB_BACKEND_LIBS := $(shell pkg-config --libs libmicrohttpd json-c 2>/dev/null || echo -lmicrohttpd -ljson-c) -lpthread -lm

BINS += $(BUILD)/xlb-backend

$(BUILD)/tools/xlb-backend/%.o: tools/xlb-backend/%.c $(wildcard tools/xlb-backend/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/xlb-backend: $(XLB_BACKEND_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(XLB_BACKEND_LIBS)
