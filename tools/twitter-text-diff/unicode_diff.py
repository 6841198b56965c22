#!/usr/bin/env python3
"""Lists, as JSON, the code points whose hashtag class differs between
twitter-text (its regexen, via node) and tools/gen_entities_tables.py's
Unicode data; gen.js leaves them out in "chars" mode (UNICODE_DIFF=file).

  NODE_PATH=/tmp/tt/node_modules python3 tools/twitter-text-diff/unicode_diff.py > /tmp/udiff.json
"""
import json
import subprocess
import unicodedata

JS = r'''
const r = require("twitter-text").regexen;
const an = new RegExp("^(?:" + r.hashtagAlphaNumeric.source + ")$");
const al = new RegExp("^(?:" + r.hashtagAlpha.source + ")$");
const out = [];
for (let cp = 0; cp < 0x110000; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  out.push(al.test(s) ? 1 : an.test(s) ? 2 : 0);
}
process.stdout.write(out.join(""));
'''
JOINERS = {0x5F, 0x200C, 0x200D, 0xA67E, 0x05BE, 0x05F3, 0x05F4, 0xFF5E, 0x301C, 0x309B, 0x309C,
           0x30A0, 0x30FB, 0x3003, 0x0F0B, 0x0F0C, 0x00B7}
theirs = subprocess.run(["node", "-e", JS], capture_output=True, text=True, check=True).stdout
diff, i = [], 0
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    cat = unicodedata.category(chr(cp))
    ours = 1 if cat[0] in "LM" else 2 if cat == "Nd" or cp in JOINERS else 0
    if ours != int(theirs[i]):
        diff.append(cp)
    i += 1
print(json.dumps(diff))
