import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { oncelink } from './support/cli';
import { newSecret } from './support/secrets';
import { useTestApp } from './support/test-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '../test-artifacts/share-page');
// .ci/run installs Debian's chromium; on a machine without it these specs say so and skip.
const withBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) process.stdout.write(`Share page specs skipped: no browser at ${CHROMIUM} (set CHROMIUM_PATH).\n`);

withBrowser('GET /s/{token} in a real browser', () => {
  let browser: Browser;
  let page: Page;
  let requests: string[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
  });
  // Hooks run in the order they are registered: the browser closes before the app does.
  afterAll(() => browser?.close());
  const t = useTestApp();
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 390, height: 760 } });
    requests = [];
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()} ${request.postData() ?? ''}`));
  });
  afterEach(() => page.close());

  const viewsLeft = async (token: string) => (await (await fetch(`${t.baseUrl}/api/v1/links/${token}`)).json()).data?.views_remaining;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('spends nothing on load, reveals on a click, and says it is gone on reload', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'correct horse battery staple' });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    expect(await page.getByText('It can be viewed once').count()).toBe(1);
    await shot('1-ready');
    expect(await viewsLeft(secret.token)).toBe(1);

    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('correct horse battery staple');
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    await shot('2-revealed');

    await page.reload();
    await page.getByText('This secret has been viewed and destroyed.').waitFor();
    await shot('3-gone');
  });

  it('decrypts a link made by the oncelink command in the browser, and no request carries the key', async () => {
    const sent = await oncelink(['send'], { ONCELINK_URL: t.baseUrl }, 'sealed on the client: ключ');
    const url = sent.stdout.toString().trim();
    const key = url.split('#')[1];
    await page.goto(url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('sealed on the client: ключ');
    expect(page.url()).not.toContain(key);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) expect(request).not.toContain(key);
    await shot('4-zero-knowledge');
  });

  it('asks for the passcode, says when it was wrong and how many tries are left', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'behind a passcode', passcode: 'open sesame' });
    await page.goto(secret.url);
    await page.getByLabel('Passcode').fill('open barley');
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByText('That passcode is wrong. 4 attempts left').waitFor();
    await shot('5-wrong-passcode');
    expect(await viewsLeft(secret.token)).toBe(1);
    await page.getByLabel('Passcode').fill('open sesame');
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('behind a passcode');
  });

  it('says plainly when a link never existed', async () => {
    await page.goto(`${t.baseUrl}/s/AAAAAAAAAAAAAAAAAAAAAAAA`);
    await page.getByText('This link does not exist').waitFor();
    await shot('6-not-found');
  });

  it('is served with a strict policy and makes no third-party request', async () => {
    const secret = await newSecret(t.baseUrl);
    const response = await page.goto(secret.url);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-/);
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cache-control']).toBe('no-store');
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    for (const request of requests) expect(request).toContain(t.baseUrl);
  });
});
