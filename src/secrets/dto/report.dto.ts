import { RequiredName } from '../../common/validation/text-field';

export class ReportDto {
  /** Why the link is abusive (phishing, malware, …). */
  @RequiredName(1000)
  reason!: string;
}
