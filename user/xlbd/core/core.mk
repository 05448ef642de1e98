# The brain's functional core: $(BUILD)/libxlbbrain.a (features, models,
# policy, guardrails, probe health, persistence). Pure: no maps, sockets or
# clocks, so xlbd, tests/unit/xlbd_core and tools/xlb-sim link the same
# objects. Link with $(LIBXLBBRAIN) $(MODELS_LIB) -lm.
BRAIN_SRCS := $(wildcard user/xlbd/core/*.c)
BRAIN_OBJS := $(patsubst user/xlbd/core/%.c,$(BUILD)/user/xlbd/core/%.o,$(BRAIN_SRCS))
LIBXLBBRAIN := $(BUILD)/libxlbbrain.a
BRAIN_CFLAGS = $(CFLAGS) -O2 -Iuser/xlbd/core -Iuser/models -MMD -MP

$(BUILD)/user/xlbd/core/%.o: user/xlbd/core/%.c
	@mkdir -p $(@D)
	$(CC) $(BRAIN_CFLAGS) -c $< -o $@

$(LIBXLBBRAIN): $(BRAIN_OBJS)
	$(archive)

BINS += $(LIBXLBBRAIN)

-include $(BRAIN_OBJS:.o=.d)
