#!/bin/sh
# Start-up benchmark (issue 17, "custos search as a process"): `custos
# search` run as a process, the way a user or a script runs it, against the
# sqlite3 command-line program on an FTS5 table of the same posts; and what
# a command costs before it does anything (`custos --help`): CPU time, the
# shared objects loaded and the relocations done. Prints a markdown table
# and writes bench/out/startup.md.
#
#   make && make bench-build && sh bench/startup.sh
#
# Environment:
#   BENCH_STARTUP_N     posts (default 200000)
#   BENCH_STARTUP_RUNS  timed runs of each query per engine (default 30)
#   BENCH_STARTUP_KEEP=1  keep bench/out/startup-work (archive and database)
#                       and reuse it on the next run of the same N
#   CUSTOS              the custos binary (default ./custos)
#   BUILD               build tree holding bench/ (default: where ./custos points)
set -eu

N=${BENCH_STARTUP_N:-200000}
RUNS=${BENCH_STARTUP_RUNS:-30}
. bench/lib.sh
bench_paths startup
SQLITE=${SQLITE:-sqlite3}

for t in "$SQLITE" python3; do
	command -v "$t" >/dev/null || { echo "startup.sh: $t is needed" >&2; exit 1; }
done
mkdir -p "$OUT"
: >"$LOG"

MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
REV=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
# another binary than the tree's (a build of an earlier commit) is named
[ "$CUSTOS" = "$TOP/custos" ] && WHO="custos $REV" || WHO="custos at $CUSTOS"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "startup.sh: N=$N runs=$RUNS; $MODEL, $(nproc) cores, $WHO; load $LOAD0"

# ---- the same posts in a custos archive and in an FTS5 table ---------------
ARCH=$WORK/arch
DB=$WORK/posts.db
if [ "${BENCH_STARTUP_KEEP:-0}" = 1 ] && [ -s "$WORK/n" ] && [ "$(cat "$WORK/n")" = "$N" ]; then
	say "startup.sh: reusing $WORK"
else
	rm -rf "$WORK"
	mkdir -p "$WORK"
	say "startup.sh: generating $N posts (ndjson)"
	"$GEN" --format ndjson --count "$N" --edits 0 >"$WORK/posts.ndjson"
	say "startup.sh: custos ingest (indexed), then index --rebuild (compacted)"
	"$CUSTOS" --archive "$ARCH" init >/dev/null
	"$CUSTOS" --archive "$ARCH" ingest --json "$WORK/posts.ndjson" >"$WORK/ingest.json" 2>>"$LOG"
	"$CUSTOS" --archive "$ARCH" index --rebuild >/dev/null 2>>"$LOG"
	# sqlite3 reads the lines as one text column (ASCII mode: no quoting;
	# JSON escapes control characters, so 0x1f appears in no line), then the fields the hits show and the
	# text, with an external-content FTS5 table over the text (the
	# tokenizer of issue 4's peers run)
	say "startup.sh: sqlite3 FTS5 load"
	"$SQLITE" "$DB" >>"$LOG" 2>&1 <<-EOF
	CREATE TABLE raw(j TEXT);
	.mode ascii
	.separator "$(printf '\037')" "\n"
	.import $WORK/posts.ndjson raw
	CREATE TABLE posts(id TEXT UNIQUE, created_at TEXT, platform TEXT, account TEXT,
	                   author TEXT, text TEXT);
	INSERT INTO posts SELECT j->>'id', j->>'created_at', j->>'platform', j->>'account',
	                         j->>'author'->>'handle', j->>'text' FROM raw;
	DROP TABLE raw;
	CREATE VIRTUAL TABLE fts USING fts5(text, content='posts', content_rowid='rowid',
	                                    tokenize='porter unicode61');
	INSERT INTO fts(fts) VALUES('rebuild');
	INSERT INTO fts(fts) VALUES('optimize');
	VACUUM;
	EOF
	rm -f "$WORK/posts.ndjson"
	echo "$N" >"$WORK/n"
fi
ROWS=$("$SQLITE" "$DB" 'SELECT count(*) FROM posts')
RECS=$("$CUSTOS" --archive "$ARCH" search --count '*')
[ "$ROWS" = "$RECS" ] || { say "startup.sh: $ROWS rows in sqlite, $RECS records in custos"; exit 1; }

# query words: plain lower-case words the FTS5 vocabulary holds in about
# 10%, 1%, 0.1% and 0.01% of the posts, and two of them together
pick() { echo "SELECT term FROM temp.v WHERE length(term) >= 4 AND term NOT GLOB '*[^a-z]*'
	ORDER BY abs(doc - $N * $1), term LIMIT 1;"; }
{
	echo "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, 'row');"
	for f in 0.1 0.01 0.001 0.0001; do pick $f; done
} | "$SQLITE" "$DB" >"$WORK/words.txt" 2>>"$LOG"
set -- $(cat "$WORK/words.txt")
[ $# = 4 ] || { say "startup.sh: no query words"; exit 1; }
QUERIES="$1|$2|$3|$4|$2 $3"
say "startup.sh: queries: $QUERIES"

# ---- timing: every run a process; wall clock and the child's CPU (wait4) ---
python3 - "$CUSTOS" "$ARCH" "$SQLITE" "$DB" "$RUNS" "$QUERIES" >"$WORK/timings.txt" 2>>"$LOG" <<-'EOF'
import os, sys, time, statistics
custos, arch, sqlite, db, runs, queries = sys.argv[1:7]
runs = int(runs)
queries = queries.split("|")
null = os.open(os.devnull, os.O_WRONLY)
def run(argv):
    t0 = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        os.dup2(null, 1)
        os.execvp(argv[0], argv)
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - t0) / 1e6
    if status != 0:
        sys.exit("failed: %s" % " ".join(argv))
    return wall, (ru.ru_utime + ru.ru_stime) * 1e3
def sql(q, count):
    s = ("SELECT p.id, p.created_at, p.platform, p.author, substr(p.text, 1, 80) "
         "FROM fts JOIN posts p ON p.rowid = fts.rowid WHERE fts MATCH '%s' "
         "ORDER BY rank LIMIT 20;" % q)
    if count:
        s += "SELECT count(*) FROM fts WHERE fts MATCH '%s';" % q
    return [sqlite, "-readonly", db, s]
engines = {
    "custos": lambda q: [custos, "--archive", arch, "search", "--limit", "20", q],
    "fts5": lambda q: sql(q, False),
    "fts5+count": lambda q: sql(q, True),
}
t = {e: ([], []) for e in engines}
help_cpu, help_wall = [], []
for q in queries:                      # warm-up: page cache, not timed
    for e in engines:
        run(engines[e](q))
for r in range(runs):
    for q in queries:                  # interleaved: outside load falls on all
        for e in engines:
            w, c = run(engines[e](q))
            t[e][0].append(w); t[e][1].append(c)
    for i in range(5):
        w, c = run([custos, "--help"])
        help_wall.append(w); help_cpu.append(c)
for e in engines:
    print("RESULT %s_wall %.2f" % (e, statistics.median(t[e][0])))
    print("RESULT %s_cpu %.2f" % (e, statistics.median(t[e][1])))
print("RESULT help_wall %.2f" % statistics.median(help_wall))
print("RESULT help_cpu %.2f" % statistics.median(help_cpu))
for q in queries:
    w = {e: statistics.median(t[e][0][i] for i in range(len(t[e][0]))
                              if i % len(queries) == queries.index(q)) for e in engines}
    print("QUERY %s|%.2f|%.2f|%.2f" % (q, w["custos"], w["fts5"], w["fts5+count"]))
EOF
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
r() { v=$(awk -v k="$1" '$1 == "RESULT" && $2 == k { print $3 }' "$WORK/timings.txt"); echo "${v:-?}"; }

# hits per query, as each engine counts them
HITS=""
OLDIFS=$IFS; IFS='|'
for q in $QUERIES; do
	IFS=$OLDIFS
	hc=$("$CUSTOS" --archive "$ARCH" search --count "$q")
	hs=$("$SQLITE" -readonly "$DB" "SELECT count(*) FROM fts WHERE fts MATCH '$q'")
	HITS="$HITS$q|$hc|$hs
"
	IFS='|'
done
IFS=$OLDIFS

# what a command loads: shared objects mapped and relocations done, from
# the dynamic loader's own accounts (LD_DEBUG)
objs() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c 'file=.*\[0\];  *needed by\|file=.*\[0\];  *dynamically loaded' || true; }
relocs() { LD_DEBUG=statistics "$@" 2>&1 >/dev/null |
	awk '/final number of relocations:/ { n = $NF } END { print n + 0 }'; }
HELP_OBJS=$(objs "$CUSTOS" --help)
HELP_REL=$(relocs "$CUSTOS" --help)
Q1=$(echo "$QUERIES" | cut -d'|' -f2)
SEARCH_OBJS=$(objs "$CUSTOS" --archive "$ARCH" search "$Q1")
SEARCH_REL=$(relocs "$CUSTOS" --archive "$ARCH" search "$Q1")
SQL_OBJS=$(objs "$SQLITE" -readonly "$DB" "SELECT 1")

CW=$(r custos_wall); FW=$(r fts5_wall); FCW=$(r fts5+count_wall)
RATIO=$(calc "$CW / $FW")
RATIO_C=$(calc "$CW / $FCW")
{
	echo "### Start-up: \`custos search\` as a process, $(thou "$N") posts"
	echo
	echo "$WHO, $(date -u '+%Y-%m-%d %H:%M') UTC, $MODEL, $(nproc) cores;"
	echo "load average $LOAD0 before, $LOAD1 after. Medians of $RUNS runs of each of the"
	echo "$(echo "$QUERIES" | tr '|' '\n' | wc -l) queries per engine, interleaved; every run is a new process (fork, exec,"
	echo "open, query, print 20 hits to /dev/null)."
	echo
	echo "| engine | wall p50 | CPU p50 | shared objects loaded | relocations |"
	echo "|---|---|---|---|---|"
	echo "| \`custos search --limit 20 Q\` | **$(fmt "$CW" 2) ms** | $(fmt "$(r custos_cpu)" 2) ms | $SEARCH_OBJS | $SEARCH_REL |"
	echo "| \`sqlite3\` FTS5, 20 hits by bm25 | $(fmt "$FW" 2) ms | $(fmt "$(r fts5_cpu)" 2) ms | $SQL_OBJS | |"
	echo "| \`sqlite3\` FTS5, 20 hits by bm25 + \`count(*)\` | $(fmt "$FCW" 2) ms | $(fmt "$(r fts5+count_cpu)" 2) ms | $SQL_OBJS | |"
	echo "| \`custos --help\` | $(fmt "$(r help_wall)" 2) ms | **$(fmt "$(r help_cpu)" 2) ms** | $HELP_OBJS | $HELP_REL |"
	echo
	echo "custos / sqlite3 at the p50: **$(fmt "$RATIO" 2)×** (against FTS5 with the exact total"
	echo "custos also gives: $(fmt "$RATIO_C" 2)×)."
	echo
	echo "| query | hits custos / FTS5 | custos ms | FTS5 ms | FTS5 + count ms |"
	echo "|---|---|---|---|---|"
	grep '^QUERY ' "$WORK/timings.txt" | sed 's/^QUERY //' | while IFS='|' read -r q c f fc; do
		h=$(printf '%s' "$HITS" | awk -F'|' -v q="$q" '$1 == q { print $2 " / " $3 }')
		echo "| \`$q\` | $h | $c | $f | $fc |"
	done
} >"$RES"
cat "$RES"
[ "${BENCH_STARTUP_KEEP:-0}" = 1 ] || rm -rf "$WORK"
