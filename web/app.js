/* custos review page: a face of the HTTP API (docs/api.md), in plain
 * JavaScript with no library. Safety rules, kept everywhere below:
 *  - everything a record holds is hostile: it reaches the page only as text
 *    nodes (h() and text()), never through innerHTML; highlights are made
 *    by splitting the escaped text on the server's [[ ]] marks;
 *  - a link is made only from an http: or https: URL;
 *  - the token lives in sessionStorage (this tab) and in the Authorization
 *    header, never in a URL; the place in the page is kept in the URL's
 *    fragment (query, filters, page), which holds no token. */
'use strict';

const TOKEN_KEY = 'custos.token';
const PAGE = 20;
const st = {
  token: null, session: null, may: new Set(),
  search: { q: '', sort: '-date', filters: [], matter: '', offset: 0, result: null, selected: new Set() },
  custodians: null, matters: null, lastTerms: null, record: null,
};

/* ---- DOM helpers: text only ------------------------------------------------ */

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, kids);
  return el;
}
function add(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
}
const $ = (id) => document.getElementById(id);
function clear(el, ...kids) { el.replaceChildren(); return add(el, kids); }
/* A link only for http(s): a javascript: or data: URL stays text. */
function safeLink(url, label) {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:')
      return h('a', { href: u.href, rel: 'noopener noreferrer nofollow', target: '_blank' }, label || url);
  } catch (e) { /* not a URL */ }
  return h('span', { class: 'mono' }, label || url);
}
/* The server marks matches as [[word]] in a snippet's plain text. */
function highlighted(snippet) {
  const out = [];
  const parts = String(snippet || '').split(/\[\[|\]\]/);
  parts.forEach((p, i) => { if (p) out.push(i % 2 ? h('mark', {}, p) : p); });
  return out;
}
function say(msg, bad) {
  const s = $('status');
  s.textContent = msg || '';
  s.className = bad ? 'error' : '';
}
function fmtTime(t) { return t ? String(t).replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '–'; }
function fmtSecs(s) {
  if (!s) return '0';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}
function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
function table(headers, rows, caption) {
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label || c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) =>
      h('td', { class: headers[i] && headers[i].num ? 'num' : null }, c))))));
}

/* ---- the API ---------------------------------------------------------------- */

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.status;
  }
}
async function api(method, path, body, opts = {}) {
  const headers = { Authorization: `Bearer ${st.token}` };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, cache: 'no-store',
                                credentials: 'omit', referrerPolicy: 'no-referrer' });
  if (r.status === 401) { signOut('The token was refused (unknown or revoked): sign in again.'); throw new ApiError(401, null); }
  if (!r.ok) {
    let j = null;
    try { j = await r.json(); } catch (e) { /* not JSON */ }
    throw new ApiError(r.status, j);
  }
  if (opts.as === 'blob') return r.blob();
  if (opts.as === 'text') return r.text();
  return r.json();
}
const get = (path, opts) => api('GET', path, undefined, opts);
const post = (path, body) => api('POST', path, body === undefined ? {} : body);
const del = (path) => api('DELETE', path);
const enc = encodeURIComponent;
function recPath(id) { return `/v1/records/${id.split('/').map(enc).join('/')}`; }
function failed(e) { if (!(e instanceof ApiError && e.status === 401)) say(e.message, true); }

async function watchJob(id, box, onDone) {
  for (;;) {
    let j;
    try { j = await get(`/v1/jobs/${enc(id)}`); } catch (e) { clear(box, h('p', { class: 'error' }, e.message)); return null; }
    clear(box, h('p', { dataset: { job: id, state: j.state } }, `Job ${j.id} (${j.kind}): `, h('strong', {}, j.state),
      j.progress && j.progress.total ? ` — ${j.progress.done} of ${j.progress.total}` : j.progress && j.progress.done ? ` — ${j.progress.done}` : '',
      j.error ? h('span', { class: 'error' }, ` ${j.error}`) : null));
    if (j.state === 'done' || j.state === 'failed') { if (onDone) await onDone(j, box); return j; }
    await new Promise((res) => setTimeout(res, 400));
  }
}

/* ---- signing in and the role ---------------------------------------------------- */

const VIEWS = [
  { id: 'search', label: 'Search', need: 'search' },
  { id: 'review', label: 'Review', need: 'search' },
  { id: 'holds', label: 'Holds', need: 'hold-read' },
  { id: 'retention', label: 'Retention', need: 'policy-read' },
  { id: 'productions', label: 'Productions', need: ['export', 'verify'] },
  { id: 'audit', label: 'Audit trail', need: 'audit-read' },
  { id: 'governance', label: 'Governance', need: ['read', 'retention-plan', 'source-read'] },
];
const may = (op) => (Array.isArray(op) ? op.some((o) => st.may.has(o)) : st.may.has(op));

async function signIn(token) {
  st.token = token;
  try {
    st.session = await get('/v1/session');
  } catch (e) {
    st.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('signin-error').textContent = e.status === 401 ? 'That token was refused.' : e.message;
    $('signin').hidden = false;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  st.may = new Set(st.session.may);
  $('signin').hidden = true;
  $('signin-error').textContent = '';
  $('token').value = '';
  clear($('who'), 'Signed in as ', h('strong', {}, st.session.token), ` (${st.session.role})`);
  $('signout').hidden = false;
  const nav = clear($('nav'));
  for (const v of VIEWS) {
    if (!may(v.need)) continue;
    nav.append(h('button', { type: 'button', dataset: { view: v.id }, on: { click: () => go(v.id) } }, v.label));
  }
  nav.hidden = false;
  if (!nav.children.length) say(`The ${st.session.role} role has nothing to review here: it works through the API (docs/api.md).`);
  st.matters = null;
  await loadMatters().catch(failed);
  $('hold-form').hidden = !may('hold-write');
  $('verify-box').hidden = !may('verify');
  route();
}
function signOut(msg) {
  st.token = null; st.session = null; st.may = new Set();
  sessionStorage.removeItem(TOKEN_KEY);
  document.querySelectorAll('.view').forEach((v) => { v.hidden = true; });
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('signin').hidden = false;
  $('signin-error').textContent = msg || '';
  say('');
  $('token').focus();
}

/* ---- views and the fragment ------------------------------------------------------ */

function go(view, params) {
  const p = new URLSearchParams(params || {});
  const frag = `#${view}${[...p].length ? `?${p}` : ''}`;
  if (location.hash === frag) route(); else location.hash = frag;
}
function parseHash() {
  const m = /^#([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  return m ? { view: m[1], p: new URLSearchParams(m[2] || '') } : { view: '', p: new URLSearchParams() };
}
function show(view) {
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== `view-${view}`; });
  document.querySelectorAll('#nav button').forEach((b) => {
    if (b.dataset.view === view || (view === 'record' && b.dataset.view === 'search')) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  });
}
async function route() {
  if (!st.session) return;
  let { view, p } = parseHash();
  const allowed = VIEWS.filter((v) => may(v.need)).map((v) => v.id);
  if (view === 'record' && may('read')) view = 'record';
  else if (!allowed.includes(view)) view = allowed[0];
  if (!view) return;
  show(view);
  say('');
  try {
    if (view === 'search') await viewSearch(p);
    else if (view === 'record') await viewRecord(p.get('id'));
    else if (view === 'review') await viewReview();
    else if (view === 'holds') await viewHolds(p.get('query'));
    else if (view === 'retention') await viewRetention();
    else if (view === 'productions') await viewProductions(p);
    else if (view === 'audit') await viewAudit();
    else if (view === 'governance') await viewGovernance();
  } catch (e) { failed(e); }
}

/* ---- search -------------------------------------------------------------------- */

function quoteValue(v) { return /^[A-Za-z0-9._@:-]+$/.test(v) ? v : `"${v.replace(/"/g, '')}"`; }
function filterTerm(f) {
  if (f.field === 'year' || f.field === 'month') return `date:${f.value}`;
  return `${f.field}:${quoteValue(f.value)}`;
}
/* Review tags are a matter's, not the index's: they narrow through tag=,
 * not the query (docs/query-language.md, "Review tags"). */
function fullQuery(q, filters) {
  const terms = filters.filter((f) => f.field !== 'tag').map(filterTerm);
  const base = q.trim();
  if (!terms.length) return base;
  return base === '*' || base === '' ? terms.join(' ') : `(${base}) ${terms.join(' ')}`;
}
function tagFilters(s) { return s.filters.filter((f) => f.field === 'tag'); }
/* matter=M (hits with their tags, the tag facet) and tag=T1,T2 (narrowed) */
function codingParams(s) {
  if (!s.matter) return '';
  const tags = tagFilters(s).map((f) => f.value);
  return `&matter=${enc(s.matter)}${tags.length ? `&tag=${enc(tags.join(','))}` : ''}`;
}
function searchParams(s) {
  const p = { q: s.q, sort: s.sort };
  if (s.matter) p.m = s.matter;
  if (s.offset) p.offset = s.offset;
  if (s.filters.length) p.f = s.filters.map((f) => `${f.field}=${f.value}`).join('\n');
  return p;
}

async function viewSearch(p) {
  const s = st.search;
  if (p.has('q')) {
    s.q = p.get('q');
    s.sort = p.get('sort') || '-date';
    s.offset = Math.max(0, parseInt(p.get('offset') || '0', 10) || 0);
    s.matter = p.get('m') || '';
    s.filters = (p.get('f') || '').split('\n').filter(Boolean).map((x) => {
      const i = x.indexOf('=');
      return { field: x.slice(0, i), value: x.slice(i + 1) };
    }).filter((f) => f.field !== 'tag' || s.matter);
  }
  $('q').value = s.q;
  $('sort').value = s.sort;
  if (!s.q) { clear($('search-summary'), 'Type a query; ', h('code', {}, '*'), ' finds every record.'); return; }
  await runSearch();
}

async function runSearch() {
  const s = st.search;
  const query = fullQuery(s.q, s.filters);
  const qs = `q=${enc(query)}&sort=${enc(s.sort)}&limit=${PAGE}&offset=${s.offset}` +
    `&facets=platform,account,year,month${s.matter ? ',tag' : ''}${codingParams(s)}`;
  say('Searching…');
  /* the actions act on the shown result's query: none while another is on its way */
  clear($('search-actions')).hidden = true;
  const current = ticket('search');
  let res;
  try { res = await get(`/v1/search?${qs}`); if (!current()) return; } catch (e) {
    if (!current()) return;
    clear($('hits')); clear($('pager')); clear($('facets'));
    clear($('search-summary'), h('span', { class: 'error' }, e.message));
    say('');
    return;
  }
  s.result = res;
  s.query = query;
  say('');
  renderFilters();
  const from = res.total ? s.offset + 1 : 0;
  const to = s.offset + res.hits.length;
  clear($('search-summary'),
    h('strong', { id: 'total', dataset: { total: res.total } }, res.total.toLocaleString('en')),
    res.total === 1 ? ' record' : ' records', res.exact === false ? ' (at least)' : ' (exact count)',
    res.total ? `; showing ${from}–${to}` : '', res.notes ? h('span', { class: 'muted' }, ` — ${res.notes}`) : null);
  renderActions();
  const hits = clear($('hits'));
  for (const hit of res.hits) {
    const box = h('input', { type: 'checkbox', 'aria-label': `Select ${hit.id}`, on: { change: (ev) => {
      if (ev.target.checked) s.selected.add(hit.id); else s.selected.delete(hit.id);
    } } });
    box.checked = s.selected.has(hit.id);
    hits.append(h('li', { dataset: { id: hit.id } }, box, h('div', {},
      h('div', { class: 'meta' }, fmtTime(hit.created_at), ' · ', hit.platform, ' · ', hit.account || '–', ' · ',
        hit.author ? `@${hit.author}` : '–',
        hit.matched_versions && hit.matched_versions.length > 1 ? ` · versions ${hit.matched_versions.join(', ')} match` : ''),
      h('p', { class: 'snippet' }, highlighted(hit.snippet)),
      hit.tags && hit.tags.length ? h('p', { class: 'hit-tags', 'aria-label': `Tags in ${s.matter}` },
        hit.tags.map((t) => h('span', { class: 'tag' }, t))) : null,
      h('button', { type: 'button', on: { click: () => go('record', { id: hit.id }) } }, 'Open ', h('span', { class: 'mono' }, hit.id)))));
  }
  renderPager(res.total);
  await renderFacets(res);
}

function renderFilters() {
  const s = st.search;
  clear($('filters'), s.filters.map((f, i) => h('span', { class: 'chip' }, `${f.field}: ${f.value}`,
    h('button', { type: 'button', 'aria-label': `Remove the filter ${f.field} ${f.value}`, on: { click: () => {
      s.filters.splice(i, 1); s.offset = 0; go('search', searchParams(s));
    } } }, '×'))));
}

function renderPager(total) {
  const s = st.search;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const page = Math.floor(s.offset / PAGE) + 1;
  const to = (n) => () => { s.offset = (n - 1) * PAGE; go('search', searchParams(s)); };
  clear($('pager'),
    h('button', { type: 'button', disabled: page <= 1, on: { click: to(page - 1) } }, 'Previous'),
    h('span', { id: 'page-of' }, `Page ${page} of ${pages}`),
    h('button', { type: 'button', disabled: page >= pages, on: { click: to(page + 1) } }, 'Next'));
}

async function renderFacets(res) {
  const s = st.search;
  const box = clear($('facets'), h('h3', {}, 'Narrow'));
  const names = { platform: 'Platform', account: 'Account', custodian: 'Custodian', year: 'Year', month: 'Month', tag: 'Tag' };
  const list = (field, values, where) => {
    (where || box).append(h('h3', {}, names[field]));
    const ul = h('ul', { 'aria-label': names[field] });
    for (const [value, count] of values) {
      const active = s.filters.some((f) => f.field === field && f.value === value);
      /* a second click on a chosen value lets it go again */
      ul.append(h('li', {}, h('button', { type: 'button', 'aria-pressed': active ? 'true' : 'false', dataset: { facet: field, value },
        on: { click: () => {
          if (!active) s.filters.push({ field, value });
          else s.filters = s.filters.filter((f) => !(f.field === field && f.value === value));
          s.offset = 0; go('search', searchParams(s));
        } } },
        h('span', {}, value), h('span', { class: 'num' }, count.toLocaleString('en')))));
    }
    if (!values.length) ul.append(h('li', { class: 'muted' }, 'none'));
    (where || box).append(ul);
  };
  for (const f of ['platform', 'account', 'year', 'month']) {
    const values = Object.entries((res.facets && res.facets[f]) || {});
    /* time runs newest first; the others come most frequent first */
    if (f === 'year' || f === 'month') values.sort((x, y) => (x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : 0));
    list(f, values);
  }
  /* custodians: the archive's list, each counted exactly within the results */
  if (st.custodians === null) {
    try { st.custodians = (await get('/v1/custodians')).custodians.filter((c) => c.name); } catch (e) { st.custodians = []; }
  }
  if (st.custodians.length && res.total) {
    const counts = await Promise.all(st.custodians.slice(0, 30).map(async (c) => {
      try {
        const r = await get(`/v1/search?count=1&q=${enc(fullQuery(s.query, [{ field: 'custodian', value: c.name }]))}${codingParams(s)}`);
        return [c.name, r.total];
      } catch (e) { return [c.name, 0]; }
    }));
    list('custodian', counts.filter((c) => c[1] > 0));
  }
  /* review tags: a matter's, counted exactly over the whole result */
  if (!may('matter-read')) return;
  try { await loadMatters(); } catch (e) { st.matters = []; }
  if (!st.matters.length) return;
  const pick = h('select', { id: 'facet-matter', on: { change: () => {
    s.matter = pick.value;
    s.filters = s.filters.filter((f) => f.field !== 'tag');   /* the tags were the old matter's */
    s.offset = 0; go('search', searchParams(s));
  } } }, h('option', { value: '' }, '(none)'), st.matters.map((m) => h('option', { value: m.name || m }, m.name || m)));
  pick.value = s.matter;
  const part = h('div', { id: 'facet-tags' }, h('label', { for: 'facet-matter' }, 'Review tags of the matter'), pick);
  box.append(part);
  if (s.matter) list('tag', Object.entries((res.facets && res.facets.tag) || {}), part);
}

function renderActions() {
  const s = st.search;
  const box = clear($('search-actions'));
  box.hidden = false;
  box.dataset.query = s.query;
  /* these select by query: narrowed by a tag, they would take more than is shown */
  if (tagFilters(s).length) {
    box.append(h('p', { class: 'muted' }, 'Holds, exports and term reports select by query, without the tag filter: ',
      'remove it to use them (a production can take a matter\'s tag).'));
    return;
  }
  if (may('hold-write'))
    box.append(h('button', { type: 'button', on: { click: () => go('holds', { query: s.query }) } }, 'Place a hold on these results'));
  box.append(h('button', { type: 'button', on: { click: () => go('productions', { query: s.query }) } }, 'Export these results'));
  box.append(h('button', { type: 'button', on: { click: () => { $('terms').value = s.query; go('review'); } } }, 'Add to a term report'));
}

/* ---- a record and its thread ------------------------------------------------------- */

const DIFF_SKIP = new Set(['version', 'seq', 'versions', 'raw', 'raw_hex', 'captured_at', 'content_sha256', 'source']);

/* Words of a and b, marked as kept, removed or added (longest common subsequence). */
function wordDiff(a, b) {
  const x = String(a || '').split(/(\s+)/), y = String(b || '').split(/(\s+)/);
  if (x.length * y.length > 4e6) return [['del', a], ['add', b]];
  const n = x.length, m = y.length, L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push(['same', x[i]]); i++; j++; } else if (L[i + 1][j] >= L[i][j + 1]) out.push(['del', x[i++]]); else out.push(['add', y[j++]]);
  }
  while (i < n) out.push(['del', x[i++]]);
  while (j < m) out.push(['add', y[j++]]);
  return out;
}
function renderDiff(prev, cur) {
  const parts = [];
  const keys = new Set([...Object.keys(prev), ...Object.keys(cur)]);
  const changed = [...keys].filter((k) => !DIFF_SKIP.has(k) && JSON.stringify(prev[k]) !== JSON.stringify(cur[k]));
  if (!changed.length) return h('p', { class: 'muted' }, 'No field changed (a new capture of the same content).');
  for (const k of changed) {
    if (k === 'text' || k === 'title') {
      parts.push(h('div', {}, h('strong', {}, `${k}: `), h('span', { class: 'text' }, wordDiff(prev[k], cur[k]).map(([t, w]) =>
        (t === 'same' ? w : h(t === 'add' ? 'ins' : 'del', {}, w))))));
    } else {
      parts.push(h('div', {}, h('strong', {}, `${k}: `), h('del', {}, prev[k] === undefined ? '(none)' : JSON.stringify(prev[k])), ' → ',
        h('ins', {}, cur[k] === undefined ? '(none)' : JSON.stringify(cur[k]))));
    }
  }
  return h('div', { class: 'version-diff' }, parts);
}

function recordCard(r, current) {
  return h('li', { class: current ? 'current' : null, dataset: { id: r.id }, 'aria-current': current ? 'true' : null },
    h('div', { class: 'meta' }, fmtTime(r.created_at), ' · ', r.platform, ' · ', r.account || '–', ' · ',
      (r.author && (r.author.handle || r.author.name)) ? `@${r.author.handle || r.author.name}` : '–', ' · ', r.kind || '',
      r.deleted_at ? h('span', { class: 'badge bad' }, 'deleted upstream') : null,
      r.versions > 1 ? ` · ${r.versions} versions` : ''),
    r.title ? h('strong', {}, r.title) : null,
    h('p', { class: 'text' }, r.disposed ? h('em', {}, 'disposed of under the retention schedule') : (r.text || '')),
    current ? null : h('button', { type: 'button', on: { click: () => go('record', { id: r.id }) } }, 'Open'));
}

async function viewRecord(id) {
  const box = clear($('record'));
  if (!id) { box.append(h('p', {}, 'No record chosen.')); return; }
  const path = recPath(id);
  const [rec, versions] = await Promise.all([get(path), get(`${path}/versions`)]);
  let thread = [];
  try { thread = await get(`${path}/thread`); } catch (e) { thread = [rec]; }
  st.record = rec;
  $('record-h').textContent = `Record ${rec.id || id}`;
  box.append(h('h3', {}, 'Conversation'),
    h('ol', { class: 'thread', id: 'thread', 'aria-label': 'The conversation, oldest first' },
      thread.map((r) => recordCard(r, r.id === rec.id))));

  box.append(h('h3', {}, 'Capture'), h('dl', { class: 'kv', id: 'capture' },
    h('dt', {}, 'Content SHA-256'), h('dd', { class: 'mono' }, rec.content_sha256 || '–'),
    h('dt', {}, 'Version'), h('dd', {}, `${rec.version} of ${rec.versions} (store seq ${rec.seq})`),
    h('dt', {}, 'Captured'), h('dd', {}, fmtTime(rec.captured_at)),
    h('dt', {}, 'Source'), h('dd', {}, rec.source ? [rec.source.format, rec.source.connector ? ` (connector ${rec.source.connector})` : '',
      rec.source.file ? ` · ${rec.source.file}` : '', rec.source.line > 0 ? ` line ${rec.source.line}` : ''] : '–'),
    h('dt', {}, 'Source file SHA-256'), h('dd', { class: 'mono' }, (rec.source && rec.source.file_sha256) || '–'),
    h('dt', {}, 'Custodian'), h('dd', {}, rec.custodian || '–'),
    h('dt', {}, 'Permalink'), h('dd', {}, rec.url ? safeLink(rec.url) : '–')),
  h('p', {}, h('button', { type: 'button', id: 'raw-download', on: { click: async () => {
    try { download(`${(rec.id || id).replace(/[^A-Za-z0-9._-]/g, '_')}.raw`, await get(`${path}/raw`, { as: 'blob' })); say('The raw capture was downloaded.'); } catch (e) { failed(e); }
  } } }, 'Download the raw capture')));

  if (rec.media && rec.media.length) {
    const mbox = h('div', { class: 'media', id: 'media' });
    box.append(h('h3', {}, 'Media'), mbox);
    for (const m of rec.media) {
      const label = m.name || m.type || 'media';
      if (!m.sha256) { mbox.append(h('p', {}, 'Referenced, not captured: ', m.url ? safeLink(m.url) : label)); continue; }
      try {
        const raw = await get(`/v1/media/${enc(m.sha256)}`, { as: 'blob' });
        const type = /^(image|video|audio)\/[a-z0-9.+-]+$/i.test(m.type || '') ? m.type
          : m.type === 'photo' ? 'image/jpeg' : m.type === 'video' ? 'video/mp4' : 'application/octet-stream';
        const blob = new Blob([raw], { type });
        const url = URL.createObjectURL(blob);
        if (type.startsWith('image/')) mbox.append(h('figure', {}, h('img', { src: url, alt: `Attached image ${label}` }), h('figcaption', { class: 'mono' }, m.sha256)));
        else if (type.startsWith('video/')) mbox.append(h('figure', {}, h('video', { src: url, controls: true, 'aria-label': label }), h('figcaption', { class: 'mono' }, m.sha256)));
        else mbox.append(h('p', {}, h('button', { type: 'button', on: { click: () => download(label, blob) } }, `Download ${label}`)));
      } catch (e) { mbox.append(h('p', { class: 'error' }, `${label}: ${e.message}`)); }
    }
  }

  box.append(h('h3', {}, `Versions (${versions.length})`));
  const vl = h('ol', { id: 'versions' });
  versions.forEach((v, i) => {
    vl.append(h('li', { dataset: { version: v.version } },
      h('div', { class: 'meta' }, `version ${v.version} · captured ${fmtTime(v.captured_at)}`, v.edited_at ? ` · edited ${fmtTime(v.edited_at)}` : '',
        ' · ', h('span', { class: 'mono' }, v.content_sha256 || '')),
      i === 0 ? h('p', { class: 'text' }, v.text || '') : renderDiff(versions[i - 1], v)));
  });
  box.append(vl);

  if (st.matters && st.matters.length && may('matter-write')) box.append(h('h3', {}, 'Review'), tagPanel({ ids: [rec.id] }, 'this record'), tagPanel({ thread: rec.id }, 'its whole thread'));
  $('main').focus();
}

/* ---- review: matters, tags, saved searches, term reports ----------------------------- */

async function loadMatters() {
  if (st.matters === null) st.matters = may('matter-read') ? (await get('/v1/matters')).matters : [];
}
let tagForms = 0;
function tagPanel(selection, what) {
  const n = ++tagForms;
  const sel = h('select', { 'aria-label': 'Matter', class: 'tag-matter' }, (st.matters || []).map((m) => h('option', {}, m.name || m)));
  const tag = h('input', { 'aria-label': 'Tag', class: 'tag-name', size: 14, value: 'responsive', list: `tag-list-${n}`, spellcheck: 'false' });
  const list = h('datalist', { id: `tag-list-${n}` }, ['responsive', 'non-responsive', 'privileged', 'confidential'].map((t) => h('option', { value: t })));
  const out = h('span', { role: 'status', class: 'tag-out' });
  return h('form', { class: 'row tag-form', dataset: { what: Object.keys(selection)[0] }, on: { submit: async (ev) => {
    ev.preventDefault();
    try {
      const r = await post(`/v1/matters/${enc(sel.value)}/tag`, { tag: tag.value, ...selection });
      out.textContent = `Tagged ${tag.value}: ${r.selected} records selected, ${r.changed} changed.`;
    } catch (e) { out.textContent = e.message; out.className = 'tag-out error'; }
  } } }, `Tag ${what} in `, sel, tag, list, h('button', { type: 'submit' }, 'Tag'), out);
}
async function viewReview() {
  await loadMatters();
  const box = clear($('matters'), h('h3', {}, 'Matters'));
  if (!may('matter-read')) { box.append(h('p', {}, `The ${st.session.role} role does not review for matters.`)); return; }
  const s = st.search;
  if (may('matter-write')) {
    const name = h('input', { id: 'matter-name', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}', spellcheck: 'false' });
    const tags = h('input', { id: 'matter-tags', size: 30, spellcheck: 'false', placeholder: 'hot, follow-up' });
    box.append(h('form', { class: 'row', id: 'matter-form', on: { submit: async (ev) => {
      ev.preventDefault();
      try {
        await post('/v1/matters', { name: name.value, tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean) });
        say(`Matter ${name.value} created.`);
        st.matters = null;
        await viewReview();
      } catch (e) { failed(e); }
    } } }, h('label', { for: 'matter-name' }, 'New matter'), name, h('label', { for: 'matter-tags' }, 'its own tags (comma-separated)'), tags,
    h('button', { type: 'submit' }, 'Create')));
  }
  if (!st.matters.length) box.append(h('p', {}, 'No matters yet.'));
  for (const m of st.matters) {
    const name = m.name || m;
    let detail = null;
    try { detail = await get(`/v1/matters/${enc(name)}`); } catch (e) { failed(e); }
    add(box, [h('h4', {}, name), detail ? [
      table(['Tag', { label: 'Records', num: 1 }], Object.entries(detail.tags || {})),
      table(['Saved search', 'Query', { label: 'Hits', num: 1 }, 'Saved'], (detail.searches || []).map((x) => [
        x.name, h('button', { type: 'button', on: { click: () => go('search', { q: x.query, sort: '-date' }) } }, x.query), x.hits, fmtTime(x.saved_at)]))] : null]);
    if (s.query && may('matter-write')) {
      const sname = h('input', { 'aria-label': 'Name of the saved search', size: 16, required: true });
      box.append(h('form', { class: 'row', on: { submit: async (ev) => {
        ev.preventDefault();
        try { const r = await post(`/v1/matters/${enc(name)}/searches`, { name: sname.value, query: s.query }); say(`Saved: ${r.hits} hits.`); viewReview(); } catch (e) { failed(e); }
      } } }, `Save “${s.query}” in ${name} as `, sname, h('button', { type: 'submit' }, 'Save the search')));
    }
  }
  if (s.query && st.matters.length && may('matter-write')) add(box, [h('h3', {}, 'Tag the current search'), tagPanel({ query: s.query }, `every result of “${s.query}”`),
    s.selected.size ? tagPanel({ ids: [...s.selected] }, `the ${s.selected.size} selected records`) : null]);
}

function termsCsv(rep) {
  const q = (v) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const rows = ['line,query,breakdown,key,hits,unique,family,error'];
  for (const t of rep.terms) {
    if (t.error) { rows.push([t.line, q(t.query), '', '', '', '', '', q(t.error)].join(',')); continue; }
    rows.push([t.line, q(t.query), 'all', '', t.hits, t.unique, t.family, ''].join(','));
    for (const [k, n] of Object.entries(t.accounts)) rows.push([t.line, q(t.query), 'account', q(k), n, '', '', ''].join(','));
    for (const [k, n] of Object.entries(t.platforms)) rows.push([t.line, q(t.query), 'platform', q(k), n, '', '', ''].join(','));
  }
  rows.push(`,"(all terms: distinct records)",all,,${rep.distinct},,,`);
  return `${rows.join('\n')}\n`;
}
async function runTerms(ev) {
  ev.preventDefault();
  const terms = $('terms').value.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!terms.length) return;
  try {
    const rep = await post('/v1/reports/terms', { terms });
    st.lastTerms = rep;
    $('terms-csv').disabled = false;
    clear($('terms-out'), table([{ label: 'Line', num: 1 }, 'Query', { label: 'Hits', num: 1 }, { label: 'Unique', num: 1 }, { label: 'Family', num: 1 }],
      rep.terms.map((t) => [t.line, h('code', {}, t.query), t.error ? h('span', { class: 'error' }, t.error) : t.hits, t.error ? '' : t.unique, t.error ? '' : t.family]),
      `${rep.distinct} distinct records; index watermark ${rep.watermark}${rep.incomplete ? '; INCOMPLETE: some lines did not run' : ''}`));
  } catch (e) { failed(e); }
}

/* ---- holds ---------------------------------------------------------------------------- */

async function viewHolds(query) {
  if (query) { $('hold-query').value = query; $('hold-name').focus(); }
  const { holds } = await get('/v1/holds');
  clear($('holds'), holds.length ? table(['Hold', 'Query', 'State', { label: 'Covers', num: 1 }, 'Placed', ''],
    holds.map((x) => [x.name, h('code', {}, x.query), x.active ? h('span', { class: 'badge warn' }, 'active') : `released ${fmtTime(x.released_at)}`,
      x.covers, `${fmtTime(x.created_at)} by ${x.created_by || '–'}`,
      h('button', { type: 'button', on: { click: () => showHold(x.name) } }, 'Scope')]), 'Every hold, with the records it covers now')
    : h('p', {}, 'No holds.'));
}
async function showHold(name) {
  const x = await get(`/v1/holds/${enc(name)}`);
  const box = clear($('hold-detail'), h('h3', {}, `Hold ${x.name}`),
    h('dl', { class: 'kv' }, h('dt', {}, 'Query'), h('dd', {}, h('code', {}, x.query)), h('dt', {}, 'Reason'), h('dd', {}, x.reason || '–'),
      h('dt', {}, 'Covers'), h('dd', { id: 'hold-covers' }, `${x.covers} records (${x.member_ids} recorded as members)`),
      h('dt', {}, 'Commit'), h('dd', { class: 'mono' }, x.commit),
      x.active ? null : [h('dt', {}, 'Released'), h('dd', {}, `${fmtTime(x.released_at)} by ${x.released_by}: ${x.release_reason}`)]),
    table(['Record', 'Created', 'Member', 'Matches now'], x.records.slice(0, 200).map((r) => [
      h('button', { type: 'button', on: { click: () => go('record', { id: r.id }) } }, r.id), fmtTime(r.created_at), r.member ? 'yes' : 'no', r.matches ? 'yes' : 'no']),
    x.records.length > 200 ? `the first 200 of ${x.records.length}` : `${x.records.length} records`));
  if (x.active && may('hold-write')) {
    const reason = h('input', { id: 'release-reason', required: true, size: 40 });
    box.append(h('form', { class: 'row', on: { submit: async (ev) => {
      ev.preventDefault();
      try { await post(`/v1/holds/${enc(name)}/release`, { reason: reason.value }); say(`Hold ${name} released.`); await viewHolds(); await showHold(name); } catch (e) { failed(e); }
    } } }, h('label', { for: 'release-reason' }, 'Reason for releasing'), reason, h('button', { type: 'submit', class: 'danger' }, 'Release the hold')));
  }
}
async function createHold(ev) {
  ev.preventDefault();
  const body = { name: $('hold-name').value, query: $('hold-query').value, reason: $('hold-reason').value };
  try {
    const r = await post('/v1/holds', body);
    say(`Hold ${r.name} placed: ${r.matched} records held.`);
    $('hold-form').reset();
    await viewHolds();
    await showHold(r.name);
  } catch (e) { failed(e); }
}

/* ---- retention ------------------------------------------------------------------------ */

function renderUnifiedDiff(text) {
  return h('pre', { class: 'diff', id: 'diff-text' }, text.split('\n').map((l) => {
    const cls = l.startsWith('@@') ? 'hunk' : l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : null;
    return cls ? h('span', { class: cls }, l) : `${l}\n`;
  }));
}
async function viewRetention() {
  let sched = null;
  try { sched = await get('/v1/policy'); } catch (e) { if (e.status !== 404) throw e; }
  clear($('schedule'), h('h3', {}, 'The schedule in force'), sched ? [
    table(['Rule', 'Matches', 'Retain', 'From', 'Description'], sched.rules.map((r) => [r.name, h('code', {}, r.match), r.retain, r.from, r.description || ''])),
    h('p', { class: 'muted' }, `commit ${sched.commit.slice(0, 12)} of ${fmtTime(sched.commit_time)}`),
    h('details', {}, h('summary', {}, 'retention.yaml'), h('pre', {}, sched.text))] : h('p', {}, 'No schedule yet.'));
  /* the repository also keeps holds and policy documents: the schedule's
   * history is the commits that changed retention.yaml */
  const all = (await get('/v1/policy/log')).commits;
  const commits = all.filter((c) => c.changes.some((x) => / retention\.yaml$/.test(x)));
  const pick = (name) => h('select', { 'aria-label': name, id: `diff-${name}` }, commits.map((c) =>
    h('option', { value: c.commit }, `${c.commit.slice(0, 10)} ${fmtTime(c.time)} ${c.message.split('\n')[0]}`)));
  const a = pick('from'), b = pick('to');
  if (commits.length > 1) a.selectedIndex = 1;
  clear($('policy-log'), table(['Commit', 'When', 'Who', 'Message', 'Changed'], commits.map((c) =>
    [h('span', { class: 'mono' }, c.commit.slice(0, 10)), fmtTime(c.time), c.author || '', c.message, c.changes.join(', ')]),
    `${commits.length} changes of the schedule; the repository holds ${all.length - commits.length} other commits (holds, policy documents)`),
  h('form', { class: 'row', on: { submit: async (ev) => {
    ev.preventDefault();
    try { clear($('policy-diff'), renderUnifiedDiff(await get(`/v1/policy/diff?a=${enc(a.value)}&b=${enc(b.value)}`, { as: 'text' }) || '(no difference)\n')); } catch (e) { failed(e); }
  } } }, h('label', { for: 'diff-from' }, 'Compare'), a, h('label', { for: 'diff-to' }, 'with'), b, h('button', { type: 'submit' }, 'Show the diff')));
  $('plan-box').hidden = !may('retention-plan');
}
async function showPlan(ev) {
  if (ev) ev.preventDefault();
  const asOf = $('as-of').value;
  const p = await get(`/v1/retention/plan${asOf ? `?as_of=${enc(asOf)}` : ''}`);
  const box = clear($('plan'),
    table(['Rule', 'Retain', { label: 'Matched', num: 1 }, { label: 'Decides', num: 1 }, { label: 'Due', num: 1 }, { label: 'Held', num: 1 }],
      p.rules.map((r) => [r.name, r.retain, r.matched, r.deciding, r.eligible, r.held]),
      `as of ${fmtTime(p.as_of)}, schedule commit ${p.commit.slice(0, 10)}: ${p.eligible.length} records due, ${p.held} held back`),
    p.eligible.length ? table(['Record', 'Created', 'Expired', 'Rule'], p.eligible.slice(0, 100).map((e) => [e.id, fmtTime(e.created_at), fmtTime(e.expiry), e.rule]),
      p.eligible.length > 100 ? `the first 100 of ${p.eligible.length}` : null) : h('p', {}, 'Nothing is due.'));
  if (may('retention-apply') && p.eligible.length) {
    box.append(h('button', { type: 'button', class: 'danger', id: 'apply-open', on: { click: () => confirmApply(p) } }, `Dispose of ${p.eligible.length} records…`));
  }
}
function confirmApply(p) {
  const d = $('apply-dialog');
  $('apply-what').textContent = `${p.eligible.length} records past retention as of ${fmtTime(p.as_of)} under schedule commit ${p.commit.slice(0, 10)}.`;
  $('apply-confirm').value = '';
  d.onclose = async () => {
    if (d.returnValue !== 'apply') return;
    if ($('apply-confirm').value.trim() !== String(p.eligible.length)) { say('Not confirmed: the number typed was not the number of records.', true); return; }
    try {
      const j = await post('/v1/retention/apply', { as_of: p.as_of });
      await watchJob(j.job, $('plan'), (job, box) => {
        const r = job.result || {};
        say(job.state === 'done' ? `The disposition run finished${r.records !== undefined ? `: ${r.records} records disposed of` : ''}.` : 'The disposition run failed.', job.state !== 'done');
        if (job.result) box.append(h('details', {}, h('summary', {}, 'What the run did'), h('pre', {}, JSON.stringify(job.result, null, 2))));
      });
    } catch (e) { failed(e); }
  };
  d.showModal();
}

/* ---- productions and verification ------------------------------------------------------ */

async function viewProductions(p) {
  if (p && p.get('query')) $('prod-query').value = p.get('query');
  $('production-form').hidden = !may('export');
  await listProductions();
}
/* The role's productions, oldest first: what each selected, how it ended,
 * and a finished one whole as a zip while its files are kept. */
async function listProductions() {
  const box = $('production-list');
  if (!may('export')) { clear(box); return; }
  const l = (await get('/v1/productions')).productions;
  const what = (x) => x.query != null ? `query “${x.query}”` : x.hold ? `hold ${x.hold}` : `matter ${x.matter}, tag ${x.tag}`;
  clear(box, h('h3', {}, 'Productions of this role'), l.length ? table(['Job', 'Selection', 'State', { label: 'Records', num: 1 }, 'Finished', 'Files'],
    l.map((j) => [j.id, what(j.params || {}), j.error ? h('span', { title: j.error }, `${j.state}: ${j.error}`) : j.state,
      j.result ? j.result.records : '', fmtTime(j.finished_at),
      j.links && !j.note ? h('button', { type: 'button', on: { click: async () => {
        try { download(`${j.id}.zip`, await get(j.links.download, { as: 'blob' })); } catch (e) { failed(e); }
      } } }, 'Download (zip)') : j.note || ''])) : h('p', {}, 'None yet.'));
}
async function startProduction(ev) {
  ev.preventDefault();
  const body = { formats: $('prod-format').value };
  if ($('prod-prefix').value) body.prefix = $('prod-prefix').value;
  if ($('prod-hold').value) body.hold = $('prod-hold').value;
  else if ($('prod-tag').value) { body.matter = $('prod-matter').value; body.tag = $('prod-tag').value; }
  else body.query = $('prod-query').value;
  const out = $('production-out');
  const status = h('div', { id: 'production-job' });
  try {
    const j = await post('/v1/productions', body);
    /* a running production stops at its next record; it then ends failed, its files removed */
    const cancel = h('button', { type: 'button', id: 'production-cancel', on: { click: async () => {
      try { await del(`/v1/jobs/${enc(j.job)}`); cancel.disabled = true; } catch (e) { failed(e); }
    } } }, 'Cancel the export');
    clear(out, status, cancel);
    await watchJob(j.job, status, async (job, box) => {
      cancel.remove();
      await listProductions();
      if (job.state !== 'done') return;
      /* the files are the manifest's: the server serves nothing else */
      const files = await get(`/v1/jobs/${enc(job.id)}/files`);
      const fetchFile = (name, href) => async () => {
        try { download(name, await get(href, { as: 'blob' })); } catch (e) { failed(e); }
      };
      box.append(
        h('p', {}, `${job.result.records} records, control numbers ${job.result.first} to ${job.result.last}; `,
          `${files.count} files, ${files.bytes} bytes.`),
        h('button', { type: 'button', id: 'production-zip', on: { click: fetchFile(`${job.id}.zip`, `/v1/jobs/${enc(job.id)}/download?format=zip`) } },
          'Download the whole production (zip)'),
        h('ul', { id: 'production-files' }, [...files.files, files.manifest].map((f) => h('li', {},
          h('button', { type: 'button', on: { click: fetchFile(f.path.replace(/.*\//, ''), f.href) } }, `Download ${f.path}`),
          ` ${f.size} bytes`))));
    });
  } catch (e) { failed(e); }
}
async function startVerify() {
  try {
    const j = await post('/v1/verify');
    await watchJob(j.job, $('verify-out'), (job, box) => {
      if (job.result) box.append(h('pre', {}, JSON.stringify(job.result, null, 2)));
    });
  } catch (e) { failed(e); }
}

/* ---- the audit trail --------------------------------------------------------------------- */

/* Only the answer to the latest request of a kind is drawn: an earlier one
 * that arrives late (a view's first load, a filter changed since) is dropped. */
const latest = {};
function ticket(kind) { latest[kind] = (latest[kind] || 0) + 1; const t = latest[kind]; return () => t === latest[kind]; }

async function viewAudit(ev) {
  if (ev) ev.preventDefault();
  const current = ticket('audit');
  const p = new URLSearchParams();
  for (const [k, id] of [['action', 'audit-action'], ['actor', 'audit-actor'], ['since', 'audit-since']])
    if ($(id).value) p.set(k, $(id).value);
  if ($('audit-until').value) p.set('until', `${$('audit-until').value}T23:59:59.999Z`);
  const text = await get(`/v1/audit?${p}`, { as: 'text' });
  if (!current()) return;
  const entries = text.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch (e) { return { action: '(unreadable line)' }; } });
  const actions = new Set(entries.map((e) => e.action));
  clear($('audit-actions'), [...actions].sort().map((a) => h('option', { value: a })));
  const shown = entries.slice(-500).reverse();
  clear($('audit'), entries.length ? null : h('p', {}, 'No entries match.'), table(['#', 'Time', 'Action', 'Who', 'Role', 'Token', 'Client', 'Status', 'Details'],
    shown.map((e) => [e.n ?? e.seq ?? '', fmtTime(e.time || e.at), e.action, e.actor || e.user || '', e.role || '', e.token || '', e.client || '',
      e.status === undefined || e.status === 'ok' || e.status === 0 ? 'ok' : h('span', { class: 'error' }, String(e.status)),
      h('code', {}, JSON.stringify(e.params || {}).slice(0, 200))]),
    `${entries.length} ${entries.length === 1 ? 'entry matches' : 'entries match'}${entries.length > 500 ? '; the newest 500 shown' : ''}, newest first`));
}

/* ---- governance: charts in SVG of our own ------------------------------------------------ */

const SVGNS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const k of kids.flat()) if (k !== null && k !== undefined) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
}
/* Grouped bars: labels along x, one bar per series per label. Every bar
 * carries its number (a <title> and data-value), and a table follows. */
function barChart(id, title, labels, series, fmt = (v) => v.toLocaleString('en')) {
  const L = 70, B = 40, T = 12, H = 220;
  const W = Math.max(420, L + 10 + labels.length * Math.max(56, series.length * 14 + 10));
  const top = Math.max(1, ...series.flatMap((x) => x.values));
  const max = Math.ceil(top / 4) * 4;   /* four whole steps */
  const slot = (W - L - 10) / Math.max(1, labels.length), bw = Math.max(3, (slot - 6) / series.length);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': `${id}-t` },
    s('title', { id: `${id}-t` }, title));
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    svg.append(s('line', { x1: L, x2: W - 5, y1: y(v), y2: y(v), stroke: '#ddd' }), s('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, fmt(Math.round(v * 10) / 10)));
  }
  labels.forEach((lab, i) => {
    series.forEach((se, j) => {
      const v = se.values[i] || 0;
      svg.append(s('rect', { x: L + i * slot + 3 + j * bw, y: y(v), width: Math.max(1, bw - 1), height: Math.max(0, H - B - y(v)), fill: se.color,
        'data-series': se.name, 'data-label': lab, 'data-value': v }, s('title', {}, `${se.name}, ${lab}: ${fmt(v)}`)));
    });
    if (i % Math.max(1, Math.ceil(64 / slot)) === 0)
      svg.append(s('text', { x: L + i * slot + slot / 2, y: H - B + 14, 'text-anchor': 'middle' }, lab));
  });
  svg.append(s('line', { x1: L, x2: W - 5, y1: H - B, y2: H - B, stroke: '#555' }));
  return h('figure', { class: 'chart', id },
    h('figcaption', {}, h('strong', {}, title), h('div', { class: 'legend' }, series.map((se) => h('span', { style: null, dataset: { c: se.color } }, se.name)))),
    svg,
    h('details', {}, h('summary', {}, 'The numbers'), table(['Month', ...series.map((se) => ({ label: se.name, num: 1 }))],
      labels.map((lab, i) => [lab, ...series.map((se) => fmt(se.values[i] || 0))]))));
}
/* CSS custom properties cannot be set from a style attribute under the
 * page's policy; the legend's colours are set through the CSSOM. */
function paintLegends(root) {
  root.querySelectorAll('.legend span[data-c]').forEach((el) => el.style.setProperty('--c', el.dataset.c));
}

function monthsBetween(first, last) {
  const out = [];
  let [y, m] = first.split('-').map(Number);
  const [ly, lm] = last.split('-').map(Number);
  while ((y < ly || (y === ly && m <= lm)) && out.length < 1200) {
    out.push(`${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`);
    if (++m > 12) { m = 1; y++; }
  }
  return out;
}

async function viewGovernance() {
  const act = clear($('activity'));
  if (may('read')) {
    const rep = await get('/v1/activity');
    act.append(h('h3', {}, 'Activity per account'),
      h('p', { class: 'muted' }, `${rep.records} records read${rep.undated ? `, ${rep.undated} undated (in no month)` : ''}; `,
        'posts and replies are the account\'s own; received are others\' records in its capture; latency is from a record to the account\'s reply.'));
    const groups = new Map();
    for (const m of rep.months) {
      const key = `${m.platform}/${m.account}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(m);
    }
    let n = 0;
    for (const [key, present] of groups) {
      /* every month from the first to the last, the empty ones too */
      const labels = monthsBetween(present[0].month, present[present.length - 1].month);
      const byMonth = new Map(present.map((m) => [m.month, m]));
      const none = { posts: 0, replies: 0, received: 0, answered: 0, latency_median: 0 };
      const months = labels.map((l) => byMonth.get(l) || none);
      const cid = `chart-${n++}`;
      add(act, [h('h4', {}, key),
        barChart(`${cid}-volume`, `${key}: records per month`, labels, [
          { name: 'posts', color: '#0b4f8a', values: months.map((m) => m.posts) },
          { name: 'replies', color: '#2e8540', values: months.map((m) => m.replies) },
          { name: 'received', color: '#b35900', values: months.map((m) => m.received) }]),
        months.some((m) => m.answered) ? barChart(`${cid}-latency`, `${key}: median reply latency`, labels, [
          { name: 'median latency', color: '#6b3fa0', values: months.map((m) => m.latency_median) }], fmtSecs) : null]);
    }
    if (!groups.size) act.append(h('p', {}, 'No dated records yet.'));
  }
  const cov = clear($('coverage'));
  if (may('retention-plan')) {
    try {
      const p = await get('/v1/retention/plan');
      cov.append(h('h3', {}, 'Policy coverage'), barChart('chart-coverage', `Records under each rule (as of ${fmtTime(p.as_of)})`, p.rules.map((r) => r.name), [
        { name: 'decided by the rule', color: '#0b4f8a', values: p.rules.map((r) => r.deciding) },
        { name: 'held', color: '#b35900', values: p.rules.map((r) => r.held) },
        { name: 'due for disposition', color: '#a30000', values: p.rules.map((r) => r.eligible) }]));
    } catch (e) { cov.append(h('h3', {}, 'Policy coverage'), h('p', {}, e.status === 404 ? 'No schedule yet.' : e.message)); }
  }
  const hl = clear($('health'));
  if (may('source-read')) {
    const { sources } = await get('/v1/sources');
    add(hl, [h('h3', {}, 'Capture health per source'), sources.length ? [
      barChart('chart-sources', 'Polls and failures per source', sources.map((x) => x.name), [
        { name: 'polls', color: '#0b4f8a', values: sources.map((x) => x.polls) },
        { name: 'failures', color: '#a30000', values: sources.map((x) => x.failures) },
        { name: 'records', color: '#2e8540', values: sources.map((x) => x.records) }]),
      table(['Source', 'Kind', 'Status', 'Last success', 'Open alerts'], sources.map((x) => [x.name, x.kind,
        h('span', { class: `badge ${x.status === 'ok' ? 'ok' : x.status === 'pending' ? 'warn' : 'bad'}` }, x.status),
        fmtTime(x.last_success), x.alerts.map((a) => `${a.kind}: ${a.detail}`).join('; ') || 'none']))]
      : h('p', {}, 'No polling sources are configured.')]);
  }
  paintLegends($('view-governance'));
}

/* ---- start ------------------------------------------------------------------------------ */

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', (ev) => { ev.preventDefault(); signIn($('token').value.trim()); });
  $('signout').addEventListener('click', () => signOut('Signed out.'));
  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = $('q').value.trim();
    if (q !== st.search.q) st.search.filters = [];
    Object.assign(st.search, { q, sort: $('sort').value, offset: 0 });
    go('search', searchParams(st.search));
  });
  $('sort').addEventListener('change', () => { if (st.search.q) { st.search.sort = $('sort').value; st.search.offset = 0; go('search', searchParams(st.search)); } });
  $('back-to-search').addEventListener('click', () => { if (st.search.q) go('search', searchParams(st.search)); else go('search'); });
  $('terms-form').addEventListener('submit', runTerms);
  $('terms-csv').addEventListener('click', () => { if (st.lastTerms) download('term-report.csv', new Blob([termsCsv(st.lastTerms)], { type: 'text/csv' })); });
  $('hold-form').addEventListener('submit', createHold);
  $('plan-form').addEventListener('submit', (ev) => showPlan(ev).catch(failed));
  $('production-form').addEventListener('submit', startProduction);
  $('verify-go').addEventListener('click', startVerify);
  $('audit-form').addEventListener('submit', (ev) => viewAudit(ev).catch(failed));
  window.addEventListener('hashchange', route);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved); else $('token').focus();
});
