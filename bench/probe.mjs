/* global process, performance */
/**
 * Machine quietness probe: spin on this core for argv[2] ms and report the share of wall time this process did not
 * run (gaps > 0.2 ms between two clock reads). On a shared VM the hypervisor takes cores away without the guest's
 * steal counters showing it; this sees it. The harness runs one on each core at once, between cells.
 */

const ms = Number(process.argv[2] ?? 250);
const t0 = performance.now();
let last = t0;
let lost = 0;
let maxGap = 0;
for (;;) {
  const t = performance.now();
  const gap = t - last;
  if (gap > 0.2) lost += gap;
  if (gap > maxGap) maxGap = gap;
  last = t;
  if (t - t0 >= ms) break;
}
process.stdout.write(`${JSON.stringify({ lost: lost / (last - t0), maxGapMs: maxGap })}\n`);
