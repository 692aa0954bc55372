import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const MAX_LIST = 1000;
const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_MSG = 'account must be a 12-digit account ID.';

@ArgsType()
export class AccountArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;
}

@ArgsType()
export class AccountIdArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: 'id must be a 12-digit account ID.' }) id!: string;
}

/** A page of users, groups or roles in name order. */
@ArgsType()
export class EntityListArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;

  @Field({ nullable: true }) @IsOptional() @IsString() @MaxLength(512) pathPrefix?: string;

  @Field(() => Int, { defaultValue: 100, description: `At most ${MAX_LIST}.` })
  @IsInt() @Min(1) @Max(MAX_LIST)
  first: number = 100;

  @Field({ nullable: true, description: 'Continue after this name (the last one of the previous page).' })
  @IsOptional() @IsString() @MaxLength(128)
  after?: string;
}

@ArgsType()
export class KeyListArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;

  @Field(() => Int, { defaultValue: 100, description: `At most ${MAX_LIST}.` })
  @IsInt() @Min(1) @Max(MAX_LIST)
  first: number = 100;

  @Field({ nullable: true, description: 'Continue after this access key ID.' }) @IsOptional() @IsString() @MaxLength(128) after?: string;
}

@ArgsType()
export class NamedEntityArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;
  @Field({ description: 'The IAM name (users: "root" for the root user).' })
  @IsString() @Matches(/^[\w+=,.@-]{1,128}$/, { message: 'name must be 1-128 characters of letters, digits and +=,.@_-.' })
  name!: string;
}

@ArgsType()
export class PolicyListArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;
  @Field({ defaultValue: 'All', description: 'All, AWS (built in) or Local (customer managed).' }) @IsIn(['All', 'AWS', 'Local']) scope: 'All' | 'AWS' | 'Local' = 'All';
}

@ArgsType()
export class OidcProviderArgs {
  @Field(() => ID) @Matches(ACCOUNT_ID, { message: ACCOUNT_MSG }) account!: string;
  @Field(() => ID) @IsString() @Matches(/^[0-9a-f-]{36}$/i, { message: 'providerId must be an OIDC provider id.' }) providerId!: string;
}
