import { ApiProperty } from '@nestjs/swagger';

export class PlanFeaturesResponse {
  @ApiProperty() webhooks!: boolean;
  @ApiProperty() geo_blocking!: boolean;
  @ApiProperty() files!: boolean;
}

/** What the team's plan allows. */
export class PlanLimitsResponse {
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Largest text or client-encrypted secret, in bytes' })
  content_bytes!: number;
  @ApiProperty({ type: 'integer', description: 'Longest a secret lives; views secrets expire then too' }) max_lifetime_minutes!: number;
  @ApiProperty({ type: 'integer', description: 'People and service accounts' }) members!: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Largest file secret, in bytes (0: no files)' }) file_bytes!: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: "What the team's unopened file secrets may hold at once, in bytes" })
  file_storage_bytes!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    description: "What the team's text and encrypted secrets created in a month (UTC) may hold together, in bytes",
  })
  content_bytes_per_month!: number;
  @ApiProperty({ type: 'integer', description: "A token's request budget" }) requests_per_minute!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: "A token's burst budget, per second; null: the plan has none" })
  requests_per_second!: number | null;
  @ApiProperty({ type: 'integer', description: "What all of the team's tokens together may send" }) team_requests_per_minute!: number;
  @ApiProperty() features!: PlanFeaturesResponse;
}
