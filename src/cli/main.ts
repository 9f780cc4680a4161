import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { LARGEST_CONTENT_BYTES, LARGEST_FILE_BYTES, plansWith } from '../billing/plans';
import { GCM_TAG_BYTES } from '../client/link-crypto';
import { COUNTRY_CODE_SHAPE } from '../geo/country-code-shape';
import { isBearerToken, isLoopbackHost, OncelinkClient, OncelinkError, Revealed, SendOptions, Sent } from '../client/oncelink-client';
import { version } from '../../package.json';
import { openOutput } from './output';
import { proxyFromEnvironment } from './proxy';
import { withSpool } from './spool';
import { UsageError } from './usage-error';

const HELP = `oncelink: share secrets through links that work once (or N times, or N minutes).

Usage:
  oncelink send [--views N] [--minutes M] [--passcode P] [--label L] [--file PATH [--name N]]
                [--webhook-url URL] [--country CC[,CC...]]... [--json]
      Encrypts stdin (or the file, streamed, its name and type inside) on this machine and
      prints the share URL; the key is in the URL's #fragment and never reaches the server.
      The link works N times (1 by default) for at most 7 days; --minutes M alone makes it work
      any number of times for M minutes; both: N times, and for M minutes at most.
      A file needs ONCELINK_TOKEN for a team whose plan has file secrets. --file - sends stdin
      as a file, of any size the plan takes (tar c dir | oncelink send --file - --name dir.tar),
      kept encrypted in TMPDIR until it ends, then uploaded (the file is removed however it ends);
      the plan's limit is known only from the server's 413 after that, so TMPDIR needs room for
      all of stdin (up to 1 GiB), even over the plan;
      --name is the name the recipient gets (default: the file's, or "stdin"). --json prints
      {"id", "url", "expires_at"} instead (the id is what delete takes).
      With ONCELINK_TOKEN for a team whose plan has them: --webhook-url URL receives the
      secret's events (secret.viewed, ...), signed with the team's webhook secret; --country CC
      opens the link only from that country (ISO 3166-1 alpha-2: FR, DE, ...), repeated or
      comma-separated for several (--country FR --country DE, or --country FR,DE).
  oncelink get URL [--passcode P] [--output PATH]
      Reveals the secret (spends a view) and writes it to stdout (or PATH -), or to PATH: a file
      there is readable by you only, and there only once all of it has arrived and checked out
      (a FIFO or a device is written as it is); asks for a missing passcode when stdin is a
      terminal. URL - reads the link from stdin, out of sight of ps and shell history. A link
      on another server than ONCELINK_URL gets no token, and only over https (plain http only
      to this machine).
  oncelink list [--json]               Lists your team's secrets (needs ONCELINK_TOKEN): id, status,
                                       kind, expiry and label, tab-separated; --json prints each
                                       secret's metadata as the API gives it, one JSON line each.
  oncelink delete ID                   Destroys a secret now (needs ONCELINK_TOKEN).
  oncelink --version                   Prints the version.

On a terminal, send asks for the secret without echoing it.

Environment:
  ONCELINK_URL     the server's address, https, with its path if it is served under one
                   (default http://127.0.0.1:3000; plain http only to this machine)
  ONCELINK_TIMEOUT seconds the server may keep a request waiting (default 30)
  ONCELINK_RETRIES times a passing failure (429, 502-504, unreachable) is tried again
                   (default 2; waits for Retry-After up to 30 s, else 1 s, 2 s, ...); a reveal
                   only when the server says nothing was spent, a file upload never
  ONCELINK_TOKEN   a personal access token; without one, send creates an anonymous secret.
                   It is sent only to ONCELINK_URL, never with a link (get).
  ONCELINK_PASSCODE  the passcode for send and get, out of ps (--passcode wins over it);
                   set it without typing it on a command line, which shell history keeps:
                   read -rs ONCELINK_PASSCODE; export ONCELINK_PASSCODE
                   get sends it only to ONCELINK_URL's links
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY  the proxy every request goes through (uploads too),
                   and the hosts that are reached directly (this machine always is)

Exit status: 0 done, 1 other error, 2 bad usage or a link refused as insecure,
3 secret gone (viewed, expired, deleted, or destroyed by the last wrong passcode),
4 not found (1 when ONCELINK_URL has no Oncelink API under it), 5 unauthorized or
wrong passcode, 6 forbidden, 7 rate limited, 141 the output's reader went away.
`;

const EXIT_BY_STATUS: Record<number, number> = { 410: 3, 404: 4, 401: 5, 403: 6, 429: 7 };
/** The client's own refusals that are the command line's fault. */
const USAGE_CODES = new Set(['insecure_link', 'not_a_share_url']);

function exitStatus(error: OncelinkError): number {
  if (USAGE_CODES.has(error.code ?? '')) return 2;
  // The last wrong passcode destroyed the secret: it is gone, whatever the 401 that said so.
  if (error.attemptsRemaining === 0) return EXIT_BY_STATUS[410];
  return EXIT_BY_STATUS[error.status] ?? 1;
}

/** The contract's range for `expire_value` (API.md); a plan's shorter lifetime is the server's to refuse. */
const MAX_EXPIRE_VALUE = 10_080;

/** `--views N`, `--minutes N`. */
function expireValue(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: Number() would take `1e3` and `0x10` too.
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive whole number`);
  if (Number(value) > MAX_EXPIRE_VALUE) throw new UsageError(`${flag} must be at most ${MAX_EXPIRE_VALUE}`);
  return Number(value);
}

/**
 * The line and paragraph separators (a line break in many CI log viewers: a label could fake a
 * row of its own), bidi controls and marks (U+202E reorders what follows) and the zero-width
 * space and joiners and BOM: no terminal control, but they make printed text read otherwise.
 */
const FORMAT = '\\u061c\\u200b-\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff';

/**
 * ANSI escapes (CSI, and OSC/DCS/PM/APC/SOS strings up to their terminator, in their 7-bit and
 * C1 spellings, and any other ESC sequence), then every C0 and C1 control character, DEL and
 * FORMAT character left.
 */
const CONTROL = new RegExp(
  [
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]',
    '(?:\\u001b[\\]P^_X]|[\\u0090\\u0098\\u009d-\\u009f])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?',
    '\\u001b[ -/]*[0-~]',
    `[\\u0000-\\u001f\\u007f-\\u009f${FORMAT}]`,
  ].join('|'),
  'g',
);

/** Text from the server (or from a link's host), made safe to print on a terminal. */
function printable(value: string | null | undefined): string {
  return (value ?? '').replace(CONTROL, '');
}

/** Ctrl-C (or end of input) at a prompt. */
class Interrupted extends Error {}

/**
 * Asks on the terminal without echoing what is typed; the prompt goes to stderr. One line, or
 * with `untilEnd` every line up to Ctrl-D on a line of its own (a pasted key, say), joined by
 * newlines.
 */
function askHidden(question: string, untilEnd = false): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(question);
  const lines: string[] = [];
  let interrupted = false;
  return new Promise((resolve, reject) => {
    rl.on('line', (line) => {
      lines.push(line);
      if (!untilEnd) rl.close();
    });
    rl.once('SIGINT', () => {
      interrupted = true;
      rl.close();
    });
    rl.once('close', () => {
      process.stderr.write('\n');
      if (interrupted || (!untilEnd && lines.length === 0)) reject(new Interrupted());
      else resolve(lines.join('\n'));
    });
  });
}

/**
 * `--country FR --country DE`, `--country FR,DE`, or both, as gh takes a list option. Only the
 * codes' shape is checked here: which codes exist is the server's to say (ZZ gets its 422).
 */
function countries(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((value) => {
    const codes = value.split(',').map((code) => code.trim());
    if (!codes.every((code) => COUNTRY_CODE_SHAPE.test(code))) {
      throw new UsageError(`--country takes two-letter country codes (ISO 3166-1 alpha-2: FR, or FR,DE), not "${value}"`);
    }
    return codes;
  });
}

/** The most any plan takes as a text secret, once encrypted; more is read no further. */
const MAX_TEXT_BYTES = LARGEST_CONTENT_BYTES - GCM_TAG_BYTES;
/** Where a text too long for a secret may go as a file instead. */
const PLANS_WITH_FILES = plansWith('files').join(', ');

/** The secret to send: typed at a prompt that does not echo on a terminal, else stdin (up to MAX_TEXT_BYTES). */
async function readSecret(): Promise<Uint8Array> {
  if (process.stdin.isTTY) {
    const typed = await askHidden('Secret (then Enter and Ctrl-D): ', true);
    if (typed === '') throw new UsageError('nothing to send');
    return Buffer.from(typed);
  }
  if (fstatSync(process.stdin.fd).isDirectory()) throw new UsageError('nothing to send: stdin is a directory');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > MAX_TEXT_BYTES)
      throw new UsageError(
        `stdin holds more than a text secret may: on a plan with file secrets (${PLANS_WITH_FILES}), send it as a file with --file -`,
      );
  }
  if (size === 0) throw new UsageError('nothing to send: stdin is empty');
  return Buffer.concat(chunks);
}

const MIB = 1024 * 1024;

/** `--file PATH`, or `--file -`: stdin, sealed as it arrives and sent once it ends, up to the largest file a plan takes. */
async function sendFile(client: OncelinkClient, path: string, name: string | undefined, options: SendOptions): Promise<Sent> {
  if (path !== '-') return client.sendFile(path, { ...options, name });
  if (process.stdin.isTTY) throw new UsageError('--file - reads the file from stdin, which is a terminal: pipe it in');
  if (fstatSync(process.stdin.fd).isDirectory()) throw new UsageError('nothing to send: stdin is a directory');
  // A producer that failed before writing anything (pg_dump | oncelink send --file -, without pipefail) gets no link to nothing.
  const chunks = process.stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  if (first.done) throw new UsageError('nothing to send: stdin is empty');
  // Kept on disk until it ends (see spool.ts): that much at most.
  async function* content(): AsyncGenerator<Buffer> {
    let size = 0;
    for (let next = first; !next.done; next = await chunks.next()) {
      size += next.value.length;
      if (size > LARGEST_FILE_BYTES)
        throw new UsageError(`stdin holds more than any plan takes as a file (${LARGEST_FILE_BYTES / MIB} MiB)`);
      yield next.value;
    }
  }
  return withSpool((spool) => client.sendStream(content(), name ?? 'stdin', options, spool));
}

/** A share URL is far shorter; more on stdin is not one. */
const MAX_LINK_CHARS = 4096;

/**
 * `get -`: the share URL, key and all, from stdin (or a prompt that does not echo), so it is in no
 * process list (`ps` shows every user a command line) and no shell history or CI trace.
 */
async function readLink(): Promise<string> {
  if (process.stdin.isTTY) return (await askHidden('Share URL: ')).trim();
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_LINK_CHARS) throw new UsageError('stdin holds more than a share URL');
  }
  return text.trim();
}

async function reveal(client: OncelinkClient, url: string, passcode: string | undefined): Promise<Revealed> {
  try {
    return await client.get(url, passcode);
  } catch (error) {
    const asked = passcode === undefined && process.stdin.isTTY && error instanceof OncelinkError && error.code === 'passcode_required';
    if (!asked) throw error;
    return client.get(url, await askHidden('Passcode: '));
  }
}

type OptionName = keyof ReturnType<typeof parse>['values'];

/**
 * What each command takes after its name: how many arguments, and which options. An option
 * another command takes is refused, not ignored: `get URL --file out` would otherwise print the
 * secret to stdout (a CI log, say) rather than into a file.
 */
const COMMANDS: Record<string, { count: number; surplus: string; options: OptionName[]; needsToken?: boolean }> = {
  send: {
    count: 0,
    surplus: 'send reads the secret from stdin (or --file), never from the command line',
    options: ['views', 'minutes', 'passcode', 'label', 'file', 'name', 'webhook-url', 'country', 'json'],
  },
  get: { count: 1, surplus: 'get takes one share URL', options: ['passcode', 'output'] },
  list: { count: 0, surplus: 'list takes no arguments', options: ['json'], needsToken: true },
  delete: { count: 1, surplus: 'delete takes one secret id', options: [], needsToken: true },
};

/**
 * ONCELINK_URL, checked once: an origin and the path the server is served under, if any (the API
 * is at <ONCELINK_URL>/api/v1), without credentials (they would be printed in messages), and over
 * https unless the server is this machine: the token and passcodes travel to it.
 */
function serverUrl(value: string | undefined): string {
  if (!value) return 'http://127.0.0.1:3000';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not echoed: a value that does not parse may still hold a password (https://ci:pa/ss@host).
    throw new UsageError('ONCELINK_URL is not a URL (expected https://host[:port][/path])');
  }
  if (!['http:', 'https:'].includes(url.protocol)) throw new UsageError('ONCELINK_URL must be an http(s) URL');
  if (url.username || url.password) throw new UsageError('ONCELINK_URL must not carry credentials: the token goes in ONCELINK_TOKEN');
  if (url.search || url.hash) {
    throw new UsageError('ONCELINK_URL must be the server’s address (https://host[:port][/path]), with no query or fragment');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new UsageError('ONCELINK_URL must use https (plain http only to this machine): the token and passcodes go to it');
  }
  return url.href;
}

/** ONCELINK_TIMEOUT: up to a day (a timer cannot wait much longer than 24 days in any case). */
function timeoutMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (!(seconds > 0) || seconds > 86_400) throw new UsageError('ONCELINK_TIMEOUT must be a number of seconds, up to 86400');
  return seconds * 1000;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        views: { type: 'string' },
        minutes: { type: 'string' },
        passcode: { type: 'string' },
        label: { type: 'string' },
        file: { type: 'string' },
        name: { type: 'string' },
        'webhook-url': { type: 'string' },
        country: { type: 'string', multiple: true },
        output: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error as NodeJS.ErrnoException));
  }
}

/**
 * parseArgs's refusal in one line. An unknown option is not echoed, as an unknown command is not:
 * it may be a secret put where an option goes (`oncelink "$SECRET"` with a secret that starts
 * with -). Its other refusals name only our own options, their lines joined.
 */
function parseArgsMessage(error: NodeJS.ErrnoException): string {
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return 'unknown option, not shown as it may be a secret';
  return error.message.replace(/\n/g, ' ');
}

/** DEL, the C1 controls (U+009B is a terminal's CSI) and the FORMAT characters, which JSON.stringify leaves raw. */
const RAW_IN_JSON = new RegExp(`[\\u007f-\\u009f${FORMAT}]`, 'g');

/** A line of JSON on stdout, for scripts (`--json`): every control character escaped, so a label cannot drive the terminal it is printed on. */
const printJson = (value: unknown) =>
  process.stdout.write(
    `${JSON.stringify(value).replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`,
  );

/** ONCELINK_TOKEN, checked as the client checks a token, and refused as bad usage (never printed). */
function bearerToken(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!isBearerToken(value)) {
    throw new UsageError('ONCELINK_TOKEN is not a token (letters, digits and -._~+/ only): check how it was set');
  }
  return value;
}

/** ONCELINK_RETRIES: how many times a passing failure is tried again, 0 to 10. */
function retries(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (!/^\d{1,2}$/.test(value) || Number(value) > 10) throw new UsageError('ONCELINK_RETRIES must be a whole number from 0 to 10');
  return Number(value);
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, argument] = positionals;
  // `oncelink help` and `oncelink version`, as gh and stripe take them.
  if (values.help || (command === 'help' && positionals.length === 1)) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version || (command === 'version' && positionals.length === 1)) {
    process.stdout.write(`oncelink ${version}\n`);
    return;
  }
  if (!command) throw new UsageError('a command is needed: send, get, list or delete');
  const takes = COMMANDS[command];
  // Not echoed: `oncelink "$SECRET"` would print the secret.
  if (!takes) throw new UsageError('unknown command: send, get, list or delete');
  if (positionals.length - 1 > takes.count) throw new UsageError(takes.surplus);
  for (const [name, value] of Object.entries(values) as [OptionName, unknown][]) {
    if (!takes.options.includes(name)) throw new UsageError(`${command} does not take --${name}`);
    if ([value].flat().includes('')) throw new UsageError(`--${name} needs a value`);
  }
  if (takes.needsToken && !process.env.ONCELINK_TOKEN) throw new UsageError(`${command} needs ONCELINK_TOKEN (a personal access token)`);
  proxyFromEnvironment();
  const teamPasscode = process.env.ONCELINK_PASSCODE || undefined;
  const client = new OncelinkClient(
    serverUrl(process.env.ONCELINK_URL),
    bearerToken(process.env.ONCELINK_TOKEN),
    timeoutMs(process.env.ONCELINK_TIMEOUT),
    retries(process.env.ONCELINK_RETRIES),
  );

  switch (command) {
    case 'send': {
      const views = expireValue(values.views, '--views');
      const minutes = expireValue(values.minutes, '--minutes');
      const options: SendOptions = {
        views,
        minutes,
        passcode: values.passcode ?? teamPasscode,
        label: values.label,
        webhookUrl: values['webhook-url'],
        allowedCountries: countries(values.country),
      };
      if (values.name !== undefined && !values.file) throw new UsageError('--name names a file: give it with --file');
      const sent = values.file ? await sendFile(client, values.file, values.name, options) : await client.send(await readSecret(), options);
      if (values.json) printJson(sent);
      else process.stdout.write(`${printable(sent.url)}\n`);
      return;
    }
    case 'get': {
      if (!argument) throw new UsageError('get needs the share URL');
      // Node decodes an argument that is not UTF-8 with U+FFFD in place of its bytes: the file would get another name.
      if (values.output?.includes('\uFFFD'))
        throw new UsageError('--output names a file that is not valid UTF-8: redirect stdout to it instead');
      // `-` is stdout, as curl and wget take it.
      const output = values.output && values.output !== '-' ? await openOutput(values.output) : undefined;
      try {
        const link = argument === '-' ? await readLink() : argument;
        // ONCELINK_PASSCODE is for its own server's links; --passcode goes where the user points it.
        const passcode = values.passcode ?? (client.isOwnLink(link) ? teamPasscode : undefined);
        const revealed = await reveal(client, link, passcode);
        const content = revealed.kind === 'file' ? revealed.content : [revealed.content];
        await pipeline(output ? content : namingOutputWhenCut(content), output?.stream ?? process.stdout);
      } catch (error) {
        await output?.discard();
        throw error;
      }
      await output?.keep();
      return;
    }
    case 'list': {
      for await (const secret of client.listAll()) {
        if (values.json) {
          printJson(secret);
          continue;
        }
        const fields = [secret.id, secret.status, secret.kind, secret.expires_at, secret.label];
        process.stdout.write(
          `${fields.map((field) => printable(field === null || field === undefined ? '' : String(field))).join('\t')}\n`,
        );
      }
      return;
    }
    case 'delete': {
      if (!argument) throw new UsageError('delete needs the secret id');
      await client.delete(argument);
      return;
    }
  }
}

/**
 * What goes to stdout, a download cut short saying what avoids it: stdout's reader may have paused
 * past the server's patience (gpg at a pinentry prompt), which writing to a file does not. The
 * error is stdout's own once the pipeline passes it on, so it is said here, before.
 */
async function* namingOutputWhenCut(content: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* content;
  } catch (error) {
    if (!(error instanceof OncelinkError) || error.code !== 'download_cut_short') throw error;
    const hint = 'If what reads stdout pauses (a prompt), the server stops sending: use --output FILE and read the file afterwards.';
    throw new OncelinkError(error.status, `${error.message} ${hint}`, error.code);
  }
}

/**
 * The reader went away (`oncelink list | head`): stop quietly with the status a command killed by
 * SIGPIPE has (141), not 0, since what `get` revealed (and spent) may not have been read.
 */
const READER_GONE_STATUS = 141;
const readerGone = (error: unknown) => (error as { code?: string })?.code === 'EPIPE';
process.stdout.on('error', (error: Error) => {
  if (readerGone(error)) process.exit(READER_GONE_STATUS);
  process.stderr.write(`oncelink: ${printable(error.message)}\n`);
  process.exit(1);
});

run(process.argv.slice(2)).catch((error: unknown) => {
  if (readerGone(error)) process.exit(READER_GONE_STATUS);
  if (error instanceof UsageError) {
    process.stderr.write(`oncelink: ${printable(error.message)} (see oncelink --help)\n`);
    process.exit(2);
  }
  if (error instanceof Interrupted) process.exit(130);
  if (error instanceof OncelinkError) {
    process.stderr.write(`oncelink: ${printable(error.message)}\n`);
    process.exit(exitStatus(error));
  }
  process.stderr.write(`oncelink: ${printable((error as Error).message ?? String(error))}\n`);
  process.exit(1);
});
