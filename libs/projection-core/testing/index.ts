// Fixtures for tests of the projection model and of its adapters (`@sc/projection-core/testing`).
export { counterEvents, counterProjection, evolveCounter } from './counter-projection';
export type { Counter, CounterEvent } from './counter-projection';
