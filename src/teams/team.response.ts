import { ApiProperty } from '@nestjs/swagger';
import { ROLES, Role } from '../auth/role';
import { PLAN_NAMES, PlanName } from '../billing/plans';

/** A team as its member sees it: with the caller's role in it. */
export class TeamSummaryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PLAN_NAMES }) plan!: PlanName;
  @ApiProperty({ enum: ROLES, description: "The caller's role" }) role!: Role;
}

export class TeamResponse extends TeamSummaryResponse {
  @ApiProperty({ description: 'The team made at registration' }) personal!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CurrentTeamResponse extends TeamResponse {
  @ApiProperty({ type: 'integer', description: 'People and service accounts' }) members!: number;
}
