import { ApiProperty } from '@nestjs/swagger';
import { ABILITIES, Ability } from '../auth/ability';

export class ServiceAccountResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ABILITIES, isArray: true, description: 'What its tokens may do' }) abilities!: Ability[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreatedServiceAccountResponse extends ServiceAccountResponse {
  @ApiProperty({ description: 'Its first token, shown once' }) token!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When that token expires (null: never)' })
  token_expires_at!: string | null;
}
