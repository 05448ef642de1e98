# Benchmarks: the data-plane benchmark and its floor programs.
$(BUILD)/tools/bench/floors.bpf.o: tools/bench/floors.bpf.c $(BPF_HEADERS) vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tools/bench/floors.skel.h: $(BUILD)/tools/bench/floors.bpf.o
	$(BPFTOOL) gen skeleton $< name floors_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/dataplane_bench: tools/bench/dataplane_bench.c $(BUILD)/tools/bench/floors.skel.h $(PACKET_OBJ) $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/tools/bench -Itests/lib $< $(PACKET_OBJ) $(LIBXLB_LIBS) -o $@

.SECONDARY: $(BUILD)/tools/bench/floors.bpf.o
BENCH_BINS += $(BUILD)/bench/dataplane_bench

# Table rebuilds of 100 VIPs: batched against one swap per VIP.
$(BUILD)/bench/tables_bench: tools/bench/tables_bench.c $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(LIBXLB_LIBS) -o $@

BENCH_BINS += $(BUILD)/bench/tables_bench

# Issue 10's scale section: 1M flows, 64 VIPs x 100 backends, every map's memlock.
$(BUILD)/bench/scale_bench: tools/bench/scale_bench.c $(BUILD)/tools/bench/floors.skel.h $(PACKET_OBJ) $(LIBXLB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/tools/bench -Itests/lib $< $(PACKET_OBJ) $(LIBXLB_LIBS) -o $@

BENCH_BINS += $(BUILD)/bench/scale_bench
