import { unroutedPath } from '../src/common/logging/logger';
import { generateLinkToken } from '../src/secrets/link-token';

describe('the path a log line shows for a request no route took', () => {
  const token = generateLinkToken();
  const percentFirst = `%${token.charCodeAt(0).toString(16)}${token.slice(1)}`;

  it.each([
    ['after a links segment', `/api/v1/links/${token}`, '/api/v1/links/[redacted]'],
    [
      'after a percent-encoded links segment, in a path that does not decode',
      `/api/v1/%6cinks/${percentFirst}%zz`,
      '/api/v1/links/[redacted]',
    ],
    ['run into punctuation, after a segment that is not links', `/api/v1/link/${token}.`, '/api/v1/link/[redacted]'],
    ['with a character after it, under another name', `/share/${token}~`, '/share/[redacted]'],
    ['percent-encoded in part, in a path that does not decode', `/share/${percentFirst}%zz`, '/share/[redacted]'],
    ['inside other text', `/x/abc${token}xyz/more`, '/x/[redacted]/more'],
  ])('redacts a link token %s', (_case, url, logged) => {
    expect(unroutedPath(url)).toBe(logged);
    expect(unroutedPath(url)).not.toContain(token.slice(1, 17));
  });

  // A standard-base64 key holds `/`s: after a `#` turned into `%23`, its pieces are path segments too short to look like tokens.
  it.each([
    ['after an s segment', `/s/${token}%23Oi3wsKx3jF/WLufVyDP0nCY=`, '/s/[redacted]'],
    ['after a links segment, in several pieces', `/api/v1/links/${token}%23ab/cd+KEYPART+ef/gh=`, '/api/v1/links/[redacted]'],
    ['under a path no capability segment names', `/share/abc%23KEYPART/more/x`, '/share/[redacted]'],
    ['with the hash sign percent-encoded twice over', `/x/y%2523KEYPART/z`, '/x/[redacted]'],
  ])('redacts the whole rest of the path %s', (_case, url, logged) => {
    expect(unroutedPath(url)).toBe(logged);
  });

  it('shows an s or links segment with nothing after it as it is', () => {
    expect(unroutedPath('/s/')).toBe('/s/');
    expect(unroutedPath('/api/v1/links')).toBe('/api/v1/links');
  });

  it('keeps a route’s own long name, and never the query string', () => {
    expect(unroutedPath('/api/v1/webhook-deliveries-and-more/x')).toBe('/api/v1/webhook-deliveries-and-more/x');
    expect(unroutedPath(`/nothing?token=${token}`)).toBe('/nothing');
  });
});
