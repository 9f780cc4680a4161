import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import type { FindManyOptions, ObjectLiteral, Repository } from 'typeorm';
import { IntegerBetween } from '../validation/integer-field';
import { Optional } from '../validation/optional';

/** The highest page a list serves: the offset goes into SQL, so it stays a small integer. */
const MAX_PAGE = 100_000;

/** The highest `per_page`. */
const MAX_PER_PAGE = 100;

/**
 * Only decimal digits, signed or not, become a number (so `-1` reads "must be at least 1");
 * anything else (`1e300`, `1.5`, `0x10`, `Infinity`, a repeated parameter) stays as it came and
 * fails `IsInt` with a 422.
 */
const DecimalInteger = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value));

export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1, description: 'Page number' })
  @Optional()
  @DecimalInteger()
  @IntegerBetween(1, MAX_PAGE)
  page?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: 15, description: 'Items per page' })
  @Optional()
  @DecimalInteger()
  @IntegerBetween(1, MAX_PER_PAGE)
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

/** A page's rows with the total, when the statement that read them counted it too (a window count). */
export interface CountedRows<T> {
  rows: T[];
  total: number;
}

/**
 * A page and the total it is out of, for every offset-paged list. The count comes first, and a
 * page whose offset is at or past it reads no rows: OFFSET walks and sorts every row it skips, so
 * a far page would cost a walk of the whole list to return none. The total is the count's, or the
 * rows' own where their statement counted them (consistent with them when rows change meanwhile).
 */
export async function readPage<T>(
  page: Page,
  count: () => Promise<number>,
  rows: () => Promise<T[] | CountedRows<T>>,
): Promise<[T[], number]> {
  const total = await count();
  if (page.offset >= total) return [[], total];
  const read = await rows();
  if (Array.isArray(read)) return [read, total];
  return read.rows.length ? [read.rows, read.total] : [[], total];
}

/** `readPage` over a repository: the rows `where` finds are counted, then the page of them in `order`. */
export function findPage<T extends ObjectLiteral>(
  repository: Repository<T>,
  page: Page,
  options: Pick<FindManyOptions<T>, 'where' | 'order' | 'relations'>,
): Promise<[T[], number]> {
  return readPage(
    page,
    () => repository.count({ where: options.where }),
    () => repository.find({ ...options, skip: page.offset, take: page.perPage }),
  );
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
