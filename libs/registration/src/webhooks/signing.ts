import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SecretValue } from '#domain';

/**
 * Standard Webhooks signing (standardwebhooks.com, "Signature scheme"): HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64 part of a `whsec_` secret,
 * sent as `v1,<base64>`. During a rotation every active secret signs and the signatures are
 * space-separated; a receiver accepts the message when any one matches.
 */

/** 32 random bytes: the spec asks for 24 to 64. */
const SECRET_BYTES = 32;

export function generateSigningSecret(): SecretValue {
  return new SecretValue(`whsec_${randomBytes(SECRET_BYTES).toString('base64')}`);
}

export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Headers for one attempt; `sentAt` is the attempt's time (receivers reject stale timestamps). */
export function signWebhook(
  secrets: readonly SecretValue[],
  id: string,
  sentAt: Date,
  body: string,
): WebhookSignatureHeaders {
  if (!secrets.length) throw new Error('a webhook needs at least one signing secret');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret.reveal()).sign(id, sentAt, body)).join(' '),
  };
}

/** Strings a receiver's answer must never bring back into our log: each secret and each signature. */
export function confidentialStrings(secrets: readonly SecretValue[], headers: WebhookSignatureHeaders): string[] {
  const signatures = headers['webhook-signature'].split(' ').map((signature) => signature.slice('v1,'.length));
  const keys = secrets.flatMap((secret) => [secret.reveal(), secret.reveal().slice('whsec_'.length)]);
  return [...signatures, ...keys];
}
