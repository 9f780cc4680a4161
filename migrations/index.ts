import { CreateAccountsAndTokens1795575687263 } from './1795575687263-CreateAccountsAndTokens';
import { CreateSecretsAndAuditEvents1795576126760 } from './1795576126760-CreateSecretsAndAuditEvents';
import { AddLinkReports1795577529833 } from './1795577529833-AddLinkReports';
import { AddTeamWebhookSecrets1795579154678 } from './1795579154678-AddTeamWebhookSecrets';
import { AddBilling1795580021398 } from './1795580021398-AddBilling';
import { AddWebhooks1795608551253 } from './1795608551253-AddWebhooks';
import { AddFileSecrets1795612000000 } from './1795612000000-AddFileSecrets';
import { AddTeamActiveSecretsIndex1795620000000 } from './1795620000000-AddTeamActiveSecretsIndex';
import { AddTeamSecretCounts1795630000000 } from './1795630000000-AddTeamSecretCounts';
import { AddTeamCreators1795640000000 } from './1795640000000-AddTeamCreators';
import { AddFileReaders1795650000000 } from './1795650000000-AddFileReaders';
import { AddTeamSubscriptions1795660000000 } from './1795660000000-AddTeamSubscriptions';
import { AddPendingPasscodeGuesses1795670000000 } from './1795670000000-AddPendingPasscodeGuesses';
import { AddTeamCreatorIndex1795680000000 } from './1795680000000-AddTeamCreatorIndex';
import { AddTeamFilesBeingReadIndex1795690000000 } from './1795690000000-AddTeamFilesBeingReadIndex';
import { AddIdempotentCreates1795700000000 } from './1795700000000-AddIdempotentCreates';
import { AddMonthlyContentBytes1795710000000 } from './1795710000000-AddMonthlyContentBytes';
import { AddOperatorPlans1795720000000 } from './1795720000000-AddOperatorPlans';
import { RecordEarlierOperatorGrants1795730000000 } from './1795730000000-RecordEarlierOperatorGrants';
import { AddPasscodeGuessLeases1795740000000 } from './1795740000000-AddPasscodeGuessLeases';
import { AddAuditEventsTimeIndex1795750000000 } from './1795750000000-AddAuditEventsTimeIndex';
import { AddPendingDestinationIndex1795760000000 } from './1795760000000-AddPendingDestinationIndex';
import { NormalizeEmails1795770000000 } from './1795770000000-NormalizeEmails';
import { AddViewWindows1795780000000 } from './1795780000000-AddViewWindows';
import { SealFileInfo1795790000000 } from './1795790000000-SealFileInfo';
import { AddDueDeliveryIndex1795800000000 } from './1795800000000-AddDueDeliveryIndex';
import { AddFilePartOwnerSeen1795810000000 } from './1795810000000-AddFilePartOwnerSeen';
import { StampAuditEventsWhenWritten1795820000000 } from './1795820000000-StampAuditEventsWhenWritten';
import { AddFilePartTeams1795830000000 } from './1795830000000-AddFilePartTeams';
import { FoldEmailCase1795840000000 } from './1795840000000-FoldEmailCase';
import { RepairPersonalTeamCreators1795850000000 } from './1795850000000-RepairPersonalTeamCreators';
import { AddPersonalTeamCreatorIndex1795860000000 } from './1795860000000-AddPersonalTeamCreatorIndex';
import { AddStripeEventsReceivedIndex1795870000000 } from './1795870000000-AddStripeEventsReceivedIndex';
import { AddFileDownloadEnds1795880000000 } from './1795880000000-AddFileDownloadEnds';
import { DropSecretsTeamForeignKey1795890000000 } from './1795890000000-DropSecretsTeamForeignKey';
import { WidenWebhookDeliveryUrls1795900000000 } from './1795900000000-WidenWebhookDeliveryUrls';

/** Every migration in order; imported explicitly so the same list works from TypeScript and the build. */
export const migrations = [
  CreateAccountsAndTokens1795575687263,
  CreateSecretsAndAuditEvents1795576126760,
  AddLinkReports1795577529833,
  AddTeamWebhookSecrets1795579154678,
  AddBilling1795580021398,
  AddWebhooks1795608551253,
  AddFileSecrets1795612000000,
  AddTeamActiveSecretsIndex1795620000000,
  AddTeamSecretCounts1795630000000,
  AddTeamCreators1795640000000,
  AddFileReaders1795650000000,
  AddTeamSubscriptions1795660000000,
  AddPendingPasscodeGuesses1795670000000,
  AddTeamCreatorIndex1795680000000,
  AddTeamFilesBeingReadIndex1795690000000,
  AddIdempotentCreates1795700000000,
  AddMonthlyContentBytes1795710000000,
  AddOperatorPlans1795720000000,
  RecordEarlierOperatorGrants1795730000000,
  AddPasscodeGuessLeases1795740000000,
  AddAuditEventsTimeIndex1795750000000,
  AddPendingDestinationIndex1795760000000,
  NormalizeEmails1795770000000,
  AddViewWindows1795780000000,
  SealFileInfo1795790000000,
  AddDueDeliveryIndex1795800000000,
  AddFilePartOwnerSeen1795810000000,
  StampAuditEventsWhenWritten1795820000000,
  AddFilePartTeams1795830000000,
  FoldEmailCase1795840000000,
  RepairPersonalTeamCreators1795850000000,
  AddPersonalTeamCreatorIndex1795860000000,
  AddStripeEventsReceivedIndex1795870000000,
  AddFileDownloadEnds1795880000000,
  DropSecretsTeamForeignKey1795890000000,
  WidenWebhookDeliveryUrls1795900000000,
];
