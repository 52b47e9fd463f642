// The user pool's password policy (infra/template.yaml: Policies.PasswordPolicy). Checked by the
// API too, because cognito-local does not enforce it and local runs must behave like AWS.
export const PASSWORD_RULES: ReadonlyArray<{ test: (password: string) => boolean; message: string }> = [
  { test: (p) => [...p].length >= 8, message: 'must have at least 8 characters' },
  { test: (p) => /\p{Lu}/u.test(p), message: 'must contain an upper-case letter' },
  { test: (p) => /\p{Ll}/u.test(p), message: 'must contain a lower-case letter' },
  { test: (p) => /[0-9]/.test(p), message: 'must contain a digit' },
  // Cognito refuses leading and trailing spaces.
  { test: (p) => p === p.trim(), message: 'must not begin or end with a space' }
]

/** The first rule the password breaks, or undefined when it meets the policy. */
export function passwordProblem (password: string): string | undefined {
  return PASSWORD_RULES.find((rule) => !rule.test(password))?.message
}
