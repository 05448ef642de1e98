# xlb — the one build entry.
#
#   make          build everything (BPF objects, skeletons, libraries, binaries)
#   make deps     install the Debian packages the build, tests and demo need
#   make test     run every test layer; ends with "N passed, N failed, N skipped"
#   make bench    print benchmark figures (not pass/fail)
#   make demo     bring up a namespace topology and show xlb working live
#
# Each directory adds its own targets in a fragment (bpf/bpf.mk, user/user.mk,
# ...) so that parts of the tree build without touching this file.

BUILD      ?= build
CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= bpftool
PREFIX     ?= /usr/local

ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
WARNINGS   := -Wall -Wextra -Werror
CFLAGS     ?= -O2 -g
CFLAGS     += $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -Iheaders -I$(BUILD) -Iuser/lib
BPF_CFLAGS := -target bpf -g -O2 $(WARNINGS) -D__TARGET_ARCH_$(ARCH) \
              -Ivmlinux -Iheaders -Ibpf
LIBBPF_LIBS := -lbpf -lelf -lz

# Filled in by the fragments.
BINS        :=
TEST_BINS   :=
BENCH_BINS  :=
CLEAN_EXTRA :=

.PHONY: all deps test bench demo clean install format format-check
.DEFAULT_GOAL := all

# Order matters: later fragments use the variables of earlier ones.
include $(wildcard bpf/*.mk) $(wildcard user/*.mk) $(wildcard user/*/*.mk) \
	$(wildcard user/*/*/*.mk)
include tests/tests.mk
include $(wildcard tools/*.mk) $(wildcard tools/*/*.mk)
include $(wildcard tests/*/*.mk) $(wildcard tests/*/*/*.mk)

all: $(BINS) $(TEST_BINS) $(BENCH_BINS)

deps:
	@tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@tools/bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(filter $(BUILD)/xlbctl $(BUILD)/xlbd $(BUILD)/xlb-agent,$(BINS)) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 user/xlbctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/

C_SOURCES = $(shell git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

format:
	clang-format -i $(C_SOURCES)

format-check:
	@clang-format --dry-run --Werror $(C_SOURCES)

clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)
