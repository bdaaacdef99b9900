/** Stops what the global setup started itself (testcontainers); shared servers stay up. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __scInfraStop__?: () => Promise<void> }).__scInfraStop__?.();
}
