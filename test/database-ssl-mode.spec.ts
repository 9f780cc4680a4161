import { parse } from 'pg-connection-string';
import { typeormOptions } from '../src/typeorm-options';

/** The URL pg is handed for DATABASE_URL. */
const handedToPg = (databaseUrl: string) => (typeormOptions(databaseUrl) as { url: string }).url;

describe('DATABASE_URL sslmode, as handed to pg', () => {
  const base = 'postgres://app:secret@db.example.test:5432/oncelink';

  it.each(['prefer', 'require', 'verify-ca'])(
    'treats %s as pg 8 does, verify-full (TLS, certificate and host verified), without its plain-text warning',
    (mode) => {
      const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const url = handedToPg(`${base}?application_name=x&sslmode=${mode}&connect_timeout=5`);
        expect(url).toBe(`${base}?application_name=x&sslmode=verify-full&connect_timeout=5`);
        expect(parse(url).ssl).toEqual({});
        expect(warned).not.toHaveBeenCalled();
      } finally {
        warned.mockRestore();
      }
    },
  );

  it.each([
    base,
    `${base}?sslmode=disable`,
    `${base}?sslmode=verify-full`,
    `${base}?sslmode=no-verify`,
    `${base}?uselibpqcompat=true&sslmode=require`,
  ])('leaves %s as it is', (url) => expect(handedToPg(url)).toBe(url));
});
