/**
 * Small statistics and formatting helpers shared by the harness, the load generator and the micro-benchmarks.
 */

/** @param {readonly number[]} values */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The p-th percentile (0–100) of an already sorted typed or plain array, nearest-rank.
 * @param {ArrayLike<number>} sorted
 * @param {number} length how many leading entries are in use
 * @param {number} p
 */
export function percentile(sorted, length, p) {
  if (length === 0) return Number.NaN;
  const rank = Math.min(length - 1, Math.max(0, Math.ceil((p / 100) * length) - 1));
  return sorted[rank];
}

/** @param {readonly number[]} values */
export function summarize(values) {
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/**
 * A number with about three significant figures and thousands separators: 85,412 / 12.3 / 0.412.
 * @param {number} value
 */
export function fmt(value) {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** @param {number} ratio */
export function fmtRatio(ratio) {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
}

/**
 * Render rows as an aligned Markdown table (readable in a terminal, pasteable into a report).
 * @param {readonly string[]} header
 * @param {readonly (readonly string[])[]} rows
 * @param {readonly ('l' | 'r')[]} align
 */
export function table(header, rows, align) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (align[i] === 'r' ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
