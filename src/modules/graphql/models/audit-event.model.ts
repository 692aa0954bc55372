import { Field, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';
import type { AuditEventRow } from '../../audit/audit-query.repository.js';

/** One audit record. Never a secret: key IDs, ARNs and request metadata only. */
@ObjectType()
export class AuditEvent {
  @Field(() => ID, { description: 'The record within its account: its sequence number.' }) id!: string;
  @Field(() => ID) account!: string;
  @Field({ description: 'Per-account sequence number (gap-free), as a decimal string.' }) seq!: string;
  @Field(() => GraphQLISODateTime) time!: Date;
  @Field({ description: 'AWS-style action name, e.g. sts:AssumeRole.' }) action!: string;
  @Field({ description: 'success, denied or error.' }) outcome!: string;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => String, { nullable: true }) actorArn!: string | null;
  @Field(() => String, { nullable: true }) actorType!: string | null;
  @Field(() => String, { nullable: true }) accessKeyId!: string | null;
  @Field(() => String, { nullable: true }) sessionName!: string | null;
  @Field(() => String, { nullable: true }) sourceIdentity!: string | null;
  @Field() mfa!: boolean;
  @Field(() => String, { nullable: true }) resourceArn!: string | null;
  @Field(() => String, { nullable: true }) sourceIp!: string | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => String, { nullable: true, description: 'Details as a JSON document.' }) details!: string | null;
  @Field({ description: 'The record hash in the account chain (hex SHA-256).' }) hash!: string;

  static from(r: AuditEventRow): AuditEvent {
    return Object.assign(new AuditEvent(), {
      id: r.seq.toString(),
      account: r.chain,
      seq: r.seq.toString(),
      time: r.time,
      action: r.action,
      outcome: r.outcome,
      errorCode: r.errorCode,
      actorArn: r.actorArn,
      actorType: r.actorType,
      accessKeyId: r.accessKeyId,
      sessionName: r.sessionName,
      sourceIdentity: r.sourceIdentity,
      mfa: r.mfa,
      resourceArn: r.resourceArn,
      sourceIp: r.sourceIp,
      userAgent: r.userAgent,
      requestId: r.requestId,
      details: r.details === null || r.details === undefined ? null : JSON.stringify(r.details),
      hash: r.hash,
    });
  }
}

@ObjectType()
export class AuditEventEdge {
  @Field({ description: 'Opaque; pass as `after` to continue after this record.' }) cursor!: string;
  @Field(() => AuditEvent) node!: AuditEvent;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge]) edges!: AuditEventEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class ActionOutcomeCount {
  @Field() action!: string;
  @Field() outcome!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class ActorCount {
  @Field() actorArn!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class SourceIpCount {
  @Field() sourceIp!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class AuditSummary {
  @Field(() => ID) account!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) from!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) to!: Date | null;
  @Field(() => Int) total!: number;
  @Field(() => [ActionOutcomeCount], { description: 'Records per action and outcome.' }) byActionAndOutcome!: ActionOutcomeCount[];
  @Field(() => [ActorCount], { description: 'Principals with the most records.' }) topActors!: ActorCount[];
  @Field(() => [ActorCount], { description: 'Principals with the most refused (denied) requests.' }) topRefusedCallers!: ActorCount[];
  @Field(() => [SourceIpCount], { description: 'Addresses with the most refused requests (including unauthenticated ones).' })
  topRefusedSourceIps!: SourceIpCount[];
}

@ObjectType()
export class ChainBreak {
  @Field() seq!: string;
  @Field() kind!: string;
  @Field() message!: string;
}

@ObjectType()
export class ChainVerification {
  @Field(() => ID) account!: string;
  @Field() ok!: boolean;
  @Field(() => Int) checked!: number;
  @Field(() => String, { nullable: true }) firstSeq!: string | null;
  @Field(() => String, { nullable: true }) lastSeq!: string | null;
  @Field(() => ChainBreak, { nullable: true }) brokenAt!: ChainBreak | null;
}
