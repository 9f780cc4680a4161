import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { updateReturning } from '../common/database/update-returning';
import { findPage, Page } from '../common/http/pagination';
import type { WebhookEventData, WebhookEventType } from './webhook-event';
import { DeliveryStatus, WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { teamsUnsignableWith } from './team-webhook-secret.repository';

/** A delivery a worker has leased for one attempt. */
export interface ClaimedDelivery {
  id: string;
  event_id: string;
  team_id: string;
  type: WebhookEventType;
  url: string;
  data: WebhookEventData;
  created_at: Date;
  /** This attempt's number, counted in the row once it is sent (renewLease) or its failure recorded. */
  attempts: number;
  /** The row's `leased_until` as this claim (or its renewal) set it, exactly: the lease is this worker's while the row still has it. */
  lease: string;
  /** Where it goes, as places are shared out: the URL's host and port, in lower case. */
  destination: string;
}

/**
 * What a claim leaves room for: attempts under way here, and how many each team and each of a
 * team's destinations may have. Of the `limit` free places, teams with attempts under way (or
 * given one by this claim) may take only `shared`: the rest are kept for teams with none.
 */
export interface ClaimRoom {
  limit: number;
  shared: number;
  runningByTeam: Map<string, number>;
  perTeam: number;
  /** Keyed by teamDestination(). */
  runningByDestination: Map<string, number>;
  perDestination: number;
  /** The deliveries under way here: none is claimed again while its attempt has not ended, lease or not. */
  sending: string[];
}

/** A pair with deliveries pending, where a claim's walk of them stopped: the next walks on after it. */
export interface WalkPlace {
  team_id: string;
  destination: string;
}

/** A claim's leases, and where its walk stopped (null: at the end, so the next starts over). */
export interface Claim {
  deliveries: ClaimedDelivery[];
  walkedTo: WalkPlace | null;
}

/** A team's destination, as ClaimRoom.runningByDestination keys it. */
export const teamDestination = (teamId: string, destination: string): string => `${teamId} ${destination}`;

export interface AttemptRecord {
  status: DeliveryStatus;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  startedAt: Date;
  nextAttemptAt: Date | null;
}

/** The last attempts the log keeps for a delivery. */
const HISTORY = 50;
/** Destinations a claim takes due deliveries from, those waiting longest first. */
const CANDIDATE_DESTINATIONS = 128;
/** Due deliveries a claim reads, oldest first, to find where to send; more than this is a backlog. */
const DUE_LOOKAHEAD = 64;
/** Pairs with deliveries pending that a claim walks, in a backlog, after where the last one stopped. */
const WALK = 256;
/**
 * A delivery's destination (ClaimedDelivery.destination) in SQL: the authority of its URL. Written
 * exactly as webhook_deliveries_pending_idx has it, or the claim cannot use that index.
 */
const DESTINATION = `coalesce(lower(substring(url from '^[^:/?#]+://([^/?#]*)')), '')`;
/** teamDestination() in SQL, of a row with team_id and destination. */
const PAIR = (row: string) => `${row}.team_id || ' ' || ${row}.destination`;

@Injectable()
export class WebhookDeliveryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Leases up to `limit` due deliveries for one attempt each, in one short statement: SKIP LOCKED
   * lets instances claim side by side without waiting on each other, and the lease keeps any
   * other from taking a row while its attempt may still be running. If this process dies
   * mid-attempt, the lease runs out and another instance (or this one, restarted) sends it again.
   * No team gets more than `perTeam` attempts under way here, nor any of its destinations more
   * than `perDestination` (another team's receivers on the same host are not held up by its), so
   * receivers that never answer cannot take every place from other teams', nor from their own
   * team's other receivers. Teams with fewer attempts under way go first, then the oldest due;
   * and only teams with none may take the places beyond `shared`, so however many places a few
   * slow teams hold, a team with nothing under way finds one. A team whose
   * signing secret the master keys `keyIds` cannot open is left to an instance that holds its key,
   * and one whose current secret has an IV in `damaged` to the rotation that replaces it.
   *
   * It finds the team and destination pairs with deliveries due among the first DUE_LOOKAHEAD due
   * rows (webhook_deliveries_due_idx), so deliveries waiting out their retries cost it nothing,
   * however many destinations they go to. When more are due than that (a backlog), it walks the
   * next WALK pairs that have deliveries pending after `walkFrom` instead (skipping through
   * webhook_deliveries_pending_idx, one probe a pair), so a backlog waiting on a busy destination
   * or team is not read either, nor are more pairs than that, however many wait out their
   * retries; each claim walks on from where the last stopped, back to the start after the last
   * pair, so every pair is reached within ceil(pairs / WALK) + 1 claims. Either way it leaves out
   * the pairs it may not send to now, and reads at most `perDestination` rows from each of the rest.
   */
  async claimDue(room: ClaimRoom, leaseMs: number, keyIds: string[], damaged: Buffer[], walkFrom: WalkPlace | null): Promise<Claim> {
    const { runningByTeam: teams, runningByDestination: destinations } = room;
    const pendingTo = (pair: string) => `status = 'pending' AND team_id = ${pair}.team_id AND ${DESTINATION} = ${pair}.destination`;
    const unleased = `(leased_until IS NULL OR leased_until <= now())`;
    // The walk's end comes back on every row, and on one row of nulls when nothing is claimed.
    const rows: (ClaimedDelivery & { walked_team_id: string | null; walked_destination: string | null })[] = await this.db.query(
      `WITH RECURSIVE busy AS (SELECT * FROM unnest($3::uuid[], $4::int[]) AS b(team_id, running)),
       busy_at AS (SELECT * FROM unnest($7::text[], $8::int[]) AS b(pair, running)),
       first_due AS (
         SELECT team_id, ${DESTINATION} AS destination, next_attempt_at FROM webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= now() AND ${unleased}
          ORDER BY next_attempt_at LIMIT ${DUE_LOOKAHEAD}),
       backlog AS (SELECT count(*) = ${DUE_LOOKAHEAD} AS found FROM first_due),
       pending AS (
         (SELECT team_id, ${DESTINATION} AS destination, 1 AS n FROM webhook_deliveries
           WHERE status = 'pending' AND (SELECT found FROM backlog)
             AND ($12::uuid IS NULL OR (team_id, ${DESTINATION}) > ($12::uuid, $13::text))
           ORDER BY team_id, ${DESTINATION} LIMIT 1)
         UNION ALL
         SELECT later.team_id, later.destination, p.n + 1 FROM pending p CROSS JOIN LATERAL (
           SELECT team_id, ${DESTINATION} AS destination FROM webhook_deliveries
            WHERE status = 'pending' AND (team_id, ${DESTINATION}) > (p.team_id, p.destination)
            ORDER BY team_id, ${DESTINATION} LIMIT 1) later
          WHERE p.n < ${WALK}),
       walked_to AS (
         SELECT team_id, destination FROM pending WHERE n = ${WALK}
         UNION ALL
         SELECT $12::uuid, $13::text WHERE NOT (SELECT found FROM backlog)),
       due_pairs AS (
         SELECT team_id, destination, min(next_attempt_at) AS next_attempt_at FROM first_due
          WHERE NOT (SELECT found FROM backlog) GROUP BY team_id, destination
         UNION ALL
         SELECT p.team_id, p.destination, oldest.next_attempt_at FROM pending p CROSS JOIN LATERAL (
           SELECT next_attempt_at FROM webhook_deliveries WHERE ${pendingTo('p')} AND ${unleased}
            ORDER BY next_attempt_at LIMIT 1) oldest
          WHERE oldest.next_attempt_at <= now()),
       waiting AS (
         SELECT team_id, destination, next_attempt_at FROM (
           SELECT p.*, row_number() OVER (PARTITION BY p.team_id ORDER BY p.next_attempt_at) + coalesce(busy.running, 0) AS place
             FROM due_pairs p LEFT JOIN busy ON busy.team_id = p.team_id
            WHERE ${PAIR('p')} NOT IN (SELECT pair FROM busy_at WHERE running >= $9)
              AND p.team_id NOT IN (${teamsUnsignableWith('$6::text[]', '$10::bytea[]')})) pairs
          WHERE place <= $5 ORDER BY place, next_attempt_at LIMIT ${CANDIDATE_DESTINATIONS}),
       due AS (
         SELECT d.id, w.team_id, d.next_attempt_at, w.destination FROM waiting w CROSS JOIN LATERAL (
           SELECT id, next_attempt_at FROM webhook_deliveries WHERE ${pendingTo('w')} AND next_attempt_at <= now() AND ${unleased}
              AND id <> ALL($14::uuid[])
            ORDER BY next_attempt_at LIMIT $9 FOR UPDATE SKIP LOCKED) d),
       placed AS (
         SELECT due.id, due.next_attempt_at,
                row_number() OVER (PARTITION BY due.team_id ORDER BY due.next_attempt_at) + coalesce(busy.running, 0) AS place,
                row_number() OVER (PARTITION BY due.team_id, due.destination ORDER BY due.next_attempt_at) + coalesce(busy_at.running, 0) AS place_at
           FROM due LEFT JOIN busy ON busy.team_id = due.team_id LEFT JOIN busy_at ON busy_at.pair = ${PAIR('due')}),
       allowed AS (
         SELECT id, place, row_number() OVER (ORDER BY place, next_attempt_at) AS nth FROM placed WHERE place <= $5 AND place_at <= $9),
       claimed AS (
         UPDATE webhook_deliveries SET leased_until = now() + $2 * interval '1 millisecond'
          WHERE id IN (SELECT id FROM allowed WHERE place = 1 OR nth <= $11 ORDER BY nth LIMIT $1)
          RETURNING id, event_id, team_id, type, url, data, created_at, attempts + 1 AS attempts, leased_until::text AS lease,
                    ${DESTINATION} AS destination)
       SELECT claimed.*, walked_to.team_id AS walked_team_id, walked_to.destination AS walked_destination
         FROM (SELECT) one LEFT JOIN walked_to ON true LEFT JOIN claimed ON true`,
      [
        room.limit,
        leaseMs,
        [...teams.keys()],
        [...teams.values()],
        room.perTeam,
        keyIds,
        [...destinations.keys()],
        [...destinations.values()],
        room.perDestination,
        damaged,
        room.shared,
        walkFrom?.team_id ?? null,
        walkFrom?.destination ?? null,
        room.sending,
      ],
    );
    const [{ walked_team_id, walked_destination }] = rows;
    return {
      deliveries: rows.filter((row) => row.id !== null),
      walkedTo: walked_team_id === null ? null : { team_id: walked_team_id, destination: walked_destination! },
    };
  }

  /** Gives back a claimed attempt that was never made: the delivery is due again, its attempts as before. */
  async giveBack(claim: ClaimedDelivery): Promise<void> {
    await this.db.query(`UPDATE webhook_deliveries SET leased_until = NULL WHERE id = $1 AND leased_until = $2::timestamptz`, [
      claim.id,
      claim.lease,
    ]);
  }

  /**
   * Just before the send: whether the lease is still this claim's, and if so a fresh one of
   * `leaseMs` from now, with the attempt counted. However long the steps since the claim took
   * (signing reads the database), a lease that ran out and was claimed again, here or by another
   * instance, has another value, so at most one attempt of a row is ever sent at once. Null:
   * not this claim's any more (or no longer pending), and nothing is to be sent or recorded.
   */
  async renewLease(claim: ClaimedDelivery, leaseMs: number): Promise<ClaimedDelivery | null> {
    const rows = await updateReturning<{ lease: string }>(
      this.db.manager,
      `UPDATE webhook_deliveries SET attempts = $3, leased_until = clock_timestamp() + $4 * interval '1 millisecond'
        WHERE id = $1 AND leased_until = $2::timestamptz AND status = 'pending'
        RETURNING leased_until::text AS lease`,
      [claim.id, claim.lease, claim.attempts, leaseMs],
    );
    return rows.length ? { ...claim, lease: rows[0].lease } : null;
  }

  /**
   * Records an attempt's outcome, unless the lease has passed to another attempt meanwhile. A
   * delivery whose endpoint was deleted while this attempt was in flight stays failed, unless
   * the attempt got through: then it was delivered, and says so.
   */
  async recordAttempt(claim: ClaimedDelivery, record: AttemptRecord): Promise<void> {
    const entry = {
      attempt: claim.attempts,
      at: record.startedAt.toISOString(),
      status_code: record.statusCode,
      error: record.error,
      duration_ms: record.durationMs,
    };
    await this.db.query(
      `UPDATE webhook_deliveries SET attempts = $2,
          status = CASE WHEN status = 'failed' AND $3::varchar <> 'delivered' THEN 'failed' ELSE $3::varchar END,
          last_error = CASE WHEN status = 'failed' AND $3::varchar <> 'delivered' THEN last_error ELSE $5::text END,
          next_attempt_at = CASE WHEN status = 'failed' THEN NULL ELSE $8::timestamptz END,
          last_status_code = $4, last_attempt_at = $6, last_duration_ms = $7, leased_until = NULL,
          delivered_at = CASE WHEN $3::varchar = 'delivered' THEN now() ELSE delivered_at END,
          history = (CASE WHEN jsonb_array_length(history) >= ${HISTORY} THEN history - 0 ELSE history END) || jsonb_build_array($9::jsonb)
        WHERE id = $1 AND leased_until = $10::timestamptz AND (status = 'pending' OR (status = 'failed' AND leased_until IS NOT NULL))`,
      [
        claim.id,
        claim.attempts,
        record.status,
        record.statusCode,
        record.error,
        record.startedAt,
        record.durationMs,
        record.nextAttemptAt,
        JSON.stringify(entry),
        claim.lease,
      ],
    );
  }

  list(teamId: string, secretId: string | null, page: Page, status?: DeliveryStatus): Promise<[WebhookDelivery[], number]> {
    return findPage(this.db.getRepository(WebhookDelivery), page, {
      where: { teamId, ...(secretId && { secretId }), ...(status && { status }) },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  findById(teamId: string, id: string, manager: EntityManager): Promise<WebhookDelivery | null> {
    return manager.getRepository(WebhookDelivery).findOneBy({ teamId, id });
  }

  /**
   * Due now, whatever its state; false while an attempt is in flight (it is being sent already)
   * or when it was for a team endpoint that has since been deleted. A team endpoint's delivery
   * goes to the endpoint's URL as it is now (one fixed since the delivery failed gets it); a
   * secret's own keeps its URL. The endpoint's row is read FOR SHARE: a change of its URL under
   * way is waited for and read, and one after it finds this delivery pending and redirects it; a
   * deletion under way is waited for too, and leaves the delivery as it was (read without the lock,
   * the row was there in the statement's snapshot, and the delivery went to the deleted endpoint).
   */
  async sendAgain(teamId: string, id: string, manager: EntityManager): Promise<boolean> {
    const rows = await updateReturning<{ id: string }>(
      manager,
      `UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now(),
          url = coalesce((SELECT w.url FROM webhook_endpoints w WHERE w.id = d.endpoint_id FOR SHARE), d.url)
        WHERE d.team_id = $1 AND d.id = $2 AND (d.leased_until IS NULL OR d.leased_until <= now())
          AND (d.endpoint_id IS NULL OR EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id FOR SHARE))
        RETURNING d.id`,
      [teamId, id],
    );
    return rows.length > 0;
  }

  endpointExists(teamId: string, endpointId: string, manager: EntityManager): Promise<boolean> {
    return manager.getRepository(WebhookEndpoint).existsBy({ teamId, id: endpointId });
  }

  /** Forgets deliveries no longer pending (delivered or failed) that were queued more than `days` ago; answers how many. */
  async removeFinished(days: number): Promise<number> {
    const [row]: { removed: number }[] = await this.db.query(
      `WITH gone AS (DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - $1 * interval '1 day' RETURNING 1)
       SELECT count(*)::int AS removed FROM gone`,
      [days],
    );
    return row.removed;
  }

  /** An endpoint given a new URL gets what was still due to it there. */
  async redirectPendingForEndpoint(teamId: string, endpointId: string, url: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE webhook_deliveries SET url = $3 WHERE team_id = $1 AND endpoint_id = $2 AND status = 'pending'`, [
      teamId,
      endpointId,
      url,
    ]);
  }

  /** A deleted endpoint gets nothing more: what was still due to it fails, visibly. */
  async failPendingForEndpoint(teamId: string, endpointId: string, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'The endpoint was deleted.'
        WHERE team_id = $1 AND endpoint_id = $2 AND status = 'pending'`,
      [teamId, endpointId],
    );
  }
}
