#!/bin/sh
# One conversation read whole (BENCHMARKS.md, "One conversation read
# whole"): `custos show --thread --json` of an X thread of N replies that
# name it, and of a chain of N replies ingested newest file first (each
# file's replies indexed under a parent captured later, so that the
# conversation is found only through its members' threads).
#   sh bench/thread_read.sh                        (20,000 and 100,000)
#   BENCH_THREAD_N="5000" BENCH_BIN=/path/to/custos sh bench/thread_read.sh
# Prints one line a run: archive, UTC time, load, wall, user, system, peak
# RSS (KB), the output's MD5 (to compare two binaries' answers).
set -eu
SIZES=${BENCH_THREAD_N:-"20000 100000"}
BIN=${BENCH_BIN:-$(pwd)/build/release/custos}
WORK=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/custos-thread-XXXXXX")}
trap 'rm -rf "$WORK"' EXIT

# gen N CHUNK DIR KIND: KIND "named" writes one file (replies naming the
# thread, each to the one before or to the post); "chain" files of CHUNK
# records, each reply to the one before, no thread named
gen() {
	python3 - "$@" <<'PY'
import sys, datetime, os
n, chunk, out, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
os.makedirs(out, exist_ok=True)
t0 = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
def line(i):
    t = (t0 + datetime.timedelta(seconds=200 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')
    if i == 1:
        extra = ''
    elif kind == 'named':
        extra = ',"in_reply_to":"x:%d","thread":"x:1"' % (i - 1 if i % 3 else 1)
    else:
        extra = ',"in_reply_to":"x:%d"' % (i - 1)
    return ('{"id":"x:%d","platform":"x","account":"acme","author":{"handle":"u%d"},'
            '"created_at":"%s","text":"reply %d in the conversation"%s}\n' % (i, i % 97, t, i, extra))
if kind == 'named':
    chunk = n + 1
for k, start in enumerate(range(1, n + 2, chunk)):
    with open('%s/%06d.ndjson' % (out, k), 'w') as f:
        for i in range(start, min(start + chunk, n + 2)):
            f.write(line(i))
PY
}

run() { # archive
	l=$(uptime | sed 's/.*load average: //')
	d=$(date -u +%H:%M:%S)
	CUSTOS_ARCHIVE=$1 /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$BIN" show --thread --json x:1 >"$WORK/o"
	echo "$(basename "$1") $d load $l wall/user/sys/maxrssKB $(tail -1 "$WORK/t") md5 $(md5sum <"$WORK/o" | cut -c1-12)"
}

for n in $SIZES; do
	for kind in named chain; do
		a=$WORK/$kind$n
		gen "$n" 1000 "$WORK/src-$kind$n" "$kind"
		CUSTOS_ARCHIVE=$a "$BIN" init >/dev/null
		for f in $(ls -r "$WORK/src-$kind$n"/*.ndjson); do
			CUSTOS_ARCHIVE=$a "$BIN" ingest "$f" >/dev/null
		done
		run "$a"
		run "$a"
		rm -rf "$a" "$WORK/src-$kind$n"
	done
done
