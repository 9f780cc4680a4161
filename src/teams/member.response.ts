import { ApiProperty } from '@nestjs/swagger';
import { ROLES, Role } from '../auth/role';
import { USER_KINDS, UserKind } from '../auth/user.entity';

export class MemberResponse {
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null for service accounts' }) email!: string | null;
  @ApiProperty({ enum: USER_KINDS }) kind!: UserKind;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'date-time' }) joined_at!: string;
}
