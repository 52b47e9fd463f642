// An error's name ('' when it has none), what AWS SDK errors are told apart by: one reader for
// every layer (the data layer's AWS mappings, the plugins' Cognito and DynamoDB calls, the scripts).
export const errorName = (err: unknown): string => {
  const name = (err as { name?: unknown } | null)?.name
  return typeof name === 'string' ? name : ''
}
