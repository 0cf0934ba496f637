/**
 * The demo page in a real browser: Debian's Chromium driven by playwright-core (never a downloaded browser). It loads
 * the page, runs every scenario by its button and checks each shows the outcome the scenario table expects with the
 * server's reason codes, that the dashboard counted them, that the ban can be lifted from the page, that nothing was
 * logged to the console, and that a phone-width screen has no horizontal overflow. Screenshots of the dashboard after
 * the scenarios go to test/browser/screenshots/ (git-ignored).
 *
 * Without /usr/bin/chromium the suite is skipped locally and fails in CI (`CI=true`): `.ci/run` installs it.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENARIOS } from '../../src/demo/scenarios.js';
import { startDemo, type RunningDemo } from '../../src/demo/server.js';

const CHROMIUM = '/usr/bin/chromium';
const inCi = process.env['CI'] === 'true' || process.env['CI'] === '1';
const screenshots = resolve(import.meta.dirname, '../browser/screenshots');

let demo: RunningDemo;
let browser: Browser;
let page: Page;
/** Console errors and warnings, uncaught page errors, failed or refused requests. */
const problems: string[] = [];

describe.skipIf(!existsSync(CHROMIUM) && !inCi)('the demo page in Chromium', () => {
  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium (.ci/run does)`).toBe(true);
    demo = await startDemo({ port: 0, sinks: [] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => {
      // Closing an EventSource or a page aborts its request: that is not a failure of the page.
      if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    await page.goto(demo.url);
    await page.waitForSelector('body[data-ready="true"][data-stream="live"]', { timeout: 10_000 });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('runs every scenario by its button and shows the expected outcome with the server’s codes', async () => {
    for (const scenario of DEMO_SCENARIOS) {
      const row = page.locator(`li.scenario[data-scenario="${scenario.id}"]`);
      await row.getByRole('button', { name: `Run: ${scenario.title}` }).click();
      await expect
        .poll(() => row.getAttribute('data-status'), { timeout: 15_000, interval: 100 })
        .toMatch(/^(pass|fail)$/);
      const outcome = (await row.locator('.outcome').textContent()) ?? '';
      expect(await row.getAttribute('data-status'), `${scenario.id}: ${outcome}`).toBe('pass');
      const codes = ((await row.getAttribute('data-codes')) ?? '').split(' ').filter(Boolean);
      expect(codes.sort(), `${scenario.id}: ${outcome}`).toEqual([...scenario.codes].sort());
      for (const code of scenario.codes) expect(outcome).toContain(code);
    }
  }, 60_000);

  it('counted every refusal on the dashboard, live', async () => {
    const refused = DEMO_SCENARIOS.flatMap((s) => s.codes).filter((code) => code !== 'banned');
    for (const code of refused) {
      await expect
        .poll(async () => Number(await page.locator(`#refusals li[data-reason="${code}"]`).getAttribute('data-count', { timeout: 1_000 }).catch(() => '0')), {
          timeout: 5_000,
          message: `refusals counted for ${code}`,
        })
        .toBeGreaterThanOrEqual(1);
    }
    // The ban the reconnect scenario earned: in the list, in the banner, and in the events table from the stream.
    await expect.poll(() => page.locator('#bans li[data-key="ip:127.0.0.1"]').count(), { timeout: 5_000 }).toBe(1);
    expect(await page.locator('#ban-banner').isVisible()).toBe(true);
    // The table shows the newest 100 of the events it keeps: found through its text filter, however many came after.
    for (const type of ['ban_added', 'connection_accepted']) {
      await page.locator('#filter-text').fill(type);
      await expect.poll(() => page.locator(`#events tr[data-type="${type}"]`).count(), { timeout: 3_000, message: type }).toBeGreaterThanOrEqual(1);
    }
    await page.locator('#filter-text').fill('');
    await expect.poll(() => page.locator('#events tr').count(), { timeout: 3_000 }).toBeGreaterThan(1);
    expect(await page.locator('#events tr').count()).toBeLessThanOrEqual(100);
    expect(Number(await page.locator('#kpi-refusals').textContent())).toBeGreaterThanOrEqual(refused.length);
    mkdirSync(screenshots, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: resolve(screenshots, 'dashboard-banned.png'), fullPage: true });
  });

  it('lifts the ban from the page, and the chat comes back', async () => {
    await page.locator('#ban-banner').getByRole('button', { name: 'Lift ban' }).click();
    await expect.poll(() => page.locator('#bans li').first().getAttribute('data-key'), { timeout: 5_000 }).toBeNull();
    expect(await page.locator('#ban-banner').isVisible()).toBe(false);
    await expect.poll(() => page.locator('#chat-status').textContent(), { timeout: 5_000 }).toBe('online as visitor');
    await expect.poll(() => page.locator('#events tr[data-type="ban_lifted"]').count(), { timeout: 3_000 }).toBeGreaterThanOrEqual(1);
    // The dashboard sees the chat's connection again, by IP and by user.
    await expect.poll(() => page.locator('#conn-by-user tr[data-key="visitor"]').count(), { timeout: 5_000 }).toBe(1);
    expect(await page.locator('#conn-by-ip tr[data-key="127.0.0.1"]').count()).toBe(1);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: resolve(screenshots, 'dashboard-laptop.png'), fullPage: true });
  });

  it('resets the scenarios from the page', async () => {
    await page.getByRole('button', { name: 'Reset demo' }).click();
    await expect.poll(() => page.locator('li.scenario[data-status="idle"]').count(), { timeout: 5_000 }).toBe(DEMO_SCENARIOS.length);
    expect(await page.locator('#chat-status').textContent()).toBe('online as visitor');
  });

  it('fits a phone-width screen without horizontal overflow', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    // A string: the test's TypeScript has no DOM types.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: resolve(screenshots, 'dashboard-phone.png'), fullPage: true });
  });

  it('logged nothing to the console and made no failing request', () => {
    expect(problems).toEqual([]);
  });
});
