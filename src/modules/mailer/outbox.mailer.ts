import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../../db/prisma.service.js';
import { Mailer, type OutgoingMail } from './mailer.js';

/** Delivers by writing to the `outbox_mail` table; the log says where, never what. */
@Injectable()
export class OutboxMailer extends Mailer {
  private readonly logger = new Logger('Mailer');

  constructor(private readonly prisma: PrismaService) {
    super();
  }

  async send(mail: OutgoingMail, requestId?: string): Promise<void> {
    const row = await this.prisma.outboxMail.create({ data: { toAddress: mail.to, subject: mail.subject, body: mail.body } });
    this.logger.log({ requestId, msg: `mail "${mail.subject}" queued in the outbox (table outbox_mail, id ${row.id}; \`credbroker outbox\` shows it)` });
  }
}
