/** Outgoing mail. The embedded default writes to the outbox table. */
export interface OutgoingMail {
  to: string;
  subject: string;
  /** May contain a one-time secret (reset link): never log it. */
  body: string;
}

export abstract class Mailer {
  /** `requestId` labels the log line of the request that sent it. */
  abstract send(mail: OutgoingMail, requestId?: string): Promise<void>;
}
