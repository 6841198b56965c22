#!/usr/bin/env python3
# Start-up of several custos binaries side by side (BENCHMARKS.md,
# "Start-up", "Round 2"): each command run as a new process by every binary
# in turn, then the sqlite3 FTS5 query once, for ROUNDS rounds after one
# untimed round; medians of wall time (fork to exit) and the child's CPU
# time (wait4), in ms, as a markdown table. Uses the archive and database
# bench/startup.sh keeps (BENCH_STARTUP_KEEP=1):
#
#   python3 bench/startup_compare.py bench/out/startup-work/arch \
#       bench/out/startup-work/posts.db 30 WORD before=/path/custos after=./custos
import os, sys, time, statistics
arch, db, rounds, W = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
bins = dict(a.split("=", 1) for a in sys.argv[5:])
null = os.open(os.devnull, os.O_WRONLY)
def run(argv):
    t0 = time.perf_counter_ns(); pid = os.fork()
    if pid == 0:
        os.dup2(null, 1); os.dup2(null, 2); os.execvp(argv[0], argv)
    _, st, ru = os.wait4(pid, 0)
    w = (time.perf_counter_ns() - t0) / 1e6
    if st: sys.exit("failed: " + " ".join(argv))
    return w, (ru.ru_utime + ru.ru_stime) * 1e3
cmds = {
 "help": lambda b: [b, "--help"],
 "stats": lambda b: [b, "--archive", arch, "stats"],
 "count": lambda b: [b, "--archive", arch, "search", "--count", W],
 "limit1": lambda b: [b, "--archive", arch, "search", "--limit", "1", W],
 "limit20": lambda b: [b, "--archive", arch, "search", "--limit", "20", W],
}
sq = ["sqlite3", "-readonly", db, "SELECT p.id, p.created_at, p.platform, p.author, substr(p.text, 1, 80) FROM fts JOIN posts p ON p.rowid = fts.rowid WHERE fts MATCH '%s' ORDER BY rank LIMIT 20;" % W]
res = {}
for r in range(rounds + 1):
    for c in cmds:
        for b in bins:
            x = run(cmds[c](bins[b]))
            if r: res.setdefault((b, c), []).append(x)
    x = run(sq)
    if r: res.setdefault(("sqlite3", "limit20"), []).append(x)
print("load %s" % open("/proc/loadavg").read().strip())
print("| command | " + " | ".join(list(bins) + ["sqlite3"]) + " |")
for c in cmds:
    row = []
    for b in list(bins) + ["sqlite3"]:
        v = res.get((b, c))
        row.append("%.2f / %.2f" % (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) if v else "")
    print("| %s | %s |" % (c, " | ".join(row)))
