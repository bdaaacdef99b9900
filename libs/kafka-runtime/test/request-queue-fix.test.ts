import { createRequire } from 'node:module';
import { fixKafkaJsIdleLoop } from '../src/request-queue-fix';

interface PushedRequest {
  readonly entry: { readonly correlationId: number; readonly [field: string]: unknown };
  readonly expectResponse: boolean;
  readonly sendRequest: () => void;
}

// kafkajs's own per-connection request queue, as its connections create it.
interface RequestQueue {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  throttledUntil: number;
  readonly pending: unknown[];
  push(pushed: PushedRequest): void;
  maybeThrottle(milliseconds: number): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
  checkPendingRequests(): void;
  destroy(): void;
}
const load = createRequire(require.resolve('kafkajs'));
const RequestQueueClass = load('./src/network/requestQueue/index.js') as new (options: object) => RequestQueue;
const { version } = load('./package.json') as { version: string };

/** A request as a kafkajs connection pushes it, `onSend` called when it goes on the wire. */
const request = (correlationId: number, onSend: () => void): PushedRequest => ({
  entry: {
    correlationId,
    apiName: 'Test',
    apiKey: 0,
    apiVersion: 0,
    resolve: () => undefined,
    reject: () => undefined,
  },
  expectResponse: true,
  sendRequest: onSend,
});

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const newQueue = (): RequestQueue =>
  new RequestQueueClass({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: silent,
  });

describe('the kafkajs idle-loop fix', () => {
  it('given the installed kafkajs, then it is a release known to have the loop (re-examine the fix on an upgrade)', () => {
    expect(version).toBe('2.2.4');
  });

  it('given kafkajs as released, when a request completed with nothing queued, then a timer is re-armed anyway', () => {
    // Runs before the fix is applied in this file: the bug the fix exists for.
    const queue = newQueue();
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    queue.destroy();
  });

  describe('once fixed', () => {
    beforeAll(() => {
      expect(fixKafkaJsIdleLoop()).toBe('fixed');
    });

    it('when applied again, then nothing changes', () => {
      expect(fixKafkaJsIdleLoop()).toBe('already fixed');
    });

    it('given nothing queued, when requests complete, then no timer is armed', () => {
      const queue = newQueue();
      let sent = 0;
      queue.push(request(1, () => (sent += 1)));
      queue.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
      queue.checkPendingRequests();
      expect(sent).toBe(1);
      expect(queue.throttleCheckTimeoutId).toBeNull();
    });

    it('given a throttled connection, when a request is pushed, then it waits and is sent when the throttle ends', async () => {
      const queue = newQueue();
      queue.maybeThrottle(30);
      let sentAt = 0;
      const pushedAt = Date.now();
      queue.push(request(2, () => (sentAt = Date.now())));
      expect(queue.pending).toHaveLength(1);
      expect(queue.throttleCheckTimeoutId).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(sentAt).toBeGreaterThanOrEqual(pushedAt + 25);
      expect(queue.pending).toHaveLength(0);
      expect(queue.throttleCheckTimeoutId).toBeNull();
      queue.destroy();
    });
  });
});
