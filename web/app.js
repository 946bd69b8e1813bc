// drover's web UI: Preact + htm, no build step. Reads /apps, /ui/api/* and /prunes; listens to
// /ui/events (server-sent events) for live updates. Read-only without the admin token; the actions
// (sync now, approve a held prune, promote a canary) call drover's admin endpoints with the token the
// user typed, which stays in this browser tab (sessionStorage). Unknown status values are shown as
// they come, so a drover newer than this page still renders.
import { h, render } from './vendor/preact.js';
import { useCallback, useEffect, useMemo, useRef, useState } from './vendor/hooks.js';
import htm from './vendor/htm.js';

const html = htm.bind(h);
const TOKEN_KEY = 'drover.adminToken';

// ---------- small helpers ----------

const key = (a) => `${a.namespace}/${a.name}`;
const short = (rev) => (rev ? String(rev).slice(0, 7) : '');
const cls = (v) => String(v ?? 'none').replace(/[^A-Za-z0-9-]/g, '');

function ago(iso, now) {
  if (!iso) return '';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

async function getJson(url) {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  if (!r.ok) {
    const err = new Error(`${url}: ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return r.json();
}

function parseRoute(hash) {
  const p = (hash || '').replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (p[0] === 'apps' && p[1] && p[2]) return { page: 'app', namespace: p[1], name: p[2] };
  if (p[0] === 'prunes') return { page: 'prunes' };
  if (p[0] === 'activity') return { page: 'activity' };
  return { page: 'list' };
}

const appHref = (a) => `#/apps/${encodeURIComponent(a.namespace)}/${encodeURIComponent(a.name)}`;

/** A managed job no app declares whose stop is held (status `pruning: {state: 'held', reason}`). */
function heldPrune(a) {
  return a.pruning && a.pruning.state === 'held' ? a.pruning : undefined;
}

function consulText(c) {
  if (!c) return '–';
  if (c.state !== 'verified') return c.state;
  return c.drift ? 'drift' : c.problems && c.problems.length ? 'problems' : 'ok';
}

function Badge({ value, kind }) {
  return html`<span class=${`badge ${kind}-${cls(value)}`}>${value ?? '–'}</span>`;
}

function show(v) {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// ---------- actions (admin token) ----------

async function postAction(path, token) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let r;
  try {
    r = await fetch(path, { method: 'POST', headers });
  } catch (e) {
    return { ok: false, status: 0, text: `drover could not be reached: ${e.message}` };
  }
  let body = {};
  try {
    body = await r.json();
  } catch {
    body = {};
  }
  if (r.ok) return { ok: true, status: r.status, text: 'accepted' };
  const why = body.message || body.error || r.statusText;
  if (r.status === 401) return { ok: false, status: 401, text: `refused (401): ${why}. Enter drover's admin token above.` };
  if (r.status === 403) return { ok: false, status: 403, text: `refused (403): ${why}.` };
  if (r.status === 404 && !body.error) return { ok: false, status: 404, text: 'this drover has no such action (404).' };
  return { ok: false, status: r.status, text: `refused (${r.status}): ${why}` };
}

function ActionButton({ label, path, token, adminEnabled, onResult }) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    const res = await postAction(path, token);
    setBusy(false);
    onResult({ ...res, label });
  };
  const hint = !adminEnabled ? 'disabled on this drover: no DROVER_ADMIN_TOKEN' : token ? 'uses the admin token of this tab' : 'needs the admin token';
  return html`<button type="button" class="action" onClick=${click} disabled=${busy} aria-describedby="token-help" title=${hint}>
    ${label}${token ? '' : html`<span class="needs"> (admin token)</span>`}
  </button>`;
}

function ActionResult({ result }) {
  return html`<p class=${`result ${result ? (result.ok ? 'ok' : 'refused') : ''}`} role="status" aria-live="polite" data-testid="action-result">
    ${result ? `${result.label}: ${result.text}` : ''}
  </p>`;
}

// ---------- header: navigation, admin token, live state ----------

function TokenBox({ token, setToken, adminEnabled }) {
  const [draft, setDraft] = useState('');
  const submit = (e) => {
    e.preventDefault();
    if (draft) setToken(draft);
    setDraft('');
  };
  return html`<form class="token" onSubmit=${submit} aria-label="Admin token">
    ${token
      ? html`<span>Admin token set for this tab.</span> <button type="button" onClick=${() => setToken('')}>Forget token</button>`
      : html`<label for="token">Admin token</label>
          <input id="token" type="password" autocomplete="off" value=${draft} onInput=${(e) => setDraft(e.target.value)} aria-describedby="token-help" />
          <button type="submit">Use</button>`}
    <span id="token-help" class="help">
      ${adminEnabled === false
        ? 'Read-only: this drover has no admin token configured (DROVER_ADMIN_TOKEN), so actions are off.'
        : 'Read-only without a token. Sync now and Approve prune need drover\'s admin token; it is kept in this tab only.'}
    </span>
  </form>`;
}

function Header({ route, live, revision, leader, token, setToken, adminEnabled }) {
  const link = (href, label, page) =>
    html`<a href=${href} aria-current=${route.page === page ? 'page' : undefined}>${label}</a>`;
  return html`<header class="top">
    <span class="brand">drover</span>
    <nav aria-label="Main">
      ${link('#/', 'Apps', 'list')} ${link('#/prunes', 'Prunes and broken files', 'prunes')} ${link('#/activity', 'Activity', 'activity')}
    </nav>
    <span class="meta">
      <span>revision <code>${short(revision) || '–'}</code></span>
      ${leader && leader.enabled ? html`<span>${leader.isLeader ? 'leader' : `follower of ${leader.id ?? '?'}`}</span>` : ''}
      <span class=${`live ${live ? 'on' : 'off'}`} role="status" aria-live="polite" data-testid="live">${live ? 'live' : 'reconnecting…'}</span>
    </span>
    <${TokenBox} token=${token} setToken=${setToken} adminEnabled=${adminEnabled} />
  </header>`;
}

// ---------- the app list ----------

function AppList({ apps, now }) {
  const [ns, setNs] = useState('');
  const [sync, setSync] = useState('');
  const [health, setHealth] = useState('');
  const [q, setQ] = useState('');
  const values = (f) => [...new Set(apps.map(f).filter(Boolean))].sort();
  const namespaces = values((a) => a.namespace);
  const syncs = values((a) => a.sync);
  const healths = values((a) => a.health);
  const needle = q.trim().toLowerCase();
  const shown = apps.filter(
    (a) =>
      (!ns || a.namespace === ns) &&
      (!sync || a.sync === sync) &&
      (!health || a.health === health) &&
      (!needle || [a.name, a.namespace, a.source?.file, a.lastError?.message].some((s) => s && s.toLowerCase().includes(needle))),
  );
  const counts = syncs.map((s) => `${apps.filter((a) => a.sync === s).length} ${s}`).join(' · ');
  const select = (id, label, value, set, options) => html`<label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${(e) => set(e.target.value)}>
      <option value="">all</option>
      ${options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select>`;
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Apps</h1>
    <p class="summary">${apps.length} apps${counts ? ` · ${counts}` : ''}</p>
    <form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      ${select('f-ns', 'Namespace', ns, setNs, namespaces)} ${select('f-sync', 'Sync', sync, setSync, syncs)}
      ${select('f-health', 'Health', health, setHealth, healths)}
      <label for="f-q">Search</label>
      <input id="f-q" type="search" value=${q} onInput=${(e) => setQ(e.target.value)} placeholder="name, namespace, file, error" />
    </form>
    <table class="apps">
      <caption>${shown.length === apps.length ? 'Every app' : `${shown.length} of ${apps.length} apps`} (updates live)</caption>
      <thead><tr>
        <th scope="col">App</th><th scope="col">Namespace</th><th scope="col">Sync</th><th scope="col">Health</th>
        <th scope="col">Last action</th><th scope="col">When</th><th scope="col">Revision</th><th scope="col">Drift</th><th scope="col">Consul</th>
      </tr></thead>
      <tbody>
        ${shown.map(
          (a) => html`<tr key=${key(a)} data-app=${key(a)}>
            <th scope="row"><a href=${appHref(a)}>${a.name}</a></th>
            <td>${a.namespace}</td>
            <td data-col="sync"><${Badge} kind="sync" value=${a.sync} /></td>
            <td data-col="health"><${Badge} kind="health" value=${a.health} /></td>
            <td>${a.lastAction && a.lastAction !== 'none' ? a.lastAction : '–'}</td>
            <td><time datetime=${a.lastSync ?? ''} title=${a.lastSync ?? ''}>${ago(a.lastSync, now) || '–'}</time></td>
            <td><code>${short(a.source?.revision) || '–'}</code></td>
            <td data-col="drift">${a.drift && a.drift.length ? html`<span class="drift">${a.drift.length}</span>` : '–'}</td>
            <td>${consulText(a.consul)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${shown.length === 0 ? html`<p>No app matches.</p>` : ''}
  </section>`;
}

// ---------- one app ----------

function DiffTable({ rows, drift }) {
  const list = rows && rows.length ? rows : (drift || []).map((op) => ({ op: op.op, path: op.path, desired: op.value }));
  if (!list.length) return html`<p>None: the live job equals git.</p>`;
  return html`<table class="diff" data-testid="diff">
    <caption>Live job (Nomad) against git, over the fields drover renders; secret-bearing values redacted</caption>
    <thead><tr><th scope="col">Change</th><th scope="col">Field</th><th scope="col">Live (Nomad)</th><th scope="col">Git</th></tr></thead>
    <tbody>
      ${list.map(
        (r) => html`<tr>
          <td>${r.op === 'replace' ? 'changed' : r.op === 'add' ? 'missing live' : r.op === 'remove' ? 'extra live' : r.op}</td>
          <td><code>${r.path}</code></td>
          <td class="del">${r.live !== undefined ? html`<code><span class="sr">live: </span>- ${show(r.live)}</code>` : ''}</td>
          <td class="add">${r.desired !== undefined ? html`<code><span class="sr">git: </span>+ ${show(r.desired)}</code>` : ''}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function SourceView({ source }) {
  const ref = useRef(null);
  const lines = source.text.split('\n');
  useEffect(() => {
    const el = ref.current && ref.current.querySelector('.hl');
    if (el && el.scrollIntoView) el.scrollIntoView({ block: 'nearest' });
  }, [source.file, source.line]);
  return html`<div>
    <p><code>${source.file}:${source.line}</code> at revision <code>${short(source.revision)}</code>
      ${source.snapshotRevision !== source.revision ? html` (file shown at <code>${short(source.snapshotRevision)}</code>)` : ''}</p>
    <pre class="source" ref=${ref} tabindex="0" aria-label=${`Source of ${source.file}`}>${lines.map(
      (l, i) => html`<span class=${i + 1 === source.line ? 'ln hl' : 'ln'}><span class="no" aria-hidden="true">${i + 1}</span>${l}</span>`,
    )}</pre>
  </div>`;
}

function AppPage({ route, apps, info, token, historyTick }) {
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState('');
  const [result, setResult] = useState(null);
  const status = apps.find((a) => a.namespace === route.namespace && a.name === route.name);
  const stamp = status ? JSON.stringify([status.sync, status.health, status.drift, status.lastSync, status.source, status.consul]) : '';
  useEffect(() => {
    let gone = false;
    getJson(`/ui/api/apps/${encodeURIComponent(route.namespace)}/${encodeURIComponent(route.name)}`)
      .then((d) => !gone && (setDetail(d), setError('')))
      .catch((e) => !gone && setError(e.status === 404 ? 'drover does not know this app.' : String(e.message)));
    return () => {
      gone = true;
    };
  }, [route.namespace, route.name, stamp, historyTick]);
  const s = status || (detail && detail.status);
  const title = `${route.namespace}/${route.name}`;
  if (!s) return html`<section><h1 id="page-title" tabindex="-1">${title}</h1><p>${error || 'Loading…'}</p></section>`;
  const base = `/apps/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}`;
  const held = heldPrune(s);
  const admin = { token, adminEnabled: info.adminEnabled, onResult: setResult };
  const history = detail ? [...detail.history].reverse() : [];
  return html`<article aria-labelledby="page-title">
    <p><a href="#/">← All apps</a></p>
    <h1 id="page-title" tabindex="-1">${title} <${Badge} kind="sync" value=${s.sync} /> <${Badge} kind="health" value=${s.health} /></h1>
    <div class="actions">
      ${s.source ? html`<${ActionButton} label="Sync now" path=${`${base}/sync`} ...${admin} />` : ''}
      ${held ? html`<${ActionButton} label="Approve prune" path=${`${base}/approve-prune`} ...${admin} />` : ''}
      ${s.canary ? html`<${ActionButton} label="Promote canary" path=${`${base}/promote`} ...${admin} />` : ''}
    </div>
    <${ActionResult} result=${result} />
    <dl class="facts">
      <dt>Source</dt><dd>${s.source ? html`<code>${s.source.file}:${s.source.line}</code> @ <code>${short(s.source.revision)}</code>` : 'no app declares it'}</dd>
      <dt>Last action</dt><dd>${s.lastAction ?? '–'}${s.lastSync ? html`, last sync <time datetime=${s.lastSync}>${s.lastSync}</time>` : ''}</dd>
      <dt>Nomad job</dt><dd>${s.job ? `version ${s.job.version ?? '?'}, modify index ${s.job.jobModifyIndex ?? '?'}, ${s.job.status ?? ''}${s.job.stop ? ', stopped' : ''}` : 'not present'}</dd>
      <dt>Policy</dt><dd>self-heal ${s.selfHeal ? 'on' : 'off'}; prune ${s.prune ? 'on' : 'off'}${s.pruning ? ` (this job: ${s.pruning.state}${s.pruning.reason ? `, ${s.pruning.reason}` : ''})` : ''}</dd>
      ${s.driftFirstSeen ? html`<dt>Drift since</dt><dd><time datetime=${s.driftFirstSeen}>${s.driftFirstSeen}</time></dd>` : ''}
    </dl>
    ${s.healthReasons && s.healthReasons.length ? html`<h2>Health reasons</h2><ul>${s.healthReasons.map((r) => html`<li>${r}</li>`)}</ul>` : ''}
    ${s.lastError ? html`<div class="callout error" role="note"><strong>Last error</strong> <code>${s.lastError.code}</code>: ${s.lastError.message} <time datetime=${s.lastError.at}>(${s.lastError.at})</time></div>` : ''}
    ${s.problems && s.problems.length ? html`<div class="callout error" role="note"><strong>Problems</strong><ul>${s.problems.map((p) => html`<li><code>${p}</code></li>`)}</ul></div>` : ''}
    ${s.conflict ? html`<div class="callout error" role="note"><strong>Conflict</strong>: ${s.conflict.message}${s.conflict.owner ? ` (owner ${s.conflict.owner})` : ''}${s.conflict.managed === false ? ' — not managed by drover' : ''}</div>` : ''}
    ${held ? html`<div class="callout warn" role="note"><strong>Prune held</strong>: ${held.reason}${held.revision ? ` at revision ${short(held.revision)}` : ''}${held.heldSince ? `, since ${held.heldSince}` : ''}. Approving stops the job (it is never purged).</div>` : ''}

    <h2>Drift</h2>
    <${DiffTable} rows=${detail && detail.diff} drift=${s.drift} />

    <h2>Consul verification</h2>
    ${s.consul
      ? html`<p>${consulText(s.consul)}${s.consul.checkedAt ? `, checked ${s.consul.checkedAt}` : ''}${s.consul.error ? ` — ${s.consul.error}` : ''}</p>
          ${s.consul.problems && s.consul.problems.length ? html`<ul>${s.consul.problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
          ${s.consul.notes && s.consul.notes.length ? html`<ul class="notes">${s.consul.notes.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
          ${s.consul.instances && s.consul.instances.length
            ? html`<table><caption>Service instances by check state</caption><thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">Instances</th></tr></thead>
                <tbody>${s.consul.instances.map((i) => html`<tr><td>${i.service}</td><td>${i.state}</td><td>${i.count}</td></tr>`)}</tbody></table>`
            : ''}`
      : html`<p>Not verified yet (or the app has no services).</p>`}

    <h2>Routes</h2>
    ${detail && detail.routes.length
      ? html`<table><caption>Traefik routers from the rendered tags</caption><thead><tr><th scope="col">Router</th><th scope="col">Kind</th><th scope="col">Rule</th><th scope="col">Entrypoints</th><th scope="col">TLS</th><th scope="col">Service</th></tr></thead>
          <tbody>${detail.routes.map((r) => html`<tr><td><code>${r.router}</code></td><td>${r.kind}${r.scheme && r.scheme !== 'http' ? ` (${r.scheme})` : ''}</td><td><code>${r.rule ?? ''}</code></td><td>${r.entrypoints.join(', ')}</td><td>${r.tls ? 'yes' : 'no'}</td><td>${r.service}</td></tr>`)}</tbody></table>`
      : html`<p>No routes.</p>`}

    <h2>History</h2>
    ${history.length
      ? html`<ol class="history" reversed data-testid="history">${history.map(
          (e) => html`<li><time datetime=${e.at}>${e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time> <${Badge} kind="event" value=${e.kind} /> ${e.message}</li>`,
        )}</ol>
        <p class="help">The last ${info.history ? info.history.perApp : 50} events of this app, kept in drover's memory (lost on restart).</p>`
      : html`<p>Nothing recorded since drover started.</p>`}

    ${detail && detail.source ? html`<h2>Source</h2><${SourceView} source=${detail.source} />` : ''}
    ${detail && detail.job
      ? html`<details><summary><h2 class="inline">Rendered job</h2></summary><pre class="job" tabindex="0">${JSON.stringify(detail.job, null, 2)}</pre></details>`
      : ''}
    ${detail && detail.notes.length ? html`<ul class="notes">${detail.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
  </article>`;
}

// ---------- held prunes and broken files ----------

function normalisePrune(x) {
  const p = x.pruning ?? x;
  return { namespace: x.namespace, name: x.name, reason: p.reason ?? '', revision: p.revision, heldSince: p.heldSince };
}

function PrunesPage({ apps, brokenFiles, info, token }) {
  const [served, setServed] = useState(null);
  const [result, setResult] = useState(null);
  const stamp = apps.filter((a) => heldPrune(a)).map(key).join(',');
  useEffect(() => {
    getJson('/prunes')
      .then((j) => setServed((Array.isArray(j) ? j : j.prunes ?? j.items ?? []).map(normalisePrune)))
      .catch(() => setServed(null));
  }, [stamp]);
  const held = served ?? apps.filter((a) => heldPrune(a)).map((a) => ({ namespace: a.namespace, name: a.name, ...heldPrune(a) }));
  const stopped = apps.filter((a) => a.pruning && a.pruning.state === 'stopped');
  const invalid = apps.filter((a) => a.sync === 'Invalid');
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Prunes and broken files</h1>
    <h2>Held prunes</h2>
    <p class="help">Managed jobs no app declares any more, whose stop a safety rule holds back. Approving one stops it (never purges); it needs the admin token.</p>
    <${ActionResult} result=${result} />
    ${held.length
      ? html`<table data-testid="held-prunes"><caption>Waiting for a person</caption><thead><tr><th scope="col">Job</th><th scope="col">Reason</th><th scope="col">Revision</th><th scope="col">Held since</th><th scope="col">Action</th></tr></thead>
          <tbody>${held.map(
            (p) => html`<tr data-app=${key(p)}><th scope="row"><a href=${appHref(p)}>${key(p)}</a></th><td>${p.reason}</td><td><code>${short(p.revision) || '–'}</code></td><td>${p.heldSince ?? '–'}</td>
              <td><${ActionButton} label=${`Approve prune of ${key(p)}`} path=${`/apps/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.name)}/approve-prune`} token=${token} adminEnabled=${info.adminEnabled} onResult=${setResult} /></td></tr>`,
          )}</tbody></table>`
      : html`<p>No prune is held.</p>`}
    ${stopped.length ? html`<h2>Stopped by prune</h2><ul>${stopped.map((a) => html`<li><a href=${appHref(a)}>${key(a)}</a></li>`)}</ul>` : ''}
    <h2>Broken files</h2>
    ${brokenFiles === undefined
      ? html`<p>This drover does not list broken files; invalid apps are below.</p>`
      : brokenFiles.length
        ? html`<table data-testid="broken-files"><caption>Files of the current revision that failed to parse (their apps' jobs are left alone)</caption><thead><tr><th scope="col">File</th><th scope="col">Line</th><th scope="col">Reason</th></tr></thead>
            <tbody>${brokenFiles.map((f) => html`<tr><td><code>${f.file}</code></td><td>${f.line ?? ''}</td><td>${f.reason}</td></tr>`)}</tbody></table>`
        : html`<p>No broken file.</p>`}
    <h2>Invalid apps</h2>
    ${invalid.length
      ? html`<ul>${invalid.map((a) => html`<li><a href=${appHref(a)}>${key(a)}</a>: <code>${(a.problems || [])[0] ?? ''}</code></li>`)}</ul>`
      : html`<p>None.</p>`}
  </section>`;
}

// ---------- recent activity ----------

function ActivityPage({ events }) {
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Activity</h1>
    ${events.length
      ? html`<ol class="history" data-testid="activity">${events.map(
          (e) => html`<li><time datetime=${e.at}>${e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time> <a href=${appHref(e)}>${key(e)}</a> <${Badge} kind="event" value=${e.kind} /> ${e.message}</li>`,
        )}</ol>`
      : html`<p>Nothing recorded since drover started.</p>`}
  </section>`;
}

// ---------- the root: data, SSE, routing ----------

function App() {
  const [route, setRoute] = useState(parseRoute(location.hash));
  const [apps, setApps] = useState([]);
  const [meta, setMeta] = useState({ revision: null, leader: null, brokenFiles: undefined });
  const [info, setInfo] = useState({ adminEnabled: undefined });
  const [events, setEvents] = useState([]);
  const [historyTick, setHistoryTick] = useState(0);
  const [live, setLive] = useState(false);
  const [loadError, setLoadError] = useState('');
  const [token, setTokenState] = useState(sessionStorage.getItem(TOKEN_KEY) || '');
  const [now, setNow] = useState(Date.now());
  const routeRef = useRef(route);
  routeRef.current = route;

  const setToken = useCallback((t) => {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
    setTokenState(t);
  }, []);

  const loadApps = useCallback(async () => {
    try {
      const j = await getJson('/apps');
      setApps(j.apps);
      setMeta({ revision: j.revision, leader: j.leader, brokenFiles: j.brokenFiles });
      setLoadError('');
    } catch (e) {
      setLoadError(`drover did not answer /apps: ${e.message}`);
    }
  }, []);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    const tick = setInterval(() => setNow(Date.now()), 10_000);
    getJson('/ui/api/info').then(setInfo).catch(() => {});
    getJson('/ui/api/history?limit=200').then((j) => setEvents(j.events)).catch(() => {});
    loadApps();
    const es = new EventSource('/ui/events');
    es.addEventListener('open', () => setLive(true));
    es.addEventListener('error', () => setLive(false));
    es.addEventListener('hello', () => {
      setLive(true);
      loadApps(); // whatever happened while disconnected
    });
    es.addEventListener('revision', () => loadApps());
    es.addEventListener('app', (m) => {
      const d = JSON.parse(m.data);
      setApps((list) => {
        if (d.gone) return list.filter((a) => !(a.namespace === d.namespace && a.name === d.name));
        const k = key(d.status);
        const i = list.findIndex((a) => key(a) === k);
        if (i < 0) return [...list, d.status].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
        const next = list.slice();
        next[i] = d.status;
        return next;
      });
    });
    es.addEventListener('history', (m) => {
      const { event } = JSON.parse(m.data);
      setEvents((list) => [event, ...list].slice(0, 200));
      const r = routeRef.current;
      if (r.page === 'app' && r.namespace === event.namespace && r.name === event.name) setHistoryTick((n) => n + 1);
    });
    return () => {
      es.close();
      clearInterval(tick);
      removeEventListener('hashchange', onHash);
    };
  }, []);

  // Move focus to the page's heading on navigation, so keyboard and screen-reader users land on it.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const el = document.getElementById('page-title');
    if (el) el.focus();
  }, [route.page, route.namespace, route.name]);

  const title = route.page === 'app' ? `${route.namespace}/${route.name}` : route.page === 'prunes' ? 'Prunes and broken files' : route.page === 'activity' ? 'Activity' : 'Apps';
  useEffect(() => {
    document.title = `${title} · drover`;
  }, [title]);

  let page;
  if (route.page === 'app') page = html`<${AppPage} route=${route} apps=${apps} info=${info} token=${token} historyTick=${historyTick} />`;
  else if (route.page === 'prunes') page = html`<${PrunesPage} apps=${apps} brokenFiles=${meta.brokenFiles} info=${info} token=${token} />`;
  else if (route.page === 'activity') page = html`<${ActivityPage} events=${events} />`;
  else page = html`<${AppList} apps=${apps} now=${now} />`;

  return html`<${Header} route=${route} live=${live} revision=${meta.revision} leader=${meta.leader} token=${token} setToken=${setToken} adminEnabled=${info.adminEnabled} />
    <main id="main">
      ${loadError ? html`<p class="callout error" role="alert">${loadError}</p>` : ''}
      ${page}
    </main>`;
}

const root = document.getElementById('root');
root.textContent = ''; // the static fallback of index.html
render(html`<${App} />`, root);
