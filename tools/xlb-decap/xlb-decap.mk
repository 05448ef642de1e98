# xlb-decap: installs bpf/decap.bpf.c (build/decap.skel.h) on a backend.
BINS += $(BUILD)/xlb-decap

$(BUILD)/xlb-decap: tools/xlb-decap/xlb-decap.c $(BUILD)/decap.skel.h headers/xlb_decap.h $(LIBXLB)
	$(CC) $(CFLAGS) $< $(LIBXLB_LIBS) -o $@
