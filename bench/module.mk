# Benchmark programs (BENCHMARKS.md): every bench/*.c is one program,
# linked with libcustos.a, built into $(BUILD)/bench/ by `make bench-build`.
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

# (LIB is defined after this file is included: name the library here)
$(BUILD)/bench/%: $(BUILD)/bench/%.c.o $(BUILD)/libcustos.a
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libcustos.a $(LDLIBS)

bench-build: $(BENCH_BINS)
.SECONDARY: $(BENCH_BINS:=.c.o)
-include $(BENCH_BINS:=.c.d)

# The search benchmark against its peers (bench/search.sh): custos, SQLite
# FTS5 and a naive Xapian indexer (the one C++ file of bench/) in one program.
$(BUILD)/bench/search_peers: $(BUILD)/bench/search_peers.c.o $(BUILD)/bench/naive_xapian.cc.o \
                             $(BUILD)/libcustos.a
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $(BUILD)/bench/search_peers.c.o \
		$(BUILD)/bench/naive_xapian.cc.o $(BUILD)/libcustos.a -lsqlite3 $(LDLIBS)
.SECONDARY: $(BUILD)/bench/naive_xapian.cc.o
-include $(BUILD)/bench/naive_xapian.cc.d
