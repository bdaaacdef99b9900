// The producer of the tools and tests (simulator, bench, chaos, end-to-end helpers):
// every batch at least once, whatever state a failed send left kafkajs's producer in.
// The workers' own producer is the dead-letter sender's, which retries on its own terms.
import type { Kafka, Producer } from 'kafkajs';
import { describeError } from '@sc/service-kit';

/** One `sendBatch` of a {@link ToolProducer}. */
export type ToolBatch = Parameters<Producer['sendBatch']>[0];

/** Options of {@link createToolProducer}. */
export interface ToolProducerOptions {
  /** Sends of one batch before the last error is thrown (default {@link TOOL_SEND_ATTEMPTS}). */
  readonly attempts?: number;
  /** Pause before a batch's next attempt, times the attempts so far (default 500 ms). */
  readonly resendPauseMs?: number;
  /** Called before a batch that failed is sent again on a new producer (attempt: the one that failed, from 1). */
  readonly onResend?: (error: unknown, attempt: number, attempts: number) => void;
  /** Once aborted, a failed batch is not sent again. */
  readonly signal?: AbortSignal;
}

/** A producer that sends each batch at least once, see {@link createToolProducer}. */
export interface ToolProducer {
  /** Sends the batch, on a new producer after each failure, up to the attempts allowed. */
  sendBatch(batch: ToolBatch): Promise<void>;
  /** Disconnects the producer in use, if any. */
  disconnect(): Promise<void>;
}

/** The line a tool prints for {@link ToolProducerOptions.onResend}. */
export function describeResend(error: unknown, attempt: number, attempts: number): string {
  return `a send failed (${describeError(error)}); sending it again on a new producer (attempt ${attempt + 1} of ${attempts})`;
}

/** Sends of one batch by default before a {@link ToolProducer} gives up with the last error. */
export const TOOL_SEND_ATTEMPTS = 5;
const RESEND_PAUSE_MS = 500;

/**
 * An idempotent producer (one request in flight) that sends every batch at least once.
 * A producer whose send failed is disconnected and not trusted again: kafkajs's
 * idempotent producer can fall out of step with the broker's sequence numbers
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, tulios/kafkajs#598; `producerMessageOf` of
 * `@sc/event-simulator` removes the cause met here) and then fails every later send.
 * A new producer has a new producer id, whose sequences start again, and sends the
 * batch again: what the broker had written of it is then there twice, like the
 * stream's own duplicates, which the workers skip by version. Each partition's part of
 * a batch is written whole or not at all, so one key's records keep their order.
 */
export function createToolProducer(kafka: Pick<Kafka, 'producer'>, options: ToolProducerOptions = {}): ToolProducer {
  const attempts = options.attempts ?? TOOL_SEND_ATTEMPTS;
  const pauseMs = options.resendPauseMs ?? RESEND_PAUSE_MS;
  let current: Producer | undefined;

  async function connected(): Promise<Producer> {
    if (current) return current;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    current = producer;
    return producer;
  }

  return {
    async sendBatch(batch) {
      for (let attempt = 1; ; attempt++) {
        try {
          const producer = await connected();
          await producer.sendBatch(batch);
          return;
        } catch (error) {
          const failed = current;
          current = undefined;
          await failed?.disconnect().catch(() => undefined);
          if (attempt >= attempts || options.signal?.aborted) throw error;
          options.onResend?.(error, attempt, attempts);
          await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt));
        }
      }
    },
    async disconnect() {
      const producer = current;
      current = undefined;
      await producer?.disconnect();
    },
  };
}
