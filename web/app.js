// The slipway dashboard: a single page over the server's REST API (/api/v1). Routes live in the
// URL's hash (#/runs, #/runs/ID, #/compare?runs=A,B, #/sweeps/ID, ...). The API token is kept in
// the browser's localStorage and sent as a Bearer token.
'use strict';

const view = document.getElementById('view');
// Charts redraw on every live refresh: without animation they show the data at once (and a
// screenshot never catches one half drawn).
Chart.defaults.animation = false;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
let timers = [];
let charts = [];

function clearPage() {
  timers.forEach(clearInterval);
  timers = [];
  charts.forEach(c => c.destroy());
  charts = [];
}

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}
function num(v) { return typeof v === 'number' && !Number.isInteger(v) ? String(+v.toPrecision(5)) : esc(v); }
function badge(state) { return `<span class="state state-${esc(state)}">${esc(state)}</span>`; }
function when(ms) { return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '-'; }
function duration(ms) {
  if (!ms) return '-';
  const s = ms / 1000;
  return s < 60 ? s.toFixed(1) + ' s' : s < 3600 ? (s / 60).toFixed(1) + ' min' : (s / 3600).toFixed(1) + ' h';
}

async function api(path, options = {}, base = '/api/v1') {
  const headers = Object.assign({}, options.headers || {});
  const token = localStorage.getItem('slipway-token');
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const res = await fetch(base + path, Object.assign({}, options, {headers}));
  if (res.status === 401) {
    location.hash = '#/login';
    throw new Error('sign in with an API token');
  }
  const type = res.headers.get('Content-Type') || '';
  const body = type.startsWith('application/json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error((body && body.error) || res.statusText);
  return body;
}

function fail(e) { view.insertAdjacentHTML('afterbegin', `<div class="alert alert-danger" role="alert">${esc(e.message)}</div>`); }

// ---- sign in ----
function loginPage() {
  view.innerHTML = `
    <div class="row justify-content-center"><div class="col-md-6">
      <h4>Sign in</h4>
      <p class="text-muted">Paste an API token (<code>slipway server token create --namespace NS</code>).</p>
      <form id="login-form">
        <input class="form-control mb-2" id="token-input" type="password" placeholder="slw_..." autocomplete="off">
        <button class="btn btn-primary" id="login-button" type="submit">Sign in</button>
      </form>
      <div id="login-error" class="text-danger mt-2"></div>
    </div></div>`;
  document.getElementById('login-form').onsubmit = async ev => {
    ev.preventDefault();
    localStorage.setItem('slipway-token', document.getElementById('token-input').value.trim());
    try {
      await whoami();
      location.hash = '#/runs';
    } catch (e) {
      document.getElementById('login-error').textContent = e.message;
    }
  };
}

async function whoami() {
  const w = await api('/whoami');
  document.getElementById('whoami').textContent = `namespace ${w.namespace}${w.admin ? ' (admin)' : ''}`;
  return w;
}

// ---- runs ----
async function runsPage(query) {
  const f = {state: query.get('state') || '', experiment: query.get('experiment') || '', pipeline: query.get('pipeline') || '', schedule: query.get('schedule') || ''};
  view.innerHTML = `
    <div class="d-flex align-items-end gap-2 mb-3 flex-wrap">
      <h4 class="me-auto mb-0">Runs</h4>
      <select class="form-select form-select-sm w-auto" id="filter-state">
        ${['', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'].map(s => `<option value="${s}" ${s === f.state ? 'selected' : ''}>${s || 'any state'}</option>`).join('')}
      </select>
      <input class="form-control form-control-sm w-auto" id="filter-pipeline" placeholder="pipeline" value="${esc(f.pipeline)}">
      <input class="form-control form-control-sm w-auto" id="filter-experiment" placeholder="experiment" value="${esc(f.experiment)}">
      <button class="btn btn-sm btn-secondary" id="filter-apply">Filter</button>
      <button class="btn btn-sm btn-primary" id="compare-button" disabled>Compare selected</button>
    </div>
    <table class="table table-sm table-hover" id="runs-table">
      <thead><tr><th></th><th>Run</th><th>Pipeline</th><th>State</th><th>Created</th><th>Duration</th><th>Experiment</th><th>Namespace</th></tr></thead>
      <tbody></tbody>
    </table>
    <button class="btn btn-sm btn-outline-secondary" id="next-page" hidden>Older runs</button>`;
  document.getElementById('filter-apply').onclick = () => {
    const q = new URLSearchParams();
    for (const k of ['state', 'pipeline', 'experiment']) {
      const v = document.getElementById('filter-' + k).value.trim();
      if (v) q.set(k, v);
    }
    location.hash = '#/runs?' + q.toString();
  };
  const selected = new Set();
  const compare = document.getElementById('compare-button');
  compare.onclick = () => { location.hash = '#/compare?runs=' + [...selected].join(','); };
  const tbody = view.querySelector('#runs-table tbody');
  let token = '';
  async function load(append) {
    const q = new URLSearchParams({page_size: '50'});
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    if (append && token) q.set('page_token', token);
    const page = await api('/runs?' + q.toString());
    const rows = page.runs.map(r => `
      <tr data-run="${esc(r.id)}">
        <td><input type="checkbox" class="form-check-input compare-box" value="${esc(r.id)}" ${selected.has(r.id) ? 'checked' : ''}></td>
        <td><a href="#/runs/${encodeURIComponent(r.id)}">${esc(r.id)}</a></td><td>${esc(r.pipeline)}</td><td>${badge(r.state)}</td>
        <td>${when(r.created_ms)}</td><td>${duration(r.duration_ms)}</td><td>${esc(r.experiment)}</td><td>${esc(r.namespace)}</td>
      </tr>`).join('');
    if (append) tbody.insertAdjacentHTML('beforeend', rows); else tbody.innerHTML = rows;
    token = page.next_page_token || '';
    document.getElementById('next-page').hidden = !token;
    tbody.querySelectorAll('.compare-box').forEach(b => b.onchange = () => {
      b.checked ? selected.add(b.value) : selected.delete(b.value);
      compare.disabled = selected.size < 2;
    });
  }
  document.getElementById('next-page').onclick = () => load(true).catch(fail);
  await load(false);
}

// ---- one run ----
// A run's logged metrics: the points over steps of each task.metric logged at steps (a trainer's
// loss every few steps), and the final value of each (the last one logged, or a Metrics
// artifact's value, which has no step). One point is a value, not a curve.
function metricSeries(metrics) {
  const series = {}, finals = {};
  for (const x of metrics) {
    const key = x.task + '.' + x.name;
    finals[key] = x.value;
    if (x.step > 0) (series[key] = series[key] || []).push({x: x.step, y: x.value});
  }
  for (const k of Object.keys(series)) {
    if (series[k].length < 2) delete series[k];
    else series[k].sort((a, b) => a.x - b.x);
  }
  return {series, finals};
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7'];

// One line chart per metric, over steps, as TensorBoard draws them: metrics of different units
// (a loss, a learning rate, a throughput) never share an axis. `groups` is
// {metric: {series label: points}}: one series on a run's page, one per run when comparing.
function metricCharts(container, groups) {
  charts.filter(c => container.contains(c.canvas)).forEach(c => c.destroy());
  charts = charts.filter(c => !container.contains(c.canvas));
  const names = Object.keys(groups).sort();
  container.innerHTML = names.map((n, i) => `
    <div class="col-md-6"><div class="small text-muted">${esc(n)}</div><div class="chart-box chart-small"><canvas data-metric="${esc(n)}"></canvas></div></div>`).join('');
  container.querySelectorAll('canvas[data-metric]').forEach(canvas => {
    const lines = groups[canvas.dataset.metric];
    charts.push(new Chart(canvas, {
      type: 'line',
      data: {datasets: Object.entries(lines).map(([label, data], i) => ({
        label, data, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: data.length > 50 ? 0 : 2, borderWidth: 1.5, fill: false}))},
      options: {maintainAspectRatio: false,
                plugins: {legend: {display: Object.keys(lines).length > 1}},
                scales: {x: {type: 'linear', title: {display: true, text: 'step'}}}}
    }));
  });
}

async function runPage(id) {
  view.innerHTML = `
    <div class="d-flex align-items-center gap-2 mb-2">
      <h4 class="mb-0 me-2" id="run-title">${esc(id)}</h4><span id="run-state"></span>
      <span class="text-muted ms-2" id="run-meta"></span>
      <button class="btn btn-sm btn-outline-danger ms-auto" id="cancel-run">Cancel</button>
      <button class="btn btn-sm btn-outline-primary" id="retry-run">Retry</button>
    </div>
    <div class="row">
      <div class="col-lg-7"><div class="card mb-3"><div class="card-header">DAG</div><div class="card-body" id="dag"></div></div></div>
      <div class="col-lg-5"><div class="card mb-3"><div class="card-header">Tasks</div>
        <table class="table table-sm mb-0" id="tasks-table"><thead><tr><th>Task</th><th>State</th><th>Attempts</th><th>Duration</th></tr></thead><tbody></tbody></table></div></div>
    </div>
    <div class="card mb-3"><div class="card-header">Log <span id="log-task" class="text-muted"></span></div><pre id="log-output" class="mb-0">Click a task to read its log.</pre></div>
    <div class="row">
      <div class="col-lg-6"><div class="card mb-3"><div class="card-header">Metrics</div><div class="card-body"><div class="row" id="metric-charts"></div>
        <table class="table table-sm mb-0" id="final-metrics"><tbody></tbody></table></div></div></div>
      <div class="col-lg-6"><div class="card mb-3"><div class="card-header">Artifacts</div>
        <table class="table table-sm mb-0" id="artifacts-table"><thead><tr><th>Task</th><th>Name</th><th>Type</th><th>Size</th><th>Lineage</th></tr></thead><tbody></tbody></table>
        <div class="card-body" id="lineage"></div></div></div>
    </div>`;
  const enc = encodeURIComponent(id);
  let last = '';
  let following = null;
  async function refresh() {
    const run = await api('/runs/' + enc);
    document.getElementById('run-state').innerHTML = badge(run.state);
    document.getElementById('run-meta').textContent = `${run.pipeline} · ${run.backend} · ${run.namespace} · ${run.experiment}`;
    const shape = JSON.stringify(run.tasks.map(t => [t.name, t.state, t.attempts]));
    if (shape !== last) {
      last = shape;
      const dag = await api('/runs/' + enc + '/dag');
      const box = document.getElementById('dag');
      box.innerHTML = dag.slice(dag.indexOf('<svg'));
      box.querySelectorAll('g.node').forEach(g => {
        const name = g.querySelector('title').textContent;
        g.onclick = () => followLog(name);
      });
      view.querySelector('#tasks-table tbody').innerHTML = run.tasks.map(t => `
        <tr data-task="${esc(t.name)}"><td><a href="#" class="task-link">${esc(t.name)}</a></td><td>${badge(t.state)}${t.cached ? ' <small>cached</small>' : ''}</td>
        <td>${t.attempts}</td><td>${t.started && t.finished ? duration(Date.parse(t.finished) - Date.parse(t.started)) : '-'}</td></tr>`).join('');
      view.querySelectorAll('#tasks-table tr[data-task]').forEach(tr => tr.querySelector('a').onclick = ev => {
        ev.preventDefault();
        followLog(tr.dataset.task);
      });
    }
    if (TERMINAL.has(run.state)) {
      timers.forEach(clearInterval);
      timers = [];
      if (following) timers.push(setInterval(() => following().catch(() => {}), 1000));
      await Promise.all([metrics(), artifacts()]);
    }
    return run;
  }
  function followLog(task) {
    const out = document.getElementById('log-output');
    document.getElementById('log-task').textContent = '· ' + task;
    out.textContent = '';
    let offset = 0;
    let done = false;
    following = async () => {
      if (done) return;
      const chunk = await api(`/runs/${enc}/tasks/${encodeURIComponent(task)}/logs?offset=${offset}`);
      out.textContent += chunk.data;
      if (chunk.message) out.textContent += chunk.message + '\n';
      offset = chunk.next_offset;
      done = chunk.complete;
      out.scrollTop = out.scrollHeight;
    };
    following().catch(fail);
  }
  async function metrics() {
    const m = await api('/runs/' + enc + '/metrics');
    const {series, finals} = metricSeries(m.metrics);
    view.querySelector('#final-metrics tbody').innerHTML = Object.entries(finals).map(([k, v]) =>
      `<tr><th>${esc(k)}</th><td>${num(v)}</td></tr>`).join('');
    // Redrawn while the run trains, so its curves grow live.
    const groups = Object.fromEntries(Object.entries(series).map(([k, points]) => [k, {[k]: points}]));
    metricCharts(view.querySelector('#metric-charts'), groups);
  }
  async function artifacts() {
    const a = await api('/runs/' + enc + '/artifacts');
    view.querySelector('#artifacts-table tbody').innerHTML = a.artifacts.map(x => `
      <tr data-artifact="${x.id}"><td>${esc(x.task)}</td><td><a href="#" class="download">${esc(x.name)}</a></td><td>${esc(x.type)}</td><td>${x.size}</td>
      <td><a href="#" class="lineage-link">show</a></td></tr>`).join('');
    view.querySelectorAll('#artifacts-table tr[data-artifact]').forEach(tr => {
      const aid = tr.dataset.artifact;
      tr.querySelector('.lineage-link').onclick = async ev => {
        ev.preventDefault();
        const d = await api('/artifacts/' + aid);
        document.getElementById('lineage').innerHTML = `<b>${esc(d.name)}</b> <code>${esc(d.sha256.slice(0, 12))}</code><ul>` +
          d.lineage.map(e => `<li>${e.direction === 'output' ? 'written by' : 'read by'} <a href="#/runs/${encodeURIComponent(e.run)}">${esc(e.run)}</a> / ${esc(e.task)} (${esc(e.name)})</li>`).join('') + '</ul>';
      };
      tr.querySelector('.download').onclick = async ev => {
        ev.preventDefault();
        const res = await fetch('/api/v1/artifacts/' + aid + '/content', {headers: {Authorization: 'Bearer ' + (localStorage.getItem('slipway-token') || '')}});
        if (!res.ok) return fail(new Error((await res.json()).error));
        const url = URL.createObjectURL(await res.blob());
        const link = Object.assign(document.createElement('a'), {href: url, download: tr.children[1].textContent});
        link.click();
        URL.revokeObjectURL(url);
      };
    });
  }
  document.getElementById('cancel-run').onclick = () => api('/runs/' + enc + '/cancel', {method: 'POST'}).then(refresh).catch(fail);
  document.getElementById('retry-run').onclick = () => api('/runs/' + enc + '/retry', {method: 'POST'}).then(() => { last = ''; timers.push(setInterval(() => refresh().catch(fail), 2000)); }).catch(fail);
  const run = await refresh();
  // Live: the DAG and the task table follow the run until it finishes; the open log follows too.
  if (!TERMINAL.has(run.state)) timers.push(setInterval(() => refresh().then(() => following && following()).catch(fail), 2000));
}

// ---- compare ----
async function comparePage(query) {
  const data = await api('/compare?runs=' + encodeURIComponent(query.get('runs') || ''));
  const runs = data.runs;
  const keys = kind => [...new Set(runs.flatMap(r => Object.keys(r[kind] || {})))].sort();
  const row = (label, values) => {
    const differ = new Set(values.map(v => JSON.stringify(v))).size > 1;
    return `<tr class="${differ ? 'diff' : ''}"><th>${esc(label)}</th>${values.map(v => `<td>${esc(typeof v === 'number' ? +v.toPrecision(6) : v ?? '-')}</td>`).join('')}</tr>`;
  };
  const metricNames = keys('metrics');
  view.innerHTML = `
    <h4>Compare runs</h4>
    <table class="table table-sm" id="compare-table">
      <thead><tr><th></th>${runs.map(r => `<th><a href="#/runs/${encodeURIComponent(r.id)}">${esc(r.id)}</a></th>`).join('')}</tr></thead>
      <tbody>
        ${row('state', runs.map(r => r.state))}
        ${row('duration', runs.map(r => duration(r.duration_ms)))}
        ${keys('params').map(k => row('param ' + k, runs.map(r => r.params[k]))).join('')}
        ${metricNames.map(k => row(k, runs.map(r => r.metrics[k]))).join('')}
      </tbody>
    </table>
    <div class="row" id="compare-charts"></div>`;
  // Curves: a chart per metric, a line per run.
  const groups = {};
  for (const r of runs) {
    const m = await api('/runs/' + encodeURIComponent(r.id) + '/metrics');
    for (const [k, points] of Object.entries(metricSeries(m.metrics).series))
      (groups[k] = groups[k] || {})[r.id] = points;
  }
  metricCharts(view.querySelector('#compare-charts'), groups);
}

// ---- catalog pages ----
async function tablePage(title, id, head, rows) {
  view.innerHTML = `<h4>${esc(title)}</h4><table class="table table-sm" id="${id}"><thead><tr>${head.map(h => `<th>${esc(h)}</th>`).join('')}</tr></thead>
    <tbody>${rows.map(r => `<tr>${r.map(c => `<td>${c}</td>`).join('')}</tr>`).join('') || `<tr><td colspan="${head.length}" class="text-muted">none yet</td></tr>`}</tbody></table>`;
}

async function experimentsPage() {
  const d = await api('/experiments');
  await tablePage('Experiments', 'experiments-table', ['Experiment', 'Namespace', 'Description', 'Created'],
    d.experiments.map(e => [`<a href="#/runs?experiment=${encodeURIComponent(e.name)}">${esc(e.name)}</a>`, esc(e.namespace), esc(e.description), when(e.created_ms)]));
}

async function schedulesPage() {
  const d = await api('/schedules');
  await tablePage('Recurring runs', 'schedules-table', ['Schedule', 'Name', 'When', 'Max concurrency', 'Catch-up', 'Enabled', 'Next', 'Last fired', 'Note'],
    d.schedules.map(s => [`<a href="#/runs?schedule=${encodeURIComponent(s.id)}">${esc(s.id)}</a>`, esc(s.name), esc(s.cron || 'every ' + s.interval_s + ' s'),
      s.max_concurrency, s.catch_up ? 'yes' : 'no', s.enabled ? 'yes' : 'no', esc(s.next_fire || '-'), esc(s.last_fired || '-'), esc(s.message)]));
}

async function modelsPage() {
  const d = await api('/models');
  await tablePage('Models', 'models-table', ['Model', 'Version', 'Stage', 'Run', 'Metrics', 'Registered'],
    d.versions.map(v => [esc(v.name), v.version, badge(v.stage), v.run ? `<a href="#/runs/${encodeURIComponent(v.run)}">${esc(v.run)}</a>` : '-',
      esc(Object.entries(v.metrics || {}).map(([k, x]) => `${k}=${typeof x === 'number' ? x.toPrecision(4) : x}`).join(' ')), when(v.created_ms)]));
}

async function sweepsPage() {
  const d = await api('/sweeps');
  await tablePage('Sweeps', 'sweeps-table', ['Sweep', 'Name', 'State', 'Created'],
    d.sweeps.map(s => [`<a href="#/sweeps/${encodeURIComponent(s.id)}">${esc(s.id)}</a>`, esc(s.name), badge(s.state), when(s.created_ms)]));
}

async function sweepPage(id) {
  const s = await api('/sweeps/' + encodeURIComponent(id));
  const params = s.parameter_names;
  view.innerHTML = `
    <h4>${esc(s.name)} <small class="text-muted">${esc(s.id)} · ${esc(s.algorithm)} · ${esc(s.objective.type)} ${esc(s.objective.metric)}</small> ${badge(s.state)}</h4>
    <div class="row">
      <div class="col-lg-6"><div class="card mb-3"><div class="card-header">Best so far</div><div class="card-body"><div class="chart-box"><canvas id="best-chart"></canvas></div></div></div></div>
      <div class="col-lg-6"><div class="card mb-3"><div class="card-header">Parallel coordinates</div><div class="card-body"><div class="chart-box"><canvas id="parallel-chart"></canvas></div></div></div></div>
    </div>
    <table class="table table-sm" id="trials-table"><thead><tr><th>Trial</th><th>State</th>${params.map(p => `<th>${esc(p)}</th>`).join('')}<th>${esc(s.objective.metric)}</th><th>Run</th></tr></thead>
      <tbody>${s.trials.map(t => `<tr class="${s.best_trial && s.best_trial.number === t.number ? 'table-success' : ''}"><td>${t.number}</td><td>${badge(t.state)}</td>
        ${params.map(p => `<td>${num(t.parameters[p])}</td>`).join('')}<td>${t.objective === null ? '-' : num(t.objective)}</td>
        <td>${t.run ? `<a href="#/runs/${encodeURIComponent(t.run)}">${esc(t.run)}</a>` : '-'}</td></tr>`).join('')}</tbody></table>`;
  charts.push(new Chart(document.getElementById('best-chart'), {
    type: 'line',
    data: {labels: s.trials.map(t => t.number), datasets: [
      {label: 'objective', data: s.trials.map(t => t.objective), showLine: false, pointBackgroundColor: '#999'},
      {label: 'best so far', data: s.best_so_far, stepped: true, borderColor: '#e15759', pointRadius: 0}]},
    options: {maintainAspectRatio: false}
  }));
  // One line per finished trial across its parameters' unit-cube positions and the objective
  // (scaled to [0, 1]); the darker, the better.
  const done = s.trials.filter(t => t.objective !== null);
  const objs = done.map(t => t.objective);
  const lo = Math.min(...objs), hi = Math.max(...objs);
  const better = t => hi === lo ? 1 : (s.objective.type === 'maximize' ? (t.objective - lo) / (hi - lo) : (hi - t.objective) / (hi - lo));
  charts.push(new Chart(document.getElementById('parallel-chart'), {
    type: 'line',
    data: {labels: [...params, s.objective.metric], datasets: done.map(t => ({
      label: 'trial ' + t.number, data: [...t.point, hi === lo ? 0.5 : (t.objective - lo) / (hi - lo)],
      borderColor: `rgba(78, 121, 167, ${0.15 + 0.85 * better(t)})`, pointRadius: 2, fill: false}))},
    options: {maintainAspectRatio: false, plugins: {legend: {display: false}}, scales: {y: {min: 0, max: 1, title: {display: true, text: 'position in range'}}}}
  }));
}

// The links kfp.Client prints: #/experiments/details/ID and #/pipelines/details/ID[/version/V]
// (#/runs/details/ID is the run page). An experiment's link shows its runs.
async function experimentLink(id) {
  const e = (await api('/experiments')).experiments.find(x => x.id === id);
  if (!e) throw new Error(`no experiment with id ${id}`);
  location.replace('#/runs?experiment=' + encodeURIComponent(e.name));
}

async function pipelinePage(id) {
  const p = await api('/pipelines/' + encodeURIComponent(id), {}, '/apis/v2beta1');
  const v = await api('/pipelines/' + encodeURIComponent(id) + '/versions?page_size=100&sort_by=created_at%20desc', {}, '/apis/v2beta1');
  await tablePage(`Pipeline ${p.display_name}`, 'pipeline-versions', ['Version', 'Id', 'Description', 'Created'],
    (v.pipeline_versions || []).map(x => [esc(x.display_name), `<code>${esc(x.pipeline_version_id)}</code>`, esc(x.description), esc(x.created_at.slice(0, 19).replace('T', ' '))]));
  view.insertAdjacentHTML('beforeend', `<p class="text-muted">Namespace ${esc(p.namespace)}; pipeline id <code>${esc(p.pipeline_id)}</code>.</p>`);
}

async function topologyPage() {
  const svg = await api('/topology');
  view.innerHTML = `<h4>Topology of the server's machine</h4><div id="topology">${svg.slice(svg.indexOf('<svg'))}</div>`;
}

// ---- router ----
async function route() {
  clearPage();
  const hash = location.hash || '#/runs';
  const [path, qs] = hash.slice(1).split('?');
  const query = new URLSearchParams(qs || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  document.querySelectorAll('.nav-link').forEach(a => a.classList.toggle('active', a.getAttribute('href') === '#/' + parts[0]));
  try {
    if (parts[0] === 'login') return loginPage();
    await whoami();
    if (parts[0] === 'runs' && parts[1] === 'details' && parts[2]) return await runPage(parts[2]);
    if (parts[0] === 'runs' && parts[1]) return await runPage(parts[1]);
    if (parts[0] === 'experiments' && parts[1] === 'details' && parts[2]) return await experimentLink(parts[2]);
    if (parts[0] === 'pipelines' && parts[1] === 'details' && parts[2]) return await pipelinePage(parts[2]);
    if (parts[0] === 'compare') return await comparePage(query);
    if (parts[0] === 'experiments') return await experimentsPage();
    if (parts[0] === 'schedules') return await schedulesPage();
    if (parts[0] === 'models') return await modelsPage();
    if (parts[0] === 'sweeps' && parts[1]) return await sweepPage(parts[1]);
    if (parts[0] === 'sweeps') return await sweepsPage();
    if (parts[0] === 'topology') return await topologyPage();
    return await runsPage(query);
  } catch (e) {
    if (location.hash !== '#/login') fail(e);
  }
}

document.getElementById('logout').onclick = () => {
  localStorage.removeItem('slipway-token');
  location.hash = '#/login';
};
window.addEventListener('hashchange', route);
route();
