import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { loggerOptions } from './logger.js';
import { credentialParametersIn, isCredentialParameter, redactUrl } from './url-redaction.js';

const CREDENTIAL_NAMES = [
  'access_token',
  'token',
  'api_key',
  'apiKey',
  'key',
  'secret',
  'client_secret',
  'code',
  'password',
  'signature',
  'X-Amz-Signature',
  'Access-Token',
  'registration_access_token',
  'my_custom_token',
];
const SECRET = 'srb_0123456789abcdef0123456789abcdef_SECRETSECRETSECRETSECRETSECRETSECRETSECRE';

describe('redactUrl', () => {
  it.each(CREDENTIAL_NAMES)('replaces the value of ?%s= wherever the URL appears', (name) => {
    for (const url of [
      `/v1/apps?${name}=${SECRET}`,
      `/v1/apps?limit=5&${name}=${SECRET}&cursor=abc`,
      `https://ehr.example/register?${encodeURIComponent(name)}=${SECRET}#x`,
      `GET https://ehr.example/a?b=1&${name}=${SECRET} failed`,
    ]) {
      const redacted = redactUrl(url);
      expect(redacted).not.toContain(SECRET);
      expect(redacted).toContain('[REDACTED]');
    }
  });

  it('keeps ordinary parameters and redacts user information', () => {
    expect(redactUrl('/v1/registrations?limit=5&state=failed&cursor=abc')).toBe(
      '/v1/registrations?limit=5&state=failed&cursor=abc',
    );
    expect(redactUrl('https://user:pa55@ehr.example/fhir')).toBe('https://[REDACTED]@ehr.example/fhir');
  });

  it('finds credential parameter names, encoded or not', () => {
    expect(credentialParametersIn('?limit=1&access%5Ftoken=x&Token=y')).toEqual(['access_token', 'Token']);
    expect(isCredentialParameter('cursor')).toBe(false);
    expect(isCredentialParameter('limit')).toBe(false);
  });

  it('never lets a credential parameter value through, whatever surrounds it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CREDENTIAL_NAMES),
        fc.stringMatching(/^[A-Za-z0-9._~-]{12,40}$/),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{0,8}$/)), { maxLength: 4 }),
        (name, value, others) => {
          const query = [...others.map(([k, v]) => `${k}=${v}`), `${name}=${value}`].join('&');
          expect(redactUrl(`https://h.example/p?${query}`)).not.toContain(value);
        },
      ),
    );
  });
});

describe('loggers', () => {
  it('redact credentials in URLs in any field and in the message', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino(loggerOptions('info', 'test'), destination);
    logger.info({ url: `https://ehr.example/x?access_token=${SECRET}`, nested: { to: `/a?key=${SECRET}` } }, 'sent');
    logger.warn(`calling https://ehr.example/x?client_secret=${SECRET}`);
    logger.error({ err: new Error(`GET /x?token=${SECRET} failed`) }, 'failed');
    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).toContain('[REDACTED]');
  });
});
