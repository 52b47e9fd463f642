// Waiting on a condition with a generous bound (never a fixed sleep): the probe's first defined
// value, or an error naming what never came.
export async function until<T> (what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
