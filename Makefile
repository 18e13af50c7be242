# SPDX-License-Identifier: Apache-2.0
# balp - secure gateway for a Caf's shared partner mailbox (BALP).
#
#   make          build build/balpd and build/balpctl
#   make run      install what is missing, build, triage the demo Maildir
#   make check    install what is missing, build, run every test
#
# Every module under src/<layer>/ is picked up by wildcard: adding a .c needs
# no edit here.  Unit tests are tests/unit/test_*.c, one cmocka binary each.
#
# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (a packager's -O2 -g
# -ffile-prefix-map=..., -D_FORTIFY_SOURCE=2, -Wl,-z,relro): they are used
# as given, and what the project requires (C17, the warnings as errors, the
# include paths, the hardening) is added after them, so that overriding
# them never drops it.  The sanitizer and fuzzer builds are the tests' own
# and ignore them.

CC	?= cc
FUZZCC	?= clang
PKGS	 = libsodium sqlite3 libconfig zlib gnutls nettle libsystemd expat

STD	 = -std=c17 -D_GNU_SOURCE
WARN	 = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wvla
# libetpan's .pc leaks a -specs= flag (docs/libetpan.md): link it by name.
PKG_CFLAGS := $(shell pkg-config --cflags libetpan $(PKGS) libmicrohttpd \
	    2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -letpan -lmagic
# The console's HTTP (balpweb and the tests of src/web only need it).
WEB_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
CFLAGS	?= -O2 -g
CPPFLAGS ?=
LDFLAGS	?=

# Hardening: the daemon parses hostile mail with a library known to corrupt
# its heap.  A canary on every function with a local array, a position-
# independent executable (ASLR), and relocations read-only once resolved,
# all resolved at start (no writable GOT for an overflow to aim at).
HARDEN_CFLAGS	 = -fstack-protector-strong -fPIE
HARDEN_LDFLAGS	 = -pie -Wl,-z,relro -Wl,-z,now
# glibc's checked string functions need optimisation (without it glibc
# warns, and -Werror fails the build): only when the last -O is not -O0,
# and only when CPPFLAGS and CFLAGS name no level already.  -U first: a
# compiler that predefines another level would warn of a redefinition.
OPT_LEVEL	 = $(lastword $(filter -O%,$(CFLAGS)))
ifeq ($(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),)
ifneq ($(filter-out -O0,$(OPT_LEVEL)),)
HARDEN_CPPFLAGS	 = -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
endif

ALL_CFLAGS = -Iinclude $(CPPFLAGS) $(CFLAGS) $(STD) $(WARN) $(PKG_CFLAGS) \
	     $(HARDEN_CPPFLAGS) $(HARDEN_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(HARDEN_LDFLAGS)
# No _FORTIFY_SOURCE here: its checked functions bypass ASan's interceptors.
SAN	 = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=undefined $(HARDEN_CFLAGS)

TEST_DEFS = -DBALP_SRCDIR='"$(CURDIR)"'

MAINS	 = src/cli/balpd.c src/cli/balpctl.c src/cli/balp_parser.c \
	   src/cli/balpweb.c
LIB_SRC	 = $(filter-out $(MAINS),$(wildcard src/*/*.c))
LIB_OBJ	 = $(LIB_SRC:%.c=build/obj/%.o)
SAN_OBJ	 = $(LIB_SRC:%.c=build/asan/obj/%.o)
TEST_SRC = $(wildcard tests/unit/test_*.c)
TESTS	 = $(TEST_SRC:tests/unit/%.c=build/tests/%)
SAN_TESTS = $(TEST_SRC:tests/unit/%.c=build/asan/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS	 = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all run check deps deps-check web-tests-deps tests san-tests fuzzers clean

all: build/balpd build/balpctl build/balp-parser build/balpweb

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) -Iinclude $(PKG_CFLAGS) $(SAN) -MMD -MP -c $< -o $@

build/libbalp.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

build/asan/libbalp.a: $(SAN_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# One version, in VERSION, for the two mains' --version only.
BALP_VERSION := $(shell cat VERSION)
build/obj/src/cli/balpd.o build/obj/src/cli/balpctl.o \
    build/obj/src/cli/balpweb.o: VERSION
build/obj/src/cli/balpd.o build/obj/src/cli/balpctl.o \
    build/obj/src/cli/balpweb.o: \
    ALL_CFLAGS += -DBALP_VERSION='"$(BALP_VERSION)"'

build/balpd: build/obj/src/cli/balpd.o build/libbalp.a
	$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/balpctl: build/obj/src/cli/balpctl.o build/libbalp.a
	$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/balpweb: build/obj/src/cli/balpweb.o build/libbalp.a
	$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(WEB_LIBS) \
	    $(PKG_LIBS)

# The parser's zygote (docs/sandbox.md): only what parsing needs is linked
# (--as-needed drops the rest), so that a worker has fewer mappings to
# fork and to tear down: a fifth more messages a second here.
PARSER_LIBS := -Wl,--as-needed $(shell pkg-config --libs zlib nettle \
	    expat 2>/dev/null) -letpan -lmagic
build/balp-parser: build/obj/src/cli/balp_parser.o build/libbalp.a
	$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PARSER_LIBS)

# test_oom fails chosen allocations: --wrap routes the malloc, calloc and
# realloc calls of libbalp.a and of the test itself to its wrappers.
build/tests/test_oom build/asan/tests/test_oom: TEST_LDFLAGS = \
    -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

build/tests/%: tests/unit/%.c build/libbalp.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_DEFS) $(ALL_LDFLAGS) -o $@ $< build/libbalp.a \
	    $(WEB_LIBS) $(PKG_LIBS) -lcmocka $(TEST_LDFLAGS)

build/asan/tests/%: tests/unit/%.c build/asan/libbalp.a
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) -Iinclude $(PKG_CFLAGS) $(SAN) $(TEST_DEFS) -o $@ $< \
	    build/asan/libbalp.a $(WEB_LIBS) $(PKG_LIBS) -lcmocka -pie \
	    $(TEST_LDFLAGS)

# libFuzzer needs clang; the library is rebuilt with clang's coverage flags.
FUZZ_OBJ  = $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_BASE = $(STD) $(WARN) -Iinclude $(PKG_CFLAGS) -O1 -g -fno-omit-frame-pointer

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP \
	    -c $< -o $@

build/fuzz/libbalp.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libbalp.a
	$(FUZZCC) $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined $(TEST_DEFS) \
	    -o $@ $< build/fuzz/libbalp.a $(PKG_LIBS)

# Benchmarks (tests/bench): built by tests/bench/triage.sh and imap.sh
# (bench_decide, imap_ref), not by check.
build/bench/%: tests/bench/%.c build/libbalp.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libbalp.a $(PKG_LIBS)

# time() on another day, for the shell tests that need a command to run
# on a day other than today (tests/tools/fakenow.c).
build/tests/fakenow.so: tests/tools/fakenow.c
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) -O2 -fPIC -shared -o $@ $<

tests: $(TESTS) build/tests/fakenow.so
san-tests: $(SAN_TESTS)
fuzzers: $(FUZZERS)

deps:
	@sh tests/tools/deps.sh run

deps-check:
	@sh tests/tools/deps.sh check

# axe-core for the browser tests (tests/web), from npm at the version
# tests/web/package-lock.json pins, into build/npm/ when not there yet.
# make check goes on without it (its other suites run), and the browser
# test then fails saying why.
web-tests-deps:
	@sh tests/tools/axe.sh

run: deps
	@$(MAKE) --no-print-directory all
	@sh tests/tools/demo.sh

check: deps-check
	@$(MAKE) --no-print-directory all tests san-tests fuzzers
	@sh tests/tools/axe.sh || echo "axe-core missing: tests/web/browser.sh will fail"
	@sh tests/tools/check.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# make install [DESTDIR=...] [PREFIX=...]: the binaries, the man pages,
# the configuration, the rules, the systemd unit and (when the tree has
# it) the bash completion.  Everything goes under DESTDIR, a packager's
# staging root, every time, the configuration included: a package
# installs into an empty DESTDIR and dpkg keeps an admin's edits of
# /etc/balp as conffiles, so there is no "keep the existing file" case
# here; a hand install over a live /etc/balp replaces its files (copy
# them first).  The state folder (LOCALSTATEDIR, the folder itself) is
# not created: it belongs to balpd's user, and `balpctl init` makes what
# the configuration names there.
#
# conf/ in the tree names its paths relative to conf/ (../var, ../rules),
# which `make run` uses as they are.  The installed configuration names
# the rules relative to itself (rules/balp.rules: SYSCONFDIR/balp/rules,
# also inside a DESTDIR) and the state by absolute paths under
# LOCALSTATEDIR, written by sed at install time; an install whose
# configuration would still name a "../" path fails instead.
PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
# balp-parser, which balpd and balpctl find in ../libexec/balp from
# themselves (a relative place: a package unpacked elsewhere still works).
LIBEXECDIR	?= $(PREFIX)/libexec
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
LOCALSTATEDIR	?= /var/lib/balp
# Debian 12's debhelper (dh_installsystemd) only sees units in
# /lib/systemd/system (Debian bug #1066025): a package's unit goes there.
SYSTEMDUNITDIR	?= $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
INSTALL		?= install

MAN5	 = man/balp.conf.5 man/balp.rules.5
MAN8	 = man/balpd.8 man/balpctl.8 man/balpweb.8
CONFS	 = conf/balp.conf conf/balp-imap.conf
RULES	 = rules/balp.rules rules/notices.rules
UNIT	 = $(wildcard conf/balpd.service)
WEBUNIT	 = $(wildcard conf/balpweb.service)
BASHCOMP = $(wildcard conf/balpctl.bash)
CONF_SED = -e 's|"\.\./rules/|"rules/|' -e 's|"\.\./var/|"$(LOCALSTATEDIR)/|'

.PHONY: install uninstall

install: all
	$(INSTALL) -D -m 0755 build/balpd $(DESTDIR)$(SBINDIR)/balpd
	$(INSTALL) -D -m 0755 build/balpctl $(DESTDIR)$(SBINDIR)/balpctl
	$(INSTALL) -D -m 0755 build/balpweb $(DESTDIR)$(SBINDIR)/balpweb
	$(INSTALL) -D -m 0755 build/balp-parser \
	    $(DESTDIR)$(LIBEXECDIR)/balp/balp-parser
	for f in $(MAN5); do \
	    $(INSTALL) -D -m 0644 $$f $(DESTDIR)$(MANDIR)/man5/$${f#man/} || \
	    exit 1; done
	for f in $(MAN8); do \
	    $(INSTALL) -D -m 0644 $$f $(DESTDIR)$(MANDIR)/man8/$${f#man/} || \
	    exit 1; done
	@mkdir -p build/install
	for f in $(CONFS); do \
	    sed $(CONF_SED) $$f >build/install/$${f#conf/} && \
	    if grep -n '"\.\./' build/install/$${f#conf/}; then \
		echo "$$f: a relative path install does not rewrite" >&2; \
		exit 1; fi && \
	    $(INSTALL) -D -m 0644 build/install/$${f#conf/} \
		$(DESTDIR)$(SYSCONFDIR)/balp/$${f#conf/} || exit 1; done
	for f in $(RULES); do \
	    $(INSTALL) -D -m 0644 $$f \
		$(DESTDIR)$(SYSCONFDIR)/balp/rules/$${f#rules/} || exit 1; done
	$(if $(UNIT),$(INSTALL) -D -m 0644 $(UNIT) \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/balpd.service)
	$(if $(WEBUNIT),$(INSTALL) -D -m 0644 $(WEBUNIT) \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/balpweb.service)
	$(if $(BASHCOMP),$(INSTALL) -D -m 0644 $(BASHCOMP) \
	    $(DESTDIR)$(BASHCOMPDIR)/balpctl)
	$(if $(BASHCOMP),ln -sf balpctl $(DESTDIR)$(BASHCOMPDIR)/balpd)

# The configuration and the rules stay: an admin may have edited them
# (remove $(SYSCONFDIR)/balp by hand); the state is never touched.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/balpd $(DESTDIR)$(SBINDIR)/balpctl \
	    $(DESTDIR)$(SBINDIR)/balpweb \
	    $(DESTDIR)$(LIBEXECDIR)/balp/balp-parser \
	    $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) \
	    $(MAN8:man/%=$(DESTDIR)$(MANDIR)/man8/%) \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/balpd.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/balpweb.service \
	    $(DESTDIR)$(BASHCOMPDIR)/balpctl $(DESTDIR)$(BASHCOMPDIR)/balpd
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/balp (the configuration and the rules)"
