import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { msg } from '../../common/validation/messages';
import { SECRET_STATUSES, SecretStatus } from '../secret-status';

export class ListSecretsQuery extends PageQuery {
  @IsOptional()
  @IsIn(SECRET_STATUSES, { message: msg.selected })
  status?: SecretStatus;
}
