// Writes random texts with twitter-text's own entities, for diff.c to
// compare custos_extract against. Not part of the build: a check to rerun
// after changing common/entities.c or regenerating its tables.
//
//   mkdir -p /tmp/tt && (cd /tmp/tt && npm install twitter-text@3.1.0)
//   NODE_PATH=/tmp/tt/node_modules node tools/twitter-text-diff/gen.js MODE N SEED > cases.tsv
//   cc -Icommon tools/twitter-text-diff/diff.c build/release/libcustos.a -o /tmp/ttdiff
//   /tmp/ttdiff < cases.tsv
//
// MODE: tokens (URL/tag fragments), words (post-like text) or chars (random
// code points from many scripts). In "chars" mode, code points whose class
// differs between twitter-text's hashtag table (an older Unicode) and
// common/unicode_tables.h are left out when UNICODE_DIFF names a JSON list
// of them. Each output line: hex UTF-8 text, TAB, entities as
// kind:start:end (UTF-16 offsets, kind as CUSTOS_ENTITY_*), TAB, reply.
const tt = require('twitter-text');
const fs = require('fs');
const [mode, n, seed0] = [process.argv[2] || 'tokens', +(process.argv[3] || 10000), +(process.argv[4] || 1)];
let seed = seed0 >>> 0 || 1;
const rnd = (k) => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed % k; };
const skip = new Set(process.env.UNICODE_DIFF ? JSON.parse(fs.readFileSync(process.env.UNICODE_DIFF)) : []);

const tokens = ["#", "＃", "@", "＠", "$", "http://", "https://", "HTTP://", ".", "/", "com", "co", "t.co/", "jp",
  "a", "Z", "1", "_", "-", " ", "日", "ß", "(", ")", "?", "=", "&", ":", "\u200d", "\ufe0f", "xn--", "rt", "RT",
  "\u202a", "。", "Ж", "'", "!", "example", "www.", "foo", "org", "みんな", "é", "\u00a0", "\u3000", "\n",
  "ab12", "AAPL", "list", ",", ";", "~", "%", "+", "*", "[", "]", "|", "tv", "uk", "ly", "\u2066", "ş", "·",
  "ー", "々", "\u{1F600}", "\u20e3", "\ufe0e", "0", "99", "mañana", "٣", "ด"];
const words = ["the", "news", "RT", "via", "#tag", "#日本語", "#123", "#a_b", "@user", "@User_1", "@a/list-x",
  "$AAPL", "$goog.l", "http://example.com", "https://t.co/AbC123", "www.example.org/path?x=1&y=2", "example.co.uk",
  "bit.ly/x", "foo.bar", "e.g.", "U.S.", "mail@example.com", "(see", "http://en.wikipedia.org/wiki/Foo_(bar))", "...",
  "日本語のテキスト", "テスト。", "Привет", "ελληνικά", "عربي", "עברית", "\u{1F600}", "#\u{1F600}", "&amp;", "&#39;",
  "\"quoted\"", "—", "…", "http://foo.com/bar.", "HTTPS://X.COM", "x.com", "1.5", "v2.0", "file.tar.gz",
  "localhost:8080", "example.com:443/a", "http://xn--ls8h.la", "münchen.de", "#münchen", "#café", "$5.00", "#", "@", "\n"];
const seps = [" ", " ", " ", "", "\n", ", ", ". ", "/", ":", "(", ")"];
const ranges = [[0x20, 0x7e], [0x20, 0x7e], [0x41, 0x5a], [0x30, 0x39], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x3ff],
  [0x400, 0x52f], [0x590, 0x5ff], [0x600, 0x6ff], [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x1e00, 0x1eff],
  [0x2000, 0x206f], [0x20d0, 0x20ff], [0x3000, 0x303f], [0x3040, 0x30ff], [0x4e00, 0x4e40], [0xac00, 0xac40],
  [0xfe00, 0xfe0f], [0xff00, 0xffef], [0x1f300, 0x1f64f], [0x20000, 0x20040], [0x10400, 0x104af], [0x16f00, 0x16f9f]];
const ascii = "#@$./:?=&_-()~'! htpsHTPScomorgt.co".split("");

function text() {
  let s = '';
  if (mode === 'words') {
    for (let k = 1 + rnd(25); k > 0; k--) s += words[rnd(words.length)] + seps[rnd(seps.length)];
  } else if (mode === 'chars') {
    for (let k = rnd(40); k > 0; k--) {
      if (rnd(3) === 0) { s += ascii[rnd(ascii.length)]; continue; }
      const r = ranges[rnd(ranges.length)], cp = r[0] + rnd(r[1] - r[0] + 1);
      if (!(cp >= 0xd800 && cp <= 0xdfff) && !skip.has(cp)) s += String.fromCodePoint(cp);
    }
  } else {
    for (let k = rnd(30); k > 0; k--) s += tokens[rnd(tokens.length)];
  }
  return s;
}

const out = [];
for (let i = 0; i < n; i++) {
  const s = text();
  const ents = tt.extractEntitiesWithIndices(s).map((e) => {
    const kind = e.url !== undefined ? 3 : e.hashtag !== undefined ? 0 : e.screenName !== undefined ? 1 : 2;
    return kind + ':' + e.indices[0] + ':' + e.indices[1];
  }).join(',');
  const reply = tt.extractReplies(s);
  out.push(Buffer.from(s, 'utf8').toString('hex') + '\t' + ents + '\t' + (reply === null ? '' : reply));
}
process.stdout.write(out.join('\n') + '\n');
