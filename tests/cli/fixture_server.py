#!/usr/bin/env python3
"""A loopback HTTP server for the polling connectors' tests: it serves the
real fixtures of ../shared/fixtures the way their servers would.

  /feed/NAME            a feedparser-tests file (NAME is mapped by /control),
                        with ETag and Last-Modified; If-None-Match or
                        If-Modified-Since that match get 304
  /slow/...             answers nothing for 60 seconds (a server that times out)
  /api/v1/accounts/ID/statuses
                        the statuses recorded from a real Mastodon server
                        (mastodon-api-recorded), paged as Mastodon pages them:
                        newest first, limit, since_id, max_id, min_id, Link
                        rel="next"/"prev", the recorded x-ratelimit-* headers
  /control?feed=NAME&file=REL&gap=0|1&limit0=0|1
                        what the next requests get (gap: the pages after the
                        first answer 500; limit0: x-ratelimit-remaining 0)
  /log                  the requests seen, one a line (method, path, the
                        conditional headers)

Started with the fixtures directory and a file to write its port to.
"""
import email.utils
import hashlib
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse

import yaml

FIX = sys.argv[1]
PORT_FILE = sys.argv[2]
state = {"feeds": {}, "gap": False, "limit0": False}
log = []
lock = threading.Lock()


def elements(body):
    """The exact bytes of each element of a JSON array text."""
    out, depth, start, in_str, i = [], 0, 0, False, body.index("[") + 1
    while i < len(body):
        c = body[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "{[":
            if depth == 0:
                start = i
            depth += 1
        elif c in "}]":
            if depth == 0:
                break
            depth -= 1
            if depth == 0:
                out.append(body[start:i + 1])
        i += 1
    return out


def load_statuses():
    """Every status the recordings show in an account's statuses pages."""
    by_account, headers = {}, {}
    d = os.path.join(FIX, "mastodon-api-recorded")
    for name in sorted(os.listdir(d)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(d, name)) as f:
            cassette = yaml.safe_load(f)
        for it in cassette.get("interactions", []):
            rq, rs = it["request"], it["response"]
            m = re.search(r"/api/v1/accounts/(\d+)/statuses", rq["uri"])
            if rq["method"] != "GET" or not m or rs["status"]["code"] != 200:
                continue
            body = rs["body"]["string"]
            if isinstance(body, bytes):
                body = body.decode("utf-8")
            acct = by_account.setdefault(m.group(1), {})
            for raw in elements(body):
                acct[json.loads(raw)["id"]] = raw
            headers = {k.lower(): v[0] for k, v in rs["headers"].items()}
    return by_account, headers


STATUSES, REC_HEADERS = load_statuses()


def id_key(s):
    return (len(s), s)


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        with lock:
            log.append("%s %s inm=%s ims=%s" % (self.command, self.path,
                       self.headers.get("If-None-Match", "-"),
                       self.headers.get("If-Modified-Since", "-")))
        if u.path == "/control":
            with lock:
                if "feed" in q:
                    state["feeds"][q["feed"]] = q["file"]
                for k in ("gap", "limit0"):
                    if k in q:
                        state[k] = q[k] == "1"
            return self.send(200, b"ok\n")
        if u.path == "/log":
            with lock:
                return self.send(200, ("\n".join(log) + "\n").encode())
        if u.path.startswith("/slow/"):
            time.sleep(60)
            return self.send(200, b"")
        if u.path.startswith("/feed/"):
            with lock:
                rel = state["feeds"].get(u.path[6:])
            if not rel:
                return self.send(404, b"no such feed\n")
            path = os.path.join(FIX, "feedparser-tests", rel)
            with open(path, "rb") as f:
                body = f.read()
            etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
            lm = email.utils.formatdate(os.stat(path).st_mtime, usegmt=True)
            h = {"ETag": etag, "Last-Modified": lm, "Content-Type": "application/xml"}
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, b"", {"ETag": etag, "Last-Modified": lm})
            return self.send(200, body, h)
        m = re.fullmatch(r"/api/v1/accounts/(\d+)/statuses", u.path)
        if m:
            return self.statuses(m.group(1), q)
        return self.send(404, b"not found\n")

    def statuses(self, acct, q):
        have = STATUSES.get(acct, {})
        ids = sorted(have, key=id_key, reverse=True)
        limit = min(int(q.get("limit", "20")), 40)
        if "max_id" in q:
            ids = [i for i in ids if id_key(i) < id_key(q["max_id"])]
        if "since_id" in q:
            ids = [i for i in ids if id_key(i) > id_key(q["since_id"])]
        if "min_id" in q:
            ids = sorted([i for i in ids if id_key(i) > id_key(q["min_id"])], key=id_key)[:limit]
            ids.sort(key=id_key, reverse=True)
        page = ids[:limit]
        with lock:
            gap, limit0 = state["gap"], state["limit0"]
        if gap and "max_id" in q:
            return self.send(500, b'{"error":"internal server error"}')
        body = ("[" + ",".join(have[i] for i in page) + "]").encode()
        h = {"Content-Type": "application/json; charset=utf-8",
             "ETag": 'W/"%s"' % hashlib.md5(body).hexdigest()}
        for k in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            if k in REC_HEADERS:
                h[k] = REC_HEADERS[k]
        if limit0:
            h["x-ratelimit-remaining"] = "0"
            h["x-ratelimit-reset"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                   time.gmtime(time.time() + 3600))
        if page:
            base = "http://%s/api/v1/accounts/%s/statuses" % (self.headers["Host"], acct)
            h["Link"] = '<%s?limit=%d&max_id=%s>; rel="next", <%s?limit=%d&min_id=%s>; rel="prev"' % (
                base, limit, page[-1], base, limit, page[0])
        return self.send(200, body, h)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
