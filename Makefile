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

# Archives are written to a temporary name and renamed, so that a concurrent
# make never links against a half-written library.
define archive
@mkdir -p $(@D) && rm -f $@.tmp$$$$ && $(AR) rcs $@.tmp$$$$ $^ && mv -f $@.tmp$$$$ $@
endef

# Filled in by the fragments.
BINS        :=
TEST_BINS   :=
BENCH_BINS  :=
CLEAN_EXTRA :=

.PHONY: all deps test bench demo clean programs install uninstall deb format format-check
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

# The build before a run uses every CPU (half the build time on two).
BUILD_JOBS := -j$(shell nproc 2>/dev/null || echo 1)

test: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) all
	@tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) all
	@tools/bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) all
	@tools/demo.sh

# What an installed xlb is: the programs, their man pages, systemd units,
# an example configuration and the BPF objects (for bpftool and inspection;
# the programs carry their own copy in the skeleton).
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
LIBDIR_XLB ?= $(PREFIX)/lib/xlb
UNITDIR    ?= /lib/systemd/system
SYSCONFDIR ?= /etc
INSTALL_PROGS := $(BUILD)/xlbctl $(BUILD)/xlbd $(BUILD)/xlb-agent
INSTALL_MANS  := user/xlbctl.8 user/xlbd/xlbd.8 user/xlb-agent/xlb-agent.8
INSTALL_UNITS := user/xlbd/xlbd.service user/xlb-agent/xlb-agent.service
INSTALL_BPF   := $(BUILD)/bpf/xlb.bpf.o

programs: $(INSTALL_PROGS) $(INSTALL_BPF)

install: programs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(LIBDIR_XLB) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/xlb
	install -m 0755 $(INSTALL_PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(INSTALL_MANS) $(DESTDIR)$(MANDIR)/man8/
	for unit in $(INSTALL_UNITS); do \
		sed 's|/usr/local/sbin/|$(SBINDIR)/|' $$unit >$(DESTDIR)$(UNITDIR)/$$(basename $$unit) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$unit) || exit 1; \
	done
	install -m 0644 $(INSTALL_BPF) $(DESTDIR)$(LIBDIR_XLB)/
	install -m 0644 user/xlbd/xlbd.conf.example $(DESTDIR)$(SYSCONFDIR)/xlb/xlbd.conf.example

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(INSTALL_PROGS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(INSTALL_MANS)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(INSTALL_UNITS)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR_XLB)/,$(notdir $(INSTALL_BPF)))
	rm -f $(DESTDIR)$(SYSCONFDIR)/xlb/xlbd.conf.example
	-rmdir $(DESTDIR)$(LIBDIR_XLB) $(DESTDIR)$(SYSCONFDIR)/xlb 2>/dev/null

# A Debian package built from the tree (tools/deb.sh: a copy of the tree,
# dpkg-buildpackage -us -uc -b, lintian); the .deb lands in $(BUILD)/deb/.
deb:
	@tools/deb.sh

C_SOURCES = $(shell git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

format:
	clang-format -i $(C_SOURCES)

format-check:
	@clang-format --dry-run --Werror $(C_SOURCES)

clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)
