// The clock of tests that count against the rate-limit table in DynamoDB Local. Each counter
// expires (TTL) at its window's end, and DynamoDB Local deletes expired items within about 20 s: a
// test clock in the real past (a fixed date, or the middle of the current window when the real
// time is past it) would have counters vanish in the middle of a test, at the emulator's whim. The
// middle of the next window is in the real future, and no window ends while a test runs.

/** The middle of the window of `windowMs` after the current one, by the real clock. */
export function middleOfNextWindow (windowMs: number, realNow = Date.now()): number {
  return (Math.floor(realNow / windowMs) + 1) * windowMs + windowMs / 2
}
