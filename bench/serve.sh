#!/bin/sh
# The service's figures (BENCHMARKS.md, "custos serve"): sustained ingest over
# HTTP from 16 connections (bench/http_ingest.c) with searches at the same
# time (wrk), the index lag after, the server's memory over a soak, and kill -9
# under load. Loopback only; every loop is bounded in time. The last lines
# ("== summary") hold every figure issue 15 asks for, with the load average.
#   sh bench/serve.sh [SECONDS] [SOAK_SECONDS]
# SERVE_RATE (records/s, default 20000): the open-loop rate of the main figure;
# SERVE_BATCHES (default "50 100"): the records a request of the main runs.
# SERVE_SEARCH_PACE (ms, default 30): the pause of each of the 10 searching
# connections of the open-loop runs (about 250 searches/s in all).
set -eu
BUILD=${BUILD:-build/release}
SECS=${1:-30}
SOAK=${2:-600}
CUSTOS=$PWD/custos
W=$(mktemp -d "${TMPDIR:-/tmp}/custos-serve-bench-XXXXXX")
export CUSTOS_ARCHIVE=$W/archive
cd "$W"
"$CUSTOS" init >/dev/null
"$CUSTOS" token create load --role ingest | tail -n 1 >tok.ingest
"$CUSTOS" token create look --role legal | tail -n 1 >tok.legal
start() {
	"$CUSTOS" serve --no-poll --listen 127.0.0.1:0 >serve.out 2>serve.err &
	echo $! >serve.pid
	while ! grep -q serving serve.out 2>/dev/null; do sleep 0.05; done
	PORT=$(sed 's/.*://' serve.out)
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$(cat serve.pid)/status"; }
# anonymous and file-backed resident memory: the file part is the LMDB map's
# pages the process touched, which grows with the store and the page cache
# may take back; the anonymous part is the server's own memory
rss_parts() { awk '/RssAnon/ {a = $2} /RssFile/ {f = $2} END {print a, f}' "/proc/$(cat serve.pid)/status"; }
start
cat >search.lua <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/search?q=topic" .. (n % 13) .. "+OR+user" .. (n % 97) .. "&limit=20")
end
LUA
{ cat search.lua; echo "delay = function() return ${SERVE_SEARCH_PACE:-30} end"; } >search-paced.lua
RATE=${SERVE_RATE:-20000}
: >summary.txt
sum() { echo "$*" >>summary.txt; }
sum "load average before: $(uptime | sed 's/.*load average: //')"
# wrk's figures: requests/s, p50, p99 (its latencies in us, ms or s)
wrk_fig() {
	awk '/Requests\/sec/ {r = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
	     END {printf "%.0f q/s, p50 %s, p99 %s", r, p50, p99}' wrk.txt
}
lag() {
	curl -s -H "Authorization: Bearer $(cat tok.legal)" "http://127.0.0.1:$PORT/v1/stats" |
		sed 's/.*"last_seq":\([0-9]*\).*"watermark":\([0-9]*\),"lag":\([0-9]*\).*/index lag \3 record versions (watermark \2 of \1)/'
}
# ingest from 16 connections with searches from 4 (wrk) for SECS: $1 is the
# request size, $2 the client's rate option ("" for the closed loop), $3 a
# seed apart from the other runs' so every run adds records
# $4 "paced": the searches at about the issue's rate (10 connections, each
# waiting PACE ms before its next request: 10 x 1000 / (PACE + latency),
# about 250 q/s) instead of as many as the cores give them
ingest_search() {
	"$OLDPWD/$BUILD/bench/http_ingest" $2 127.0.0.1 "$PORT" "$(cat tok.ingest)" 16 "$1" "$SECS" "$3" >ingest.txt &
	pi=$!
	sleep 2
	if [ "${4:-}" = paced ]; then
		script=search-paced.lua conns=10
	else
		script=search.lua conns=4
	fi
	wrk -t 2 -c $conns -d "$((SECS - 4))s" --latency -s $script -H "Authorization: Bearer $(cat tok.legal)" \
		"http://127.0.0.1:$PORT" >wrk.txt
	wait $pi
	cat ingest.txt
	echo "search during it (wrk, $conns connections${4:+, $4}): $(wrk_fig)"
	lag | tee lag.txt
}
# The main figure: open loop at RATE (each request sent when it is due,
# timed from then: the latency a connector sending at that rate sees), then
# the closed loop (each connection sends again as soon as it is answered:
# the most the server takes, with the latency of a queue always full).
# 16 connections with one request each in flight hold 16 x BATCH records: by
# Little's law a closed loop's mean acknowledgement takes 16 x BATCH / rate.
seed=1
for b in ${SERVE_BATCHES:-50 100}; do
	echo "== ingest from 16 connections, $b records a request, open loop at $RATE records/s, with paced searches from 10 connections, ${SECS}s"
	ingest_search "$b" "--rate $RATE" $((seed * 100000000000)) paced
	sum "open loop at $RATE records/s, $b a request, searches paced at about 250/s: $(sed 's/.*= \([0-9]*\) records\/s.*(\([0-9]*\) failed, \([0-9]*\) sent.*scheduled send: \(.*\)/\1 records\/s achieved (\2 failed, \3 sent late); ack \4/' ingest.txt)"
	sum "  search meanwhile: $(wrk_fig); $(cat lag.txt)"
	# against the issue's targets: the rate held (99% of it, the rest being
	# the last requests' answers) with ack p99 <= 50 ms; searches >= 200/s
	# with p99 <= 50 ms (wrk prints us, ms or s)
	v=$(awk -v rate="$RATE" '{for (i = 1; i < NF; i++) {if ($(i + 1) == "records/s," && $(i - 1) == "=") got = $i
	     if ($i == "p99") p99 = $(i + 1)}}
	     END {ok = (got >= 0.99 * rate && p99 + 0 <= 50) ? "met" : "MISSED"
	          printf "ingest %s (%.0f of %d records/s, ack p99 %s ms)", ok, got, rate, p99}' ingest.txt)
	v="$v; $(awk '/Requests\/sec/ {r = $2} $1 == "99%" {p = $2}
	     END {ms = p + 0; if (p ~ /us$/) ms /= 1000; else if (p ~ /[0-9]s$/ && p !~ /ms$/) ms *= 1000
	          ok = (r >= 200 && ms <= 50) ? "met" : "MISSED"
	          printf "search %s (%.0f q/s, p99 %s)", ok, r, p}' wrk.txt)"
	sum "  against the targets: $v"
	seed=$((seed + 1))
	echo "== ingest from 16 connections, $b records a request, closed loop (as fast as answered), with searches from 4 connections, ${SECS}s"
	ingest_search "$b" "" $((seed * 100000000000))
	sum "closed loop, $b a request, searching: $(sed 's/.*= \([0-9]*\) records\/s.*(\([0-9]*\) failed); ack latency \(.*\)/\1 records\/s (\2 failed); ack \3/' ingest.txt)"
	sum "  search meanwhile: $(wrk_fig); $(cat lag.txt)"
	seed=$((seed + 1))
done
echo "server RSS after: $(rss) kB"

# smaller requests alone show what the latency is made of
for b in 25 50; do
	echo "== ingest alone from 16 connections, $b records a request, closed loop, 15s"
	"$OLDPWD/$BUILD/bench/http_ingest" 127.0.0.1 "$PORT" "$(cat tok.ingest)" 16 "$b" 15 $((900000000 + b * 1000000)) >ingest.txt ||
		echo "(the run failed)"
	cat ingest.txt
	sum "ingest alone, closed loop, $b a request: $(sed 's/.*= \([0-9]*\) records\/s.*ack latency \(.*\)/\1 records\/s; ack \2/' ingest.txt)"
done

echo "== memory over ${SOAK}s of ingest and search (RSS every 10 s)"
"$OLDPWD/$BUILD/bench/http_ingest" 127.0.0.1 "$PORT" "$(cat tok.ingest)" 16 100 "$SOAK" 500000000 >soak.txt &
pi=$!
wrk -t 1 -c 2 -d "${SOAK}s" -s search.lua -H "Authorization: Bearer $(cat tok.legal)" \
	"http://127.0.0.1:$PORT" >wrk-soak.txt &
pw=$!
: >rss.txt
t=0
while [ $t -lt "$SOAK" ]; do sleep 10; t=$((t + 10)); echo "$t $(rss) $(rss_parts)" >>rss.txt; done
wait $pi $pw
cat soak.txt
awk 'NR == 1 {first = $2} {if ($2 > max) max = $2; if (min == "" || $2 < min) min = $2; last = $2}
     END {printf "RSS kB: first sample %d, min %d, max %d, last %d\n", first, min, max, last}' rss.txt| tee mem.txt
awk 'NR == 1 {fa = $3; ff = $4} {if ($3 > ma) ma = $3; la = $3; lf = $4}
     END {printf "of which anonymous kB: first %d, max %d, last %d; file-backed (the LMDB map) kB: first %d, last %d\n", fa, ma, la, ff, lf}' rss.txt |
	tee -a mem.txt
sum "soak ${SOAK}s, closed loop, 100 a request, searching: $(sed 's/.*= \([0-9]*\) records\/s.*(\([0-9]*\) failed); ack latency \(.*\)/\1 records\/s (\2 failed); ack \3/' soak.txt)"
sum "  server memory: $(tr '\n' ' ' <mem.txt)"
kill -TERM "$(cat serve.pid)"; wait "$(cat serve.pid)" || true

echo "== kill -9 under load, restart, every acknowledged batch present, verify"
start
"$OLDPWD/$BUILD/bench/http_ingest" 127.0.0.1 "$PORT" "$(cat tok.ingest)" 16 100 10 9900000000000 acked.txt >kill.txt &
pi=$!
sleep 5
kill -9 "$(cat serve.pid)"
wait $pi || true
start
missing=$(python3 - "$PORT" "$(cat tok.legal)" acked.txt <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
missing = 0
for first in open(sys.argv[3]):
    for i in (int(first), int(first) + 99):
        c.request("GET", "/v1/records/x:%d" % i, headers={"Authorization": "Bearer " + sys.argv[2]})
        r = c.getresponse(); r.read()
        missing += r.status != 200
print(missing)
PY
)
kill -TERM "$(cat serve.pid)"; wait "$(cat serve.pid)" || true
echo "$(wc -l <acked.txt) acknowledged batches before kill -9; first and last record of each checked: $missing missing"
if "$CUSTOS" verify >verify.txt; then v="clean ($(tail -n 1 verify.txt))"; else v="FAILED (exit $?): $(tail -n 3 verify.txt)"; fi
echo "verify: $v"
sum "kill -9 under load: $(wc -l <acked.txt) acknowledged batches, $missing missing after restart; verify $v"
sum "load average after: $(uptime | sed 's/.*load average: //')"
echo "== summary (issue 15: >= 20,000 records/s from 16 connections with ack p99 <= 50 ms; >= 200 searches/s at p99 <= 50 ms meanwhile; index lag reported; memory flat; kill -9 loses no acknowledged record)"
cat summary.txt
cd / && rm -rf "$W"
