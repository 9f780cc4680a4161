import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { TokenAuth } from '../../auth/auth-context';
import { ApiError } from '../../common/errors/api-error';
import { IV_BYTES, Keyring } from '../../crypto/keyring';
import type { CreateSecretDto } from '../dto/create-secret.dto';
import type { ViewBudget } from '../expiry';
import { SecretRepository } from '../secret.repository';
import { Secret } from '../secret.entity';
import { goneError } from '../secret-gone';
import { statusOf } from '../secret-status';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency-key';

/** A create sent with an `Idempotency-Key`: the key, and the request as one string that any retry of it repeats. */
export interface KeyedCreate {
  key: string;
  request: string;
}

/** What a secret keeps of the keyed create that made it, to answer that create's retries. */
export type IdempotencyColumns = Pick<Secret, 'idempotencyKey' | 'idempotencyDigest' | 'idempotencyLink' | 'idempotencyKeyringId'>;

const UNKEYED: IdempotencyColumns = { idempotencyKey: null, idempotencyDigest: null, idempotencyLink: null, idempotencyKeyringId: null };

/** A JSON create's request: its fields, in any order the client sent them. */
export function jsonCreate(key: string, body: object): KeyedCreate {
  return { key, request: `json ${JSON.stringify(body, Object.keys(body).sort())}` };
}

/** A file create's request: its form fields and the file part (name, type, and the SHA-256 of its bytes). */
export function fileCreate(key: string, fields: object, file: { name?: string; type: string; sha256?: string }): KeyedCreate {
  return { key, request: `file ${JSON.stringify(fields, Object.keys(fields).sort())} ${JSON.stringify(file)}` };
}

/** A request other than the first under its key. */
export const keyReused = () =>
  ApiError.validation({ [IDEMPOTENCY_KEY_HEADER]: ['This key was already used for a different request.'] }, 'idempotency_key_reused');

/** What the sealed link is bound to, so it opens only on its own secret's row. */
const linkOf = (id: string) => `${id} link`;

/** What the first answer said that a change (PUT) or a view may alter since; the rest stays as the row has it. */
type FirstAnswer = Pick<Secret, 'label' | 'expireMode' | 'expireValue'> & ViewBudget;

/** The sealed link: the token, and the first answer's changeable fields (not kept by keys recorded before they were). */
interface SealedLink {
  token: string;
  first?: FirstAnswer;
}

/** The secret as its create answered it: what has changed since put back, no view spent. */
function asCreated(secret: Secret, { lifetimeMinutes, ...first }: FirstAnswer): Secret {
  return Object.assign(new Secret(), secret, first, {
    viewsCount: 0,
    lastViewedAt: null,
    updatedAt: secret.createdAt,
    expiresAt: new Date(secret.createdAt.getTime() + lifetimeMinutes * 60_000),
  });
}

/**
 * Creates under an `Idempotency-Key` (Stripe's semantics): a retry within 24 hours gets the first
 * create's answer, link included, and makes nothing. The request is kept only as a keyed digest
 * and the link only sealed (with what of the answer a PUT or a view may change), and both are
 * wiped with the secret's material when it ends.
 */
@Injectable()
export class IdempotentCreates {
  constructor(
    private readonly keyring: Keyring,
    private readonly secrets: SecretRepository,
  ) {}

  columns(
    id: string,
    token: string,
    keyed: KeyedCreate | undefined,
    fields: Pick<CreateSecretDto, 'label' | 'expire_mode' | 'expire_value'>,
    budget: ViewBudget,
  ): IdempotencyColumns {
    if (!keyed) return UNKEYED;
    const first: FirstAnswer = {
      label: fields.label ?? null,
      expireMode: fields.expire_mode,
      expireValue: fields.expire_value,
      ...budget,
    };
    const sealed = this.keyring.encrypt(linkOf(id), Buffer.from(JSON.stringify({ token, first } satisfies SealedLink)));
    return {
      idempotencyKey: keyed.key,
      idempotencyDigest: this.keyring.digest(sealed.keyId, keyed.request)!,
      idempotencyLink: Buffer.concat([sealed.iv, sealed.ciphertext]),
      idempotencyKeyringId: sealed.keyId,
    };
  }

  /**
   * The secret the key's first create made, as that create answered it, with its link; null when
   * the key was older than 24 hours, which frees it for this create. 410 once that secret has
   * ended, 422 for a request other than the first under the key.
   */
  async earlier(auth: TokenAuth, keyed: KeyedCreate): Promise<{ secret: Secret; token: string } | null> {
    const secret = await this.made(auth, keyed.key);
    if (!secret) {
      await this.secrets.forgetLapsedIdempotencyKey(auth.teamId, auth.userId, keyed.key);
      return null;
    }
    return this.answer(secret, keyed);
  }

  /** The secret the caller's create under `key` made in the last 24 hours, if any. */
  made(auth: TokenAuth, key: string): Promise<Secret | null> {
    return this.secrets.findByIdempotencyKey(auth.teamId, auth.userId, key);
  }

  /** `secret` (made under the key) as its create answered it, for a retry of that create; 410 and 422 as `earlier`. */
  answer(secret: Secret, keyed: KeyedCreate): { secret: Secret; token: string } {
    const { idempotencyDigest: digest, idempotencyLink: link, idempotencyKeyringId: keyId } = secret;
    if (statusOf(secret) !== 'active' || !digest || !link || !keyId) {
      const gone = goneError(secret);
      throw new ApiError(gone.status, gone.message, gone.extra, { [IDEMPOTENT_REPLAYED_HEADER]: 'true' });
    }
    const repeated = this.keyring.digest(keyId, keyed.request);
    if (!repeated) {
      throw ApiError.unavailable('This server lacks the key this Idempotency-Key was recorded under; try again.', {
        code: 'key_unavailable',
      });
    }
    if (!timingSafeEqual(repeated, digest)) throw keyReused();
    const sealed = { keyId, iv: link.subarray(0, IV_BYTES), ciphertext: link.subarray(IV_BYTES) };
    const opened = this.keyring.decrypt(linkOf(secret.id), sealed).toString();
    // A key recorded before the answer was kept sealed its bare link: its retries get the secret as it is.
    const { token, first } = opened.startsWith('{') ? (JSON.parse(opened) as SealedLink) : { token: opened, first: undefined };
    return { secret: first ? asCreated(secret, first) : secret, token };
  }
}
