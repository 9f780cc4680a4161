// The floor npm run bench measures Oncelink against: node:http and pg, no framework, doing the
// same essential work per pair. Create: SHA-256 of the PAT looked up by index, AES-256-GCM with a
// fresh IV and the id as associated data, one INSERT. Reveal: one conditional UPDATE that spends
// the view (RETURNING the ciphertext), then decryption. Named statements, like Oncelink's.
//
//   node bench/reference-server.mjs <database url> <port>   prints "ready <pat>" when listening
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const [url, port] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });
const key = randomBytes(32);
const sha256 = (value) => createHash('sha256').update(value).digest();

await pool.query(`CREATE TABLE IF NOT EXISTS ref_tokens (token_hash bytea PRIMARY KEY, team_id uuid NOT NULL)`);
await pool.query(`CREATE TABLE IF NOT EXISTS ref_secrets (
  id uuid PRIMARY KEY, team_id uuid NOT NULL, token_hash bytea NOT NULL UNIQUE,
  ciphertext bytea, iv bytea, views_remaining int NOT NULL, expires_at timestamptz NOT NULL)`);
const pat = `ref_${randomBytes(24).toString('base64url')}`;
await pool.query(`INSERT INTO ref_tokens VALUES ($1, $2)`, [sha256(pat), randomUUID()]);

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
}

async function create(req, res) {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const {
    rows: [token],
  } = await pool.query({ name: 'auth', text: 'SELECT team_id FROM ref_tokens WHERE token_hash = $1', values: [sha256(bearer ?? '')] });
  if (!token) return send(res, 401, { message: 'Unauthenticated.' });
  const body = await readJson(req);
  if (typeof body.content !== 'string' || !Number.isInteger(body.expire_value)) return send(res, 422, { message: 'invalid' });
  const id = randomUUID();
  const link = randomBytes(18).toString('base64url');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(id));
  const ciphertext = Buffer.concat([cipher.update(body.content, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  await pool.query({
    name: 'create',
    text: `INSERT INTO ref_secrets VALUES ($1, $2, $3, $4, $5, $6, now() + interval '7 days')`,
    values: [id, token.team_id, sha256(link), ciphertext, iv, body.expire_value],
  });
  send(res, 201, { message: 'Secret created successfully.', data: { id, token: link } });
}

async function reveal(res, link) {
  const {
    rows: [spent],
  } = await pool.query({
    name: 'reveal',
    text: `UPDATE ref_secrets SET views_remaining = views_remaining - 1
            WHERE token_hash = $1 AND views_remaining > 0 AND expires_at > now() RETURNING id, ciphertext, iv`,
    values: [sha256(link)],
  });
  if (!spent) return send(res, 410, { message: 'Gone.' });
  const decipher = createDecipheriv('aes-256-gcm', key, spent.iv).setAAD(Buffer.from(spent.id));
  decipher.setAuthTag(spent.ciphertext.subarray(-16));
  const content = Buffer.concat([decipher.update(spent.ciphertext.subarray(0, -16)), decipher.final()]).toString('utf8');
  send(res, 200, { data: { kind: 'text', content } });
}

createServer((req, res) => {
  const link = /^\/api\/v1\/links\/([\w-]+)\/reveal$/.exec(req.url ?? '')?.[1];
  const handled =
    req.method === 'POST' && req.url === '/api/v1/secrets'
      ? create(req, res)
      : req.method === 'POST' && link
        ? reveal(res, link)
        : Promise.resolve(send(res, 404, { message: 'Not found.' }));
  handled.catch(() => send(res, 500, { message: 'Server Error.' }));
}).listen(Number(port), '127.0.0.1', () => console.log(`ready ${pat}`));
