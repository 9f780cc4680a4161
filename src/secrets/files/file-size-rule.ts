import type { BillingService } from '../../billing/billing.service';
import type { PlanName } from '../../billing/plans';
import { MAX_METADATA_BYTES, sealedSize } from '../../crypto/file-stream';
import type { FileEncryption } from '../secret.entity';

/** The largest stored form of the plan's largest file. */
export function storedFileLimit(billing: BillingService, plan: PlanName): number {
  return sealedSize(billing.fileBytes(plan), MAX_METADATA_BYTES);
}

/**
 * The plan's size rule for a file of `size` bytes: a server file's plaintext, a client file's
 * bytes once past what the store takes for them (storedFileLimit; its own overhead is not the sender's).
 */
export function assertFileFits(billing: BillingService, plan: PlanName, encryption: FileEncryption, size: number): void {
  if (encryption === 'server' || size > storedFileLimit(billing, plan)) billing.assertFileSize(plan, size);
}
