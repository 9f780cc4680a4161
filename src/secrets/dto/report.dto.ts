import { IsDefined, IsString, MaxLength, MinLength } from 'class-validator';
import { msg } from '../../common/validation/messages';

export class ReportDto {
  /** Why the link is abusive (phishing, malware, …). */
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MinLength(1, { message: msg.required })
  @MaxLength(1000, { message: msg.maxLength(1000) })
  reason!: string;
}
