// The review page in a real browser (tests/cli/T076-web.sh): Debian's
// Chromium driven by playwright-core against a live custos serve on
// loopback. Each step prints "ok STEP", "not ok STEP: why" or
// "skip STEP: why", and leaves a screenshot in ART/NN-STEP.png.
// Environment: URL, CHROMIUM, ART, TOK_LEGAL, TOK_COMPLIANCE, TOK_AUDITOR, TOK_ADMIN,
// RAW_FILE (the raw bytes of x:902 as the API gives them).
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const URL_ = process.env.URL;
const ART = process.env.ART;
const TOK = { legal: process.env.TOK_LEGAL, compliance: process.env.TOK_COMPLIANCE,
              auditor: process.env.TOK_AUDITOR, admin: process.env.TOK_ADMIN };
let n = 0, failed = 0;
const shots = [];

function assert(cond, msg) { if (!cond) throw new Error(msg); }
async function api(tok, p) {
  const r = await fetch(URL_ + p, { headers: { Authorization: `Bearer ${tok}` } });
  assert(r.ok, `${p}: HTTP ${r.status}`);
  return r.json();
}

async function main() {
  const profile = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'custos-chromium-'));
  // a fresh profile: playwright passes it to Chromium as --user-data-dir
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    acceptDownloads: true,
    viewport: { width: 1366, height: 860 },
  });
  const page = context.pages()[0] || await context.newPage();
  const seen = { urls: [], dialogs: [], csp: [], errors: [] };
  page.on('request', (r) => seen.urls.push(r.url()));
  page.on('dialog', async (d) => { seen.dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) seen.csp.push(m.text()); });
  page.setDefaultTimeout(15000);

  async function step(name, fn) {
    n++;
    const tag = `${String(n).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    let result = 'ok', why = '';
    try {
      const r = await fn();
      if (r && r.skip) { result = 'skip'; why = r.skip; }
    } catch (e) { result = 'not ok'; why = String(e && e.message || e).split('\n')[0]; failed++; }
    try {
      const file = path.join(ART, `${tag}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
    } catch (e) { /* the page is gone */ }
    console.log(`${result} ${name}${why ? `: ${why}` : ''}`);
  }
  async function signIn(tok) {
    if (await page.locator('#signout').isVisible()) await page.click('#signout');
    await page.fill('#token', tok);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#nav button');
  }
  const navTo = async (label) => { await page.click(`#nav button:text-is("${label}")`); };

  await step('the page loads with its security policy, offline', async () => {
    const resp = await page.goto(URL_ + '/');
    const csp = resp.headers()['content-security-policy'] || '';
    assert(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), `CSP: ${csp}`);
    await page.waitForSelector('#token');
    const inline = await page.evaluate(() => [...document.scripts].filter((s) => !s.src).length);
    assert(inline === 0, `${inline} inline scripts`);
    const foreign = seen.urls.filter((u) => !u.startsWith(URL_));
    assert(!foreign.length, `fetched from elsewhere: ${foreign.join(' ')}`);
  });

  await step('a wrong token is refused', async () => {
    await page.fill('#token', 'cus_not-a-token');
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#signin-error:text("refused")');
  });

  await step('sign in as legal: the role decides the sections', async () => {
    await signIn(TOK.legal);
    const tabs = await page.locator('#nav button').allTextContents();
    assert(tabs.includes('Search') && tabs.includes('Holds'), `tabs: ${tabs}`);
    assert(!tabs.includes('Audit trail'), `legal sees the audit trail: ${tabs}`);
    assert(await page.evaluate(() => localStorage.length) === 0, 'something in localStorage');
  });

  await step('search: exact count, highlighted snippets, newest first', async () => {
    await page.fill('#q', 'post');
    await page.selectOption('#sort', '-date');
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#hits li');
    const total = Number(await page.getAttribute('#total', 'data-total'));
    const want = await api(TOK.legal, '/v1/search?count=1&q=post');
    assert(total === want.total, `page says ${total}, the API ${want.total}`);
    assert(await page.locator('#hits li mark').count() > 0, 'no highlighted word');
    const dates = await page.locator('#hits li .meta').allTextContents();
    const sorted = [...dates].sort().reverse();
    assert(JSON.stringify(dates) === JSON.stringify(sorted), 'not newest first');
  });

  await step('facets narrow and paging keeps its place', async () => {
    await page.click('#facets button[data-facet="month"][data-value="2023-03"]');
    await page.waitForSelector('#filters .chip');
    const total = Number(await page.getAttribute('#total', 'data-total'));
    const want = await api(TOK.legal, `/v1/search?count=1&q=${encodeURIComponent('(post) date:2023-03')}`);
    assert(total === want.total && total > 0, `narrowed to ${total}, the API says ${want.total}`);
    await page.click('#filters .chip button');
    await page.waitForFunction(() => !document.querySelector('#filters .chip'));
    await page.click('#pager button:text("Next")');
    await page.waitForSelector('#page-of:text("Page 2")');
    const first = await page.locator('#hits li').first().getAttribute('data-id');
    await page.locator('#hits li button:has-text("Open")').first().click();
    await page.waitForSelector('#thread li');
    await page.click('#back-to-search');
    await page.waitForSelector('#page-of:text("Page 2")');
    const again = await page.locator('#hits li').first().getAttribute('data-id');
    assert(first === again, `came back to ${again}, had left ${first}`);
  });

  await step('hostile text shows as text and runs nothing', async () => {
    await page.fill('#q', 'order');
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#hits li[data-id="x:902"]');
    const snippet = await page.locator('#hits li[data-id="x:902"] .snippet').textContent();
    assert(snippet.includes('<script>') && snippet.includes('onerror'), `snippet: ${snippet}`);
    assert(await page.locator('#hits li[data-id="x:902"] .snippet mark').count() === 1, 'the match is not marked');
    await page.locator('#hits li[data-id="x:902"] button').click();
    await page.waitForSelector('#thread li[data-id="x:902"]');
    await page.waitForTimeout(300);
    const pwned = await page.evaluate(() => window.__pwned);
    assert(pwned === undefined, `the record's text ran: __pwned=${pwned}`);
    assert(await page.locator('main script, main img[src="x"], a[href^="javascript:"]').count() === 0, 'markup from a record in the page');
    assert(!seen.dialogs.length, `dialogs: ${seen.dialogs}`);
    assert(!seen.errors.length, `page errors: ${seen.errors}`);
  });

  await step('open a thread: conversation order, versions with a diff, hashes', async () => {
    await page.goto(`${URL_}/#record?id=x:901`);
    await page.waitForSelector('#thread li');
    const ids = await page.locator('#thread > li').evaluateAll((els) => els.map((e) => e.dataset.id));
    const api901 = await api(TOK.legal, '/v1/records/x:901/thread');
    assert(JSON.stringify(ids) === JSON.stringify(api901.map((r) => r.id)), `thread ${ids}, API ${api901.map((r) => r.id)}`);
    assert(ids.join() === 'x:900,x:901,x:902', `not in conversation order: ${ids}`);
    const rec = await api(TOK.legal, '/v1/records/x:901');
    assert((await page.locator('#capture').textContent()).includes(rec.content_sha256), 'content hash not shown');
    assert(await page.locator('#versions li').count() === 2, 'not two versions');
    assert(await page.locator('#versions ins').count() > 0 && await page.locator('#versions del').count() > 0, 'no diff');
  });

  await step('the raw capture downloads byte for byte', async () => {
    await page.goto(`${URL_}/#record?id=x:902`);
    await page.waitForSelector('#raw-download');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#raw-download')]);
    const file = path.join(ART, 'x-902.raw');
    await dl.saveAs(file);
    assert(Buffer.compare(fs.readFileSync(file), fs.readFileSync(process.env.RAW_FILE)) === 0, 'the bytes differ');
  });

  await step('media are shown', async () => {
    if (!process.env.MEDIA_ID) return { skip: 'no fixture with media' };
    await page.goto(`${URL_}/#record?id=${encodeURIComponent(process.env.MEDIA_ID)}`);
    await page.waitForSelector('#media img, #media video, #media button, #media p');
    const ok = await page.locator('#media img').first().evaluate((img) => img.complete && img.naturalWidth > 0).catch(() => false);
    const any = await page.locator('#media video, #media button').count();
    assert(ok || any, 'no media shown');
    return undefined;
  });

  await step('tag records, a thread and whole results for a matter; save a search', async () => {
    await navTo('Search');
    await page.fill('#q', 'order');
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#hits li[data-id="x:900"]');
    await page.click('#nav button:text-is("Review")');
    await page.waitForSelector('#matters h3');
    await page.fill('#matter-name', 'acme-v-carol');
    await page.fill('#matter-tags', 'hot');
    await page.click('#matter-form button[type=submit]');
    await page.waitForSelector('#matters h4:text-is("acme-v-carol")');
    await page.click('#matters form[data-what="query"] button[type=submit]');
    await page.waitForSelector('#matters form[data-what="query"] .tag-out:text("2 records selected")');
    await page.fill('#matters input[aria-label="Name of the saved search"]', 'orders');
    await page.click('#matters button:text("Save the search")');
    await page.waitForSelector('#matters td:text-is("orders")');
    await page.goto(`${URL_}/#record?id=x:901`);
    await page.waitForSelector('#record form[data-what="thread"]');
    await page.fill('#record form[data-what="thread"] .tag-name', 'hot');
    await page.click('#record form[data-what="thread"] button[type=submit]');
    await page.waitForSelector('#record form[data-what="thread"] .tag-out:text("3 records selected")');
    const m = await api(TOK.legal, '/v1/matters/acme-v-carol');
    assert(m.tags.responsive === 2 && m.tags.hot === 3, `per tag: ${JSON.stringify(m.tags)}`);
    assert(m.searches.length === 1 && m.searches[0].query === 'order' && m.searches[0].hits === 2, JSON.stringify(m.searches));
    return undefined;
  });

  const tagFacet = {};
  await step('the tag facet of a matter counts and narrows to the tagged records', async () => {
    await navTo('Search');
    await page.fill('#q', '*');
    await page.click('#search-form button[type=submit]');
    // the whole result as the API counts it, and the page showing it (the
    // hits of the step before may still be on the page for a moment)
    const all = (await api(TOK.legal, '/v1/search?q=*&limit=1')).total;
    await page.waitForFunction((n) => document.querySelector('#total') &&
      document.querySelector('#total').dataset.total === String(n), all);
    await page.selectOption('#facet-matter', 'acme-v-carol');
    const hot = '#facets button[data-facet="tag"][data-value="hot"]';
    await page.waitForSelector(hot);
    // the facet over every record is the matter's own count of the tag
    const m = await api(TOK.legal, '/v1/matters/acme-v-carol');
    const shown = {};
    for (const b of await page.locator('#facets button[data-facet="tag"]').all())
      shown[await b.getAttribute('data-value')] = Number((await b.locator('.num').textContent()).replace(/,/g, ''));
    assert(JSON.stringify(Object.keys(shown).sort()) === JSON.stringify(Object.keys(m.tags).sort()) &&
      Object.keys(m.tags).every((t) => shown[t] === m.tags[t]), `facet ${JSON.stringify(shown)}, matter ${JSON.stringify(m.tags)}`);
    await page.click(hot);
    await page.waitForSelector('#filters .chip');
    await page.waitForFunction(() => document.querySelector('#total') && document.querySelector('#total').dataset.total === '3');
    // exactly the thread tagged hot, each hit showing its tag
    const thread = [...new Set((await api(TOK.legal, '/v1/records/x:901/thread')).map((r) => r.id))].sort();
    const ids = (await page.locator('#hits li').evaluateAll((els) => els.map((e) => e.dataset.id))).sort();
    assert(JSON.stringify(ids) === JSON.stringify(thread), `narrowed to ${ids}, the thread is ${thread}`);
    const tags = await page.locator('#hits li .hit-tags').allTextContents();
    assert(tags.length === 3 && tags.every((t) => t.includes('hot')), `hit tags ${JSON.stringify(tags)}`);
    // within it, the other counts are the API's for the narrowed match
    const narrowed = await api(TOK.legal, '/v1/search?q=*&matter=acme-v-carol&tag=hot&facets=tag');
    const resp = Number((await page.locator('#facets button[data-facet="tag"][data-value="responsive"] .num').textContent()));
    assert(narrowed.total === 3 && narrowed.facets.tag.responsive === resp && resp === 2, `responsive within hot: ${resp}, API ${JSON.stringify(narrowed.facets)}`);
    assert(await page.locator('#search-actions button').count() === 0, 'hold and export offered on a tag-narrowed result');
    tagFacet.all = all;
  });

  await step('a second click on the tag lets it go', async () => {
    const hot = '#facets button[data-facet="tag"][data-value="hot"]';
    const all = tagFacet.all;
    assert(all > 3, `the whole result was ${all}`);
    await page.click(hot);
    await page.waitForFunction(() => !document.querySelector('#filters .chip'));
    await page.waitForFunction((n) => document.querySelector('#total').dataset.total === String(n), all);
    await page.selectOption('#facet-matter', '');
    await page.waitForFunction(() => !document.querySelector('#facets button[data-facet="tag"]'));
  });

  await step('a term report downloads as CSV', async () => {
    await navTo('Review');
    await page.fill('#terms', 'order\npost AND topic1\nbad (');
    await page.click('#terms-form button[type=submit]');
    await page.waitForSelector('#terms-out table');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#terms-csv')]);
    const file = path.join(ART, 'term-report.csv');
    await dl.saveAs(file);
    const csv = fs.readFileSync(file, 'utf8');
    assert(/^line,query,breakdown,key,hits,unique,family,error\n1,order,all,,2,/.test(csv), `csv: ${csv.slice(0, 200)}`);
    assert(/3,bad \(,,,,,,"?bad query/.test(csv), 'the bad line is not named');
  });

  await step('place a hold from a search, see its scope, release it', async () => {
    await navTo('Search');
    await page.fill('#q', 'order');
    await page.click('#search-form button[type=submit]');
    /* the actions of this result, not the last one's */
    await page.waitForSelector('#search-actions[data-query="order"] button');
    await page.click('#search-actions button:text("Place a hold")');
    await page.waitForSelector('#hold-query');
    assert(await page.inputValue('#hold-query') === 'order', 'the query did not follow');
    await page.fill('#hold-name', 'web-hold');
    await page.fill('#hold-reason', 'letter of 1 May');
    await page.click('#hold-form button[type=submit]');
    await page.waitForSelector('#hold-covers');
    const h = await api(TOK.legal, '/v1/holds/web-hold');
    assert(h.active && (await page.textContent('#hold-covers')).startsWith(`${h.covers} records`), 'scope differs from the API');
    await page.fill('#release-reason', 'matter closed');
    await page.click('#hold-detail button.danger');
    await page.waitForSelector('#hold-detail dt:text("Released")');
    assert(!(await api(TOK.legal, '/v1/holds/web-hold')).active, 'still active');
  });

  await step('run an export, watch it and download it', async () => {
    await page.goto(`${URL_}/#productions?query=order`);
    await page.waitForSelector('#prod-query');
    assert(await page.inputValue('#prod-query') === 'order', 'the query did not follow');
    await page.selectOption('#prod-format', 'jsonl');
    await page.click('#production-form button[type=submit]');
    await page.waitForSelector('#production-out *');
    await page.waitForSelector('#production-out [data-state="done"]', { timeout: 60000 });
    await page.waitForSelector('#production-files');
    const id = await page.getAttribute('#production-out [data-job]', 'data-job');
    const job = await api(TOK.legal, `/v1/jobs/${id}`);
    const list = await api(TOK.legal, `/v1/jobs/${id}/files`);
    const f = list.files.find((x) => x.path === 'records.jsonl');
    assert(f && job.result.records === 2, `job: ${JSON.stringify(job.result)}, files: ${JSON.stringify(list.files)}`);
    const shown = await page.locator('#production-files li').count();
    assert(shown === list.files.length + 1, `${shown} files offered, the manifest lists ${list.files.length} and itself`);
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.click('#production-files button:text("records.jsonl")')]);
    const file = path.join(ART, 'records.jsonl');
    await dl.saveAs(file);
    const bytes = fs.readFileSync(file);
    const sha = require('crypto').createHash('sha256').update(bytes).digest('hex');
    assert(sha === f.sha256 && bytes.length === f.size, `downloaded ${bytes.length} bytes, sha ${sha}; the manifest says ${f.size}, ${f.sha256}`);
    const ids = bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l).record.id).sort();
    assert(ids.join() === 'x:900,x:902', `produced ${ids}`);
    /* the whole production as one zip: every file under the job's folder, the manifest last */
    const [dz] = await Promise.all([page.waitForEvent('download'), page.click('#production-zip')]);
    const zfile = path.join(ART, `${id}.zip`);
    await dz.saveAs(zfile);
    const zip = fs.readFileSync(zfile);
    assert(zip.subarray(0, 4).toString('latin1') === 'PK\x03\x04', 'not a zip');
    for (const name of ['records.jsonl', 'manifest.json'])
      assert(zip.includes(`${id}/${name}`), `the zip has no ${id}/${name}`);
    assert(zip.lastIndexOf(`${id}/manifest.json`) > zip.lastIndexOf(`${id}/records.jsonl`), 'the manifest is not last');
    /* the role's productions list it, with what it selected */
    const row = page.locator(`#production-list tr:has-text("${id}")`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert(cells[1] === 'query “order”' && cells[2] === 'done' && cells[3] === '2', `listed as ${cells}`);
    return undefined;
  });

  await step('compliance: the schedule, its history and a diff; the plan and a confirmed apply', async () => {
    await signIn(TOK.compliance);
    await navTo('Retention');
    await page.waitForSelector('#policy-log table');
    await page.click('#policy-log form button[type=submit]');
    await page.waitForSelector('#diff-text .add');
    const added = await page.locator('#diff-text .add').allTextContents();
    assert(added.some((l) => /^\+ +retain: 1y$/.test(l)), `added lines: ${added}`);
    await page.click('#plan-form button[type=submit]');
    await page.waitForSelector('#plan table');
    const plan = await api(TOK.compliance, '/v1/retention/plan');
    assert(plan.eligible.length > 0, 'nothing due in the fixture');
    await page.click('#apply-open');
    await page.fill('#apply-confirm', '1');
    await page.click('#apply-go');
    await page.waitForSelector('#status.error');
    assert((await api(TOK.compliance, '/v1/stats')).tombstones === 0, 'disposed without confirmation');
    await page.click('#apply-open');
    await page.fill('#apply-confirm', String(plan.eligible.length));
    await page.click('#apply-go');
    await page.waitForSelector('#plan [data-state="done"]', { timeout: 60000 });
    assert((await api(TOK.compliance, '/v1/stats')).tombstones === plan.eligible.length, 'not what the plan listed');
  });

  await step('governance: a chart\'s numbers are the API\'s', async () => {
    await navTo('Governance');
    await page.waitForSelector('#activity svg rect', { state: 'attached' });
    const act = await api(TOK.compliance, '/v1/activity');
    const m = act.months.find((x) => x.platform === 'x' && x.account === 'acme' && x.month === '2023-05');
    for (const [series, want] of [['received', m.received], ['replies', m.replies], ['posts', m.posts]]) {
      const got = await page.getAttribute(`#activity rect[data-series="${series}"][data-label="2023-05"]`, 'data-value');
      assert(Number(got) === want, `${series} 2023-05: chart ${got}, API ${want}`);
    }
    const lat = await page.getAttribute('#activity rect[data-series="median latency"][data-label="2023-05"]', 'data-value');
    assert(Number(lat) === m.latency_median && m.latency_median === 7200, `latency: chart ${lat}, API ${m.latency_median}`);
    await page.waitForSelector('#chart-coverage rect', { state: 'attached' });
    const plan = await api(TOK.compliance, '/v1/retention/plan');
    const held = await page.getAttribute(`#chart-coverage rect[data-series="held"][data-label="${plan.rules[0].name}"]`, 'data-value');
    assert(Number(held) === plan.rules[0].held, `held: chart ${held}, API ${plan.rules[0].held}`);
    const { sources } = await api(TOK.compliance, '/v1/sources');
    const row = await page.locator('#health > table tbody tr:has(td:text-is("web-feed"))').textContent();
    assert(sources.length === 1 && row.includes(sources[0].status), `health row ${row}, API ${sources[0] && sources[0].status}`);
  });

  await step('auditor: the audit trail filtered by action and actor', async () => {
    await signIn(TOK.auditor);
    await navTo('Audit trail');
    await page.waitForSelector('#audit caption');   /* the first load, unfiltered */
    await page.fill('#audit-action', 'hold-create');
    await page.click('#audit-form button[type=submit]');
    await page.waitForSelector('#audit caption:text("1 entry matches")');
    const rows = await page.locator('#audit tbody tr').allTextContents();
    assert(rows.length === 1 && rows[0].includes('hold-create') && rows[0].includes('web-legal'), `rows: ${rows}`);
    assert(await page.locator('#audit tbody tr:has-text("retention-apply")').count() === 0, 'not filtered');
    for (const action of ['matter-tag', 'production-download']) {
      await page.fill('#audit-action', action);
      await page.click('#audit-form button[type=submit]');
      await page.waitForSelector(`#audit tbody tr:has-text("${action}"):has-text("web-legal")`);
    }
    const today = new Date().toISOString().slice(0, 10);
    await page.fill('#audit-action', 'policy-set');
    await page.fill('#audit-actor', process.env.USER_NAME);
    await page.fill('#audit-since', today);
    await page.fill('#audit-until', today);
    await page.click('#audit-form button[type=submit]');
    await page.waitForSelector('#audit caption:text("2 entries")');
    await page.fill('#audit-action', 'retention-apply');
    await page.fill('#audit-actor', '');
    await page.click('#audit-form button[type=submit]');
    await page.waitForSelector('#audit tbody tr:has-text("web-compliance")');
    await page.fill('#audit-since', '2001-01-01');
    await page.fill('#audit-until', '2001-12-31');
    await page.click('#audit-form button[type=submit]');
    await page.waitForSelector('#audit caption:text("0 entries")');
  });

  await step('the token never went into a URL, and the page made no refused request', async () => {
    const leak = seen.urls.filter((u) => Object.values(TOK).some((t) => t && u.includes(t)));
    assert(!leak.length, `token in ${leak[0]}`);
    assert(!seen.csp.length, `CSP violations: ${seen.csp[0]}`);
    /* 401s are audited as auth-refused: the page's own requests (its
     * icon included) never draw one; the test's wrong token drew one */
    const refused = await (await fetch(`${URL_}/v1/audit?action=auth-refused`, { headers: { Authorization: `Bearer ${TOK.auditor}` } })).text();
    assert(refused.trim().split('\n').length === 1, `refused requests: ${refused}`);
  });

  await step('keyboard: sign out and back in without a mouse', async () => {
    await page.focus('#signout');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#token:focus');
    await page.keyboard.type(TOK.admin);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#nav button');
    const tabs = await page.locator('#nav button').allTextContents();
    assert(tabs.join() === 'Governance', `admin tabs: ${tabs}`);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((e) => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label')).map((e) => e.id || e.outerHTML.slice(0, 40)));
    assert(!unlabelled.length, `unlabelled: ${unlabelled}`);
  });

  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  for (const s of shots) console.log(`screenshot ${s}`);
}

main().then(() => process.exit(failed ? 1 : 0), (e) => { console.log(`not ok the browser: ${e.message}`); process.exit(1); });
