import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';
import { SECRET_STATUSES, SecretStatus } from '../secret-status';

export class ListSecretsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SECRET_STATUSES, description: 'Only secrets in this state' })
  @Optional()
  @IsIn(SECRET_STATUSES, { message: msg.selected })
  status?: SecretStatus;
}
