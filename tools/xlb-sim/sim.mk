# xlb-sim: the fleet simulator (tools/xlb-sim/). It links the brain's own
# core ($(LIBXLBBRAIN)) and libxlb for its Maglev builder (only what
# xlb_maglev_build needs is pulled from the archive), so the policy and the
# table are the code xlbd runs.
# `make sim` runs the standard comparison into $(BUILD)/sim/.
XLB_SIM_SRCS := $(wildcard tools/xlb-sim/*.c)
XLB_SIM_OBJS := $(patsubst tools/xlb-sim/%.c,$(BUILD)/tools/xlb-sim/%.o,$(XLB_SIM_SRCS))
XLB_SIM_CFLAGS = $(CFLAGS) -O2 -Itools/xlb-sim -Iuser/xlbd/core -Iuser/models -MMD -MP

$(BUILD)/tools/xlb-sim/%.o: tools/xlb-sim/%.c
	@mkdir -p $(@D)
	$(CC) $(XLB_SIM_CFLAGS) -c $< -o $@

$(BUILD)/xlb-sim: $(XLB_SIM_OBJS) $(LIBXLBBRAIN) $(MODELS_LIB) $(LIBXLB)
	$(CC) $(CFLAGS) -o $@ $(XLB_SIM_OBJS) $(LIBXLBBRAIN) $(MODELS_LIB) \
		$(LIBXLB_LIBS) -lz -lm

BINS += $(BUILD)/xlb-sim

SIM_TRACE ?= ../shared/data/twitter-stream-2021-08-rps.txt.gz

.PHONY: sim
sim: $(BUILD)/xlb-sim
	$(BUILD)/xlb-sim --backends 100 --duration 86400 --seed 1 \
		$(if $(wildcard $(SIM_TRACE)),--trace $(SIM_TRACE)) \
		--out $(BUILD)/sim

-include $(XLB_SIM_OBJS:.o=.d)
