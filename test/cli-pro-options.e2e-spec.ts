import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OncelinkClient, OncelinkError } from '../src/client/oncelink-client';
import { oncelink } from './support/cli';
import { eventually } from './support/eventually';
import { reverseProxy } from './support/reverse-proxy';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';
import { startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

/** Where the bundled country database places these addresses. */
const IN_FRANCE = '90.0.0.1';
const IN_THE_US = '8.8.8.8';

/** A proxy in front of the server that says every request comes from `address` (X-Forwarded-For), as an edge proxy would. */
const proxyFrom = (upstream: string, address: string) =>
  reverseProxy(
    () => upstream,
    (req) => ({ path: req.url!, headers: { ...req.headers, 'x-forwarded-for': address } }),
  );

/** The same share URL on another origin. */
const onOrigin = (url: string, origin: string) => `${origin}${new URL(url).pathname}${new URL(url).hash}`;

/** `send --json`'s answer, and the command's exit status and stderr. */
async function sent(args: string[], env: Record<string, string>, input: string) {
  const run = await oncelink(['send', '--json', ...args], env, input);
  expect([run.code, run.stderr]).toEqual([0, '']);
  return JSON.parse(run.stdout.toString()) as { id: string; url: string };
}

describe('oncelink send with the Pro options (--webhook-url, --country)', () => {
  const t = useTestApp({
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '0.2', TRUST_PROXY: 'loopback' },
  });
  let receiver: WebhookReceiver;
  const dir = mkdtempSync(join(tmpdir(), 'oncelink-cli-pro-'));
  const file = join(dir, 'deploy.env');
  let pro: Record<string, string>;
  let free: Record<string, string>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    writeFileSync(file, 'DEPLOY_KEY=abc123\n');
    pro = { ONCELINK_URL: t.baseUrl, ONCELINK_TOKEN: (await newTeamOn('pro', t.baseUrl, t.dataSource)).pat };
    free = { ONCELINK_URL: t.baseUrl, ONCELINK_TOKEN: (await newTeamOn('free', t.baseUrl, t.dataSource)).pat };
  });

  afterAll(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The secret as `list --json` shows it. */
  const listed = async (id: string) => {
    const run = await oncelink(['list', '--json'], pro);
    expect(run.code).toBe(0);
    return run.stdout
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((secret) => secret.id === id);
  };

  it.each([
    ['a text', [] as string[], 'ci token'],
    ['a file', ['--file', file], 'DEPLOY_KEY=abc123\n'],
  ])('sends %s whose --webhook-url gets secret.viewed once `get` opens it', async (_kind, args, content) => {
    const { id, url } = await sent([...args, '--webhook-url', receiver.url], pro, content);
    expect((await listed(id)).webhook_url).toBe(receiver.url);

    const got = await oncelink(['get', url], pro);
    expect([got.code, got.stdout.toString()]).toEqual([0, content]);
    const viewedOf = () => receiver.received.filter(({ json }) => json.type === 'secret.viewed' && json.data.secret_id === id);
    expect(await eventually(() => viewedOf().length > 0, 10)).toBe(true);
    expect(viewedOf().map(({ path, json }) => [path, json.data.views_remaining])).toEqual([['/hook', 0]]);
  });

  it.each([
    ['a text', [] as string[], 'bonjour'],
    ['a file', ['--file', file], 'DEPLOY_KEY=abc123\n'],
  ])('sends %s with --country FR that opens only from France: 403 geo_blocked from the US', async (_kind, args, content) => {
    const { id, url } = await sent([...args, '--country', 'FR'], pro, content);
    expect((await listed(id)).allowed_countries).toEqual(['FR']);
    const fromTheUs = await proxyFrom(t.baseUrl, IN_THE_US);
    const fromFrance = await proxyFrom(t.baseUrl, IN_FRANCE);
    try {
      const blocked = await oncelink(['get', onOrigin(url, fromTheUs.origin)], pro);
      expect([blocked.code, blocked.stderr, blocked.stdout.toString()]).toEqual([
        6,
        'oncelink: This secret cannot be opened from your country.\n',
        '',
      ]);
      const opened = await oncelink(['get', onOrigin(url, fromFrance.origin)], pro);
      expect([opened.code, opened.stderr, opened.stdout.toString()]).toEqual([0, '', content]);
    } finally {
      await fromTheUs.close();
      await fromFrance.close();
    }
  });

  it.each([
    ['repeated', ['--country', 'FR', '--country', 'de'], ['FR', 'DE']],
    ['comma-separated', ['--country', 'fr,DE'], ['FR', 'DE']],
    ['comma-separated with spaces, and repeated', ['--country', 'FR, DE', '--country', 'IT'], ['FR', 'DE', 'IT']],
    ['in a file secret', ['--file', file, '--country', 'FR,DE', '--country', 'IT'], ['FR', 'DE', 'IT']],
  ])('takes several countries %s', async (_how, args, stored) => {
    const { id } = await sent(args, pro, 'several');
    expect((await listed(id)).allowed_countries).toEqual(stored);
  });

  it.each([
    ['--webhook-url', ['--webhook-url', 'https://hooks.example.com/oncelink'], 'Webhooks are available on the pro plan.'],
    ['--country', ['--country', 'FR'], 'Geo-blocking is available on the pro plan.'],
  ])("prints the server's plan_limit for a free team's %s, exit 6", async (_case, args, message) => {
    const run = await oncelink(['send', ...args], free, 'free');
    expect([run.code, run.stderr, run.stdout.toString()]).toEqual([6, `oncelink: ${message}\n`, '']);
  });

  it.each([
    [
      'a webhook URL that is not http(s)',
      ['--webhook-url', 'ftp://hooks.example.com/oncelink'],
      'The webhook url field must be an http or https URL without credentials.',
    ],
    ['a country code no country has', ['--country', 'ZZ'], 'The allowed countries field must contain ISO 3166-1 alpha-2 codes.'],
  ])("prints the server's 422 for %s, exit 1", async (_case, args, message) => {
    const run = await oncelink(['send', ...args], pro, 'x');
    expect([run.code, run.stderr, run.stdout.toString()]).toEqual([1, `oncelink: The given data was invalid. ${message}\n`, '']);
  });

  it('has the client library refuse an empty allowedCountries for a file as for a text (422), never sending it unrestricted', async () => {
    const client = new OncelinkClient(t.baseUrl, pro.ONCELINK_TOKEN);
    const refused = (sending: Promise<unknown>) =>
      sending.then(
        () => 'sent',
        (error: OncelinkError) => [error.status, error.message],
      );
    expect(await refused(client.send('x', { allowedCountries: [] }))).toEqual([
      422,
      'The given data was invalid. The allowed countries field must have at least 1 item.',
    ]);
    expect(await refused(client.sendFile(file, { allowedCountries: [] }))).toEqual([
      422,
      'The given data was invalid. The allowed countries field must contain ISO 3166-1 alpha-2 codes.',
    ]);
  });
});

describe('oncelink send refusing a malformed --country or --webhook-url locally', () => {
  let requests: string[];
  let server: ReturnType<typeof createServer>;
  let env: Record<string, string>;

  beforeAll(async () => {
    requests = [];
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env = { ONCELINK_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`, ONCELINK_TOKEN: 'olk_test_x' };
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const shape = (value: string) => `--country takes two-letter country codes (ISO 3166-1 alpha-2: FR, or FR,DE), not "${value}"`;

  it.each([
    [['--country', 'FRA'], shape('FRA')],
    [['--country', 'France'], shape('France')],
    [['--country', 'F1'], shape('F1')],
    [['--country', 'FR,'], shape('FR,')],
    [['--country', 'FR', '--country', 'D'], shape('D')],
    [['--country', ''], '--country needs a value'],
    [['--country', 'FR', '--country', ''], '--country needs a value'],
    [['--webhook-url', ''], '--webhook-url needs a value'],
    [['--country'], "Option '--country <value>' argument missing"],
    [['--webhook-url'], "Option '--webhook-url <value>' argument missing"],
  ])('refuses send %j in one line, exit 2, without a request', async (args, message) => {
    const run = await oncelink(['send', ...args], env, 'never sent');
    expect([run.code, run.stderr, run.stdout.toString()]).toEqual([2, `oncelink: ${message} (see oncelink --help)\n`, '']);
    expect(requests).toEqual([]);
  });

  it.each([
    [['get', 'http://127.0.0.1:1/s/abc#key', '--country', 'FR'], 'get does not take --country'],
    [['list', '--webhook-url', 'https://hooks.example.com/'], 'list does not take --webhook-url'],
  ])('refuses %j: the options are for send', async (args, message) => {
    const run = await oncelink(args, env);
    expect([run.code, run.stderr]).toEqual([2, `oncelink: ${message} (see oncelink --help)\n`]);
    expect(requests).toEqual([]);
  });

  it('says how in --help', async () => {
    const help = (await oncelink(['--help'], env)).stdout.toString();
    expect(help).toContain('[--webhook-url URL] [--country CC[,CC...]]...');
    expect(help).toContain('(--country FR --country DE, or --country FR,DE)');
  });
});
