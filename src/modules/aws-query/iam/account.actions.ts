import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/errors/domain-error.js';
import { AccountsService } from '../../accounts/accounts.service.js';
import { AccountAliasDto, PasswordPolicyDto } from '../../accounts/dto/accounts.dto.js';
import { PasswordPolicyService } from '../../accounts/password-policy.service.js';
import type { PasswordPolicyRules } from '../../passwords/password-rules.js';
import type { QueryAction, QueryActionSet, QueryResult } from '../query-action.js';
import { callerAccount, iamAction, pageMembers, pageParams, paginate, validateAs } from './iam-shapes.js';

/** The IAM `PasswordPolicy` element: `ExpirePasswords` when passwords expire, optional members only when set. */
export function passwordPolicyShape(p: PasswordPolicyRules): QueryResult {
  return {
    MinimumPasswordLength: p.minimumPasswordLength,
    RequireSymbols: p.requireSymbols,
    RequireNumbers: p.requireNumbers,
    RequireUppercaseCharacters: p.requireUppercaseCharacters,
    RequireLowercaseCharacters: p.requireLowercaseCharacters,
    AllowUsersToChangePassword: p.allowUsersToChangePassword,
    ExpirePasswords: p.maxPasswordAge !== null,
    MaxPasswordAge: p.maxPasswordAge ?? undefined,
    PasswordReusePrevention: p.passwordReusePrevention ?? undefined,
    HardExpiry: p.hardExpiry,
  };
}

/**
 * Account settings over AWS Query: the alias (CreateAccountAlias,
 * ListAccountAliases, DeleteAccountAlias: AccountsService) and the password
 * policy (Get/Update/DeleteAccountPasswordPolicy: PasswordPolicyService),
 * always of the caller's own account.
 */
@Injectable()
export class AccountQueryActions implements QueryActionSet {
  constructor(
    private readonly accounts: AccountsService,
    private readonly passwordPolicy: PasswordPolicyService,
  ) {}

  readonly actions: QueryAction[] = [
    iamAction('CreateAccountAlias', 'iam:CreateAccountAlias', () => '*', async ({ auth, params, client }) => {
      const dto = validateAs(AccountAliasDto, { alias: params.str('AccountAlias') ?? '' });
      await this.accounts.setAlias(auth, callerAccount(auth), dto.alias, client);
      return undefined;
    }),

    iamAction('ListAccountAliases', 'iam:ListAccountAliases', () => '*', async ({ auth, params }) => {
      const page = pageParams(params);
      const a = await this.accounts.get(auth, callerAccount(auth));
      const { items, marker } = paginate(a.alias ? [a.alias] : [], (x) => x, page);
      return { AccountAliases: items, ...pageMembers(marker) };
    }),

    iamAction('DeleteAccountAlias', 'iam:DeleteAccountAlias', () => '*', async ({ auth, params, client }) => {
      const dto = validateAs(AccountAliasDto, { alias: params.str('AccountAlias') ?? '' });
      const accountId = callerAccount(auth);
      // The alias named must be the account's (AWS: NoSuchEntity otherwise).
      if ((await this.accounts.get(auth, accountId)).alias !== dto.alias) throw DomainError.noSuchEntity(`The account alias ${dto.alias}`);
      await this.accounts.setAlias(auth, accountId, null, client);
      return undefined;
    }),

    iamAction('GetAccountPasswordPolicy', 'iam:GetAccountPasswordPolicy', () => '*', async ({ auth }) => {
      const p = await this.passwordPolicy.get(callerAccount(auth));
      return { PasswordPolicy: passwordPolicyShape(p) };
    }),

    iamAction('UpdateAccountPasswordPolicy', 'iam:UpdateAccountPasswordPolicy', () => '*', async ({ auth, params, client }) => {
      const dto = validateAs(PasswordPolicyDto, {
        minimumPasswordLength: params.int('MinimumPasswordLength'),
        requireSymbols: params.bool('RequireSymbols'),
        requireNumbers: params.bool('RequireNumbers'),
        requireUppercaseCharacters: params.bool('RequireUppercaseCharacters'),
        requireLowercaseCharacters: params.bool('RequireLowercaseCharacters'),
        allowUsersToChangePassword: params.bool('AllowUsersToChangePassword'),
        maxPasswordAge: params.int('MaxPasswordAge'),
        passwordReusePrevention: params.int('PasswordReusePrevention'),
        hardExpiry: params.bool('HardExpiry'),
      });
      await this.passwordPolicy.put(auth, callerAccount(auth), { ...dto }, client);
      return undefined;
    }),

    iamAction('DeleteAccountPasswordPolicy', 'iam:DeleteAccountPasswordPolicy', () => '*', async ({ auth, client }) => {
      await this.passwordPolicy.delete(auth, callerAccount(auth), client);
      return undefined;
    }),
  ];
}
