# The side-by-side packet-rate benchmark's XDP pieces: floor forwarder,
# live-frames sender, backend sink, and their loader build/bench/pktbench
# (with an AF_PACKET sender for kernels that refuse live frames).
PKTBENCH_PROGS := floor_fwd sender sink

$(BUILD)/tools/bench/%.bpf.o: tools/bench/%.bpf.c tools/bench/pktbench.h $(BPF_HEADERS) vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Itools/bench -c $< -o $@

$(BUILD)/tools/bench/%.skel.h: $(BUILD)/tools/bench/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/pktbench: tools/bench/pktbench.c tools/bench/packet_sender.c \
		tools/bench/packet_sender.h tools/bench/pktbench.h \
		$(PKTBENCH_PROGS:%=$(BUILD)/tools/bench/%.skel.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/tools/bench -Itools/bench $< \
		tools/bench/packet_sender.c $(LIBBPF_LIBS) -o $@

.SECONDARY: $(PKTBENCH_PROGS:%=$(BUILD)/tools/bench/%.bpf.o)
BENCH_BINS += $(BUILD)/bench/pktbench
