import { ArgsType, Field, GraphQLISODateTime, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDate, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../audit/audit-query.service.js';

const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_MSG = 'account must be a 12-digit account ID.';

/** Filters of auditEvents; all optional, combined with AND. */
@InputType()
export class AuditFilter {
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Records at or after this time.' })
  @IsOptional() @IsDate()
  from?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Records before this time.' })
  @IsOptional() @IsDate()
  to?: Date;

  @Field(() => [String], { nullable: true, description: 'Any of these actions (e.g. sts:AssumeRole).' })
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(128, { each: true })
  actions?: string[];

  @Field({ nullable: true }) @IsOptional() @IsString() @MaxLength(2048) actorArn?: string;
  @Field({ nullable: true }) @IsOptional() @IsString() @MaxLength(2048) resourceArn?: string;

  @Field({ nullable: true, description: 'success, denied or error.' })
  @IsOptional() @IsIn(['success', 'denied', 'error'])
  outcome?: string;

  @Field({ nullable: true }) @IsOptional() @IsString() @MaxLength(64) sourceIp?: string;
  @Field({ nullable: true }) @IsOptional() @IsString() @MaxLength(64) requestId?: string;
  @Field({ nullable: true }) @IsOptional() @IsString() @MaxLength(32) accessKeyId?: string;
  @Field({ nullable: true }) @IsOptional() @IsString() @MaxLength(64) sourceIdentity?: string;
}

@ArgsType()
export class AuditEventsArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;

  @Field(() => AuditFilter, { nullable: true })
  @IsOptional() @ValidateNested() @Type(() => AuditFilter)
  filter?: AuditFilter;

  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, at most ${MAX_PAGE_SIZE}.` })
  @IsInt() @Min(1) @Max(MAX_PAGE_SIZE)
  first: number = DEFAULT_PAGE_SIZE;

  @Field({ nullable: true, description: 'A cursor from a previous page (edges.cursor or pageInfo.endCursor).' })
  @IsOptional() @IsString() @MaxLength(64)
  after?: string;

  @Field({ defaultValue: false, description: 'Oldest first instead of newest first.' })
  @IsBoolean()
  oldestFirst: boolean = false;
}

@ArgsType()
export class AuditRangeArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;

  @Field(() => GraphQLISODateTime, { nullable: true }) @IsOptional() @IsDate() from?: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) @IsOptional() @IsDate() to?: Date;
}

@ArgsType()
export class AuditEventArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;
  @Field(() => ID, { description: 'The record sequence number (AuditEvent.id).' }) @Matches(/^\d{1,19}$/, { message: 'id must be a record sequence number.' }) id!: string;
}
