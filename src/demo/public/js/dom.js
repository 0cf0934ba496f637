/* global document, setTimeout, getComputedStyle */
// Small DOM helpers. Text always goes in as text (never innerHTML): the chat and the events table show what attackers
// sent, and the page must not be the one place the XSS strings work.

/** Create an element: `h('td', { className: 'num', dataset: { reason } }, 'text', childNode)`. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'style') Object.assign(node.style, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing from the page`);
  return node;
}

/** Replace a node's children in one DOM operation. */
export function fill(node, children) {
  node.replaceChildren(...children);
}

const integer = new Intl.NumberFormat('en-US');
export function formatInt(value) {
  return integer.format(Math.round(value));
}

export function formatTime(epochMs) {
  const d = new Date(epochMs);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `12 s`, `1 min 5 s`, or `permanent`. */
export function formatLeft(ms) {
  if (ms === null || ms === undefined) return 'permanent';
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A short random suffix for scenario users (`flood-k3x9`): every run is a new identity. */
export function randomSuffix() {
  return Math.random().toString(36).slice(2, 6).padEnd(4, '0');
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The color of an event category, from the stylesheet (`--cat-<category>`). */
export function categoryColor(category) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--cat-${category}`).trim();
  return value || '#64748b';
}
