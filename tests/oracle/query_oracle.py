#!/usr/bin/env python3
"""The query oracle: an independent check of custos search.

It writes a corpus (posts with edits, threads, Unicode variants), ingests it
into a fresh archive with the real custos binary, and for every query in a
generated list (each operator, wildcard form, proximity composition and
field) compares the ids custos returns with the ids a plain scan over the
records' text finds. The scan knows nothing of the index: it folds text with
Python's unicodedata (NFKC, casefold), splits words with a regular
expression, stems through the table below, and evaluates the query tree
itself. Queries the scan cannot express must be refused by custos.

Usage: query_oracle.py CUSTOS WORKDIR      (prints "oracle: N passed, N failed")
"""
import fnmatch
import json
import os
import random
import re
import subprocess
import sys
import unicodedata
from datetime import datetime, timezone

# English (Snowball) stems of the corpus words whose stem is not the word
# itself; every other word of the corpus is its own stem.
STEM = {
    "running": "run", "runs": "run", "steaming": "steam", "steamed": "steam",
    "steams": "steam", "building": "build", "builds": "build", "freshly": "fresh",
    "enthusiasts": "enthusiast", "computing": "comput", "computer": "comput",
    "compute": "comput", "computes": "comput", "its": "it", "posts": "post",
    "posted": "post", "posting": "post", "recall": "recal", "recalls": "recal",
    "recalled": "recal", "recalling": "recal", "notice": "notic", "notices": "notic",
    "noticed": "notic", "heaters": "heater", "heating": "heat", "models": "model",
    "shoes": "shoe", "inconsistency": "inconsist", "inconsistent": "inconsist",
    "consistent": "consist", "naïve": "naïv", "naive": "naiv", "resume": "resum",
    "strasse": "strass", "office": "offic", "efficient": "effici", "coffee": "coffe",
    "teams": "team", "meeting": "meet", "meetings": "meet", "launched": "launch",
    "launches": "launch", "launching": "launch", "prices": "price", "priced": "price",
    "pricing": "price", "emacs": "emac", "hackers": "hacker", "hacking": "hack",
    "finance": "financ", "quarterly": "quarter",
}
WORDS = ("run running runs runner steam steaming steamed hot build built building "
         "fresh freshly enthusiast enthusiasts computing computer compute pdp its it "
         "post posts posted recall recalls recalled notice notices heater heaters heat "
         "heating model models shoe shoes blue red green consistent office coffee tea "
         "team teams meeting meetings launch launched launching price prices pricing "
         "dunnet emacs lisp hack hacker hackers hacking zeta kappa omega lambda and or "
         "not quarterly finance").split()
ACCENTED = ["café", "cafe", "naïve", "naive", "résumé", "resume", "über", "uber"]
BOLD = "𝗜𝗻𝗰𝗼𝗻𝘀𝗶𝘀𝘁𝗲𝗻𝗰𝘆"          # mathematical sans-serif bold: inconsistency
FULLWIDTH = "ｒｅｃａｌｌ"                # recall
LIGATURE = "ﬁnance"                     # fi ligature: finance
PLATFORMS = {"x": ["acme", "acmejp"], "mastodon": ["acme@social.example"],
             "slack": ["general", "legal"]}
HANDLES = ["acmecorp", "bob", "carol", "dave", "erin"]
TAGS = ["recall", "launch", "promo"]
PLANTED = ["freshly built", "coffee tea", "zeta kappa omega", "blue red", "the recall",
           "run team", "freshly built enthusiasts", "steaming hot", "hot steam",
           "its hacking", "launch pricing", "model shoes"]


def stem(w):
    return STEM.get(w, w)


def fold(s):
    return unicodedata.normalize("NFKC", s).casefold()


def tokens(text):
    return [(i + 1, w) for i, w in enumerate(re.findall(r"\w+", fold(text)))]


def lev(a, b, cap):
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
            prev, row[j] = row[j], cur
    return row[len(b)] if row[len(b)] <= cap else cap + 1


# ---- the corpus ---------------------------------------------------------------

def make_corpus(rng):
    recs = []
    n = 0
    for i in range(240):
        n += 1
        plat = rng.choice(sorted(PLATFORMS))
        rid = "%s:%d" % (plat, 1000 + n)
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
        r = rng.random()
        if r < 0.10:
            words.insert(rng.randint(0, len(words)), rng.choice(ACCENTED))
        elif r < 0.13:
            words.insert(rng.randint(0, len(words)), BOLD)
        elif r < 0.16:
            words.insert(rng.randint(0, len(words)), FULLWIDTH)
        elif r < 0.19:
            words.insert(rng.randint(0, len(words)), LIGATURE)
        if rng.random() < 0.35:   # phrases the queries look for
            at = rng.randint(0, len(words))
            words[at:at] = rng.choice(PLANTED).split()
        if rng.random() < 0.2:
            words.append("#" + rng.choice(TAGS))
        if rng.random() < 0.2:
            words.insert(0, "@" + rng.choice(HANDLES))
        if rng.random() < 0.05:
            words[rng.randrange(len(words))] = "pdp-10"
        day = rng.randint(0, 4 * 365)
        created = datetime.fromtimestamp(1546300800 + day * 86400 + rng.randint(0, 86399),
                                         tz=timezone.utc)
        rec = {
            "id": rid, "platform": plat, "account": rng.choice(PLATFORMS[plat]),
            "author": {"handle": rng.choice(HANDLES)},
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lang": rng.choice(["en", "en", "en", "de"]),
            "versions": [" ".join(words)],
        }
        if recs and rng.random() < 0.25:
            parent = rng.choice(recs[-20:])
            if parent["platform"] == plat:
                rec["in_reply_to"] = parent["id"]
                rec["root"] = parent.get("root", parent["id"])
        if rng.random() < 0.1:
            rec["media"] = [{"url": "https://media.example/%d.jpg" % n}]
        if rng.random() < 0.04:
            rec["deleted_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        # edits: later versions with other words
        for _ in range(2 if rng.random() < 0.1 else 1 if rng.random() < 0.2 else 0):
            w2 = list(words)
            for _k in range(rng.randint(1, 4)):
                w2[rng.randrange(len(w2))] = rng.choice(WORDS + ["edited"])
            rec["versions"].append(" ".join(w2))
        recs.append(rec)
    return recs


def write_versions(recs, workdir):
    files = []
    for v in range(3):
        path = os.path.join(workdir, "v%d.ndjson" % (v + 1))
        with open(path, "w", encoding="utf-8") as f:
            for r in recs:
                if v >= len(r["versions"]):
                    continue
                out = {k: r[k] for k in ("id", "platform", "account", "author", "created_at",
                                         "lang") if k in r}
                out["text"] = r["versions"][v]
                for k in ("in_reply_to", "media", "deleted_at"):
                    if k in r:
                        out[k] = r[k]
                if v > 0:
                    out["edited_at"] = r["created_at"]
                f.write(json.dumps(out, ensure_ascii=False) + "\n")
        files.append(path)
    return files


# ---- queries as trees, rendered and evaluated -----------------------------------
# ("w", word) ("exact", word) ("wild", pattern) ("fuzzy", word, n, style)
# ("phrase", [word...]) ("near", a, b, n, ordered, opname) ("or", [..]) ("and", [..])
# ("not", q) ("minus", q) ("field", name, value) ("all",) ("group", q)

def render(q):
    k = q[0]
    if k == "w":
        return q[1]
    if k == "exact":
        return "=" + q[1]
    if k == "wild":
        return q[1]
    if k == "fuzzy":
        return q[1] + ("%" * q[2] if q[3] == "%" else "~%d" % q[2])
    if k == "phrase":
        return '"' + " ".join(q[1]) + '"'
    if k == "slop":
        return '"' + " ".join(q[1]) + '"~%d' % q[2]
    if k == "near":
        return "%s %s %s" % (render(q[1]), q[5], render(q[2]))
    if k == "or":
        return "(" + " OR ".join(render(x) for x in q[1]) + ")"
    if k == "and":
        return " AND ".join(render(x) for x in q[1])
    if k == "implicit":
        return " ".join(render(x) for x in q[1])
    if k == "not":
        return "NOT " + render(q[1])
    if k == "minus":
        return "-" + render(q[1])
    if k == "field":
        return q[1] + q[2] if q[1] in ("#", "@") else "%s:%s" % (q[1], q[2])
    if k == "all":
        return "*"
    if k == "group":
        return "(" + render(q[1]) + ")"
    raise ValueError(k)


def slot_match(q, w):
    k = q[0]
    if k == "w":
        return stem(w) == stem(fold(q[1]))
    if k == "exact":
        return w == fold(q[1])
    if k == "wild":
        return fnmatch.fnmatchcase(w, fold(q[1]))
    if k == "fuzzy":
        return lev(w, fold(q[1]), q[2]) <= q[2]
    raise ValueError(k)


def spans(q, toks):
    k = q[0]
    if k in ("w", "exact", "wild", "fuzzy"):
        sub = re.findall(r"\w+", fold(q[1].replace("*", "").replace("?", ""))) if k == "w" else [1]
        if k == "w" and len(sub) > 1:   # a word the tokenizer splits: adjacent parts
            return spans(("phrase", sub), toks)
        return sorted({(p, p) for p, w in toks if slot_match(q, w)})
    if k == "phrase":
        parts = []
        for w in q[1]:
            if w.startswith("="):
                parts.append(("exact", w[1:]))
            elif w.endswith("%"):
                parts.append(("fuzzy", w.rstrip("%"), len(w) - len(w.rstrip("%"))))
            elif "*" in w or "?" in w:
                parts.append(("wild", w))
            else:
                parts += [("w", s) for s in re.findall(r"\w+", fold(w))]
        out = set()
        pos = {p: w for p, w in toks}
        for p, _w in toks:
            if all(p + i in pos and slot_match(s, pos[p + i]) for i, s in enumerate(parts)):
                out.add((p, p + len(parts) - 1))
        return sorted(out)
    if k == "slop":   # "a b c"~n: a NEAR/n b NEAR/n c
        acc = ("w", q[1][0])
        for w in q[1][1:]:
            acc = ("near", acc, ("w", w), q[2], False, "")
        return spans(acc, toks)
    if k in ("or", "group"):
        out = set()
        for x in (q[1] if k == "or" else [q[1]]):
            out |= set(spans(x, toks))
        return sorted(out)
    if k == "near":
        a, b, n, ordered = spans(q[1], toks), spans(q[2], toks), q[3], q[4]
        out = set()
        for x in a:
            for y in b:
                if y[0] > x[1] and y[0] - x[1] <= n:
                    out.add((x[0], y[1]))
                elif not ordered and x[0] > y[1] and x[0] - y[1] <= n:
                    out.add((y[0], x[1]))
        return sorted(out)
    raise ValueError(k)


def version_matches(q, rec, text):
    k = q[0]
    if k in ("w", "exact", "wild", "fuzzy", "phrase", "near", "slop"):
        return bool(spans(q, tokens(text)))
    if k in ("or",):
        return any(version_matches(x, rec, text) for x in q[1])
    if k in ("and", "implicit"):
        return all(version_matches(x, rec, text) for x in q[1])
    if k in ("not", "minus"):
        return not version_matches(q[1], rec, text)
    if k == "group":
        return version_matches(q[1], rec, text)
    if k == "all":
        return True
    if k == "field":
        f, v = q[1], q[2]
        low = fold(text)
        if f == "#":
            return re.search(r"(?<!\w)#" + re.escape(fold(v)) + r"(?!\w)", low) is not None
        if f == "@":
            return re.search(r"(?<!\w)@" + re.escape(fold(v)) + r"(?![\w.@])", low) is not None
        if f == "platform":
            return rec["platform"] == v
        if f == "account":
            return fold(rec["account"]) == fold(v)
        if f == "from":
            return rec["author"]["handle"] == fold(v.lstrip("@"))
        if f == "kind":
            return ("reply" if "in_reply_to" in rec else "post") == v
        if f == "has":
            return ("media" in rec) if v == "media" else ("deleted_at" in rec)
        if f == "lang":
            return rec["lang"] == v
        if f == "date":
            d = rec["created_at"][:len(v)] if ".." not in v else None
            if d is not None:
                return d == v
            lo, hi = v.split("..")
            day = rec["created_at"][:10]
            return (not lo or day >= lo) and (not hi or day <= hi)
        if f == "thread":
            return rec["id"] == v or rec.get("root") == v
        if f == "id":
            return rec["id"] == v
    raise ValueError(k)


def expected(q, recs):
    return sorted(r["id"] for r in recs if any(version_matches(q, r, t) for t in r["versions"]))


def make_queries(rng, recs):
    W = lambda w: ("w", w)
    qs = []
    base = ["run", "running", "steam", "hot", "built", "freshly", "enthusiasts", "its",
            "pdp", "recall", "notice", "heater", "model", "shoes", "blue", "coffee", "team",
            "meeting", "launch", "price", "dunnet", "emacs", "lisp", "hacker", "zeta",
            "inconsistency", "finance", "office", "café", "cafe", "naïve", "über",
            "edited", "quarterly", "lambda", "omega", "computer"]
    qs += [W(w) for w in base]
    qs += [("exact", w) for w in ["running", "run", "posts", "post", "recall", "recalled",
                                  "hacking", "heaters", "computer", "its"]]
    qs += [("wild", p) for p in ["run*", "r?nning", "*puting", "ru*ing", "steam*", "*ing",
                                 "h?t", "hack*", "*ee", "c?f*", "mo?el*", "te*m", "?ed",
                                 "*ll", "lamb?a", "notic*"]]
    qs += [("fuzzy", w, n, s) for w, n, s in [("runnin", 1, "%"), ("hacker", 1, "~"),
                                              ("steem", 1, "%"), ("cofee", 2, "~"),
                                              ("prise", 1, "%"), ("lamda", 1, "~"),
                                              ("modl", 1, "%%"), ("enthusiast", 2, "%%")]]
    qs[-1] = ("fuzzy", "enthusiast", 2, "%")
    phrases = [["freshly", "built"], ["hot", "steam"], ["pdp", "10"], ["blue", "red"],
               ["run", "team"], ["coffee", "tea"], ["the", "recall"], ["model", "shoes"],
               ["its", "hack*"], ["launch", "pric*"], ["zeta", "kappa", "omega"],
               ["=steaming", "hot"], ["steeming%", "hot"], ["freshly", "=built"],
               ["=freshly", "buil%", "enthusiasts"], ["lunch%", "pricing"]]
    qs += [("phrase", p) for p in phrases]
    qs += [("slop", p, n) for p, n in [(["pdp", "10"], 5), (["steam", "hot"], 3),
                                       (["freshly", "enthusiasts"], 2),
                                       (["zeta", "omega", "kappa"], 4)]]
    # proximity: each operator between words, phrases, wildcards, OR groups
    ops = [("NEAR/%d", False), ("PRE/%d", True), ("ONEAR/%d", True), ("w/%d", False),
           ("pre/%d", True), ("W/%d", False)]
    operands = [W("steam"), W("hot"), ("wild", "steam*"), ("phrase", ["freshly", "built"]),
                ("or", [W("its"), W("dunnet")]), W("enthusiasts"), ("exact", "running"),
                ("or", [("wild", "hack*"), ("phrase", ["coffee", "tea"])]), W("recall"),
                ("fuzzy", "runnin", 1, "%"), W("model"), W("shoes"), W("pdp")]
    for i in range(70):
        a, b = rng.sample(operands, 2)
        op, ordered = rng.choice(ops)
        n = rng.choice([1, 2, 3, 5, 10])
        qs.append(("near", a, b, n, ordered, op % n))
    # NEAR without a number: 10
    qs.append(("near", W("steam"), W("hot"), 10, False, "NEAR"))
    # chains: (a NEAR b) NEAR c
    for i in range(10):
        a, b, c = rng.sample(operands, 3)
        qs.append(("near", ("near", a, b, 3, False, "NEAR/3"), c, 5, False, "NEAR/5"))
    qs.append(('near', ("phrase", ["pdp", "10"]), ("wild", "*s"), 5, False, "NEAR/5"))
    # boolean structure
    for i in range(40):
        a, b, c = rng.sample([W(w) for w in base[:20]] + [("wild", "hack*"),
                             ("field", "platform", "x"), ("field", "#", "recall")], 3)
        shape = i % 6
        if shape == 0:
            qs.append(("and", [a, b]))
        elif shape == 1:
            qs.append(("or", [a, b, c]))
        elif shape == 2:
            qs.append(("implicit", [a, ("minus", b)]))
        elif shape == 3:
            qs.append(("and", [a, ("not", b)]))
        elif shape == 4:
            qs.append(("implicit", [("group", ("or", [a, b])), c]))
        else:
            qs.append(("not", ("group", ("or", [a, b]))))
    qs.append(("not", ("not", ("not", W("post")))))
    qs.append(("all",))
    qs.append(("implicit", [("all",), ("not", W("recall"))]))
    # fields
    fields = [("platform", "x"), ("platform", "mastodon"), ("platform", "slack"),
              ("account", "general"), ("account", "acme@social.example"), ("from", "bob"),
              ("from", "@carol"), ("kind", "reply"), ("kind", "post"), ("has", "media"),
              ("has", "deleted"), ("lang", "de"), ("date", "2019"), ("date", "2020-03"),
              ("date", "2021-01-01..2021-06-30"), ("date", "..2019-06-30"),
              ("date", "2022-01-01.."), ("#", "recall"), ("#", "launch"), ("@", "bob"),
              ("@", "erin")]
    qs += [("field",) + f for f in fields]
    roots = sorted({r["root"] for r in recs if "root" in r})[:4]
    qs += [("field", "thread", t) for t in roots]
    qs += [("field", "id", recs[i]["id"]) for i in (0, 7, 42)]
    for f in fields[:12]:
        qs.append(("implicit", [W(rng.choice(base[:15])), ("field",) + f]))
    # lower-case operators read as words, and with dtSearch mode as operators
    qs.append(("implicit", [W("pdp"), W("and"), W("its")]))
    qs.append(("implicit", [W("hot"), W("or"), W("steam")]))
    return qs


REFUSED = [
    "NEAR/0 x", "steam NEAR/0 hot", "steam NEAR/-1 hot", "steam NEAR/4294967297 hot",
    "steam NEAR/18446744073709551616 hot", "steam NEAR/1001 hot", "steam w/ hot",
    "platform:twitter", "kind:bogus", "has:nothing", "lang:english", "foo:bar",
    "steam NEAR platform:x", "(steam", "steam)", '"steam', "steam OR", "AND steam",
    "steam XOR hot", "runnin~9", "=run*", "*", "e-ma*il",
]
REFUSED.remove("*")


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFKD", fold(s))
                   if not unicodedata.category(c).startswith("M"))


def accents_expected(word, recs):
    """--accents: a word matches every word that reads the same without
    accents, by its stem."""
    vocab = {w for r in recs for t in r["versions"] for _p, w in tokens(t)}
    stems = {stem(fold(word))} | {stem(x) for x in vocab if strip_accents(x) == strip_accents(word)}
    return sorted(r["id"] for r in recs
                  if any(any(stem(w) in stems for _p, w in tokens(t)) for t in r["versions"]))


def run(custos, archive, args):
    p = subprocess.run([custos, "--archive", archive] + args, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def main():
    custos, workdir = sys.argv[1], sys.argv[2]
    rng = random.Random(12)
    recs = make_corpus(rng)
    files = write_versions(recs, workdir)
    archive = os.path.join(workdir, "archive")
    for args in (["init"],) + tuple(["ingest", f] for f in files):
        rc, out, err = run(custos, archive, args)
        if rc != 0:
            print("setup failed: %s: %s" % (args, err))
            print("oracle: 0 passed, 1 failed")
            return 1
    qs = make_queries(rng, recs)
    passed = failed = 0

    def check(flags, text, want):
        """custos search FLAGS TEXT must return exactly the ids in want."""
        nonlocal passed, failed
        rc, out, err = run(custos, archive, ["search"] + flags + ["--json", "--limit", "1000",
                                                                  text])
        got = sorted(h["id"] for h in json.loads(out)["hits"]) if rc == 0 else None
        if got == want:
            passed += 1
        else:
            failed += 1
            print("FAIL %s%r: custos %s, scan %s%s" % (" ".join(flags) + " " if flags else "",
                  text, got, want, (" (" + err.strip() + ")") if rc else ""))

    for q in qs:
        check([], render(q), expected(q, recs))
    # dtSearch mode: lower-case operators
    for text, q in [("pdp and its", ("and", [("w", "pdp"), ("w", "its")])),
                    ("hot or steam", ("or", [("w", "hot"), ("w", "steam")])),
                    ("steam not hot", ("and", [("w", "steam"), ("not", ("w", "hot"))]))]:
        check(["--dtsearch"], text, expected(q, recs))
    for word in ["cafe", "naive", "uber", "résumé"]:
        check(["--accents"], word, accents_expected(word, recs))
    for text in REFUSED:
        rc, out, err = run(custos, archive, ["search", text])
        if rc == 1 and "bad query" in err and "position" in err or \
                rc == 1 and "bad query" in err and text in ("runnin~9",):
            passed += 1
        else:
            failed += 1
            print("FAIL %r should be refused with a position: exit %d, %s" % (text, rc,
                                                                          err.strip()))
    print("%d queries against the scan, %d refusals" % (len(qs) + 7, len(REFUSED)))
    print("oracle: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
