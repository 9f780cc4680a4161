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

  it('keeps a route’s own long name, and never the query string', () => {
    expect(unroutedPath('/api/v1/webhook-deliveries-and-more/x')).toBe('/api/v1/webhook-deliveries-and-more/x');
    expect(unroutedPath(`/nothing?token=${token}`)).toBe('/nothing');
  });
});
