import { plansWith } from '../billing/plans';

/** Whether the changed secret (`src`) has anyone to tell: its own URL, or any endpoint of its team. */
const HAS_RECEIVER = `(src.webhook_url IS NOT NULL OR EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.team_id = src.team_id))`;

/**
 * Whether the changed secret's team (`src.team_id`) is on a plan with webhooks. A team that leaves
 * such a plan stops receiving (nothing is recorded for it), and starts again if it comes back; its
 * endpoints stay. Plan names are constants, never input.
 */
const ON_WEBHOOK_PLAN = `EXISTS (SELECT 1 FROM teams tm WHERE tm.id = src.team_id AND tm.plan IN (${plansWith('webhooks')
  .map((name) => `'${name}'`)
  .join(', ')}))`;

/**
 * The webhook events of a statement that changes secrets, as CTEs of that same statement, so a
 * change that commits has its deliveries recorded and one that rolls back has none (the
 * transactional outbox). `source` names the CTE of changed secrets (`id`, `team_id`, `label`,
 * `views_remaining`, `webhook_url` and whatever `types` reads); `types` is an SQL `text[]`
 * expression over its row alias `src` naming the events; `viewerCountry` a parameter reference or
 * NULL. One event goes to the secret's own `webhook_url` and to each team endpoint that takes its
 * type, once to a URL that is both; the deliveries of one event share its id. Anonymous secrets (no team) have no webhooks,
 * nor does a team whose plan lacks them. Whether the secret has a receiver, then (a CASE, so in
 * that order) its team's plan, are looked at once per changed secret, before any event is built,
 * so a secret nobody listens to (most reveals) builds no event id or payload and costs no plan
 * lookup.
 * Adds the CTEs `webhook_events` and `webhook_outbox` (the ids of the deliveries written).
 * Every piece is a constant or a parameter reference: nothing from a request is spliced in.
 */
export function webhookOutboxCte(source: string, types: string, viewerCountry: `$${number}` | 'NULL'): string {
  return `webhook_events AS (
    SELECT 'evt_' || replace(gen_random_uuid()::text, '-', '') AS event_id, t.type, src.id AS secret_id, src.team_id, src.webhook_url,
           jsonb_build_object('secret_id', src.id, 'label', src.label, 'views_remaining', src.views_remaining,
                              'viewer_country', ${viewerCountry}::text) AS data
      FROM ${source} src CROSS JOIN LATERAL unnest(${types}) AS t(type)
     WHERE src.team_id IS NOT NULL AND CASE WHEN ${HAS_RECEIVER} THEN ${ON_WEBHOOK_PLAN} END),
  webhook_outbox AS (
    INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, endpoint_id, type, url, data, next_attempt_at)
    SELECT gen_random_uuid(), e.event_id, e.team_id, e.secret_id, d.endpoint_id, e.type, d.url, e.data, now()
      FROM webhook_events e CROSS JOIN LATERAL (
        SELECT NULL::uuid AS endpoint_id, e.webhook_url AS url WHERE e.webhook_url IS NOT NULL
        UNION ALL
        SELECT w.id, w.url FROM webhook_endpoints w
         WHERE w.team_id = e.team_id AND e.type = ANY (w.events) AND w.url IS DISTINCT FROM e.webhook_url) d
    RETURNING id)`;
}
