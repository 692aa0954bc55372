/** The account password policy, as IAM's GetAccountPasswordPolicy returns it. */
export interface PasswordPolicyRules {
  minimumPasswordLength: number;
  requireSymbols: boolean;
  requireNumbers: boolean;
  requireUppercaseCharacters: boolean;
  requireLowercaseCharacters: boolean;
  allowUsersToChangePassword: boolean;
  maxPasswordAge: number | null;
  passwordReusePrevention: number | null;
  hardExpiry: boolean;
}

/** What applies when an account has set no policy (AWS's default). */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicyRules = {
  minimumPasswordLength: 8,
  requireSymbols: false,
  requireNumbers: false,
  requireUppercaseCharacters: false,
  requireLowercaseCharacters: false,
  allowUsersToChangePassword: false,
  maxPasswordAge: null,
  passwordReusePrevention: null,
  hardExpiry: false,
};

/** IAM's symbol set for RequireSymbols. */
const SYMBOLS = /[!@#$%^&*()_+\-=[\]{}|']/;
export const MAX_PASSWORD_LENGTH = 128;

/** Returns what the password lacks (empty = acceptable). Never echoes the password. */
export function passwordProblems(password: string, p: PasswordPolicyRules): string[] {
  const out: string[] = [];
  if (password.length < p.minimumPasswordLength) out.push(`at least ${p.minimumPasswordLength} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) out.push(`at most ${MAX_PASSWORD_LENGTH} characters`);
  if (p.requireSymbols && !SYMBOLS.test(password)) out.push('a symbol');
  if (p.requireNumbers && !/[0-9]/.test(password)) out.push('a number');
  if (p.requireUppercaseCharacters && !/[A-Z]/.test(password)) out.push('an uppercase letter');
  if (p.requireLowercaseCharacters && !/[a-z]/.test(password)) out.push('a lowercase letter');
  return out;
}

export function isPasswordExpired(changedAt: Date | null, p: PasswordPolicyRules, now = new Date()): boolean {
  if (!p.maxPasswordAge || !changedAt) return false;
  return now.getTime() - changedAt.getTime() > p.maxPasswordAge * 86_400_000;
}
