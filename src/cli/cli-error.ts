/**
 * An expected failure of a client command (credential-process, exec): its
 * message is printed as one line on stderr, so it must never contain a secret
 * (secret key, session token, web identity token, MFA code).
 */
export class CliError extends Error {
  override name = 'CliError';
}

/** One printable line: control characters and newlines out, bounded length. */
export function oneLine(s: string, max = 500): string {
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Removes every occurrence of the given secrets (belt and braces: the broker's messages never carry them). */
export function redactSecrets(s: string, secrets: (string | undefined)[]): string {
  let out = s;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  return out;
}
