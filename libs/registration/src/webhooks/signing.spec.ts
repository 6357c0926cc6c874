import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { confidentialStrings, generateSigningSecret, signWebhook } from './signing.js';

describe('signWebhook', () => {
  const body = '{"id":"evt","type":"ping"}';

  it('produces headers the standardwebhooks library verifies, one signature per active secret', () => {
    const current = generateSigningSecret();
    const previous = generateSigningSecret();
    const headers = signWebhook([current, previous], 'evt', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current.reveal()).verify(body, { ...headers })).toEqual({ id: 'evt', type: 'ping' });
    expect(new Webhook(previous.reveal()).verify(body, { ...headers })).toEqual({ id: 'evt', type: 'ping' });
    expect(() => new Webhook(generateSigningSecret().reveal()).verify(body, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const secret = generateSigningSecret().reveal();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSigningSecret().reveal()).not.toBe(secret);
  });

  it('lists every signature and secret form as confidential', () => {
    const secret = generateSigningSecret();
    const headers = signWebhook([secret], 'evt', new Date(), body);
    const hidden = confidentialStrings([secret], headers);
    expect(hidden).toEqual([headers['webhook-signature'].slice(3), secret.reveal(), secret.reveal().slice(6)]);
  });
});
