/**
 * Retries a Kafka call while the client says the error is retriable (leader not available right after topic creation,
 * coordinator loading, …), with a doubling delay up to 1 s, for at most `timeoutMs`. Each adapter says what retriable
 * means for its client.
 */
export async function retrying<T>(fn: () => Promise<T>, retriable: (err: unknown) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() + delay > deadline || !retriable(err)) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
