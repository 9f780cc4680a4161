import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useTestApp } from './support/test-app';

const ROOT = join(__dirname, '..');

/**
 * A project of its own with the package installed as `npm pack` makes it (from the build in
 * dist/), offline: the tarball extracted into node_modules/oncelink, its dependencies the
 * repository's own.
 */
function projectWithPackage(): string {
  const project = mkdtempSync(join(tmpdir(), 'oncelink-sdk-'));
  const packed = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const [{ filename }] = JSON.parse(packed) as { filename: string }[];
  const installed = join(project, 'node_modules', 'oncelink');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(project, filename), '-C', installed, '--strip-components=1']);
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(installed, 'node_modules'));
  return project;
}

/** Sends a secret with a passcode, guesses wrong once, then reveals it: what a script using the SDK does. */
const CONSUMER_JS = `
const { OncelinkClient, OncelinkError } = require('oncelink');

(async () => {
  const client = new OncelinkClient(process.env.ONCELINK_URL);
  const sent = await client.send(Buffer.from('from the package'), { views: 2, passcode: 'open sesame' });
  const wrong = await client.get(sent.url, 'not the one').catch((error) => error);
  const revealed = await client.get(sent.url, 'open sesame');
  let refused;
  try {
    new OncelinkClient('not a url');
  } catch (error) {
    refused = error;
  }
  process.stdout.write(JSON.stringify({
    content: Buffer.from(revealed.content).toString(),
    wrong: { isOncelinkError: wrong instanceof OncelinkError, status: wrong.status, attemptsRemaining: wrong.attemptsRemaining },
    refused: { isOncelinkError: refused instanceof OncelinkError, message: refused.message },
  }));
})();
`;

/** Sends text as a string, as the Seecret seed's Node example does, and then a number by mistake. */
const STRING_CONSUMER_JS = `
const { OncelinkClient } = require('oncelink');

(async () => {
  const client = new OncelinkClient(process.env.ONCELINK_URL);
  const sent = await client.send('pässwörd 🔑', { views: 1 });
  const revealed = await client.get(sent.url);
  const wrong = await client.send(42).catch((error) => error);
  process.stdout.write(JSON.stringify({
    content: Buffer.from(revealed.content).toString('utf8'),
    wrong: { isTypeError: wrong instanceof TypeError, message: wrong.message },
  }));
})();
`;

/** The same from TypeScript: it type-checks only against the package's declarations. */
const CONSUMER_TS = `
import { OncelinkClient, OncelinkError, type Revealed, type SendOptions, type Sent } from 'oncelink';

export async function share(client: OncelinkClient, secret: string): Promise<string> {
  const options: SendOptions = { views: 2, passcode: 'open sesame' };
  const sent: Sent = await client.send(new TextEncoder().encode(secret), options);
  await client.send(secret, options);
  // @ts-expect-error a secret is a string or bytes
  await client.send(42);
  try {
    const revealed: Revealed = await client.get(sent.url, 'open sesame');
    return revealed.kind;
  } catch (error) {
    if (!(error instanceof OncelinkError)) throw error;
    const left: number | undefined = error.attemptsRemaining;
    const wait: number | undefined = error.retryAfter;
    return \`\${error.status} \${left} \${wait}\`;
  }
}

// @ts-expect-error a base URL is a string
new OncelinkClient(42);
`;

describe('the oncelink package', () => {
  const t = useTestApp();
  let project: string;

  beforeAll(() => {
    project = projectWithPackage();
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('gives require("oncelink") the SDK: it sends and reveals against a real server, its errors with their fields', async () => {
    writeFileSync(join(project, 'consumer.js'), CONSUMER_JS);
    // Not execFileSync: the server runs in this process, and must answer meanwhile.
    const { stdout } = await promisify(execFile)(process.execPath, ['consumer.js'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', ONCELINK_URL: t.baseUrl },
      encoding: 'utf8',
    });
    expect(JSON.parse(stdout)).toEqual({
      content: 'from the package',
      wrong: { isOncelinkError: true, status: 401, attemptsRemaining: 4 },
      refused: { isOncelinkError: true, message: 'The base URL is not an absolute http(s) URL (such as https://oncelink.example).' },
    });
  });

  it('sends a string as UTF-8 and refuses anything but a string or bytes with a TypeError that says so', async () => {
    writeFileSync(join(project, 'string-consumer.js'), STRING_CONSUMER_JS);
    const { stdout } = await promisify(execFile)(process.execPath, ['string-consumer.js'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', ONCELINK_URL: t.baseUrl },
      encoding: 'utf8',
    });
    expect(JSON.parse(stdout)).toEqual({
      content: 'pässwörd 🔑',
      wrong: { isTypeError: true, message: 'The secret must be a string (sent as UTF-8) or a Uint8Array, not a number.' },
    });
  });

  it('types import { OncelinkClient } from "oncelink" by its declarations', () => {
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'node16', '--target', 'es2022', '--types', 'node'];
    const typeRoots = ['--typeRoots', join(ROOT, 'node_modules', '@types')];
    let report = '';
    try {
      execFileSync(process.execPath, [tsc, ...args, ...typeRoots, 'consumer.ts'], { cwd: project, encoding: 'utf8' });
    } catch (error) {
      report = (error as { stdout: string }).stdout;
    }
    expect(report).toBe('');
  });
});
