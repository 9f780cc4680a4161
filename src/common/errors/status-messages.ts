/** Generic messages for statuses raised by the framework rather than by our own code. */
export const STATUS_MESSAGES: Record<number, string> = {
  400: 'The request body could not be parsed.',
  401: 'Unauthenticated.',
  403: 'This action is unauthorized.',
  404: 'Not found.',
  405: 'Method not allowed.',
  406: 'Not acceptable.',
  410: 'Gone.',
  413: 'The request body is too large.',
  414: 'The request URL is too long.',
  415: 'Unsupported content type.',
  422: 'The given data was invalid.',
  429: 'Too Many Attempts.',
  500: 'Server Error.',
  503: 'Service temporarily unavailable.',
};
