import { OptionalBase64 } from '../../common/validation/base64-field';
import { Optional } from '../../common/validation/optional';
import { NullableText } from '../../common/validation/text-field';
import { IV_BYTES } from '../../crypto/keyring';
import { MIN_CIPHERTEXT_BYTES } from '../secret-content';
import type { ExpireMode } from '../secret.entity';
import { ContentRules, ExpireModeRules, ExpiresInMinutesRules, ExpireValueRules } from './create-secret.dto';

/** Every field optional; a new `expire_value` (or mode) starts a new budget from now. */
export class UpdateSecretDto {
  @Optional()
  @ExpireModeRules()
  expire_mode?: ExpireMode;

  @Optional()
  @ExpireValueRules()
  expire_value?: number;

  /**
   * `views` secrets only: a new window from now (its views left stay). A new `expire_value`
   * without it keeps the secret's window length; a switch to `minutes` drops the window.
   */
  @Optional()
  @ExpiresInMinutesRules()
  expires_in_minutes?: number;

  /** A text secret's new content. */
  @Optional()
  @ContentRules()
  content?: string;

  /** An encrypted secret's new base64 ciphertext, with its `iv`; the link's key must be the one that made it. */
  @OptionalBase64({ minBytes: MIN_CIPHERTEXT_BYTES })
  ciphertext?: string;

  /** Base64 of the 12-byte IV of the new `ciphertext`. */
  @OptionalBase64({ bytes: IV_BYTES })
  iv?: string;

  /** `null` clears the label. */
  @NullableText(100)
  label?: string | null;
}
