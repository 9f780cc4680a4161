import { Query, type FieldDef, type QueryResult, type QueryResultRow } from 'pg';

/** pg's `prepareValue` (pg/lib/utils): how `Query.prepare` turns each value into its wire text. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (value: unknown) => unknown };

/** What of pg's Connection and Query (pg/lib/query.js) `prepare` uses; neither is in pg's types. */
interface WireConnection {
  bind(config: { portal: string; statement: string; values: unknown[]; binary?: boolean; valueMapper: (value: unknown) => unknown }): void;
  execute(config: { portal: string }): void;
  sync(): void;
}
/** What pg's Result (pg/lib/result.js) builds from a RowDescription, in `addFields`, and reads for each row. */
interface ResultInternals {
  fields: FieldDef[];
  _parsers: unknown[] | undefined;
  _prebuiltEmptyResultObject: object | null;
}
interface QueryInternals {
  prepare(connection: WireConnection): void;
  hasBeenParsed(connection: WireConnection): boolean;
  handleRowDescription(message: { fields: FieldDef[] }): void;
  handleError(error: Error, connection: WireConnection): void;
  name: string;
  values: unknown[];
  binary?: boolean;
  _result: ResultInternals;
  _accumulateRows: boolean;
}

/** A statement's result shape as pg's Result holds it once described: the fields, their parsers, a row of them all null. */
export type Shape = Pick<ResultInternals, 'fields' | '_parsers' | '_prebuiltEmptyResultObject'>;

/**
 * A named statement that asks PostgreSQL for its result's shape once per connection. pg sends
 * Bind, Describe, Execute and Sync on every call and parses the RowDescription that Describe
 * brings back each time, though a prepared statement's columns never change (a schema change
 * that would change them makes PostgreSQL refuse the statement: "cached plan must not change
 * result type"). Once a connection has parsed the statement and described its result, this
 * sends Bind, Execute and Sync and reads the rows with the shape it kept: the fields, and the
 * type parsers and empty row pg's Result would build from them again on every call (nothing
 * here sets a type parser, so those it looked up stay right).
 */
export class KnownShapeQuery<T extends QueryResultRow> extends Query<T> {
  constructor(
    name: string,
    text: string,
    values: unknown[],
    /** The connection's shapes, by statement name. */
    private readonly shapes: Map<string, Shape>,
    callback: (error: Error | undefined, result: QueryResult<T>) => void,
  ) {
    // The text alone, not a config object, which pg would copy property by property.
    super(text, values, callback);
    (this as unknown as QueryInternals).name = name;
  }

  prepare(connection: WireConnection): void {
    const self = this as unknown as QueryInternals;
    const shape = this.shapes.get(self.name);
    if (shape === undefined || !self.hasBeenParsed(connection)) {
      (Query.prototype as unknown as QueryInternals).prepare.call(this, connection);
      return;
    }
    try {
      connection.bind({ portal: '', statement: self.name, values: self.values, binary: self.binary, valueMapper: prepareValue });
    } catch (error) {
      // As pg does when a value cannot be written, but without its Close: the statement stays
      // prepared, as the connection (and `shapes`) still count it.
      connection.sync();
      self.handleError(error as Error, connection);
      return;
    }
    // As handleRowDescription would leave the result (rows are kept: there is a callback), without rebuilding it.
    Object.assign(self._result, shape);
    self._accumulateRows = true;
    connection.execute({ portal: '' });
    connection.sync();
  }

  handleRowDescription(message: { fields: FieldDef[] }): void {
    const self = this as unknown as QueryInternals;
    (Query.prototype as unknown as QueryInternals).handleRowDescription.call(this, message);
    const { fields, _parsers, _prebuiltEmptyResultObject } = self._result;
    this.shapes.set(self.name, { fields, _parsers, _prebuiltEmptyResultObject });
  }
}
