# custos build. One Makefile; each folder adds its sources in its module.mk.
# `make` builds ./custos; `make check` runs every test; `make SANITIZE=1 check`
# does the same under ASan/UBSan, `make TSAN=1 check` the unit and
# concurrency tests under ThreadSanitizer (objects go to separate build trees).

.DEFAULT_GOAL := all
PREFIX   ?= /usr/local
CC       ?= cc
CXX      ?= c++
PKGS     := lmdb libzstd libsodium libcrypto jansson libgit2 xapian-core yaml-0.1 libarchive libxml-2.0 \
            libcurl libmicrohttpd gnutls

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

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llmdb -lunistring
WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter
INCLUDES := -Itests -Icommon -Iarchiver -Iindexer -Iretention-policies -Ilib -Iexport
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) $(INCLUDES) $(PKG_CFLAGS) -MMD -MP
CXXFLAGS += -std=c++17 $(OPT) $(WARN) $(SANFLAGS) $(INCLUDES) $(PKG_CFLAGS) -fvisibility=hidden -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lstdc++ -lm

ifneq ($(V),1)
Q = @
quiet = @printf '  %-6s %s\n' $(1) $(2);
else
Q =
quiet =
endif

LIB_SRCS :=
CLI_SRCS :=
UNIT_TESTS :=
include common/module.mk archiver/module.mk indexer/module.mk \
        retention-policies/module.mk lib/module.mk cli/module.mk \
        server/module.mk tests/module.mk bench/module.mk
-include export/module.mk

LIB_OBJS := $(patsubst %,$(BUILD)/%.o,$(LIB_SRCS))
CLI_OBJS := $(patsubst %,$(BUILD)/%.o,$(CLI_SRCS))
LIB      := $(BUILD)/libcustos.a
BIN      := $(BUILD)/custos

all: custos
custos: $(BIN)
	$(Q)ln -sf $(BIN) custos

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/%.cc.o: %.cc
	@mkdir -p $(dir $@)
	$(call quiet,CXX,$<)$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call quiet,AR,$@)rm -f $@ && ar rcs $@ $^
$(BIN): $(CLI_OBJS) $(LIB)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

# Unit test programs: tests/unit/test_<name>.c, each with the harness.
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_TESTS))
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.c.o $(BUILD)/tests/check.c.o $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/tests/check.c.o $(LIB) $(LDLIBS)

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
$(BUILD)/fuzz/import-%: tests/fuzz/fuzz_import.c $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -fsanitize=fuzzer -DFUZZ_FORMAT='"$*"' -o $@ $< $(LIB) $(LDLIBS)
$(BUILD)/fuzz/record: tests/fuzz/fuzz_record.c $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)
$(BUILD)/fuzz/jsonscan: tests/fuzz/fuzz_jsonscan.c $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -Iarchiver -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)
$(BUILD)/fuzz/entities: tests/fuzz/fuzz_entities.c $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZ,$@)$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

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
	$(Q)sh bench/serve.sh
	$(Q)sh bench/export.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/custos
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/custos
	install -m 644 README.md $(wildcard docs/*.md) docs/openapi.yaml $(DESTDIR)$(PREFIX)/share/doc/custos/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/|$(PREFIX)/|g' server/custos.service >$(DESTDIR)$(PREFIX)/lib/systemd/system/custos.service
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/custos.service

clean:
	rm -rf build custos

.PHONY: all custos deps check demo bench bench-build install clean fuzz
# unit-test objects are kept: no rebuild of every test program at each check
.SECONDARY:
-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%.c.d,$(UNIT_TESTS))
