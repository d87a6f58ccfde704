# provfs — build, set-up and test entry points.
#
#   make deps     install the Debian packages that are missing (apt-get)
#   make          build build/provfs, build/provctl and build/libprovfs.a
#   make run      demo: mount contrib/example/inventory.yaml, serve it with tftpd-hpa on 127.0.0.1:6969
#   make check    deps + build + lint + unit tests (cmocka) + integration tests (real mount, real
#                 servers), then both again under ASan+UBSan (build-asan/), then each libFuzzer
#                 target for CHECK_FUZZ_SECONDS (build-fuzz/)
#   make fuzz     run each libFuzzer target (tests/fuzz/) for FUZZ_SECONDS (default 600)
#   make bench    deps + build, then bench/run.sh: bench/storm.sh (reboot storm: provfs vs a
#                 static export on tmpfs over nginx, tftpd-hpa and for firmware) for each of
#                 BENCH_SIZES (default "1000 10000" devices), bench/scale.sh at BENCH_SCALE_N
#                 (100000), and one summary table; not part of make check. BENCH_WRITE=1 also
#                 writes bench/results.md
#   make install  install the programs, the manuals, the mount helper and the systemd unit
#                 (PREFIX=/usr/local, DESTDIR); make uninstall removes them again
#
# Data flows one way: inventory/ -> backend/ -> state/ -> fs/ and provctl/. The first three form
# the static library that both programs link; only fs/ sees FUSE headers.

BUILD   ?= build
CC      ?= gcc
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
# mount(8) (libmount) looks for the helper of type fuse.provfs in /sbin, /sbin/fs.d and /sbin/fs
# only, whatever PREFIX is: /sbin/mount.fuse.provfs, then /sbin/mount.fuse (fuse3's).
MOUNT_HELPER_DIR ?= /sbin
MOUNT_FUSE3      ?= /sbin/mount.fuse3

DEB_PACKAGES = gcc make pkg-config libfuse3-dev fuse3 libssl-dev libyaml-dev zlib1g-dev libcmocka-dev \
	       tftpd-hpa tftp-hpa nginx lighttpd apache2 vsftpd curl libxml2-utils xxd openssl python3 wrk git \
	       clang-format clang-tidy cppcheck shellcheck \
	       clang libclang-rt-14-dev llvm \
	       libcurl4-openssl-dev libcjson-dev etcd-server etcd-client

CSTD     = -std=c11 -D_GNU_SOURCE
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	   -Wformat=2 -Wno-format-nonliteral
OPT      ?= -O2 -g
CFLAGS   ?=
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) -I. $(CFLAGS)
FUSE_CFLAGS = $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   = $(shell pkg-config --libs fuse3 2>/dev/null)
# -lcurl -lcjson: the etcd client (state/etcd.c, issue 14).
LIB_LIBS    = -lyaml -lcrypto -lz -lpthread -lcurl -lcjson
LDFLAGS  ?=

LIB_SRC  = $(wildcard inventory/*.c) $(wildcard backend/*.c) $(wildcard state/*.c)
FS_SRC   = $(wildcard fs/*.c)
CTL_SRC  = $(wildcard provctl/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
FS_OBJ   = $(FS_SRC:%.c=$(BUILD)/obj/%.o)
CTL_OBJ  = $(CTL_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

LIB      = $(BUILD)/libprovfs.a

.PHONY: all deps run bench check unit integration install uninstall clean format format-check lint \
	test-programs asan fuzz-build fuzz-programs fuzz

all: $(BUILD)/provfs $(BUILD)/provctl

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/fs/%.o: fs/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(FUSE_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/provfs: $(FS_OBJ) $(LIB)
	$(CC) $(OPT) $(LDFLAGS) -o $@ $(FS_OBJ) $(LIB) $(FUSE_LIBS) $(LIB_LIBS)

$(BUILD)/provctl: $(CTL_OBJ) $(LIB)
	$(CC) $(OPT) $(LDFLAGS) -o $@ $(CTL_OBJ) $(LIB) $(LIB_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(LIB) -lcmocka $(LIB_LIBS)

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz -name '*.d' 2>/dev/null)

# The LD_PRELOAD shim of tests/integration/t_durable.sh (it records fsync, rename and the libfuse
# replies of the daemon). Always without sanitizers, whatever CFLAGS say (make asan): a shim
# preloaded into a sanitized daemon comes after the ASan runtime (t_durable.sh sees to that) and
# must not bring a second one.
SHIM     = $(BUILD)/tests/libtrace_sync.so
SHIM_SRC = tests/integration/shim/trace_sync.c

$(SHIM): $(SHIM_SRC) fs/fuse_api.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O1 -g -I. $(FUSE_CFLAGS) -shared -fPIC -o $@ $(SHIM_SRC) \
		$(FUSE_LIBS) -ldl

# Programs the integration tests drive (tests/tools/*.c), e.g. etcd_tool for t_etcd.sh.
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(LIB) $(LIB_LIBS)

test-programs: all $(UNIT_BIN) $(SHIM) $(TOOL_BIN)

# --- sanitizers and fuzzing (issue 5) ---------------------------------------------------------
# build-asan/: the programs and unit tests with AddressSanitizer (LeakSanitizer included) and
# UndefinedBehaviorSanitizer; every report is fatal. build-fuzz/: the library with clang and the
# same sanitizers plus coverage for libFuzzer, and one program per tests/fuzz/fuzz_*.c.
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_CC    ?= clang
SAN_FLAGS   = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS       ?= 600
CHECK_FUZZ_SECONDS ?= 30
FUZZ_SRC    = $(wildcard tests/fuzz/fuzz_*.c)

asan:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT="-O1 -g" CFLAGS="$(SAN_FLAGS)" \
		LDFLAGS="$(SAN_FLAGS)" test-programs

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O1 -g" \
		CFLAGS="$(SAN_FLAGS) -fsanitize=fuzzer-no-link" fuzz-programs

# Only through fuzz-build (BUILD, CC and CFLAGS are the fuzzing ones there).
fuzz-programs: $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -DFUZZ_SOURCE_DIR='"$(CURDIR)/tests/fuzz"' -MMD -MP \
		-o $@ $< $(LIB) $(LIB_LIBS)

fuzz: deps fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

deps:
	@sh tests/deps.sh $(DEB_PACKAGES)

run: deps all
	@bash contrib/run-demo.sh

# Not part of check: minutes of both CPUs, and the numbers are only meaningful on an idle machine.
bench: deps all
	@bash bench/run.sh

check: deps test-programs lint asan fuzz-build
	@bash tests/run-all.sh --asan $(ASAN_BUILD) --fuzz $(FUZZ_BUILD) $(CHECK_FUZZ_SECONDS) $(BUILD)

unit: all $(UNIT_BIN)
	@bash tests/run-all.sh $(BUILD) unit

integration: all $(SHIM) $(TOOL_BIN)
	@bash tests/run-all.sh $(BUILD) integration

# --- install (issue 13) -----------------------------------------------------------------------
# What an administrator gets, each where Debian's own daemons put theirs:
#   BINDIR            provfs, provctl
#   MANDIR/man1, man5 every man/*.1 and man/*.5 of the tree (none yet: none installed)
#   MOUNT_HELPER_DIR  mount.fuse.provfs, so that `mount -t fuse.provfs` and fstab lines run this
#                     BINDIR/provfs: without it, mount(8) falls back to mount.fuse3, which finds
#                     provfs only on its fixed PATH (/usr/local/bin, /usr/bin, ...), not under
#                     another PREFIX, and then whichever copy comes first
#   UNITDIR           provfs.service with BINDIR/provfs in ExecStart (contrib/ has /usr/local/bin)
#   /var/lib/provfs   the default state directory, 0700
# No user is created: `adduser --system --group provfs` for -o run_as=provfs (README). uninstall
# removes what install put, except /var/lib/provfs: it holds the Panasonic keys.
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)

# The helper and the unit are written with this BINDIR at every install (no file in BUILD that
# a later install with another PREFIX would find up to date).
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MOUNT_HELPER_DIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/provfs $(BUILD)/provctl $(DESTDIR)$(BINDIR)/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@MOUNT_FUSE3@|$(MOUNT_FUSE3)|g' \
		contrib/mount.fuse.provfs.in >$(DESTDIR)$(MOUNT_HELPER_DIR)/mount.fuse.provfs
	chmod 0755 $(DESTDIR)$(MOUNT_HELPER_DIR)/mount.fuse.provfs
	sed -e 's|/usr/local/bin/provfs|$(BINDIR)/provfs|g' contrib/provfs.service \
		>$(DESTDIR)$(UNITDIR)/provfs.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/provfs.service
	$(if $(MAN1),install -d $(DESTDIR)$(MANDIR)/man1 && install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN5),install -d $(DESTDIR)$(MANDIR)/man5 && install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	install -d -m 0700 $(DESTDIR)/var/lib/provfs

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/provfs $(DESTDIR)$(BINDIR)/provctl
	rm -f $(DESTDIR)$(MOUNT_HELPER_DIR)/mount.fuse.provfs $(DESTDIR)$(UNITDIR)/provfs.service
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# Static checks the tree obeys: formatting, cppcheck, clang-tidy (.clang-tidy), shellcheck.
# The test shim is C that runs inside the daemon: it gets the same checks.
LINT_C   = $(LIB_SRC) $(FS_SRC) $(CTL_SRC) $(SHIM_SRC) $(TOOL_SRC)
lint: format-check
	cppcheck --quiet --std=c11 --enable=warning,performance,portability,style --inline-suppr \
		--error-exitcode=1 --suppress=missingIncludeSystem -D_GNU_SOURCE -I. $(FUSE_CFLAGS) \
		inventory backend state fs provctl tests/unit tests/fuzz tests/integration/shim \
		tests/tools
	clang-tidy --quiet $(LINT_C) $(FUZZ_SRC) -- $(CSTD) -I. $(FUSE_CFLAGS) 2>/dev/null
	shellcheck $$(git ls-files '*.sh') .ci/run contrib/provfs-git-sync contrib/git-hooks/pre-receive

clean:
	rm -rf $(BUILD)
