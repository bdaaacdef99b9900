export { createRandom } from './random';
export type { Random } from './random';
export { producerMessageOf, topicMessagesOf } from './producer-message';
export type { ProducerMessage } from './producer-message';
export { generateStream } from './stream';
export type { ExpectedDocuments, RecordKind, SimulatedRecord, SimulatedStream, StreamOptions } from './stream';
