/**
 * The parts of a verified Stripe event the webhook reads. Stripe always sends them so shaped; a
 * correctly signed event that is not (a hand-made one, a test gone wrong) is acknowledged and
 * ignored rather than failing halfway, and nothing longer than its column is stored.
 */
export interface StripeEventFields {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  object: Record<string, unknown>;
}

export interface SubscriptionFields {
  id: string;
  status: string;
  teamId?: string;
  /** The ids of the subscription's prices. */
  prices: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// PostgreSQL text cannot hold NUL: such a value would fail the insert (a 500, retried by Stripe forever).
const text = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max && !value.includes('\0');

/** How far a signature's timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Stripe made the event before it signed the delivery: a `created` later than a signature could
 * be is not Stripe's, and would hold off every real event after it.
 */
const plausibleTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= Date.now() / 1000 + SIGNATURE_TOLERANCE_SECONDS;

export function readEvent(event: unknown): StripeEventFields | null {
  if (!isRecord(event) || !isRecord(event.data) || !isRecord(event.data.object)) return null;
  const { id, type, created } = event;
  if (!text(id, 255) || !text(type, 100) || !plausibleTime(created)) return null;
  return { id, type, created, object: event.data.object };
}

export function readSubscription(object: Record<string, unknown>): SubscriptionFields | null {
  const { id, status, metadata, items } = object;
  if (!text(id, 255) || !text(status, 32) || (metadata != null && !isRecord(metadata)) || (items != null && !isRecord(items))) return null;
  const data = items?.data ?? [];
  if (!Array.isArray(data)) return null;
  const prices = data
    .map((item: unknown) => (isRecord(item) && isRecord(item.price) ? item.price.id : undefined))
    .filter((price): price is string => typeof price === 'string');
  const teamId = metadata?.team_id;
  // PostgreSQL writes a uuid in lower case, and the team it names is compared with it.
  return { id, status, teamId: typeof teamId === 'string' ? teamId.toLowerCase() : undefined, prices };
}
