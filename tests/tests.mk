# The C test runner linked into every test program (tests/lib/testing.[ch]).
TEST_LIB_OBJ := $(BUILD)/tests/lib/testing.o

$(TEST_LIB_OBJ): tests/lib/testing.c tests/lib/testing.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib -c $< -o $@
