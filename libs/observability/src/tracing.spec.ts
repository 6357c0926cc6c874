import fc from 'fast-check';
import { scrubAttributes, tracingEnabled, traceFields } from './tracing.js';

describe('tracing switch', () => {
  it('is off by default and when disabled, on for an OTLP endpoint or a named exporter', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(false);
    expect(tracingEnabled({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
  });

  it('adds nothing to log lines while no span is active', () => {
    expect(traceFields()).toEqual({});
  });
});

describe('span attribute scrubbing', () => {
  const token = fc.string({ minLength: 1 }).filter((value) => !value.includes('?'));

  it('keeps no query string in any URL attribute and drops url.query and credential headers', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), token, (url, secret) => {
        const withSecret = `${url.split('?')[0]}?access_token=${encodeURIComponent(secret)}`;
        const attributes = scrubAttributes({
          'url.full': withSecret,
          'http.url': withSecret,
          'http.target': `/path?code=${secret}`,
          'url.query': `access_token=${secret}`,
          'http.request.header.authorization': [`Bearer ${secret}`],
          'http.response.header.set-cookie': [`session=${secret}`],
          'url.path': '/path',
        });
        expect(attributes).toEqual({
          'url.full': withSecret.split('?')[0],
          'http.url': withSecret.split('?')[0],
          'http.target': '/path',
          'url.path': '/path',
        });
      }),
    );
  });
});
