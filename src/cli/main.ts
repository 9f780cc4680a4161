import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OncelinkClient, OncelinkError } from '../client/oncelink-client';

const HELP = `oncelink: share secrets through links that work once (or N times, or N minutes).

Usage:
  oncelink send [--views N | --minutes N] [--passcode P] [--label L] [--file PATH]
      Encrypts stdin (or the file) on this machine and prints the share URL;
      the key is in the URL's #fragment and never reaches the server.
  oncelink get URL [--passcode P]     Reveals the secret (spends a view) and writes it to stdout.
  oncelink list                        Lists your team's secrets (needs ONCELINK_TOKEN).
  oncelink delete ID                   Destroys a secret now (needs ONCELINK_TOKEN).

Environment:
  ONCELINK_URL     the server (default http://127.0.0.1:3000)
  ONCELINK_TOKEN   a personal access token; without one, send creates an anonymous secret

Exit status: 0 done, 1 other error, 2 bad usage, 3 secret gone (viewed, expired or deleted),
4 not found, 5 unauthorized or wrong passcode, 6 forbidden, 7 rate limited.
`;

const EXIT_BY_STATUS: Record<number, number> = { 410: 3, 404: 4, 401: 5, 403: 6, 429: 7 };

class UsageError extends Error {}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  // The upper bound is the server's (the contract's range and the plan's lifetime); its 422 says so.
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive whole number`);
  return n;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      views: { type: 'string' },
      minutes: { type: 'string' },
      passcode: { type: 'string' },
      label: { type: 'string' },
      file: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, argument] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return;
  }
  const client = new OncelinkClient(process.env.ONCELINK_URL || 'http://127.0.0.1:3000', process.env.ONCELINK_TOKEN || undefined);

  switch (command) {
    case 'send': {
      const views = positiveInt(values.views, '--views');
      const minutes = positiveInt(values.minutes, '--minutes');
      if (views && minutes) throw new UsageError('give --views or --minutes, not both');
      const content = values.file ? readFileSync(values.file) : await readStdin();
      if (content.length === 0) throw new UsageError('nothing to send: stdin (or the file) is empty');
      const { url } = await client.send(content, { views, minutes, passcode: values.passcode, label: values.label });
      process.stdout.write(`${url}\n`);
      return;
    }
    case 'get': {
      if (!argument) throw new UsageError('get needs the share URL');
      process.stdout.write(await client.get(argument, values.passcode));
      return;
    }
    case 'list': {
      for (const secret of await client.list()) {
        process.stdout.write(`${secret.id}\t${secret.status}\t${secret.kind}\t${secret.expires_at}\t${secret.label ?? ''}\n`);
      }
      return;
    }
    case 'delete': {
      if (!argument) throw new UsageError('delete needs the secret id');
      await client.delete(argument);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`oncelink: ${(error as Error).message} (see oncelink --help)\n`);
    process.exit(2);
  }
  if (error instanceof OncelinkError) {
    process.stderr.write(`oncelink: ${error.message}\n`);
    process.exit(EXIT_BY_STATUS[error.status] ?? 1);
  }
  process.stderr.write(`oncelink: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
});
