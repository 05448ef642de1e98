# xlb-model: the models library on CSV files (tools/xlb-model/).
XLB_MODEL_SRCS := $(wildcard tools/xlb-model/*.c)
XLB_MODEL_OBJS := $(patsubst tools/xlb-model/%.c,$(BUILD)/tools/xlb-model/%.o,$(XLB_MODEL_SRCS))

$(BUILD)/tools/xlb-model/%.o: tools/xlb-model/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iuser/models -Itools/xlb-model -MMD -MP -c $< -o $@

$(BUILD)/xlb-model: $(XLB_MODEL_OBJS) $(BUILD)/libxlbmodels.a
	$(CC) $(CFLAGS) -o $@ $(XLB_MODEL_OBJS) $(BUILD)/libxlbmodels.a -lcsv -lm

BINS += $(BUILD)/xlb-model

-include $(XLB_MODEL_OBJS:.o=.d)
