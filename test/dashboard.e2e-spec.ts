import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ApiClient } from './support/http.js';
import { eventually, napImages, TEST_ADMIN_TOKEN, TestSystem } from './support/system.js';

/** Saved by every test run for people to look at (not committed; the README's images come from here). */
const SCREENSHOTS = resolve(import.meta.dirname, '../test-results/dashboard');
const CHROMIUM = { executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] };

jest.setTimeout(120_000);

describe('the dashboard in a browser, against the real stack', () => {
  let system: TestSystem;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    // One Job at a time, so that a test can hold a job in the queue behind a sleeping one.
    system = await TestSystem.start({ sim: { images: napImages({ 'nap/3s': 3000 }) }, env: { CONCURRENCY: '1' } });
    api = new ApiClient(() => system.apiUrl);
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Script errors and refused loads (the Content-Security-Policy included) fail the test.
    problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.stack}`));
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
  });
  afterEach(async () => {
    await page.close();
    expect(problems).toEqual([]);
  });

  const signIn = async () => {
    await page.goto(`${system.apiUrl}/`);
    await page.getByLabel('API token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
  };

  /** Signs in and fills the submit form's required fields for a `nap/3s` job named `jobName`. */
  const openSubmitForm = async (jobName: string) => {
    await signIn();
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Image').fill('nap/3s');
    await page.getByLabel('Job name').fill(jobName);
    await page.getByLabel('Input bucket').fill('test.inputs');
  };

  const shot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  const submitted = async (body: Record<string, unknown>) => {
    const answer = await api.submit({ inputBucket: 'test.inputs', ...body });
    expect(answer.status).toBe(202);
    return answer.body;
  };
  /** Every status word the job page's badge shows, in order, recorded in the page as it changes. */
  const recordStatusWords = () =>
    page.evaluate(`(() => {
      window.statusWords = [];
      const note = () => {
        const word = document.querySelector('.job-title .status')?.textContent;
        if (word && window.statusWords.at(-1) !== word) window.statusWords.push(word);
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);

  it('renders each page with its key elements, and refuses a wrong token', async () => {
    const served = await page.goto(`${system.apiUrl}/`);
    expect(served!.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.getByRole('heading', { name: 'Sign in to cloud-worker' }).waitFor();
    await shot('sign-in');
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The api refused this token.');
    problems = problems.filter((problem) => !problem.includes('401')); // the browser logs the refused check

    await signIn();
    const tabs = page.getByRole('navigation', { name: 'Status' }).getByRole('link');
    await tabs.first().locator('.count').waitFor();
    expect(await tabs.allTextContents()).toEqual([
      expect.stringMatching(/^All\d/),
      expect.stringMatching(/^Queued\d/),
      expect.stringMatching(/^Running\d/),
      expect.stringMatching(/^Succeeded\d/),
      expect.stringMatching(/^Failed\d/),
      expect.stringMatching(/^Timed out\d/),
      expect.stringMatching(/^Cancelled\d/),
    ]);
    await page.getByRole('img', { name: /jobs finished in the last hour/ }).waitFor();
    await page.getByLabel('Search by id or name').waitFor();
    await shot('jobs');

    await page.getByRole('link', { name: 'Submit' }).click();
    for (const label of ['Image', 'Job name', 'Input bucket', 'Output bucket', 'Prefix', 'Time-out (minutes)']) await page.getByLabel(label).waitFor();
    await shot('submit');

    // A failed job beside it, for the list to show a reason and an exit code.
    const failed = await submitted({ image: 'mstc/fail', jobName: 'fails' });
    const record = await submitted({ image: 'nap/3s', jobName: 'page-check', prefix: 'page-check' });
    await page.goto(`${system.apiUrl}/#/jobs/${record.id}`);
    await page.getByRole('heading', { name: 'page-check', level: 1 }).waitFor();
    await page.getByRole('list', { name: 'Timeline' }).waitFor();
    await page.getByRole('heading', { name: 'Record' }).waitFor();
    await page.getByRole('heading', { name: 'Log' }).waitFor();
    await page.getByText(record.id, { exact: true }).waitFor();
    await page.locator('.job-title .status', { hasText: 'Succeeded' }).waitFor({ timeout: 20_000 });
    await page.getByRole('heading', { name: 'Outputs' }).waitFor();
    await page.getByRole('button', { name: 'Download log' }).waitFor();
    await shot('job');

    // At phone width the table becomes one card per job.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${system.apiUrl}/#/jobs`);
    await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
    await page.locator(`tr[data-job-id="${record.id}"]`).waitFor();
    await page.locator(`tr[data-job-id="${failed.id}"][data-status="failed"]`).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shot('jobs-phone');
  });

  it('submits through the form and follows the job from queued to running to succeeded without a reload, log included', async () => {
    await signIn();
    await page.evaluate('window.notReloaded = true');
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Image').fill('nap/3s');
    await page.getByLabel('Job name').fill('from-the-form');
    await page.getByLabel('Input bucket').fill('test.inputs');
    await page.getByLabel('Prefix').fill('from-the-form');
    // The worker's one slot is taken, so the job waits in the queue until the sleeper is cancelled.
    const sleeper = await submitted({ image: 'mstc/sleep', jobName: 'holds-the-slot' });
    await api.untilStatus(sleeper.id, ['running']);
    await recordStatusWords();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('heading', { name: 'from-the-form', level: 1 }).waitFor();
    const id = /#\/jobs\/([0-9a-f-]{36})$/.exec(page.url())![1];
    await page.locator('.job-title .status', { hasText: 'Queued' }).waitFor();
    await shot('job-queued');
    expect((await api.request('DELETE', `/jobs/${sleeper.id}`)).status).toBe(202);
    await page.locator('.job-title .status', { hasText: 'Succeeded' }).waitFor({ timeout: 20_000 });
    expect(await page.evaluate('window.statusWords')).toEqual(['Queued', 'Running', 'Succeeded']);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    // The log, followed while it ran, ends as the stored log does.
    await page.locator('.log-state', { hasText: 'complete' }).waitFor();
    const shown = await page.getByLabel('Log text').textContent();
    expect(shown).toBe(await system.objectText('test.inputs', (await api.record(id)).logObject!));
    expect(shown).toContain('Exiting with code 0');
    // And the download is that log.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download log' }).click()]);
    expect(download.suggestedFilename()).toBe((await api.record(id)).logObject);
  });

  it('shows the api\'s error beside the field at fault', async () => {
    await openSubmitForm('Bad_Name');
    await page.getByRole('button', { name: 'Submit' }).click();
    const error = page.locator('#error-jobName');
    await error.waitFor();
    expect(await error.textContent()).toContain('jobName must be a lowercase RFC 1123 label');
    expect(await page.getByLabel('Job name').getAttribute('aria-invalid')).toBe('true');
    // The field at fault has the focus, and says why to assistive technology.
    expect(await page.evaluate('document.activeElement.id')).toBe('field-jobName');
    expect(await page.getByLabel('Job name').getAttribute('aria-describedby')).toContain('error-jobName');
    expect(await page.locator('.field-error').count()).toBe(1);
    await shot('submit-error');
    problems = problems.filter((problem) => !problem.includes('400')); // the browser logs the refused request
  });

  it('submits resources, environment and arguments from "More options", and shows a reserved name\'s error there', async () => {
    await openSubmitForm('more-options');
    await page.getByText('More options: resources, environment, arguments').click();
    await page.getByLabel('Environment').fill('MODE=fast\nINPUT_BUCKET=elsewhere');
    await page.getByLabel('CPU limit').fill('1');
    await page.getByLabel('Memory request').fill('64Mi');
    await page.getByLabel('Arguments').fill('--steps\n3');
    await page.getByRole('button', { name: 'Submit' }).click();
    const error = page.locator('#error-env');
    await error.waitFor();
    expect(await error.textContent()).toContain('is set by the worker and cannot be overridden');
    expect(await page.evaluate('document.activeElement.id')).toBe('field-env');
    await shot('submit-more-options');
    problems = problems.filter((problem) => !problem.includes('400')); // the browser logs the refused request
    // A line that is not NAME=VALUE is refused by the form itself, with nothing sent.
    await page.getByLabel('Environment').fill('MODE=fast\nnot-an-assignment');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.locator('#error-env', { hasText: '"not-an-assignment" is not NAME=VALUE' }).waitFor();
    await page.getByLabel('Environment').fill('MODE=fast');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('heading', { name: 'more-options', level: 1 }).waitFor();
    const id = /#\/jobs\/([0-9a-f-]{36})$/.exec(page.url())![1];
    expect((await api.record(id)).request).toMatchObject({ env: [{ name: 'MODE', value: 'fast' }], args: ['--steps', '3'], resources: { requests: { memory: '64Mi' }, limits: { cpu: '1' } } });
  });

  it('cancels a sleeping job from the keyboard, after confirming', async () => {
    const record = await submitted({ image: 'mstc/sleep', jobName: 'sleeper' });
    await signIn();
    await page.goto(`${system.apiUrl}/#/jobs/${record.id}`);
    await page.locator('.job-title .status', { hasText: 'Running' }).waitFor({ timeout: 20_000 });
    await page.getByLabel('Log text').filter({ hasText: 'sleeping until killed' }).waitFor();
    // Tab reaches the cancel button; Enter opens the confirmation; Escape keeps the job.
    await eventually(async () => {
      await page.keyboard.press('Tab');
      return (await page.evaluate('document.activeElement.textContent')) === 'Cancel job';
    }, 10_000, 'the focus on "Cancel job"', 0);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Cancel sleeper?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await api.record(record.id)).status).toBe('running');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await shot('cancel-dialog');
    await dialog.getByRole('button', { name: 'Yes, cancel the job' }).click();
    await page.locator('.job-title .status', { hasText: 'Cancelled' }).waitFor();
    expect(await api.record(record.id)).toMatchObject({ status: 'cancelled', reason: 'Cancelled' });
    await page.locator('.log-state', { hasText: 'complete' }).waitFor({ timeout: 20_000 });
  });

  it('updates the rows live: a job submitted elsewhere appears and ends without a reload; the counts and the chart follow', async () => {
    await signIn();
    await page.evaluate('window.notReloaded = true');
    const succeededTab = page.getByRole('navigation', { name: 'Status' }).getByRole('link', { name: /^Succeeded/ }).locator('.count');
    const succeededBefore = Number(await succeededTab.textContent());
    const record = await submitted({ image: 'nap/3s', jobName: 'live-row' });
    const row = page.locator(`tr[data-job-id="${record.id}"]`);
    await row.waitFor();
    await page.locator(`tr[data-job-id="${record.id}"][data-status="running"]`).waitFor({ timeout: 20_000 });
    await page.locator(`tr[data-job-id="${record.id}"][data-status="succeeded"]`).waitFor({ timeout: 20_000 });
    expect(await row.locator('td').allTextContents()).toEqual(['live-row', 'nap/3s', 'Succeeded', '—', '0', expect.stringMatching(/ ago$/), expect.stringMatching(/^\d+ s$/)]);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await eventually(async () => Number(await succeededTab.textContent()) === succeededBefore + 1, 5_000, 'the Succeeded count to follow the row');
    // The summary is asked for again every 10 s: the chart and the tab's count come to include this job.
    const finished = await eventually(async () => {
      const label = (await page.getByRole('img', { name: /jobs finished in the last hour/ }).getAttribute('aria-label')) ?? '';
      const succeeded = Number(/(\d+) succeeded/.exec(label)?.[1] ?? 0);
      return succeeded >= 1 && succeeded;
    }, 30_000, 'the chart to count the finished job', 500);
    expect(finished).toBeGreaterThanOrEqual(1);
    expect(await page.locator('svg rect.bar-succeeded').count()).toBeGreaterThanOrEqual(1);
    await shot('jobs-live');
  });
});
