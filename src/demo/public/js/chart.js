/* global ResizeObserver, window, document, getComputedStyle */
// Events per second by category, as stacked columns over the last 60 seconds, drawn on a canvas: a few dozen lines
// instead of a charting library, and nothing to load from elsewhere.

import { categoryColor } from './dom.js';

const SECONDS = 60;

/** A round axis maximum at or above `value`: 5, 10, 20, 50, 100, 200, … */
function niceMax(value) {
  if (value <= 5) return 5;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export function createChart(canvas, categories) {
  const context = canvas.getContext('2d');
  /** One sample a second: `{ perCategory: number[] }`, oldest first. */
  const samples = [];
  let colors = categories.map(categoryColor);
  let ink = { text: '#5d6678', grid: '#e2e6ee' };

  function readInk() {
    const style = getComputedStyle(document.documentElement);
    ink = { text: style.getPropertyValue('--muted').trim() || ink.text, grid: style.getPropertyValue('--border').trim() || ink.grid };
    colors = categories.map(categoryColor);
  }

  function draw() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);

    const left = 34;
    const bottom = 18;
    const plotWidth = width - left - 4;
    const plotHeight = height - bottom - 6;
    const peak = Math.max(0, ...samples.map((s) => s.perCategory.reduce((a, b) => a + b, 0)));
    const max = niceMax(peak);

    context.font = '11px system-ui, sans-serif';
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    for (let i = 0; i <= 2; i++) {
      const value = (max * i) / 2;
      const y = 6 + plotHeight - (plotHeight * i) / 2;
      context.strokeStyle = ink.grid;
      context.lineWidth = 1;
      context.beginPath();
      context.moveTo(left, Math.round(y) + 0.5);
      context.lineTo(left + plotWidth, Math.round(y) + 0.5);
      context.stroke();
      context.fillStyle = ink.text;
      context.fillText(String(value), left - 6, y);
    }

    const slot = plotWidth / SECONDS;
    const barWidth = Math.max(1, slot - 2);
    const offset = SECONDS - samples.length;
    samples.forEach((sample, index) => {
      const x = left + (offset + index) * slot + 1;
      let y = 6 + plotHeight;
      sample.perCategory.forEach((value, c) => {
        if (value <= 0) return;
        const h = (value / max) * plotHeight;
        context.fillStyle = colors[c];
        context.fillRect(x, y - h, barWidth, h);
        y -= h;
      });
    });

    context.textBaseline = 'alphabetic';
    context.fillStyle = ink.text;
    context.textAlign = 'left';
    context.fillText('-60 s', left, height - 4);
    context.textAlign = 'center';
    context.fillText('-30 s', left + plotWidth / 2, height - 4);
    context.textAlign = 'right';
    context.fillText('now', left + plotWidth, height - 4);
  }

  new ResizeObserver(() => draw()).observe(canvas);
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    readInk();
    draw();
  });
  readInk();

  return {
    /** Add one second's rates (`{ [category]: eventsPerSecond }`) and redraw. */
    push(rates) {
      samples.push({ perCategory: categories.map((c) => rates[c] ?? 0) });
      if (samples.length > SECONDS) samples.shift();
      draw();
      const last = samples[samples.length - 1].perCategory;
      const total = last.reduce((a, b) => a + b, 0);
      canvas.setAttribute('aria-label', `Events per second by category, last 60 seconds; now ${Math.round(total)} per second`);
    },
    colors: () => colors,
  };
}
