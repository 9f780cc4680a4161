import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { OncelinkClient } from '../src/client/oncelink-client';
import { SecretRepository } from '../src/secrets/secret.repository';
import { oncelink } from './support/cli';
import { bearer, newTeam } from './support/factories';
import { uploadFile } from './support/multipart';
import { newSecret } from './support/secrets';
import { prefixStripping, reverseProxy } from './support/reverse-proxy';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** WCAG 2's contrast ratio of two computed `rgb(…)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (colour: string) => {
    const [red, green, blue] = colour
      .match(/[\d.]+/g)!
      .slice(0, 3)
      .map((c) => {
        const v = Number(c) / 255;
        return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

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
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        // A name other than localhost for the same server: a page on plain http there is no secure context.
        '--host-resolver-rules=MAP oncelink.test 127.0.0.1',
      ],
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
  const focused = () => page.evaluate(() => document.activeElement?.id);

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

  // While the link can open the secret again, the browser's history (which no page can edit) holds it.
  const inHistory = " This browser's history still holds the link: on a shared computer, delete it there.";
  it.each([
    ['the last view', { expire_mode: 'views', expire_value: 1 }, () => 'Save it somewhere safe now: this page cannot show it again.'],
    [
      'a view with views left',
      { expire_mode: 'views', expire_value: 3 },
      (until: string) => `Save it somewhere safe: this link can show it 2 more times at most, until ${until}.${inHistory}`,
    ],
    [
      'a view with one view left',
      { expire_mode: 'views', expire_value: 2 },
      (until: string) => `Save it somewhere safe: this link can show it once more at most, until ${until}.${inHistory}`,
    ],
    [
      'a view of a minutes secret',
      { expire_mode: 'minutes', expire_value: 60 },
      (until: string) => `Save it somewhere safe: this link can show it again until ${until}, and then it is destroyed.${inHistory}`,
    ],
  ])('says after %s what the link still allows, beside the secret', async (_case, expiry, hint) => {
    const secret = await newSecret(t.baseUrl, { content: 'said once or more', ...expiry });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    const time = page.locator('[data-state="revealed"] .hint time');
    const until = (await time.count()) ? await time.textContent() : '';
    if (until) expect(new Date((await time.getAttribute('datetime'))!)).toEqual(new Date(secret.expires_at as string));
    expect(await page.locator('[data-state="revealed"] .hint').textContent()).toBe(hint(until!));
    // A screen reader reads it with the secret, where the focus is.
    expect(await focused()).toBe('secret');
    expect(await page.getByLabel('The secret').getAttribute('aria-describedby')).toBe(
      await page.locator('[data-state="revealed"] .hint').getAttribute('id'),
    );
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
    // Chromium ignores autocomplete="off" on a password: a password manager could save this one,
    // then fill it into another link's field and spend a try there.
    expect(await page.getByLabel('Passcode').getAttribute('autocomplete')).toBe('one-time-code');
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

  it('selects a wrong passcode, so the right one typed next replaces it', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'typed again', passcode: 'abcd' });
    await page.goto(secret.url);
    await page.getByLabel('Passcode').waitFor();
    await page.keyboard.type('abce');
    await page.keyboard.press('Enter');
    await page.getByText('That passcode is wrong. 4 attempts left').waitFor();
    await page.keyboard.type('abcd');
    await page.keyboard.press('Enter');
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('typed again');
  });

  it('writes the expiry in English with its time zone, whatever the browser’s locale', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'read anywhere', expire_value: 2 });
    const context = await browser.newContext({ locale: 'ar-EG', timezoneId: 'Asia/Dubai' });
    try {
      const arabic = await context.newPage();
      await arabic.goto(secret.url);
      await arabic.getByRole('button', { name: 'Reveal secret' }).waitFor();
      expect(await arabic.locator('#meta').textContent()).toMatch(
        /^It can be viewed 2 more times, until [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M GMT\+4\.$/,
      );
      expect(new Date((await arabic.locator('#meta time').getAttribute('datetime'))!)).toEqual(new Date(secret.expires_at as string));
    } finally {
      await context.close();
    }
  });

  /** The accessible description Chromium computes for the element `selector` finds. */
  const description = async (selector: string) => {
    const cdp = await page.context().newCDPSession(page);
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
    await cdp.detach();
    return String(nodes[0].description?.value ?? '');
  };

  it('describes Reveal and the passcode field with what was shared and how often it opens', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'described', passcode: 'open sesame' });
    await page.goto(secret.url);
    await page.getByLabel('Passcode').waitFor();
    for (const control of ['#reveal', '#passcode']) {
      const said = await description(control);
      expect(said).toContain('Someone shared a secret with you.');
      expect(said).toContain('It can be viewed once, until ');
    }
  });

  it('says the same status again when Copy is pressed twice, emptied in between so it is announced again', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'copy me twice' });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    await page.evaluate(() => {
      const status = document.getElementById('status')!;
      const seen: (string | null)[] = [];
      (window as unknown as { seen: (string | null)[] }).seen = seen;
      new MutationObserver(() => seen.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.includes('Copied to the clipboard.'));
    expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['', 'Copied to the clipboard.']);
  });

  it.each(['/', '.', ')', '>', '%20'])('opens a link pasted with %s after its token, and cleans its address', async (suffix) => {
    const url = (await oncelink(['send'], { ONCELINK_URL: t.baseUrl }, `pasted with ${suffix}`)).stdout.toString().trim();
    const [base, key] = url.split('#');
    await page.goto(`${base}${suffix}#${key}`);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    expect(page.url()).toBe(url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe(`pasted with ${suffix}`);
  });

  it.each(['.', ')', '>', ','])('opens a link pasted with %s after its key, and cleans its address', async (suffix) => {
    const url = (await oncelink(['send'], { ONCELINK_URL: t.baseUrl }, `key then ${suffix}`)).stdout.toString().trim();
    await page.goto(`${url}${suffix}`);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    expect(page.url()).toBe(url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe(`key then ${suffix}`);
  });

  it('serves the page with a slash after the token, with the same policy', async () => {
    const secret = await newSecret(t.baseUrl);
    const plain = await fetch(secret.url);
    const slashed = await fetch(`${secret.url}/`);
    expect(slashed.status).toBe(200);
    expect(slashed.headers.get('content-security-policy')).toBe(plain.headers.get('content-security-policy'));
    expect(await slashed.text()).toBe(await plain.text());
  });

  it('says plainly when a link never existed, where a screen reader is', async () => {
    await page.goto(`${t.baseUrl}/s/AAAAAAAAAAAAAAAAAAAAAAAA`);
    await page.getByText('This link does not exist').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('gone-message');
    await shot('6-not-found');
  });

  it('opens a link whose # a mail client turned into %23', async () => {
    const sent = await oncelink(['send'], { ONCELINK_URL: t.baseUrl }, 'through a mail client');
    await page.goto(sent.stdout.toString().trim().replace('#', '%23'));
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('through a mail client');
  });

  it('works under a PUBLIC_URL with a path, behind a proxy that strips it', async () => {
    const proxy = await reverseProxy(() => t.baseUrl, prefixStripping('/oncelink'));
    try {
      const secret = await newSecret(t.baseUrl, { content: 'under a prefix' });
      await page.goto(`${proxy.origin}/oncelink/s/${secret.token}`);
      await page.getByRole('button', { name: 'Reveal secret' }).click();
      await page.getByLabel('The secret').waitFor();
      expect(await page.getByLabel('The secret').inputValue()).toBe('under a prefix');
    } finally {
      await proxy.close();
    }
  });

  it('spends nothing on a key cut short or lengthened, and opens once the whole link is pasted in the same tab', async () => {
    const url = (await oncelink(['send', '--views', '2'], { ONCELINK_URL: t.baseUrl }, 'the whole key only')).stdout.toString().trim();
    const [base, key] = url.split('#');
    const token = new URL(base).pathname.slice(3);
    for (const broken of [key.slice(0, 30), key.slice(0, 22), `${key}xx`]) {
      await page.goto(`${base}#${broken}`);
      await page.getByText('The key in this link (the part after #) is cut short or changed.').waitFor();
    }
    expect(await viewsLeft(token)).toBe(2);

    // Only the fragment changes: the browser does not load the page again.
    await page.evaluate((fragment) => (location.hash = fragment), key);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('the whole key only');
    expect(await viewsLeft(token)).toBe(1);
  });

  it('says the secret is destroyed when the fifth wrong passcode burns it', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'five guesses', passcode: 'open sesame', expire_value: 3 });
    await page.goto(secret.url);
    for (let guess = 1; guess <= 4; guess++) {
      await page.getByLabel('Passcode').fill(`wrong ${guess}`);
      await page.getByRole('button', { name: 'Reveal secret' }).click();
      await page.getByText(`That passcode is wrong. ${5 - guess} ${guess === 4 ? 'attempt' : 'attempts'} left`).waitFor();
    }
    await page.getByLabel('Passcode').fill('wrong 5');
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByText('That passcode was wrong, and it was the last attempt: the secret has been destroyed.').waitFor();
    expect(await page.getByRole('button', { name: 'Reveal secret' }).isVisible()).toBe(false);
    await page.reload();
    await page.getByText('This secret was destroyed after too many wrong passcodes.').waitFor();
  });

  it('copies the text exactly as it was sent, line endings and all', async () => {
    const content = 'line1\r\nline2\rline3\n';
    const secret = await newSecret(t.baseUrl, { content });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(content);
  });

  it('offers sealed bytes that are not text as a file to save', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3]);
    const url = (await oncelink(['send'], { ONCELINK_URL: t.baseUrl }, bytes)).stdout.toString().trim();
    await page.goto(url);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Reveal secret' }).click()]);
    expect(download.suggestedFilename()).toBe('secret.bin');
    expect(readFileSync(await download.path())).toEqual(bytes);
    await page.getByText('Downloaded secret.bin (5 bytes).').waitFor();
  });

  it('sends an abuse report from the page', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'a phishing page', expire_value: 2 });
    await page.goto(secret.url);
    await page.getByText('Report this link').click();
    await page.getByLabel('What is wrong with it').fill('   ');
    await page.getByRole('button', { name: 'Send report' }).click();
    // The field's own error, not a "try again" that never helps.
    await page.getByText('The reason field is required.').waitFor();
    await page.getByLabel('What is wrong with it').fill('It asks for my bank password.');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByText('Thank you: the report was received.').waitFor();
    // The button it was sent with is disabled now: the focus goes to what it says, not to <body>.
    expect(await focused()).toBe('report-status');
    // Read once, as the focus lands on it: not announced a second time as a live region.
    expect(
      await page.locator('#report-status').evaluate((answer) => [answer.getAttribute('role'), answer.getAttribute('aria-live')]),
    ).toEqual([null, null]);
    const reports = await t.dataSource.query('SELECT reason FROM link_reports WHERE secret_id = $1', [secret.id]);
    expect(reports).toEqual([{ reason: 'It asks for my bank password.' }]);
    expect(await viewsLeft(secret.token)).toBe(2);
  });

  it('offers a report while the link still opens the secret, and not after its last view', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'read twice', expire_value: 2 });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByText('Report this link').isVisible()).toBe(true);
    await page.reload();
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByText('Report this link').isVisible()).toBe(false);
  });

  it('keeps the report box after a refusal that leaves the link working, and takes it away on a 410', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'still here', expire_value: 3 });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    await page.route(`**/api/v1/links/${secret.token}/reveal`, (route) => route.abort('connectionreset'), { times: 1 });
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByText('Something went wrong, and this view may be spent.').waitFor();
    expect(await page.getByText('Report this link').isVisible()).toBe(true);
    expect(await viewsLeft(secret.token)).toBe(3);

    const { pat } = await newTeam(t.baseUrl);
    const burned = await newSecret(t.baseUrl, { content: 'soon gone', expire_value: 3 }, pat);
    await page.goto(burned.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    await t.http().delete(`/api/v1/secrets/${burned.id}`).set(bearer(pat)).expect(204);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByText('Ask the sender for a new link.').waitFor();
    expect(await page.getByText('Report this link').isVisible()).toBe(false);
  });

  it('tells the viewer of a link taken down for abuse so, without sending them back to its sender', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'a phishing page' });
    await t.app.get(SecretRepository).suspend(secret.id);
    await page.goto(secret.url);
    await page.getByText('This link was suspended after reports of abuse.').waitFor();
    expect(await page.getByText('Ask the sender').count()).toBe(0);
  });

  it('says a viewer refused for their country that nothing was spent, and whom to tell', async () => {
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const secret = await newSecret(t.baseUrl, { content: 'for Germany only', allowed_countries: ['DE'] }, pat);
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByText('This secret cannot be opened from where you are').waitFor();
    expect(await page.locator('#gone-message').textContent()).toContain(
      'Nothing was spent. If you should be able to open it, tell the sender.',
    );
    expect(await viewsLeft(secret.token)).toBe(1);
  });

  it('says without JavaScript why nothing happens', async () => {
    const secret = await newSecret(t.baseUrl);
    const plain = await browser.newPage({ javaScriptEnabled: false });
    try {
      await plain.goto(secret.url);
      // innerText is what is rendered (Playwright's text locators skip <noscript>).
      const text = await plain.evaluate(() => document.body.innerText);
      expect(text).toContain('This page needs JavaScript');
      // Nothing is loading, so nothing says it is.
      expect(text).not.toContain('Loading');
    } finally {
      await plain.close();
    }
  });

  it('takes a passcode as long as the API does, counted in characters, and says when one is longer without spending a try', async () => {
    // 70 characters, 140 UTF-16 units: a maxlength of 128 would cut it and spend an attempt on what is left.
    const passcode = '🔑'.repeat(70);
    const secret = await newSecret(t.baseUrl, { content: 'behind emoji', passcode });
    await page.goto(secret.url);
    await page.getByLabel('Passcode').focus();
    await page.keyboard.insertText('🔑'.repeat(129));
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByText('The passcode field must not be greater than 128 characters.').waitFor();
    expect(await focused()).toBe('passcode');
    await page.getByLabel('Passcode').fill('');
    await page.keyboard.insertText(passcode);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('behind emoji');
  });

  it('spends nothing on a sealed secret opened over plain http away from localhost, where the browser cannot decrypt', async () => {
    const url = (await oncelink(['send'], { ONCELINK_URL: t.baseUrl }, 'needs https')).stdout.toString().trim();
    await page.goto(url.replace('127.0.0.1', 'oncelink.test'));
    await page.getByText('This link must be opened over https').waitFor();
    await page.getByText('Nothing was spent').waitFor();
    expect(await page.getByRole('button', { name: 'Reveal secret' }).isVisible()).toBe(false);
    expect(await viewsLeft(new URL(url).pathname.slice(3))).toBe(1);
  });

  it('spends nothing on a sealed secret in a browser without WebCrypto, and does not blame http for it', async () => {
    const url = (await oncelink(['send'], { ONCELINK_URL: t.baseUrl }, 'needs WebCrypto')).stdout.toString().trim();
    await page.addInitScript(() => Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined }));
    await page.goto(url);
    await page.getByText('This browser cannot decrypt the secret: it has no WebCrypto. Nothing was spent.').waitFor();
    expect(await page.getByText('https').count()).toBe(0);
    expect(await viewsLeft(new URL(url).pathname.slice(3))).toBe(1);
  });

  it('says a wrong key spent the view, and that the secret is gone when it was the last', async () => {
    const [base] = (await oncelink(['send', '--views', '2'], { ONCELINK_URL: t.baseUrl }, 'for the right key only')).stdout
      .toString()
      .trim()
      .split('#');
    const wrong = `${base}#${Buffer.alloc(32, 7).toString('base64url')}`;
    await page.goto(wrong);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page
      .getByText('The key in this link does not open this secret, and a view was spent on it. Ask the sender for the full link.')
      .waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page
      .getByText(
        'The key in this link does not open this secret, and that was its last view: the secret is gone. Ask the sender for a new link.',
      )
      .waitFor();
  });

  it('gives the focus back to Reveal after a refusal that spent nothing', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'later' });
    await page.route('**/reveal', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ message: 'This server cannot open this secret now; nothing was spent.', code: 'key_unavailable' }),
      }),
    );
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('This server cannot open this secret right now.').waitFor();
    expect(await focused()).toBe('reveal');
  });

  it('spends nothing on an Enter still held from opening the link, and reveals on one pressed on the page', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'not by a held key' });
    await page.goto(`data:text/html,${encodeURIComponent(`<a href="${secret.url}">the link</a>`)}`);
    await page.getByRole('link').focus();
    await page.keyboard.down('Enter');
    await page.waitForURL(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    // Still ready, and Reveal not pressed (a reveal disables it until its answer, then shows the secret).
    const untouched = () =>
      page.evaluate(() => ({
        ready: !document.querySelector<HTMLElement>('[data-state="ready"]')!.hidden,
        enabled: !document.querySelector<HTMLButtonElement>('#reveal')!.disabled,
      }));
    // The key is still down: each further keydown is its auto-repeat (event.repeat), where the page put
    // the focus, and then on Reveal itself.
    await page.keyboard.down('Enter');
    expect(await untouched()).toEqual({ ready: true, enabled: true });
    await page.getByRole('button', { name: 'Reveal secret' }).focus();
    await page.keyboard.down('Enter');
    expect(await untouched()).toEqual({ ready: true, enabled: true });
    await page.keyboard.up('Enter');
    expect(requests.filter((request) => request.includes('/reveal'))).toEqual([]);
    expect(await viewsLeft(secret.token)).toBe(1);

    await page.keyboard.press('Enter');
    await page.getByLabel('The secret').waitFor();
    expect(await page.getByLabel('The secret').inputValue()).toBe('not by a held key');
  });

  it('names the state it is in by the tab’s title and a heading under the page’s', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'titled' });
    const named = async () => ({
      title: await page.title(),
      heading: await page.evaluate(() => document.querySelector('[data-state]:not([hidden]) h2')?.textContent),
    });
    await page.goto(`${t.baseUrl}/s/AAAAAAAAAAAAAAAAAAAAAAAA`);
    await page.getByText('This link does not exist').waitFor();
    expect(await named()).toEqual({ title: 'Link not available · Oncelink', heading: 'Link not available' });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    expect(await named()).toEqual({ title: 'Reveal a secret · Oncelink', heading: 'Reveal a secret' });
    // Focused in place of Reveal, the card is read by its heading.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-state'))).toBe('ready');
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(await named()).toEqual({ title: 'Secret revealed · Oncelink', heading: 'Secret revealed' });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Oncelink');
  });

  it('looks disabled while a reveal is under way, and says the form is busy', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'in a moment' });
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/reveal', async (route) => {
      await answered;
      await route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ message: 'Service temporarily unavailable.' }),
      });
    });
    await page.goto(secret.url);
    const reveal = page.getByRole('button', { name: 'Reveal secret' });
    const look = () =>
      page.locator('#reveal').evaluate((button) => ({
        opacity: getComputedStyle(button).opacity,
        cursor: getComputedStyle(button).cursor,
        busy: button.closest('form')!.getAttribute('aria-busy'),
      }));
    await reveal.waitFor();
    const enabled = await look();
    await reveal.click();
    await page.locator('#reveal:disabled').waitFor();
    const pending = await look();
    answer();
    await page.getByText('The service is busy.').waitFor();
    expect([enabled, pending, await look()]).toEqual([
      { opacity: '1', cursor: 'pointer', busy: null },
      { opacity: '0.6', cursor: 'progress', busy: 'true' },
      { opacity: '1', cursor: 'pointer', busy: 'false' },
    ]);
  });

  it('says the same passcode error again, emptied in between so it is announced again', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'asked twice', passcode: 'open sesame' });
    await page.goto(secret.url);
    await page.getByLabel('Passcode').waitFor();
    await page.keyboard.press('Enter');
    const asked = 'Enter the passcode. 5 attempts left before the secret is destroyed.';
    await page.getByText(asked).waitFor();
    await page.evaluate(() => {
      const error = document.getElementById('passcode-error')!;
      const seen: (string | null)[] = [];
      (window as unknown as { seen: (string | null)[] }).seen = seen;
      new MutationObserver(() => seen.push(error.textContent)).observe(error, { childList: true, characterData: true, subtree: true });
    });
    await page.keyboard.press('Enter');
    await page.waitForFunction((text) => (window as unknown as { seen: string[] }).seen.includes(text), asked);
    expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['', asked]);
  });

  it('sizes its text from the browser’s default font size', async () => {
    const secret = await newSecret(t.baseUrl);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32 } });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    expect(await page.evaluate(() => getComputedStyle(document.body).fontSize)).toBe('32px');
  });

  it.each([
    [
      'the API during a database outage',
      { status: 503, json: { message: 'Service temporarily unavailable.' }, headers: { 'retry-after': '5' } },
      'reload the page in a moment to try again.',
    ],
    ['a proxy', { status: 502, body: '<html>Bad Gateway</html>' }, 'reload the page in a moment to try again.'],
    [
      'a proxy that asks for minutes',
      { status: 503, body: '', headers: { 'retry-after': '300' } },
      'wait about 5 minutes, then reload the page.',
    ],
  ])('says nothing was spent when the lookup fails (a 5xx from %s)', async (_from, answer, advice) => {
    const secret = await newSecret(t.baseUrl, { content: 'not yet' });
    await page.route(`**/api/v1/links/${secret.token}`, (route) => route.fulfill(answer));
    await page.goto(secret.url);
    await page.getByText(`This link could not be loaded just now. Nothing was spent: ${advice}`).waitFor();
    expect(await viewsLeft(secret.token)).toBe(1);
  });

  it('says nothing was spent when the lookup gets no answer', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'not yet' });
    await page.route(`**/api/v1/links/${secret.token}`, (route) => route.abort('connectionrefused'));
    await page.goto(secret.url);
    await page.getByText('Oncelink could not be reached, and nothing was spent.').waitFor();
  });

  it.each([
    ['a captive portal’s page', 'text/html', '<html>Sign in to the wifi</html>'],
    ['JSON null', 'application/json', 'null'],
  ])('says nothing was spent when the lookup is answered 200 with something other than the API’s: %s', async (_case, type, body) => {
    const secret = await newSecret(t.baseUrl, { content: 'behind a portal' });
    await page.route(`**/api/v1/links/${secret.token}`, (route) => route.fulfill({ status: 200, contentType: type, body }));
    await page.goto(secret.url);
    await page.getByText('This link could not be loaded just now. Nothing was spent').waitFor();
    expect(await page.getByRole('button', { name: 'Reveal secret' }).isVisible()).toBe(false);
    expect(await viewsLeft(secret.token)).toBe(1);
  });

  it('shows a secret longer than its box from its first line', async () => {
    const content = Array.from({ length: 20 }, (_, line) => `line ${line + 1}`).join('\n');
    const secret = await newSecret(t.baseUrl, { content });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    const box = await page.locator('#secret').evaluate((secret: HTMLTextAreaElement) => ({
      overflows: secret.scrollHeight > secret.clientHeight,
      scrollTop: secret.scrollTop,
      caret: secret.selectionStart,
    }));
    expect(box).toEqual({ overflows: true, scrollTop: 0, caret: 0 });
    expect(await focused()).toBe('secret');
  });

  it('says on a reload that it removed the key itself, in this tab only, and keeps no key', async () => {
    const url = (await oncelink(['send', '--views', '3'], { ONCELINK_URL: t.baseUrl }, 'seen more than once')).stdout.toString().trim();
    const [base, key] = url.split('#');
    await page.goto(url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    expect(page.url()).toBe(base);

    await page.reload();
    await page.getByText('This page removed the key after showing the secret: open the original link again to see it.').waitFor();
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(key);
    expect(await viewsLeft(new URL(base).pathname.slice(3))).toBe(2);

    // Another tab never had the key: there the link is missing it.
    const other = await browser.newPage();
    try {
      await other.goto(base);
      await other.getByText('This link is missing its key (the part after #).').waitFor();
    } finally {
      await other.close();
    }
  });

  it('says whether Copy worked when the browser refuses the clipboard API', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'copy me' });
    // A context granted no permission at all: writeText is refused (a default one allows it).
    const context = await browser.newContext({ permissions: [] });
    try {
      const refused = await context.newPage();
      await refused.goto(secret.url);
      await refused.getByRole('button', { name: 'Reveal secret' }).click();
      await refused.getByRole('button', { name: 'Copy' }).click();
      await refused.getByText(/^(Copied to the clipboard\.|Select the text and copy it\.)$/).waitFor();
    } finally {
      await context.close();
    }
  });

  it('draws a focus ring of at least 3:1 against the page and the card, and an edge on buttons in forced colours', async () => {
    const secret = await newSecret(t.baseUrl);
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    // Focus from the keyboard, so :focus-visible applies.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const colours = await page.evaluate(() => ({
      ring: getComputedStyle(document.activeElement!).outlineColor,
      card: getComputedStyle(document.querySelector('section')!).backgroundColor,
      page: getComputedStyle(document.body).backgroundColor,
    }));
    expect(contrast(colours.ring, colours.card)).toBeGreaterThanOrEqual(3);
    expect(contrast(colours.ring, colours.page)).toBeGreaterThanOrEqual(3);

    await page.emulateMedia({ forcedColors: 'active' });
    const border = await page.locator('#reveal').evaluate((button) => {
      const style = getComputedStyle(button);
      return { style: style.borderTopStyle, width: parseFloat(style.borderTopWidth) };
    });
    expect(border.style).toBe('solid');
    expect(border.width).toBeGreaterThan(0);
  });

  it.each(['light', 'dark'] as const)(
    'edges the form fields at least 3:1 against the card and the page the report box sits on (%s)',
    async (colorScheme) => {
      const secret = await newSecret(t.baseUrl);
      await page.emulateMedia({ colorScheme });
      await page.goto(secret.url);
      await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
      const colours = await page.evaluate(() => ({
        edge: getComputedStyle(document.getElementById('report-reason')!).borderTopColor,
        card: getComputedStyle(document.querySelector('section')!).backgroundColor,
        page: getComputedStyle(document.body).backgroundColor,
      }));
      expect(contrast(colours.edge, colours.page)).toBeGreaterThanOrEqual(3);
      expect(contrast(colours.edge, colours.card)).toBeGreaterThanOrEqual(3);
    },
  );

  it('gives the footer link a target 24 px tall on a narrow screen', async () => {
    const secret = await newSecret(t.baseUrl);
    await page.setViewportSize({ width: 360, height: 640 });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    expect((await page.locator('footer a').boundingBox())!.height).toBeGreaterThanOrEqual(24);
  });

  it('follows a dark colour scheme, its text and focus ring as legible as in the light one', async () => {
    const secret = await newSecret(t.baseUrl);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const colours = await page.evaluate(() => ({
      scheme: getComputedStyle(document.documentElement).colorScheme,
      text: getComputedStyle(document.body).color,
      ring: getComputedStyle(document.activeElement!).outlineColor,
      card: getComputedStyle(document.querySelector('section')!).backgroundColor,
      page: getComputedStyle(document.body).backgroundColor,
      muted: getComputedStyle(document.querySelector('footer a')!).color,
    }));
    expect(colours.scheme).toBe('light dark');
    // Dark: the page is darker than its text.
    expect(contrast(colours.page, 'rgb(0, 0, 0)')).toBeLessThan(contrast(colours.text, 'rgb(0, 0, 0)'));
    expect(contrast(colours.text, colours.card)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(colours.muted, colours.page)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(colours.ring, colours.card)).toBeGreaterThanOrEqual(3);
    expect(contrast(colours.ring, colours.page)).toBeGreaterThanOrEqual(3);
  });

  it('lays each line of a revealed secret out in its own direction, and copies it as sent', async () => {
    const content = 'סיסמה: abc123! (לא לשתף)\nuser: admin';
    const secret = await newSecret(t.baseUrl, { content });
    await page.goto(secret.url);
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    await page.getByLabel('The secret').waitFor();
    const layout = await page
      .locator('#secret')
      .evaluate((box) => ({ rtl: box.matches(':dir(rtl)'), bidi: getComputedStyle(box).unicodeBidi }));
    expect(layout).toEqual({ rtl: true, bidi: 'plaintext' });
    expect(await page.getByLabel('The secret').inputValue()).toBe(content);
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
      // The browser's translation (a web service, in some browsers) is not given the file's name.
      for (const shown of ['#file-info', '#saved-name'])
        expect(await page.locator(shown).evaluate((el: HTMLElement) => el.translate)).toBe(false);
      // The focus moves to "save it again", which says what was downloaded and what the link still allows.
      expect(await focused()).toBe('save');
      expect(await description('#save')).toMatch(
        /^Downloaded Contrat signé\.pdf \(500\.0 KB\)\. If your browser .* this page cannot download it again\.$/,
      );
    });

    it('shows a size just under a unit in the next one up, and names the states of a file in the title', async () => {
      const created = await uploadFile(
        t.baseUrl,
        pat,
        { expire_mode: 'views', expire_value: '1' },
        { name: 'almost.bin', type: 'application/octet-stream', data: Buffer.alloc(1024 * 1024 - 1) },
      );
      await page.goto(String(created.body.data!.url));
      await page.getByRole('button', { name: 'Download file' }).waitFor();
      expect(await page.locator('#file-info').textContent()).toBe('almost.bin (1.0 MB)');
      expect(await page.title()).toBe('Download a file · Oncelink');
      await downloaded();
      await page.getByText('Downloaded almost.bin (1.0 MB).').waitFor();
      expect(await page.title()).toBe('File downloaded · Oncelink');
    });

    // As beside a revealed secret, whatever the page offers to save: a file of either kind, or sealed bytes that are not text.
    it.each([
      [
        'a server file with views left',
        'Download file',
        async () => {
          const data = Buffer.from('downloaded thrice');
          const created = await uploadFile(
            t.baseUrl,
            pat,
            { expire_mode: 'views', expire_value: '3' },
            { name: 'notes.txt', type: 'text/plain', data },
          );
          return String(created.body.data!.url);
        },
        (until: string) => `this link can download it 2 more times at most, until ${until}.${inHistory}`,
      ],
      [
        'a client file of a minutes secret',
        'Download file',
        async () => (await client.sendFile(join(dir, 'notes.txt'), { minutes: 60 })).url,
        (until: string) => `this link can download it again until ${until}, and then it is destroyed.${inHistory}`,
      ],
      [
        'sealed bytes that are not text, with views left',
        'Reveal secret',
        async () =>
          (await oncelink(['send', '--views', '3'], { ONCELINK_URL: t.baseUrl }, Buffer.from([0xff, 0xfe, 0x00, 0x41]))).stdout
            .toString()
            .trim(),
        (until: string) => `this link can download it 2 more times at most, until ${until}.${inHistory}`,
      ],
      [
        'the last download of a file',
        'Download file',
        async () => (await client.sendFile(join(dir, 'notes.txt'))).url,
        () => 'this page cannot download it again.',
      ],
    ])('says after %s what the link still allows, beside "save it again"', async (_case, button, send, allows) => {
      writeFileSync(join(dir, 'notes.txt'), 'downloaded');
      const url = await send();
      const lookup = await (await fetch(`${t.baseUrl}/api/v1/links/${new URL(url).pathname.slice(3)}`)).json();
      await page.goto(url);
      await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      const hint = page.locator('[data-state="saved"] .hint');
      await hint.waitFor();
      const time = hint.locator('time');
      const until = (await time.count()) ? await time.textContent() : '';
      if (until) expect(new Date((await time.getAttribute('datetime'))!)).toEqual(new Date(lookup.data.expires_at));
      expect(await hint.textContent()).toBe(`If your browser did not keep it, save it again before you leave: ${allows(until!)}`);
      // A screen reader reads it with "save it again", where the focus is.
      expect(await focused()).toBe('save');
      expect(await description('#save')).toBe(`${await page.locator('#saved-what').textContent()} ${await hint.textContent()}`);
    });

    it('takes the name from Content-Disposition’s parameters, not from text inside a quoted name', async () => {
      const created = await uploadFile(
        t.baseUrl,
        pat,
        { expire_mode: 'views', expire_value: '1', passcode: 'open sesame' },
        { name: "x filename*=UTF-8''evil.exe;.pdf", type: 'application/pdf', data: Buffer.from('%PDF-1.4') },
      );
      await page.goto(String(created.body.data!.url));
      await page.getByLabel('Passcode').fill('open sesame');
      const file = await downloaded();
      // Chromium saves `*` as `_`; the page shows the name as it came.
      expect(file.name).toMatch(/\.pdf$/);
      expect(await page.locator('#saved-name').textContent()).toBe("x filename*=UTF-8''evil.exe;.pdf");
    });

    it('saves a file only as bytes, never as a page of this origin, under a name without direction controls or invisible padding', async () => {
      const html = Buffer.from('<img src=x onerror="document.title=\'ran\'">');
      const created = await uploadFile(
        t.baseUrl,
        pat,
        { expire_mode: 'views', expire_value: '1' },
        { name: 'report.html', type: 'text/html', data: html },
      );
      await page.goto(String(created.body.data!.url));
      await downloaded();
      const href = await page.locator('#save').getAttribute('href');
      // As octet-stream, a blob: URL opened in a tab downloads; as text/html it would run the sender's script here.
      expect(
        await page.goto(href!).then(
          () => 'rendered',
          (error: Error) => error.message,
        ),
      ).toContain('Download is starting');
      expect(await page.title()).not.toBe('ran');

      const url = await sendFile('invoice\u202elmth.exe', Buffer.from('MZ'));
      await page.goto(url);
      const file = await downloaded();
      expect(file.name).toBe('invoicelmth.exe');
      await page.getByText('Downloaded invoicelmth.exe (2 bytes).').waitFor();

      await page.goto(await sendFile(`invoice\u200b.pdf${' '.repeat(40)}\u2060.exe`, Buffer.from('MZ')));
      expect((await downloaded()).name).toBe('invoice.pdf .exe');
      expect(await page.locator('#saved-name').textContent()).toBe('invoice.pdf .exe');
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

    /**
     * A proxy in front of the app that, once `after` bytes of a reveal's answer have passed, drops
     * the connection (`cut`) or holds the rest until `release` is called.
     */
    const revealProxy = async (after: number, then: 'cut' | 'hold') => {
      const upstream = new URL(t.baseUrl);
      const sockets = new Set<Socket>();
      const releases: (() => void)[] = [];
      const proxy = createTcpServer((client) => {
        const app = createConnection(Number(upstream.port), upstream.hostname);
        sockets.add(client).add(app);
        let revealing = false;
        let passed = 0;
        let held: Buffer[] | null = null;
        releases.push(() => {
          if (held) client.write(Buffer.concat(held));
          held = null;
          passed = -Infinity;
        });
        client.on('data', (data) => {
          if (data.toString('latin1').startsWith('POST ') && data.includes('/reveal ')) revealing = true;
          app.write(data);
        });
        app.on('data', (data: Buffer) => {
          if (held) return void held.push(data);
          const before = passed;
          passed += revealing ? data.length : 0;
          if (passed <= after) return void client.write(data);
          client.write(data.subarray(0, after - before));
          if (then === 'cut') return void (client.destroy(), app.destroy());
          held = [data.subarray(after - before)];
        });
        for (const [socket, other] of [
          [client, app],
          [app, client],
        ]) {
          socket.on('error', () => other.destroy());
          socket.on('close', () => other.destroy());
        }
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      return {
        /** `url` with the app's address swapped for the proxy's. */
        url: (url: string) => url.replace(upstream.host, `127.0.0.1:${(proxy.address() as AddressInfo).port}`),
        release: () => releases.forEach((release) => release()),
        async close() {
          // The browser keeps its connections open: the proxy closes only once they are gone.
          for (const socket of sockets) socket.destroy();
          await new Promise((resolve) => proxy.close(resolve));
        },
      };
    };

    it.each([
      ['a client file', () => client.sendFile(join(dir, 'big.bin'), { views: 2 }).then((sent) => sent.url)],
      [
        'a server file',
        async () => {
          const data = readFileSync(join(dir, 'big.bin'));
          const created = await uploadFile(
            t.baseUrl,
            pat,
            { expire_mode: 'views', expire_value: '2' },
            { name: 'big.bin', type: 'application/octet-stream', data },
          );
          return String(created.body.data!.url);
        },
      ],
    ])('says a download cut mid-way was interrupted, not a bad key, and to reload while views are left (%s)', async (_, send) => {
      writeFileSync(join(dir, 'big.bin'), randomBytes(3 * 1024 * 1024));
      const proxy = await revealProxy(1024 * 1024, 'cut');
      try {
        await page.goto(proxy.url(await send()));
        await page.getByRole('button', { name: 'Download file' }).click();
        const message = page.locator('#gone-message');
        await message.waitFor();
        expect(await message.textContent()).toBe(
          'The download was interrupted, so nothing was saved. Reload the page to try again (this used one download).',
        );
      } finally {
        await proxy.close();
      }
    });

    it('shows how much of a file came while it downloads, and asks before the page is left meanwhile', async () => {
      const data = randomBytes(3 * 1024 * 1024);
      writeFileSync(join(dir, 'big.bin'), data);
      const proxy = await revealProxy(1.5 * 1024 * 1024, 'hold');
      const leaving = () =>
        page.evaluate(() => {
          const event = new Event('beforeunload', { cancelable: true });
          window.dispatchEvent(event);
          return event.defaultPrevented;
        });
      try {
        await page.goto(proxy.url((await client.sendFile(join(dir, 'big.bin'))).url));
        expect(await leaving()).toBe(false);
        const download = page.waitForEvent('download');
        await page.getByRole('button', { name: 'Download file' }).click();
        await page
          .locator('#status')
          .getByText(/^Downloading… 1\.\d MB of 3\.0 MB$/)
          .waitFor();
        expect(await leaving()).toBe(true);
        proxy.release();
        expect(sha256(readFileSync(await (await download).path()))).toBe(sha256(data));
        await page.getByText('Downloaded big.bin').waitFor();
        expect(await page.locator('#status').textContent()).toBe('');
        expect(await leaving()).toBe(false);
      } finally {
        await proxy.close();
      }
    });

    it('spends nothing on a client file link without its key', async () => {
      const url = await sendFile('notes.txt', Buffer.from('needs the key'));
      await page.goto(url.split('#')[0]);
      await page.getByText('This link is missing its key').waitFor();
      expect(await viewsLeft(new URL(url).pathname.slice(3))).toBe(1);
    });
  });

  it('is served with a strict policy, makes no third-party request and logs no error', async () => {
    const secret = await newSecret(t.baseUrl);
    const errors: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
    const response = await page.goto(secret.url);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-/);
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['cache-control']).toBe('no-store');
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor();
    for (const request of requests) expect(request).toContain(t.baseUrl);
    // The browser's own request for /favicon.ico included.
    await page.waitForLoadState('networkidle');
    expect(errors).toEqual([]);
  });

  // Last: its app closes after its test, and nothing of the outer app's runs after that.
  describe('with the link budget spent', () => {
    const limited = useTestApp({ env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LINKS_PER_HOUR: '1' } });

    it('says how long to wait, from Retry-After (up to an hour), not "a few minutes"', async () => {
      const secret = await newSecret(limited.baseUrl, { content: 'later' });
      // The page's lookup spends the address's one call of the hour; the reveal is refused.
      await page.goto(secret.url);
      await page.getByRole('button', { name: 'Reveal secret' }).click();
      await page.getByText(/Too many attempts from your network\. Wait about (59|60) minutes, then reload the page\./).waitFor();
    });
  });
});
