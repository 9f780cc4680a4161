import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsIn, IsString, MinLength, ValidateBy } from 'class-validator';
import { hashedForm } from '../../auth/password-hasher';
import { OptionalBase64 } from '../../common/validation/base64-field';
import { IntegerBetween } from '../../common/validation/integer-field';
import { ListOf } from '../../common/validation/list-field';
import { humanize, msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';
import { OptionalText, Typable } from '../../common/validation/text-field';
import { IV_BYTES } from '../../crypto/keyring';
import { isCountryCode } from '../../geo/country-code';
import { COUNTRY_CODE_SHAPE } from '../../geo/country-code-shape';
import { OptionalWebhookUrl } from '../../webhooks/dto/webhook-url-rules';
import { MAX_PASSCODE_LENGTH, MIN_PASSCODE_LENGTH } from '../passcode';
import { MIN_CIPHERTEXT_BYTES } from '../secret-content';
import type { ExpireMode } from '../secret.entity';

/** API.md's range for expire_value (7 days in minutes); the plan may allow less (BillingService). */
const MAX_EXPIRE_VALUE = 10080;

export const ExpireModeRules = () => applyDecorators(IsIn(['views', 'minutes'], { message: msg.selected }));

export const ExpireValueRules = () => IntegerBetween(1, MAX_EXPIRE_VALUE);

/** A `views` secret's window, in minutes, as long as a `minutes` secret may live (an extension of API.md). */
export const ExpiresInMinutesRules = () => IntegerBetween(1, MAX_EXPIRE_VALUE);

/** The size limit is the plan's, checked on the bytes (BillingService). */
export const ContentRules = () =>
  applyDecorators(
    ApiProperty({ type: 'string', minLength: 1 }),
    IsString({ message: msg.string }),
    MinLength(1, { message: msg.required }),
  );

/** Country codes, of which `de` and `DE` are the same one. */
const CountryListRules = () =>
  ListOf(
    250,
    ValidateBy(
      { name: 'isCountryCode', validator: { validate: isCountryCode } },
      { each: true, message: (a) => `The ${humanize(a.property)} field must contain ISO 3166-1 alpha-2 codes.` },
    ),
    { type: 'string', pattern: COUNTRY_CODE_SHAPE.source, description: 'An ISO 3166-1 alpha-2 code, or XK, in either case' },
    (code) => (typeof code === 'string' ? code.toUpperCase() : code),
  );

export class CreateSecretDto {
  /** `views`: the link works for `expire_value` views (and at most 7 days, or `expires_in_minutes`); `minutes`: for that many minutes. */
  @IsDefined({ message: msg.required })
  @ExpireModeRules()
  expire_mode!: ExpireMode;

  /** 1 to 10080 (minutes, or views), within the plan's lifetime. */
  @IsDefined({ message: msg.required })
  @ExpireValueRules()
  expire_value!: number;

  /**
   * `views` secrets only: the link also ends this many minutes after its creation (1 to 10080,
   * within the plan's lifetime), views left or not, instead of after the plan's lifetime.
   */
  @Optional()
  @ExpiresInMinutesRules()
  expires_in_minutes?: number;

  /** Plain text; the server encrypts it at rest. Exactly one of `content` or `ciphertext`+`iv`. */
  @Optional()
  @ContentRules()
  content?: string;

  /** Base64 AES-256-GCM ciphertext made by the client (zero-knowledge). */
  @OptionalBase64({ minBytes: MIN_CIPHERTEXT_BYTES })
  ciphertext?: string;

  /** Base64 of the 12-byte IV the client used. */
  @OptionalBase64({ bytes: IV_BYTES })
  iv?: string;

  /** 4 to 128 characters (of its NFC form, as hashed), no control character but TAB, hashed with argon2id; asked for before the secret is revealed. */
  @OptionalText(MAX_PASSCODE_LENGTH, MIN_PASSCODE_LENGTH, hashedForm)
  @Typable()
  passcode?: string;

  @OptionalText(100)
  label?: string;

  /** Pro: receives the secret's events, signed: `secret.viewed`, `secret.burned`, `secret.expired` and `secret.deleted` (see the callbacks). */
  @OptionalWebhookUrl()
  webhook_url?: string;

  /** Pro: ISO 3166-1 alpha-2 codes (stored upper case) of the countries the secret may be opened from. */
  @Optional()
  @CountryListRules()
  allowed_countries?: string[];
}
