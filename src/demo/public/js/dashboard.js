/* global setInterval, requestAnimationFrame, performance */
// The security dashboard. Two feeds from the admin API: the live event stream (SSE, batched every 250 ms by the
// server) for the latest-events table, and a poll every second of connections, stats and bans for everything else.
// Rendering is bounded whatever the server sends: the table keeps the newest 500 events and shows at most 100 rows,
// redrawn at most once per animation frame; the chart and lists redraw once a second.

import { createChart } from './chart.js';
import { byId, categoryColor, fill, formatInt, formatLeft, formatTime, h } from './dom.js';

export const CATEGORIES = ['connection', 'rate_limit', 'csrf', 'validation', 'abuse', 'authorization', 'admin', 'system'];
const SEVERITIES = ['info', 'warning', 'high', 'critical'];
const KEPT_EVENTS = 500;
const SHOWN_ROWS = 100;
const LIST_ROWS = 8;

function top(record, limit) {
  return Object.entries(record ?? {})
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit);
}

function emptyRow(columns, text) {
  return h('tr', {}, h('td', { colSpan: columns, className: 'empty' }, text));
}

export function createDashboard({ api, onBans }) {
  const chart = createChart(byId('chart'), CATEGORIES);
  const events = [];
  let renderQueued = false;
  let previous = null;
  let bans = [];
  /** Server clock minus ours, so that "time left" counts down right even with a skewed clock. */
  let skew = 0;
  let polling = false;

  fill(
    byId('chart-legend'),
    CATEGORIES.map((c) => h('li', {}, h('span', { className: 'swatch', style: { background: categoryColor(c) } }), c.replace('_', ' '))),
  );
  const categorySelect = byId('filter-category');
  for (const c of CATEGORIES) categorySelect.append(h('option', { value: c }, c.replace('_', ' ')));
  for (const id of ['filter-category', 'filter-severity', 'filter-text']) byId(id).addEventListener('input', queueRender);

  // Latest events
  function addEvents(batch) {
    for (const event of batch) events.unshift(event);
    if (events.length > KEPT_EVENTS) events.length = KEPT_EVENTS;
    queueRender();
  }

  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      renderEvents();
    });
  }

  function renderEvents() {
    const category = byId('filter-category').value;
    const minSeverity = SEVERITIES.indexOf(byId('filter-severity').value);
    const text = byId('filter-text').value.trim().toLowerCase();
    const rows = [];
    let matched = 0;
    for (const e of events) {
      if (category && e.category !== category) continue;
      if (minSeverity > 0 && SEVERITIES.indexOf(e.severity) < minSeverity) continue;
      if (text && ![e.type, e.reason, e.userId, e.ip, e.event, e.namespace].some((v) => v && String(v).toLowerCase().includes(text))) continue;
      matched++;
      if (rows.length >= SHOWN_ROWS) continue;
      const who = [e.userId, e.ip].filter(Boolean).join(' · ');
      const detail = e.event ? ` ${e.event}` : e.detail && e.detail.pattern ? ` ${e.detail.pattern}` : '';
      rows.push(
        h(
          'tr',
          { className: `sev-${e.severity}`, dataset: { type: e.type, reason: e.reason ?? '', category: e.category } },
          h('td', { className: 'time' }, formatTime(e.time)),
          h('td', { className: 'type' }, h('span', { className: 'dot', style: { background: categoryColor(e.category) }, title: e.category }), e.type),
          h('td', { className: 'reason' }, (e.reason ?? '') + detail),
          h('td', { className: 'who' }, who),
          h('td', { className: 'num' }, e.count && e.count > 1 ? formatInt(e.count) : ''),
        ),
      );
    }
    fill(byId('events'), rows.length > 0 ? rows : [emptyRow(5, events.length === 0 ? 'Waiting for events…' : 'No event matches the filters')]);
    byId('events-note').textContent =
      `Newest first: ${formatInt(Math.min(matched, SHOWN_ROWS))} shown of ${formatInt(matched)} matching; the page keeps the last ${KEPT_EVENTS}.`;
  }

  // Connections
  function renderConnections(snapshot) {
    skew = snapshot.time - Date.now();
    byId('kpi-connections').textContent = formatInt(snapshot.connections.length);
    const rows = (record, empty) => {
      const entries = top(record, LIST_ROWS);
      if (entries.length === 0) return [emptyRow(2, empty)];
      return entries.map(([key, n]) => h('tr', { dataset: { key } }, h('td', {}, key), h('td', { className: 'num' }, formatInt(n))));
    };
    fill(byId('conn-by-ip'), rows(snapshot.byIpGroup, 'none'));
    fill(byId('conn-by-user'), rows(snapshot.byUser, 'none'));
  }

  // Stats: chart, refusals, scores
  function renderStats(stats) {
    const now = performance.now();
    if (previous) {
      const seconds = Math.max(0.25, (now - previous.at) / 1000);
      const rates = {};
      let total = 0;
      for (const c of CATEGORIES) {
        const delta = Math.max(0, (stats.eventsByCategory[c] ?? 0) - (previous.counts[c] ?? 0));
        rates[c] = delta / seconds;
        total += rates[c];
      }
      chart.push(rates);
      byId('kpi-rate').textContent = formatInt(total);
    }
    previous = { at: now, counts: { ...stats.eventsByCategory } };

    // Reasons come from the fixed catalogue of reason codes: the list is bounded without a cap of its own.
    const reasons = top(stats.refusalsByReason, Infinity);
    const totalRefusals = Object.values(stats.refusalsByReason ?? {}).reduce((a, b) => a + b, 0);
    byId('kpi-refusals').textContent = formatInt(totalRefusals);
    const most = reasons.length > 0 ? reasons[0][1] : 1;
    fill(
      byId('refusals'),
      reasons.length === 0
        ? [h('li', { className: 'empty' }, 'Nothing refused yet: run a scenario.')]
        : reasons.map(([reason, n]) =>
            h(
              'li',
              { className: 'bar-row', dataset: { reason, count: String(n) } },
              h('span', { className: 'label', title: reason }, reason),
              h('span', { className: 'value' }, formatInt(n)),
              h('span', { className: 'bar-track' }, h('span', { className: 'bar-fill', style: { width: `${(100 * n) / most}%` } })),
            ),
          ),
    );

    const scores = (stats.scores ?? []).slice(0, LIST_ROWS);
    fill(
      byId('scores'),
      scores.length === 0
        ? [h('li', { className: 'empty' }, 'No suspicious activity.')]
        : scores.map((s) => {
            const share = Math.min(1, s.score / s.threshold);
            const evidence = Object.entries(s.evidence ?? {}).map(([pattern, n]) => `${pattern} ${n}`).join(' · ');
            const throttled = s.throttledUntil && s.throttledUntil > Date.now() + skew ? ` · throttled ${formatLeft(s.throttledUntil - Date.now() - skew)}` : '';
            return h(
              'li',
              { className: 'bar-row', dataset: { key: s.key } },
              h('span', { className: 'label', title: s.key }, s.key),
              h('span', { className: 'value' }, `${s.score} / ${s.threshold}`),
              h('span', { className: 'bar-track' }, h('span', { className: `bar-fill${share >= 0.5 ? ' hot' : ''}`, style: { width: `${Math.max(2, share * 100)}%` } })),
              evidence || throttled ? h('span', { className: 'detail' }, evidence + throttled) : null,
            );
          }),
    );
  }

  // Bans
  function renderBans() {
    const serverNow = Date.now() + skew;
    const active = bans.filter((b) => b.expiresAt === null || b.expiresAt > serverNow);
    byId('kpi-bans').textContent = formatInt(active.length);
    fill(
      byId('bans'),
      active.length === 0
        ? [h('li', { className: 'empty' }, 'No active bans.')]
        : active.map((ban) => {
            const lift = h('button', { type: 'button', className: 'button button-small', 'aria-label': `Lift the ban on ${ban.key}` }, 'Lift');
            lift.addEventListener('click', () => {
              lift.disabled = true;
              void api.liftBan(ban.key).then(refresh, refresh);
            });
            return h(
              'li',
              { className: 'ban', dataset: { key: ban.key } },
              h('span', { className: 'key' }, ban.key),
              h('span', { className: 'meta' }, `${ban.reason} · ${ban.expiresAt === null ? 'permanent' : `${formatLeft(ban.expiresAt - serverNow)} left`}`),
              lift,
            );
          }),
    );
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const [snapshot, stats, banList] = await Promise.all([api.connections(), api.stats(), api.bans()]);
      renderConnections(snapshot);
      renderStats(stats);
      bans = banList.bans;
      renderBans();
      onBans(bans, skew);
    } catch {
      // The next poll tries again; the stream status pill says when the server is away.
    } finally {
      polling = false;
    }
  }

  async function refresh() {
    while (polling) await new Promise((resolve) => requestAnimationFrame(resolve));
    await poll();
  }

  return {
    start(onStatus) {
      renderEvents();
      api.stream(addEvents, onStatus);
      void poll();
      setInterval(() => void poll(), 1000);
    },
    /** Poll now (after a scenario or an admin action), without waiting for the next second. */
    refresh,
    banOf: (key) => bans.find((b) => b.key === key && (b.expiresAt === null || b.expiresAt > Date.now() + skew)) ?? null,
    clearEvents() {
      events.length = 0;
      queueRender();
    },
  };
}
