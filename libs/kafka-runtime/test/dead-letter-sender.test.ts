import type { Message } from 'kafkajs';
import { KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { DEAD_LETTER_REFUSED, batchesUnder, messageBytes, sendDeadLetters } from '../src';

const message = (bytes: number): Message => ({
  key: 'k',
  value: Buffer.alloc(bytes),
  headers: { 'x-dlq-reason': 'invalid_json' },
});
// The broker's error codes become errors exactly as kafkajs makes them.
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error;
};
const protocolError = (code: number): Error => createErrorFromCode(code);

describe('batchesUnder', () => {
  it('cuts messages, in order, into sends under the byte budget, a larger one alone', () => {
    const messages = [message(300), message(300), message(300), message(5000), message(10)];
    const batches = batchesUnder(messages, 1000);
    expect(batches.flat()).toEqual(messages);
    expect(batches.map((b) => b.length)).toEqual([2, 1, 1, 1]);
    for (const batch of batches.filter((b) => b.length > 1))
      expect(batch.reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(1000);
  });
});

describe('sendDeadLetters', () => {
  it('sends every message, in sends under the budget', async () => {
    const sends: Message[][] = [];
    const messages = Array.from({ length: 10 }, () => message(300));
    await sendDeadLetters({ send: async (_t, m) => void sends.push(m) }, 'dlq', messages, 1000);
    expect(sends.flat()).toEqual(messages);
    expect(sends.length).toBeGreaterThan(1);
  });

  it.each([
    [10, 'MESSAGE_TOO_LARGE', 'raise max.message.bytes of dlq'],
    [18, 'RECORD_LIST_TOO_LARGE', 'raise max.message.bytes of dlq'],
    [29, 'TOPIC_AUTHORIZATION_FAILED', 'grant its principal WRITE'],
    [87, 'INVALID_RECORD', "check the topic's configuration"],
  ])(
    'turns a permanent refusal (code %d, %s) into DEAD_LETTER_REFUSED with what an operator must do',
    async (code, _type, action) => {
      const refusing = { send: () => Promise.reject(protocolError(code)) };
      await expect(sendDeadLetters(refusing, 'dlq', [message(10)], 1000)).rejects.toMatchObject({
        code: DEAD_LETTER_REFUSED,
        retriable: false,
        context: { operatorAction: expect.stringContaining(action) },
      });
    },
  );

  it('keeps a missing topic that kafkajs gave up on refused, and a transient failure retriable', async () => {
    const missing = new KafkaJSNumberOfRetriesExceeded(protocolError(3) as never, { retryCount: 5, retryTime: 100 });
    await expect(
      sendDeadLetters({ send: () => Promise.reject(missing) }, 'dlq', [message(10)], 1000),
    ).rejects.toMatchObject({
      code: DEAD_LETTER_REFUSED,
      context: { operatorAction: expect.stringContaining('dlq does not exist') },
    });
    await expect(
      sendDeadLetters({ send: () => Promise.reject(new Error('Connection timeout')) }, 'dlq', [message(10)], 1000),
    ).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE', retriable: true });
  });
});
