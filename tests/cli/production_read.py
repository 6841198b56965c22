#!/usr/bin/python3
# Independent readers of a custos production, for tests/cli/T080-export.sh:
# a Concordance DAT parser and an Opticon OPT parser of their own, RSMF
# through the email module (MIME), zipfile and a JSON Schema validator, the
# JSONL and CSV files through json and csv. Each command checks what it
# reads against the archive (records.json: `custos show --json` of every
# record, one JSON object a line) and exits non-zero naming the first
# difference.
#   production_read.py dat DIR ARCHIVE_JSON [--images]
#   production_read.py opt DIR
#   production_read.py rsmf DIR SCHEMA EXPECTED_RECORDS
#   production_read.py records DIR ARCHIVE_JSON
import csv, email, hashlib, io, json, os, re, subprocess, sys, zipfile

QUAL, SEP, NL = '\u00fe', '\u0014', '\u00ae'


def fail(msg):
    print('production_read: ' + msg, file=sys.stderr)
    sys.exit(1)


def dat_rows(path):
    """Parses a Concordance DAT: BOM, CRLF rows, þ-qualified values
    separated by U+0014, doubled þ inside a value."""
    raw = open(path, 'rb').read()
    if not raw.startswith(b'\xef\xbb\xbf'):
        fail('no BOM in ' + path)
    text = raw[3:].decode('utf-8')
    if not text.endswith('\r\n'):
        fail('last row does not end in CRLF')
    rows = []
    for n, line in enumerate(text[:-2].split('\r\n'), 1):
        vals, i = [], 0
        while i < len(line):
            if line[i] != QUAL:
                fail('row %d: value %d does not start with the qualifier' % (n, len(vals) + 1))
            i += 1
            v = []
            while True:
                if i >= len(line):
                    fail('row %d: unterminated value' % n)
                if line[i] == QUAL:
                    if line[i + 1:i + 2] == QUAL:
                        v.append(QUAL)
                        i += 2
                        continue
                    i += 1
                    break
                v.append(line[i])
                i += 1
            vals.append(''.join(v))
            if i < len(line):
                if line[i] != SEP:
                    fail('row %d: no separator after value %d' % (n, len(vals)))
                i += 1
        rows.append(vals)
    return rows[0], rows[1:]


def archive_records(path):
    recs = {}
    for line in open(path, encoding='utf-8'):
        r = json.loads(line)
        recs[r['id']] = r
    return recs


def bates_seq(prefix, start, n, width=6):
    return ['%s%0*d' % (prefix, width, start + i) for i in range(n)]


def cmd_dat(d, archive_json, images=False):
    head, rows = dat_rows(os.path.join(d, 'LOADFILES/production.dat'))
    recs = archive_records(archive_json)
    m = json.load(open(os.path.join(d, 'manifest.json')))
    col = {k: i for i, k in enumerate(head)}
    for k in ('BEGDOC', 'ENDDOC', 'BEGATTACH', 'ENDATTACH', 'NATIVEPATH', 'TEXTPATH',
              'MD5HASH', 'SHA1HASH', 'SHA256HASH', 'CONTENTHASH', 'DATESENT', 'RECORDID'):
        if k not in col:
            fail('DAT has no field ' + k)
    b = m['bates']
    want = bates_seq(b['prefix'], b['start'], len(rows), b['width'])
    got = [r[col['BEGDOC']] for r in rows]
    if got != want:
        fail('BEGDOC numbers are not %s..%s without gaps' % (want[0], want[-1]))
    if len(rows) != b['documents']:
        fail('%d rows for %d documents' % (len(rows), b['documents']))
    last_date, parents = '', 0
    for r in rows:
        if len(r) != len(head):
            fail('row %s has %d values' % (r[0], len(r)))
        if r[col['BEGDOC']] != r[col['ENDDOC']]:
            fail('BEGDOC != ENDDOC in ' + r[0])
        fam = (r[col['BEGATTACH']], r[col['ENDATTACH']])
        if not fam[0] <= r[0] <= fam[1]:
            fail('%s is outside its family %s..%s' % (r[0], fam[0], fam[1]))
        native = r[col['NATIVEPATH']].replace('\\', '/')
        data = open(os.path.join(d, native), 'rb').read()
        if hashlib.md5(data).hexdigest() != r[col['MD5HASH']] or \
           hashlib.sha1(data).hexdigest() != r[col['SHA1HASH']] or \
           hashlib.sha256(data).hexdigest() != r[col['SHA256HASH']]:
            fail('hashes of %s do not match its native %s' % (r[0], native))
        rec = recs.get(r[col['RECORDID']])
        if rec is None:
            fail('%s names %s, not in the archive' % (r[0], r[col['RECORDID']]))
        if r[0] == fam[0]:
            # a parent: its native is the record's original bytes
            parents += 1
            if data.decode('utf-8') != rec['raw']:
                fail('native of %s is not the original bytes of %s' % (r[0], rec['id']))
            if r[col['CONTENTHASH']] != rec['content_sha256']:
                fail('CONTENTHASH of %s is not the archive\'s' % r[0])
            text = open(os.path.join(d, r[col['TEXTPATH']].replace('\\', '/')), encoding='utf-8').read()
            if rec['text'] not in text:
                fail('TEXT of %s is not the record\'s text' % r[0])
            if r[col['DATESENT']] < last_date:
                fail('%s is dated before the document numbered before it' % r[0])
            last_date = r[col['DATESENT']]
            n_media = len([x for x in rec.get('media', []) if 'sha256' in x])
            if fam != (r[0], want[want.index(r[0]) + n_media]):
                fail('family of %s is %s..%s for %d attachments' % (r[0], fam[0], fam[1], n_media))
        else:
            media = [x['sha256'] for x in rec.get('media', []) if 'sha256' in x]
            if hashlib.sha256(data).hexdigest() not in media:
                fail('attachment %s is not a media file of %s' % (r[0], rec['id']))
    if parents != m['records']:
        fail('%d parent rows for %d records' % (parents, m['records']))
    print('dat: %d rows, %d records, %s..%s' % (len(rows), parents, want[0], want[-1]))


def cmd_opt(d):
    m = json.load(open(os.path.join(d, 'manifest.json')))
    lines = open(os.path.join(d, 'LOADFILES/production.opt'), 'rb').read().decode('utf-8')
    if not lines.endswith('\r\n'):
        fail('OPT does not end in CRLF')
    docs = {}
    cur = None
    for n, line in enumerate(lines[:-2].split('\r\n'), 1):
        f = line.split(',')
        if len(f) != 7:
            fail('OPT line %d has %d fields' % (n, len(f)))
        key, vol, path, brk, _, _, count = f
        if brk == 'Y':
            cur = key.rsplit('.', 1)[0]
            docs[cur] = [path, int(count), 0]
        if key != '%s.%04d' % (cur, docs[cur][2] + 1):
            fail('OPT line %d: page key %s out of order' % (n, key))
        docs[cur][2] += 1
    for bates, (path, count, seen) in docs.items():
        if count != seen:
            fail('%s: page count %d but %d page lines' % (bates, count, seen))
        pdf = os.path.join(d, path.replace('\\', '/'))
        info = subprocess.run(['pdfinfo', pdf], capture_output=True, text=True).stdout
        pages = int(re.search(r'^Pages:\s+(\d+)', info, re.M).group(1))
        if pages != count:
            fail('%s has %d pages, the OPT says %d' % (pdf, pages, count))
        for p in range(1, pages + 1):
            text = subprocess.run(['pdftotext', '-f', str(p), '-l', str(p), pdf, '-'],
                                  capture_output=True, text=True).stdout
            if '%s.%04d' % (bates, p) not in text:
                fail('page %d of %s is not stamped %s.%04d' % (p, pdf, bates, p))
    total = sum(v[1] for v in docs.values())
    if total != m['pages']:
        fail('%d pages, the manifest says %d' % (total, m['pages']))
    print('opt: %d documents, %d pages' % (len(docs), total))


def cmd_rsmf(d, schema_path, expected):
    import jsonschema
    schema = json.load(open(schema_path))
    events, files = 0, 0
    ids = set()
    for name in sorted(os.listdir(os.path.join(d, 'RSMF'))):
        msg = email.message_from_binary_file(open(os.path.join(d, 'RSMF', name), 'rb'))
        if msg['X-RSMF-Version'] != '2.0.0':
            fail(name + ': no X-RSMF-Version 2.0.0')
        zips = [p for p in msg.walk() if p.get_filename() == 'rsmf.zip']
        if len(zips) != 1:
            fail(name + ': no rsmf.zip attachment')
        z = zipfile.ZipFile(io.BytesIO(zips[0].get_payload(decode=True)))
        man = json.loads(z.read('rsmf_manifest.json'))
        jsonschema.validate(man, schema, format_checker=jsonschema.FormatChecker())
        n = len(man['events'])
        if str(n) != msg['X-RSMF-EventCount'] or n > 10000:
            fail('%s: %d events, header says %s' % (name, n, msg['X-RSMF-EventCount']))
        days = {e['timestamp'][:10] for e in man['events']}
        if len(days) != 1:
            fail('%s spans %d days' % (name, len(days)))
        for e in man['events']:
            for a in e.get('attachments', []):
                if a['id'] not in z.namelist():
                    fail('%s: attachment %s is not in rsmf.zip' % (name, a['id']))
            rid = [c['value'] for c in e['custom'] if c['name'] == 'RecordID'][0]
            ids.add(rid)
        events += n
        files += 1
    if events != int(expected) or len(ids) != events:
        fail('%d events (%d records) in %d files, expected %s' % (events, len(ids), files, expected))
    print('rsmf: %d files, %d events, schema-valid' % (files, events))


def cmd_records(d, archive_json):
    recs = archive_records(archive_json)
    m = json.load(open(os.path.join(d, 'manifest.json')))
    lines = open(os.path.join(d, 'records.jsonl'), encoding='utf-8').read().splitlines()
    if len(lines) != m['records']:
        fail('%d JSONL lines for %d records' % (len(lines), m['records']))
    for line in lines:
        o = json.loads(line)
        r, a = o['record'], recs[o['record']['id']]
        for k in ('content_sha256', 'text', 'created_at', 'source'):
            if r.get(k) != a.get(k):
                fail('JSONL %s: %s differs from the archive' % (o['bates'], k))
        if r.get('raw') != a.get('raw'):
            fail('JSONL %s: raw bytes differ' % o['bates'])
    rows = list(csv.DictReader(open(os.path.join(d, 'records.csv'), encoding='utf-8', newline='')))
    # the formula guard (common/csv.c): one leading apostrophe is dropped from every field
    rows = [{k: v[1:] if v.startswith("'") else v for k, v in row.items()} for row in rows]
    if len(rows) != m['records']:
        fail('%d CSV rows for %d records' % (len(rows), m['records']))
    for row in rows:
        a = recs[row['id']]
        if row['content_sha256'] != a['content_sha256'] or row['text'] != a['text'] or \
           row['source_file'] != a['source'].get('file', ''):
            fail('CSV %s differs from the archive' % row['bates'])
        if str(a['source'].get('offset', '')) != row['source_offset'] and 'offset' in a['source']:
            fail('CSV %s: source offset differs' % row['bates'])
    print('records: %d JSONL lines, %d CSV rows' % (len(lines), len(rows)))


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    {'dat': lambda: cmd_dat(args[0], args[1], '--images' in args),
     'opt': lambda: cmd_opt(args[0]),
     'rsmf': lambda: cmd_rsmf(args[0], args[1], args[2]),
     'records': lambda: cmd_records(args[0], args[1])}[cmd]()
