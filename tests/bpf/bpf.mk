# BPF program tests: BPF_PROG_TEST_RUN against a fresh instance per test.
BPF_TEST_SRCS := $(wildcard tests/bpf/*_test.c)
BPF_TESTS     := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPF_TEST_SRCS))
BPF_TEST_OBJS := $(BUILD)/tests/bpf/fixture.o $(PACKET_OBJ) \
                 $(GOLDEN_OBJS) $(TEST_LIB_OBJ)

$(BUILD)/tests/bpf/fixture.o: tests/bpf/fixture.c tests/bpf/fixture.h $(wildcard tests/lib/*.h user/lib/*.h headers/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

$(BUILD)/tests/bpf/%_test: tests/bpf/%_test.c $(BPF_TEST_OBJS) $(LIBXLB) tests/bpf/fixture.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib -Itests/bpf $< $(BPF_TEST_OBJS) $(LIBXLB_LIBS) -o $@

TEST_BINS += $(BPF_TESTS)

.SECONDARY: $(BUILD)/tests/bpf/fixture.o
