# xdp-switch: the static XDP L2 switch of the benchmark topology
# (tools/xdp-switch/; tools/topo.sh --segment xdp loads it).
XDP_SWITCH_BUILD := $(BUILD)/tools/xdp-switch
XDP_SWITCH_HDRS  := tools/xdp-switch/xdp-switch.h

BINS += $(BUILD)/xdp-switch

$(XDP_SWITCH_BUILD)/switch.bpf.o: tools/xdp-switch/switch.bpf.c $(XDP_SWITCH_HDRS) vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Itools/xdp-switch -c $< -o $@

$(XDP_SWITCH_BUILD)/switch.skel.h: $(XDP_SWITCH_BUILD)/switch.bpf.o
	$(BPFTOOL) gen skeleton $< name xdp_switch_bpf > $@.tmp && mv $@.tmp $@

$(XDP_SWITCH_BUILD)/xdp-switch.o: tools/xdp-switch/xdp-switch.c $(XDP_SWITCH_HDRS) $(XDP_SWITCH_BUILD)/switch.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools/xdp-switch -I$(XDP_SWITCH_BUILD) -c $< -o $@

$(BUILD)/xdp-switch: $(XDP_SWITCH_BUILD)/xdp-switch.o
	$(CC) $(CFLAGS) $^ -o $@ $(LIBBPF_LIBS)

# XDP_PASS for the bridge ports (see pass.bpf.c), attached by tools/topo.sh.
$(XDP_SWITCH_BUILD)/pass.bpf.o: tools/xdp-switch/pass.bpf.c vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

BINS += $(XDP_SWITCH_BUILD)/pass.bpf.o
