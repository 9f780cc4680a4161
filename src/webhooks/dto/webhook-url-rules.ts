import { applyDecorators } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import { humanize } from '../../common/validation/messages';
import { OptionalText, RequiredText } from '../../common/validation/text-field';
import { canonicalWebhookUrl } from '../webhook-url-guard';

/** The longest webhook URL, as sent and as stored (webhook_endpoints.url is a varchar(2048)). */
const MAX_LENGTH = 2048;

/** The length of the URL's stored form, or 0 for one that does not parse (the guard refuses it). */
function storedLength(raw: string): number {
  try {
    return canonicalWebhookUrl(raw).href.length;
  } catch {
    return 0;
  }
}

/**
 * The URL fits as it is stored, not only as it was sent: the stored form keeps the URL parser's
 * percent-encoding, which writes `é` as six characters and `"` as three (canonicalWebhookUrl).
 */
const StoredUrlFits = () =>
  ValidateBy(
    { name: 'storedUrlFits', validator: { validate: (value: unknown) => typeof value !== 'string' || storedLength(value) <= MAX_LENGTH } },
    {
      message: (args) =>
        `The ${humanize(args.property)} field must not be greater than ${MAX_LENGTH} characters once percent-encoded as it is stored.`,
    },
  );

/** A team endpoint's `url`. */
export const RequiredWebhookUrl = () => applyDecorators(RequiredText(MAX_LENGTH), StoredUrlFits());

/** A secret's `webhook_url`. */
export const OptionalWebhookUrl = () => applyDecorators(OptionalText(MAX_LENGTH), StoredUrlFits());
