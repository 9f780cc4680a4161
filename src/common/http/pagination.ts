import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { msg } from '../validation/messages';

export class PageQuery {
  /** Page number, from 1. */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: msg.integer })
  @Min(1, { message: msg.min(1) })
  page?: number;

  /** Items per page, 1 to 100 (default 15). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: msg.integer })
  @Min(1, { message: msg.min(1) })
  @Max(100, { message: msg.max(100) })
  per_page?: number;
}

export interface Page {
  page: number;
  perPage: number;
  offset: number;
}

export function toPage(query: PageQuery): Page {
  const page = query.page ?? 1;
  const perPage = query.per_page ?? 15;
  return { page, perPage, offset: (page - 1) * perPage };
}

export interface Paginated<T> {
  data: T[];
  meta: { current_page: number; per_page: number; total: number; last_page: number };
}

export function paginated<T>(data: T[], total: number, page: Page): Paginated<T> {
  return {
    data,
    meta: {
      current_page: page.page,
      per_page: page.perPage,
      total,
      last_page: Math.max(1, Math.ceil(total / page.perPage)),
    },
  };
}
