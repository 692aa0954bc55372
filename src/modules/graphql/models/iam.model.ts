import { Field, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType()
export class Tag {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType()
export class AccountSettings {
  @Field() requireRootMfa!: boolean;
  @Field() requireAdminMfa!: boolean;
  @Field() lockRootAccessKeys!: boolean;
  @Field(() => Int, { nullable: true }) maxAccessKeyAgeDays!: number | null;
}

@ObjectType()
export class Account {
  @Field(() => ID) accountId!: string;
  @Field(() => String, { nullable: true }) alias!: string | null;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) awsAccountId!: string | null;
  @Field(() => AccountSettings) settings!: AccountSettings;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
}

@ObjectType()
export class AttachedPolicy {
  @Field() policyArn!: string;
  @Field() policyName!: string;

  static of(arn: string): AttachedPolicy {
    return Object.assign(new AttachedPolicy(), { policyArn: arn, policyName: arn.slice(arn.lastIndexOf('/') + 1) });
  }
}

/** An IAM user (or the account's root user). Never a password or its hash. */
@ObjectType()
export class User {
  /** Internal: the user row's id and account, for relations. */
  internalId!: string;
  accountId!: string;

  @Field() userName!: string;
  @Field(() => ID) userId!: string;
  @Field() arn!: string;
  @Field() path!: string;
  @Field({ description: 'Root or IAM.' }) kind!: string;
  @Field(() => GraphQLISODateTime) createDate!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) passwordLastUsed!: Date | null;
  @Field() hasConsolePassword!: boolean;
  @Field(() => [Tag]) tags!: Tag[];
}

@ObjectType()
export class Group {
  internalId!: string;
  accountId!: string;

  @Field() groupName!: string;
  @Field(() => ID) groupId!: string;
  @Field() arn!: string;
  @Field() path!: string;
  @Field(() => GraphQLISODateTime) createDate!: Date;
}

@ObjectType()
export class Role {
  internalId!: string;
  accountId!: string;

  @Field() roleName!: string;
  @Field(() => ID) roleId!: string;
  @Field() arn!: string;
  @Field() path!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => Int) maxSessionDuration!: number;
  @Field({ description: 'The trust policy (JSON).' }) assumeRolePolicyDocument!: string;
  @Field(() => String, { nullable: true }) awsRoleArn!: string | null;
  @Field(() => [Tag]) tags!: Tag[];
  @Field(() => GraphQLISODateTime) createDate!: Date;
}

@ObjectType()
export class Policy {
  @Field() policyName!: string;
  @Field(() => String, { nullable: true }) policyId!: string | null;
  @Field() arn!: string;
  @Field() path!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field({ description: 'The policy document (JSON).' }) document!: string;
  @Field({ description: 'AWS-managed (built in) or customer managed.' }) awsManaged!: boolean;
  @Field(() => GraphQLISODateTime, { nullable: true }) createDate!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) updateDate!: Date | null;
}

/** A trusted OIDC issuer. Stored keys are never shown. */
@ObjectType()
export class OidcProvider {
  @Field(() => ID) providerId!: string;
  @Field() arn!: string;
  @Field() url!: string;
  @Field(() => [String]) clientIdList!: string[];
  @Field(() => String, { nullable: true }) jwksUri!: string | null;
  @Field() hasStoredJwks!: boolean;
  @Field(() => GraphQLISODateTime) createDate!: Date;
}

/** Access-key metadata: never the secret. */
@ObjectType()
export class AccessKeyMetadata {
  internalUserId!: string;
  accountId!: string;

  @Field(() => ID) accessKeyId!: string;
  @Field({ description: 'Active or Inactive.' }) status!: string;
  @Field({ description: 'broker or aws (an AWS-mirrored user).' }) source!: string;
  @Field(() => GraphQLISODateTime) createDate!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastUsedDate!: Date | null;
  @Field(() => String, { nullable: true }) lastUsedService!: string | null;
  @Field(() => String, { nullable: true }) lastUsedAction!: string | null;
  @Field(() => String, { nullable: true }) lastUsedRegion!: string | null;
}
