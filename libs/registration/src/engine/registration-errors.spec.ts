import { OutboundNetworkError, SmartClientError } from '#smart-client';
import { mayHaveCreatedClient } from './registration-errors.js';

/** What the smart-client says of a registration POST's failure (see errorFromResponse / errorFromOutbound). */
const failure = (details: { httpStatus?: number; retryable: boolean; outcomeUnknown: boolean }) =>
  new SmartClientError('register', { error: details.httpStatus ? 'http_error' : 'network_error', ...details });

/**
 * The outcome of a registration POST is unknown when the request may have reached
 * the server and no usable answer came back: a 5xx (seen: 500 after creating the client, and the
 * retry made a second one), a timeout or reset after sending, a 2xx that cannot be used. Such an
 * attempt is recorded as `unknown` with a possible-orphan record before anything registers again.
 */
describe('mayHaveCreatedClient', () => {
  it.each([500, 502, 503, 504])('is true for a %s answer', (httpStatus) => {
    expect(mayHaveCreatedClient(failure({ httpStatus, retryable: true, outcomeUnknown: true }))).toBe(true);
  });

  it('is true for a timeout or reset after sending, and for an unusable 2xx', () => {
    expect(mayHaveCreatedClient(failure({ retryable: true, outcomeUnknown: true }))).toBe(true);
    expect(mayHaveCreatedClient(failure({ httpStatus: 201, retryable: false, outcomeUnknown: true }))).toBe(true);
  });

  it('is false when nothing reached the server or it refused the request', () => {
    expect(mayHaveCreatedClient(failure({ retryable: true, outcomeUnknown: false }))).toBe(false);
    expect(mayHaveCreatedClient(failure({ httpStatus: 400, retryable: false, outcomeUnknown: false }))).toBe(false);
    expect(mayHaveCreatedClient(new OutboundNetworkError('https://ehr.example/reg', 'ECONNRESET'))).toBe(false);
    expect(mayHaveCreatedClient(new Error('database down'))).toBe(false);
  });
});
