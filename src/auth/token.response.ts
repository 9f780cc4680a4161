import { ApiProperty } from '@nestjs/swagger';
import { ABILITIES, Ability } from './ability';
import { TOKEN_MODES, TokenMode } from './pat';

/** A token as lists show it: never its value, only the prefix to recognise it by. */
export class TokenResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'olk_live_AbCd' }) prefix!: string;
  @ApiProperty({ enum: ABILITIES, isArray: true }) abilities!: Ability[];
  @ApiProperty({ format: 'uuid' }) team_id!: string;
  @ApiProperty({ enum: TOKEN_MODES }) mode!: TokenMode;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_used_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

/** The one response that shows the token itself. */
export class CreatedTokenResponse extends TokenResponse {
  @ApiProperty({ description: 'Shown once; store it now.' }) token!: string;
}
