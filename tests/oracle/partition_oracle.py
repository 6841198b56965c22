#!/usr/bin/env python3
"""Searches across index partitions answer as one index does.

The query oracle's corpus (query_oracle.py) spans 2019 to 2023, so its
archive holds five partitions; ingested in several batches here. A second
archive holds the same records moved into one year (2020: the corpus has a
29 February), so one partition. Every query of the oracle's list must give
the scan's ids in the first archive and, when it names no date, the same ids
and count in the second; pages of a date-sorted search walk the records in
date order across partition boundaries.

Usage: partition_oracle.py CUSTOS WORKDIR      (prints "partitions: N passed, N failed")
"""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import query_oracle as qo  # noqa: E402


def run(custos, archive, args):
    p = subprocess.run([custos, "--archive", archive] + args, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def names_date(q):
    if isinstance(q, tuple):
        if q and q[0] == "field" and q[1] == "date":
            return True
        return any(names_date(x) for x in q[1:])
    if isinstance(q, list):
        return any(names_date(x) for x in q)
    return False


def parts(archive):
    with open(os.path.join(archive, "index", "MANIFEST")) as f:
        return sorted(l.split()[1] for l in f if l.startswith("part "))


def build(custos, archive, files, batches):
    """init, then the first file in `batches` pieces and the others whole."""
    rc, _, err = run(custos, archive, ["init"])
    if rc:
        return err
    with open(files[0], encoding="utf-8") as f:
        lines = f.readlines()
    step = (len(lines) + batches - 1) // batches
    pieces = []
    for i in range(0, len(lines), step):
        p = "%s.%d" % (files[0], i)
        with open(p, "w", encoding="utf-8") as f:
            f.writelines(lines[i:i + step])
        pieces.append(p)
    for path in pieces + files[1:]:
        rc, _, err = run(custos, archive, ["ingest", path])
        if rc:
            return err
    return None


def main():
    custos, workdir = sys.argv[1], sys.argv[2]
    rng = random.Random(12)
    recs = qo.make_corpus(rng)
    qs = qo.make_queries(rng, recs)
    # date ranges across partition boundaries, alone and with words
    for r in ("2019-07-01..2021-06-30", "2020-12-31..2021-01-01", "..2020-02-29",
              "2021-03-01..", "2019-01-01..2022-12-31"):
        qs.append(("field", "date", r))
        qs.append(("and", [("w", "run"), ("field", "date", r)]))
        qs.append(("or", [("w", "emacs"), ("field", "date", r)]))
    passed = failed = 0

    def ok(cond, what):
        nonlocal passed, failed
        if cond:
            passed += 1
        else:
            failed += 1
            print("FAIL " + what)

    many_dir = os.path.join(workdir, "many")
    one_dir = os.path.join(workdir, "one")
    os.makedirs(many_dir)
    os.makedirs(one_dir)
    many, one = os.path.join(workdir, "a-many"), os.path.join(workdir, "a-one")
    err = build(custos, many, qo.write_versions(recs, many_dir), 4)
    moved = [dict(r, created_at="2020" + r["created_at"][4:]) for r in recs]
    err = err or build(custos, one, qo.write_versions(moved, one_dir), 1)
    if err:
        print("setup failed: " + err)
        print("partitions: 0 passed, 1 failed")
        return 1
    ok(parts(many) == ["2019", "2020", "2021", "2022"], "partitions %s" % parts(many))
    ok(parts(one) == ["2020"], "one partition: %s" % parts(one))

    def ids(archive, text):
        """(sorted ids, total) of a search, or its error"""
        rc, out, err = run(custos, archive, ["search", "--json", "--limit", "1000", text])
        if rc:
            return err.strip(), None
        j = json.loads(out)
        return sorted(h["id"] for h in j["hits"]), j["total"]

    # T013 checks every query against the scan over these partitions; here
    # each query naming a date is checked against the scan, and every other
    # second one against the single partition
    n = 0
    for i, q in enumerate(qs):
        text, want = qo.render(q), qo.expected(q, recs)
        if names_date(q):
            got, total = ids(many, text)
            ok(got == want and total == len(want), "%r: partitioned %s (total %s), scan %s"
               % (text, got, total, want))
        elif i % 2 == 0:
            (got, total), (got1, total1) = ids(many, text), ids(one, text)
            ok(got == got1 == want and total == total1 == len(want),
               "%r: partitioned %s (total %s), one partition %s (total %s), scan %s"
               % (text, got, total, got1, total1, want))
        else:
            continue
        n += 1

    # pages in date order, each crossing partitions at its own place
    every = "platform:x OR platform:mastodon OR platform:slack"
    order = sorted(r["created_at"] for r in recs)
    for sort, want in (("date", order), ("-date", order[::-1])):
        got = []
        for off in range(0, len(recs), 37):
            rc, out, err = run(custos, many, ["search", "--json", "--sort", sort, "--limit", "37",
                                              "--offset", str(off), every])
            got += [h["created_at"] for h in json.loads(out)["hits"]] if rc == 0 else [err]
        ok(got == want, "--sort %s pages: %s... against %s..." % (sort, got[:5], want[:5]))
    print("%d queries against the scan or one partition" % n)
    print("partitions: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
