import { applyDecorators } from '@nestjs/common';
import { humanize } from '../../common/validation/messages';
import { MaxChars, OptionalText, RequiredText } from '../../common/validation/text-field';
import { storedWebhookUrl } from '../webhook-url-guard';

/** The longest webhook URL, as sent and as stored (webhook_endpoints.url is a varchar(2048)). */
const MAX_LENGTH = 2048;

/**
 * The URL fits as it is stored, not only as it was sent: the stored form keeps the URL parser's
 * percent-encoding, which writes `é` as six characters and `"` as three.
 */
const StoredUrlFits = () =>
  MaxChars(
    MAX_LENGTH,
    storedWebhookUrl,
    (args) =>
      `The ${humanize(args.property)} field must not be greater than ${MAX_LENGTH} characters once percent-encoded as it is stored.`,
  );

/** A team endpoint's `url`. */
export const RequiredWebhookUrl = () => applyDecorators(RequiredText(MAX_LENGTH), StoredUrlFits());

/** A secret's `webhook_url`. */
export const OptionalWebhookUrl = () => applyDecorators(OptionalText(MAX_LENGTH), StoredUrlFits());
