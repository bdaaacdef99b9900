// The producer of the tools and tests (simulator, bench, chaos, end-to-end helpers):
// every batch at least once, whatever state a failed send left kafkajs's producer in.
// The workers' dead-letter producer renews itself the same way; their retrier sends again.
import type { Kafka } from 'kafkajs';
import { describeError } from '@sc/service-kit';
import { createRenewingProducer } from './renewing-producer';
import type { ProducerBatch } from './renewing-producer';

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
  sendBatch(batch: ProducerBatch): Promise<void>;
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
 * A {@link createRenewingProducer renewing producer} that sends every batch at least
 * once: after a failed send, the batch is sent again on a new producer, up to the
 * attempts allowed. What the broker had written of it is then there twice, like the
 * stream's own duplicates, which the workers skip by version. Each partition's part of
 * a batch is written whole or not at all, so one key's records keep their order.
 */
export function createToolProducer(kafka: Pick<Kafka, 'producer'>, options: ToolProducerOptions = {}): ToolProducer {
  const attempts = options.attempts ?? TOOL_SEND_ATTEMPTS;
  const pauseMs = options.resendPauseMs ?? RESEND_PAUSE_MS;
  const producer = createRenewingProducer(kafka);
  return {
    async sendBatch(batch) {
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.sendBatch(batch);
          return;
        } catch (error) {
          if (attempt >= attempts || options.signal?.aborted) throw error;
          options.onResend?.(error, attempt, attempts);
          await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt));
        }
      }
    },
    disconnect: () => producer.disconnect(),
  };
}
