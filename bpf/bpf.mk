# BPF objects and their skeletons: $(BUILD)/bpf/NAME.bpf.o -> $(BUILD)/NAME.skel.h
BPF_HEADERS := $(wildcard bpf/*.h headers/*.h)
BPF_OBJS    := $(BUILD)/bpf/xlb.bpf.o $(BUILD)/bpf/decap.bpf.o \
               $(BUILD)/bpf/pair_word.bpf.o
BPF_SKELS   := $(BUILD)/xlb.skel.h $(BUILD)/decap.skel.h \
               $(BUILD)/pair_word.skel.h

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HEADERS) vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# Keep the objects: tests and benchmarks load them directly.
.SECONDARY: $(BPF_OBJS)
