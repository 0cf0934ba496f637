/* global document, fetch */
// Boots the page: reads the demo config and the scenario table from the server, then wires the scenarios, the chat
// and the dashboard together. The one piece of shared state is whether this browser's IP is banned: the banner, the
// scenario buttons and the chat's reconnection all follow it.

import { createAdminApi } from './admin-api.js';
import { createChat } from './chat.js';
import { createDashboard } from './dashboard.js';
import { byId, fill, formatLeft, h, randomSuffix } from './dom.js';
import { RUNNERS } from './scenarios.js';
import { closeAll } from './sockets.js';

/** Scenario sockets outlive the guard's short-session mark by this much, so only the churn scenario counts as churn. */
const HOLD_MARGIN_MS = 200;

async function boot() {
  const config = await (await fetch('/demo/config.json', { cache: 'no-store' })).json();
  const { limits, clientIp } = config;
  const ipKey = `ip:${clientIp}`;

  fill(byId('facts'), config.facts.map((f) => h('li', {}, h('b', {}, f.label), f.value)));
  byId('config-json').textContent = JSON.stringify(config.config, null, 2);

  const api = createAdminApi();
  let myBan = null;
  let running = false;

  const chat = createChat({
    onClosedByGuard: () => void dashboard.refresh(),
  });

  const dashboard = createDashboard({
    api,
    onBans(bans, skew) {
      const now = Date.now() + skew;
      myBan = bans.find((b) => b.key === ipKey && (b.expiresAt === null || b.expiresAt > now)) ?? null;
      const banner = byId('ban-banner');
      banner.hidden = myBan === null;
      if (myBan) {
        byId('ban-text').textContent =
          `This browser (${clientIp}) is banned${myBan.expiresAt === null ? '' : ` for ${formatLeft(myBan.expiresAt - now)} more`}: ` +
          'the guard refuses every socket from it, so the scenarios wait.';
      }
      document.body.dataset.banned = String(myBan !== null);
      updateButtons();
      // The ban is over (lifted or expired): the chat the guard closed comes back.
      if (!myBan && !chat.connected && chat.blockedBy === 'banned') {
        chat.note('The ban is over: reconnecting.');
        void chat.connect();
      }
    },
  });

  // Scenarios
  const rows = new Map();
  const list = byId('scenarios');
  for (const scenario of config.scenarios) {
    const run = h('button', { type: 'button', className: 'button button-primary', 'aria-label': `Run: ${scenario.title}` }, 'Run');
    const outcome = h('dd', { className: 'outcome' }, '—');
    const badge = h('span', { className: 'pill status-badge', role: 'status' }, '');
    const row = h(
      'li',
      { className: 'scenario', dataset: { scenario: scenario.id, status: 'idle', codes: '' } },
      h(
        'div',
        {},
        h('div', { className: 'scenario-title' }, h('h3', {}, scenario.title), badge),
        h('p', { className: 'scenario-does' }, scenario.does),
        h('dl', { className: 'compare' }, h('dt', {}, 'Expected'), h('dd', {}, scenario.expected), h('dt', {}, 'Outcome'), outcome),
      ),
      h('div', { className: 'scenario-actions' }, run),
    );
    if (scenario.id === 'reconnect') {
      const lift = h('button', { type: 'button', className: 'button button-danger lift-ban', hidden: true }, 'Lift ban');
      lift.addEventListener('click', () => void liftMyBan());
      row.lastElementChild.append(lift);
    }
    run.addEventListener('click', () => void runScenarios([scenario.id]));
    list.append(row);
    rows.set(scenario.id, { row, run, outcome, badge, scenario });
  }

  function updateButtons() {
    for (const { run } of rows.values()) run.disabled = running || myBan !== null;
    byId('run-all').disabled = running || myBan !== null;
    byId('reset').disabled = running;
    for (const lift of document.querySelectorAll('.lift-ban')) lift.hidden = myBan === null;
  }

  function setRow(id, status, outcomeText, codes) {
    const { row, outcome, badge } = rows.get(id);
    row.dataset.status = status;
    row.dataset.codes = codes ? [...codes].join(' ') : '';
    badge.textContent = { idle: '', running: 'running', pass: 'as expected', fail: 'unexpected' }[status];
    outcome.textContent = outcomeText;
  }

  const ctx = {
    limits,
    clientIp,
    holdMs: limits.shortSessionMs + HOLD_MARGIN_MS,
    user: (prefix) => `${prefix}-${randomSuffix()}`,
    refreshBans: () => dashboard.refresh(),
    banOf: (key) => dashboard.banOf(key),
  };

  async function runScenarios(ids) {
    if (running) return;
    running = true;
    updateButtons();
    const runAll = byId('run-all');
    try {
      for (const [index, id] of ids.entries()) {
        if (myBan) break;
        if (ids.length > 1) runAll.textContent = `Running ${index + 1} of ${ids.length}…`;
        setRow(id, 'running', 'running…');
        try {
          const result = await RUNNERS[id](ctx);
          setRow(id, result.pass ? 'pass' : 'fail', result.outcome, result.codes);
        } catch (error) {
          setRow(id, 'fail', `error: ${error && error.message ? error.message : String(error)}`);
        }
        await dashboard.refresh();
      }
    } finally {
      running = false;
      runAll.textContent = 'Run all';
      updateButtons();
    }
  }

  async function liftMyBan() {
    try {
      await api.liftBan(ipKey);
    } finally {
      await dashboard.refresh();
    }
  }

  byId('ban-lift').addEventListener('click', () => void liftMyBan());
  byId('run-all').addEventListener('click', () => void runScenarios([...rows.keys()]));
  byId('reset').addEventListener('click', async () => {
    if (running) return;
    const reset = byId('reset');
    reset.disabled = true;
    try {
      closeAll();
      const { bans } = await api.bans();
      for (const ban of bans) await api.liftBan(ban.key);
      // Lifts a ban on this address if any, and forgets its abuse windows and throttle either way.
      await api.forgetIp(clientIp);
      for (const id of rows.keys()) setRow(id, 'idle', '—');
      dashboard.clearEvents();
      chat.note('Demo reset: bans lifted, scenario sockets closed, this browser’s abuse score forgotten.');
    } finally {
      reset.disabled = false;
      await dashboard.refresh();
      if (!chat.connected) void chat.connect();
    }
  });

  const streamStatus = byId('stream-status');
  dashboard.start((state) => {
    document.body.dataset.stream = state;
    streamStatus.textContent = state === 'live' ? 'Dashboard live' : 'Reconnecting…';
    streamStatus.className = `pill ${state === 'live' ? 'pill-ok' : 'pill-warn'}`;
  });
  updateButtons();
  await chat.connect();
  document.body.dataset.ready = 'true';
}

void boot();
