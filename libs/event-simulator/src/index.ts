export { createRandom } from './random';
export type { Random } from './random';
export { generateStream } from './stream';
export type { ExpectedDocuments, RecordKind, SimulatedRecord, SimulatedStream, StreamOptions } from './stream';
