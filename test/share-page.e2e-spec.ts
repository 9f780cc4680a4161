import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { OncelinkClient } from '../src/client/oncelink-client';
import { oncelink } from './support/cli';
import { uploadFile } from './support/multipart';
import { newSecret } from './support/secrets';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

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

  describe('file secrets', () => {
    let client: OncelinkClient;
    let pat: string;
    let dir: string;

    beforeAll(async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      pat = team.pat;
      client = new OncelinkClient(t.baseUrl, pat);
      dir = mkdtempSync(join(tmpdir(), 'oncelink-page-'));
    });

    /** Sends a file as the oncelink command does: sealed into OLF1 here, the key in the link's fragment. */
    const sendFile = async (name: string, data: Buffer) => {
      writeFileSync(join(dir, name), data);
      return (await client.sendFile(join(dir, name))).url;
    };
    const downloaded = async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download file' }).click()]);
      return { name: download.suggestedFilename(), data: readFileSync(await download.path()) };
    };

    const name = 'Quartalsbericht Q3 (final).pdf';
    const metadataBytes = Buffer.byteLength(JSON.stringify({ name, type: 'application/pdf' }));
    it.each([
      ['ends inside a chunk', 3 * 1024 * 1024 + 777],
      // The last chunk is full: only the end of the stream says it is the last one.
      ['ends exactly on a chunk boundary', 32 * 65536 - 4 - metadataBytes],
    ])('decrypts a client file sealed by the oncelink client in the browser, and saves it under its name (%s)', async (_, size) => {
      const data = randomBytes(size);
      const url = await sendFile(name, data);
      const [link, key] = url.split('#');
      await page.goto(url);
      await page.getByText(/^An end-to-end encrypted file of about \d\.\d MB\./).waitFor();
      expect(await page.getByText(name).count()).toBe(0);
      await shot('7-client-file-ready');
      expect(await viewsLeft(new URL(link).pathname.slice(3))).toBe(1);

      const file = await downloaded();
      expect(file.name).toBe(name);
      expect(sha256(file.data)).toBe(sha256(data));
      await page.getByText(`Downloaded ${name}`).waitFor();
      await shot('8-client-file-saved');
      expect(page.url()).not.toContain(key);
      for (const request of requests) expect(request).not.toContain(key);
    });

    it('downloads a server file under its name, after asking for its passcode', async () => {
      const data = randomBytes(500 * 1024);
      const created = await uploadFile(
        t.baseUrl,
        pat,
        { expire_mode: 'views', expire_value: '1', passcode: 'open sesame' },
        { name: 'Contrat signé.pdf', type: 'application/pdf', data },
      );
      await page.goto(String(created.body.data!.url));
      // The passcode guards the name too: the download brings it.
      await page.getByText('A file of 500.0 KB. Its name shows once it is downloaded.').waitFor();
      expect(await page.getByText('Contrat signé.pdf').count()).toBe(0);
      await page.getByLabel('Passcode').fill('open barley');
      await page.getByRole('button', { name: 'Download file' }).click();
      await page.getByText('That passcode is wrong. 4 attempts left').waitFor();
      await page.getByLabel('Passcode').fill('open sesame');
      const file = await downloaded();
      expect(file.name).toBe('Contrat signé.pdf');
      expect(sha256(file.data)).toBe(sha256(data));
    });

    it('saves nothing when the key does not decrypt the file, and says so', async () => {
      const url = await sendFile('notes.txt', Buffer.from('for the right key only'));
      const downloads: unknown[] = [];
      page.on('download', (download) => downloads.push(download));
      await page.goto(`${url.split('#')[0]}#${Buffer.alloc(32, 7).toString('base64url')}`);
      await page.getByRole('button', { name: 'Download file' }).click();
      await page.getByText('This file could not be decrypted with the key in this link, so nothing was saved.').waitFor();
      await shot('9-client-file-wrong-key');
      expect(downloads).toEqual([]);
    });

    it('spends nothing on a client file link without its key', async () => {
      const url = await sendFile('notes.txt', Buffer.from('needs the key'));
      await page.goto(url.split('#')[0]);
      await page.getByText('This link is missing its key').waitFor();
      expect(await viewsLeft(new URL(url).pathname.slice(3))).toBe(1);
    });
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
