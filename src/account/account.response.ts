import { ApiProperty } from '@nestjs/swagger';
import { ABILITIES, Ability } from '../auth/ability';
import { TOKEN_MODES, TokenMode } from '../auth/pat';
import { USER_KINDS, UserKind } from '../auth/user.entity';
import { PlanLimitsResponse } from '../billing/plan-limits.response';
import { PLAN_NAMES, PlanName } from '../billing/plans';
import { TeamSummaryResponse } from '../teams/team.response';

export class RegisteredResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ description: 'The personal team made with the account' }) team!: TeamSummaryResponse;
}

export class AccountUserResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: USER_KINDS }) kind!: UserKind;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class AccountTokenResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ABILITIES, isArray: true }) abilities!: Ability[];
  @ApiProperty({ enum: TOKEN_MODES }) mode!: TokenMode;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When this token stops working; null: never' })
  expires_at!: string | null;
}

/** This billing period (the calendar month, UTC) and what is live now. */
export class UsageResponse {
  @ApiProperty({ type: 'integer' }) members!: number;
  @ApiProperty({ type: 'integer' }) secrets_created_this_period!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    description: "Bytes the period's text and encrypted secrets hold; the plan's content_bytes_per_month bounds it",
  })
  content_bytes_this_period!: number;
  @ApiProperty({ type: 'integer' }) active_secrets!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    description: "Bytes the team's unopened file secrets hold; the plan's file_storage_bytes bounds it",
  })
  file_bytes_held!: number;
  @ApiProperty({ format: 'date-time' }) period_start!: string;
}

export class AccountResponse {
  @ApiProperty() user!: AccountUserResponse;
  @ApiProperty() team!: TeamSummaryResponse;
  @ApiProperty() token!: AccountTokenResponse;
  @ApiProperty() usage!: UsageResponse;
  @ApiProperty() limits!: PlanLimitsResponse;
}

export class BillingResponse {
  @ApiProperty({ enum: PLAN_NAMES }) plan!: PlanName;
  @ApiProperty({ type: String, nullable: true, description: "The Stripe subscription's status; null without one" }) status!: string | null;
  @ApiProperty() limits!: PlanLimitsResponse;
  @ApiProperty() usage!: UsageResponse;
}
