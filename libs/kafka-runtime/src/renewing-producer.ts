// kafkajs's idempotent producer does not recover once it is out of step with the broker's
// sequence numbers: OUT_OF_ORDER_SEQUENCE_NUMBER (tulios/kafkajs#598), or UNKNOWN_PRODUCER_ID
// once the broker has lost its state (the producer id expired after `producer.id.expiration.ms`
// without a send, the segments holding its batches deleted by retention). Every later send fails.
// A new producer has a new producer id, whose sequences start again.
import type { Kafka, Producer, ProducerConfig } from 'kafkajs';

/** One `sendBatch` of kafkajs's producer. */
export type ProducerBatch = Parameters<Producer['sendBatch']>[0];

/** An idempotent producer that is replaced after a failed send, see {@link createRenewingProducer}. */
export interface RenewingProducer {
  /** Connects the producer in use (creating it); a failure leaves none in use. */
  connect(): Promise<void>;
  /** Sends on the producer in use (connecting a new one if there is none); a failure leaves none in use. */
  sendBatch(batch: ProducerBatch): Promise<void>;
  /** Disconnects the producer in use, if any. */
  disconnect(): Promise<void>;
}

/**
 * An idempotent producer (one request in flight, on top of `config`) that is never
 * trusted again once a send failed: it is disconnected, and the next send connects a
 * new one. The caller sends the failed batch again (what the broker had written of it
 * is then there twice: a duplicate, never a loss).
 */
export function createRenewingProducer(kafka: Pick<Kafka, 'producer'>, config: ProducerConfig = {}): RenewingProducer {
  let current: Producer | undefined;

  async function connected(): Promise<Producer> {
    if (current) return current;
    const producer = kafka.producer({ ...config, idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    current = producer;
    return producer;
  }

  return {
    async connect() {
      await connected();
    },
    async sendBatch(batch) {
      const producer = await connected();
      try {
        await producer.sendBatch(batch);
      } catch (error) {
        if (current === producer) current = undefined;
        await producer.disconnect().catch(() => undefined);
        throw error;
      }
    },
    async disconnect() {
      const producer = current;
      current = undefined;
      await producer?.disconnect();
    },
  };
}
