# What every test program links: the C test runner (tests/lib/testing.[ch]),
# the frame builder and the golden vectors.
TEST_LIB_OBJ := $(BUILD)/tests/lib/testing.o
GOLDEN_OBJS  := $(BUILD)/tests/lib/golden.o $(BUILD)/tests/lib/golden_values.o
PACKET_OBJ   := $(BUILD)/tests/lib/packet.o

$(BUILD)/tests/lib/%.o: tests/lib/%.c $(wildcard tests/lib/*.h user/lib/*.h headers/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

.SECONDARY: $(TEST_LIB_OBJ) $(GOLDEN_OBJS) $(PACKET_OBJ)
