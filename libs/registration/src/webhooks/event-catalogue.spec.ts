import { readFileSync } from 'node:fs';
import { PING_EVENT_TYPE, WEBHOOK_EVENT_TYPES, webhookPayloadSchema } from './event-catalogue.js';

/** docs/webhooks.md is the receivers' contract: its examples must be payloads the broker can send. */
const docs = readFileSync(new URL('../../../../docs/webhooks.md', import.meta.url), 'utf8');
const examples = [...docs.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
  (match) => JSON.parse(match[1]) as { type: string },
);

describe('documented webhook payloads', () => {
  it('has one example per event type and for ping', () => {
    expect(examples.map((example) => example.type)).toEqual([...WEBHOOK_EVENT_TYPES, PING_EVENT_TYPE]);
  });

  it.each(examples.map((example) => [example.type, example]))(
    '%s matches the payload schema exactly',
    (_type, example) => {
      // Parsing strips unknown keys: equality proves the example documents no field the broker does not send.
      expect(webhookPayloadSchema.parse(example)).toEqual(example);
    },
  );
});
