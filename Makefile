# custos build. One Makefile; each folder adds its sources in its module.mk.
# `make` builds ./custos; `make check` runs every test; `make SANITIZE=1 check`
# does the same under ASan/UBSan, `make TSAN=1 check` the unit and
# concurrency tests under ThreadSanitizer (objects go to separate build trees).

.DEFAULT_GOAL := all
PREFIX   ?= /usr/local
CC       ?= cc
CXX      ?= c++
# The binary links what every command may need (search: LMDB, zstd,
# Xapian, ...); what only some commands use is in modules (below), each
# linked with its own libraries (MOD_LIBS_<module>, from the module.mk
# files), so that a command loads only what it uses (BENCHMARKS.md,
# "Start-up").
PKGS     := libsodium jansson xapian-core
# linked from their static archives into the binary (STATIC_LIBS below)
STATIC_PKGS := lmdb libzstd libcrypto
MOD_PKGS := libarchive libxml-2.0 libcurl libmicrohttpd gnutls libgit2 yaml-0.1

BUILD_DIR ?=
ifeq ($(FUZZ),1)
# libFuzzer builds: clang, with the fuzzer's coverage and the sanitizers
CC       := clang
CXX      := clang++
BUILD    := $(or $(BUILD_DIR),build)/fuzz
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
OPT      := -O1 -g
else ifeq ($(TSAN),1)
# ThreadSanitizer: the unit tests and the concurrency tests (tests/run.sh)
BUILD    := $(or $(BUILD_DIR),build)/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
OPT      := -O1 -g
else ifeq ($(SANITIZE),1)
BUILD    := $(or $(BUILD_DIR),build)/sanitize
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1 -g
else
BUILD    := $(or $(BUILD_DIR),build)/release
SANFLAGS :=
OPT      := -O2 -g
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(STATIC_PKGS) $(MOD_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# LMDB, zstd, libunistring and OpenSSL's libcrypto (SHA-256 alone:
# common/hash.c) are linked from their static archives. Each shared library
# costs every command its loading and its relocations: libcrypto alone binds
# 3,000 of its functions at load (BIND_NOW) and relocates 21,000 addresses,
# for the 26 KB the binary uses of it; together they were 4,000 of a
# search's 6,700 relocations and 2 ms of its CPU (BENCHMARKS.md,
# "Start-up"). The binary exports none of their names (lib/custos.dynlist)
# and no module calls them (the export module links the shared libcrypto
# for MD5 and SHA-1). The costs: a fix to one of them in Debian needs a
# rebuild of custos; the gain besides time: the store's format code (LMDB,
# zstd) and the Unicode tables the index was folded with (libunistring)
# change only with custos.
STATIC_LIBS := -Wl,-Bstatic $(shell pkg-config --libs $(STATIC_PKGS) 2>/dev/null || \
                                   echo -llmdb -lzstd -lcrypto) -lunistring -Wl,-Bdynamic
WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter
INCLUDES := -Itests -Icommon -Iarchiver -Iindexer -Iretention-policies -Ilib -Iexport
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) $(INCLUDES) $(PKG_CFLAGS) -MMD -MP
CXXFLAGS += -std=c++17 $(OPT) $(WARN) $(SANFLAGS) $(INCLUDES) $(PKG_CFLAGS) -fvisibility=hidden -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) $(STATIC_LIBS) -lpthread -lstdc++ -lm

ifneq ($(V),1)
Q = @
quiet = @printf '  %-6s %s\n' $(1) $(2);
else
Q =
quiet =
endif

# Modules: the parts only some commands use, each a shared object
# $(BUILD)/lib/custos/<module>.so that the library loads on first use
# (lib/module.c), found from the binary's own path as ../lib/custos: the
# build tree is laid out as an installed custos is ($(BUILD)/bin/custos).
#   export  productions (lib/export.c, export/): cairo, pango, libxml2, libarchive
#   import  the importers (archiver/import*.c): libarchive, libxml2
#   serve   the HTTP face (server/) with the review page (web/), a service
#           production's files (lib/production.c) and the connectors'
#           poller (lib/poll.c): libmicrohttpd, GnuTLS, libcurl, libarchive
#   policy  the policy repository, holds and the schedule's parser
#           (retention-policies/): libgit2, libyaml
# A module.mk puts a source in MOD_SRCS_<module> instead of LIB_SRCS or
# CLI_SRCS, and its libraries in MOD_LIBS_<module>. BIN_SRCS are the
# library's sources that only the binary links: functions of the same names
# as a module's, which load it (lib/policy_load.c); the other programs link
# the module's objects, and so the functions themselves.
MODULES  := export import serve policy
MOD_SRCS_export :=
MOD_SRCS_import :=
MOD_SRCS_serve  :=
MOD_SRCS_policy :=
MOD_LIBS_export := $(shell pkg-config --libs libxml-2.0 libarchive libcrypto 2>/dev/null)
MOD_LIBS_import := $(shell pkg-config --libs libarchive libxml-2.0 2>/dev/null)
MOD_LIBS_serve  := $(shell pkg-config --libs libmicrohttpd gnutls libcurl libarchive 2>/dev/null)
MOD_LIBS_policy := $(shell pkg-config --libs libgit2 yaml-0.1 2>/dev/null)

LIB_SRCS :=
CLI_SRCS :=
BIN_SRCS :=
UNIT_TESTS :=
include common/module.mk archiver/module.mk indexer/module.mk \
        retention-policies/module.mk lib/module.mk cli/module.mk \
        server/module.mk export/module.mk tests/module.mk bench/module.mk

LIB_OBJS := $(patsubst %,$(BUILD)/%.o,$(LIB_SRCS))
CLI_OBJS := $(patsubst %,$(BUILD)/%.o,$(CLI_SRCS))
BIN_OBJS := $(patsubst %,$(BUILD)/%.o,$(BIN_SRCS))
MOD_OBJS := $(foreach m,$(MODULES),$(patsubst %,$(BUILD)/%.o,$(MOD_SRCS_$(m))))
MOD_SOS  := $(patsubst %,$(BUILD)/lib/custos/%.so,$(MODULES))
LIB      := $(BUILD)/libcustos.a
BIN      := $(BUILD)/bin/custos
# Programs other than custos (unit tests, bench/, fuzzers) link the modules'
# objects in: the library then takes each module's table from the program
# (weak references, lib/module.c) instead of loading it.
LIB_ALL  := $(MOD_OBJS) $(LIB)
LIBS_ALL  = $(foreach m,$(MODULES),$(MOD_LIBS_$(m))) $(LDLIBS)

all: custos
# ./custos -> $(BUILD)/custos -> bin/custos: scripts find the build tree
# from the first link; the binary finds its modules from its real path.
custos: $(BIN) $(MOD_SOS)
	$(Q)ln -sfn bin/custos $(BUILD)/custos
	$(Q)ln -sfn $(BUILD)/custos custos

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/%.cc.o: %.cc
	@mkdir -p $(dir $@)
	$(call quiet,CXX,$<)$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call quiet,AR,$@)rm -f $@ && ar rcs $@ $^
# The binary gives the modules the library's functions (custos_*, the only
# names lib/custos.dynlist exports: a library's own names are never bound
# to ours), all of them: its objects, not the archive, which would leave
# out those only a module calls.
$(BIN): $(CLI_OBJS) $(BIN_OBJS) $(LIB_OBJS) lib/custos.dynlist
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -Wl,--dynamic-list=lib/custos.dynlist -o $@ \
		$(CLI_OBJS) $(BIN_OBJS) $(LIB_OBJS) $(LDLIBS)

# A module: position-independent objects, linked with its own libraries
# (only those it calls: --as-needed); it exports its table alone
# (lib/module.map) and takes the library's functions from the binary.
$(MOD_OBJS): CFLAGS += -fPIC
define module_rule
$(BUILD)/lib/custos/$(1).so: $(patsubst %,$(BUILD)/%.o,$(MOD_SRCS_$(1))) lib/module.map
	@mkdir -p $$(dir $$@)
	$$(call quiet,LINK,$$@)$$(CC) $$(LDFLAGS) -shared -Wl,--version-script=lib/module.map \
		-Wl,--as-needed -o $$@ $(patsubst %,$(BUILD)/%.o,$(MOD_SRCS_$(1))) $(MOD_LIBS_$(1)) \
		$$(PKG_LIBS) -lm
endef
$(foreach m,$(MODULES),$(eval $(call module_rule,$(m))))

# Unit test programs: tests/unit/test_<name>.c, each with the harness.
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_TESTS))
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.c.o $(BUILD)/tests/check.c.o $(LIB_ALL)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/tests/check.c.o $(LIB_ALL) $(LIBS_ALL)

deps:
	@sh tools/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)
	$(Q)BUILD=$(BUILD) SANITIZE=$(SANITIZE) TSAN=$(TSAN) sh tests/run.sh $(UNIT_BINS)

# Fuzzing: one libFuzzer program per parser, each run for FUZZ_SECONDS
# (default 20) on a corpus seeded from ../shared/fixtures and tests/data.
FUZZ_FORMATS := ndjson twitter-api mastodon-api x-archive mastodon facebook slack linkedin feed
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/import-%,$(FUZZ_FORMATS)) $(BUILD)/fuzz/record \
             $(BUILD)/fuzz/entities $(BUILD)/fuzz/jsonscan
$(BUILD)/fuzz/import-%: tests/fuzz/fuzz_import.c $(LIB_ALL)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -fsanitize=fuzzer -DFUZZ_FORMAT='"$*"' -o $@ $< $(LIB_ALL) $(LIBS_ALL)
$(BUILD)/fuzz/record: tests/fuzz/fuzz_record.c $(LIB_ALL)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_ALL) $(LIBS_ALL)
$(BUILD)/fuzz/jsonscan: tests/fuzz/fuzz_jsonscan.c $(LIB_ALL)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -Iarchiver -fsanitize=fuzzer -o $@ $< $(LIB_ALL) $(LIBS_ALL)
$(BUILD)/fuzz/entities: tests/fuzz/fuzz_entities.c $(LIB_ALL)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_ALL) $(LIBS_ALL)

fuzz: deps
ifneq ($(FUZZ),1)
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz
else
	$(Q)$(MAKE) --no-print-directory FUZZ=1 $(FUZZ_BINS)
	$(Q)sh tools/fuzz.sh $(BUILD)/fuzz $(FUZZ_FORMATS)
endif

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh tools/demo.sh

bench: all
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)sh bench/run.sh
	$(Q)sh bench/disposition.sh $${BENCH_N:-1000000} $(CURDIR)/bench/out/dispose | tee bench/out/disposition.txt
	$(Q)sh bench/serve.sh
	$(Q)sh bench/export.sh
	$(Q)sh bench/startup.sh
	$(Q)sh bench/index.sh
	$(Q)if [ "$${BENCH_SCALE:-}" = 1 ]; then sh bench/scale.sh; fi

# The archive at 10 million records (bench/scale.sh, about an hour and ~16 GB
# of disk): also run by `make bench` with BENCH_SCALE=1.
bench-scale: all
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)sh bench/scale.sh

# Manual pages and completion scripts, generated by the built custos from
# the same command table as its --help (cli/doc.c): no other tool needed.
DOC_OUT := $(BUILD)/doc
docs: all
	$(call quiet,GEN,$(DOC_OUT))sh tools/gen-docs.sh $(BIN) $(DOC_OUT)

install: docs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/custos \
	        $(DESTDIR)$(PREFIX)/share/man/man1 \
	        $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	        $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/custos
	install -d $(DESTDIR)$(PREFIX)/lib/custos
	install -m 644 $(MOD_SOS) $(DESTDIR)$(PREFIX)/lib/custos/
	install -m 644 README.md $(wildcard docs/*.md) docs/openapi.yaml $(DESTDIR)$(PREFIX)/share/doc/custos/
	install -m 644 $(DOC_OUT)/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(DOC_OUT)/custos.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/custos
	install -m 644 $(DOC_OUT)/_custos $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_custos
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/|$(PREFIX)/|g' server/custos.service >$(DESTDIR)$(PREFIX)/lib/systemd/system/custos.service
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/custos.service

clean:
	rm -rf build custos

.PHONY: all custos deps check demo bench bench-build bench-scale docs install clean fuzz
# unit-test objects are kept: no rebuild of every test program at each check
.SECONDARY:
-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(BIN_OBJS:.o=.d) $(MOD_OBJS:.o=.d) $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%.c.d,$(UNIT_TESTS))
