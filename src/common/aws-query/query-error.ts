/**
 * A failure of the AWS Query transport itself (not of a service rule): a missing or unknown
 * action, a wrong version, an unusable form, a missing signature. Carries AWS's code and
 * HTTP status directly; service failures are DomainErrors, mapped by the transport's table.
 * Messages go to the client: never a secret.
 */
export class QueryProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }

  static missingAction(): QueryProtocolError {
    return new QueryProtocolError(400, 'MissingAction', 'Missing Action');
  }

  static invalidAction(action: string, version: string): QueryProtocolError {
    return new QueryProtocolError(400, 'InvalidAction', `Could not find operation ${clip(action)} for version ${clip(version)}`);
  }

  static missingAuthenticationToken(): QueryProtocolError {
    return new QueryProtocolError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
}

/** A short, printable excerpt of request text for a message (control characters shown as "?"). */
export function clip(s: string, max = 64): string {
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff\ufffe\uffff]/g, '?');
}
