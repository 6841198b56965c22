# Benchmark programs (BENCHMARKS.md): every bench/*.c is one program,
# linked with libcustos.a and the modules' objects, built into
# $(BUILD)/bench/ by `make bench-build`.
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

# (LIB_ALL is defined after this file is included: name its parts here)
BENCH_LIB := $(foreach m,$(MODULES),$(patsubst %,$(BUILD)/%.o,$(MOD_SRCS_$(m)))) \
             $(BUILD)/libcustos.a
$(BUILD)/bench/%: $(BUILD)/bench/%.c.o $(BENCH_LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $< $(BENCH_LIB) $(LIBS_ALL)

bench-build: $(BENCH_BINS)
.SECONDARY: $(BENCH_BINS:=.c.o)
-include $(BENCH_BINS:=.c.d)

# The search benchmark against its peers (bench/search.sh): custos, SQLite
# FTS5 and a naive Xapian indexer (the one C++ file of bench/) in one program.
$(BUILD)/bench/search_peers: $(BUILD)/bench/search_peers.c.o $(BUILD)/bench/naive_xapian.cc.o \
                             $(BENCH_LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $(BUILD)/bench/search_peers.c.o \
		$(BUILD)/bench/naive_xapian.cc.o $(BENCH_LIB) -lsqlite3 $(LIBS_ALL)
.SECONDARY: $(BUILD)/bench/naive_xapian.cc.o
-include $(BUILD)/bench/naive_xapian.cc.d
