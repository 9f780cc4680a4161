import { RequiredText } from '../../common/validation/text-field';

export class ReportDto {
  /** Why the link is abusive (phishing, malware, …). */
  @RequiredText(1000)
  reason!: string;
}
