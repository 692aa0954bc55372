import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { AttachPolicyDto, PolicyDocumentDto } from './dto/policies.dto.js';
import { PoliciesService } from './policies.service.js';

const OWNER_KINDS = {
  users: { type: 'USER', Noun: 'User', res: () => Res.user('name') },
  groups: { type: 'GROUP', Noun: 'Group', res: () => Res.group('name') },
  roles: { type: 'ROLE', Noun: 'Role', res: () => Res.role('name') },
} as const;

/**
 * Attached and inline policies of users, groups or roles: one controller shape
 * for all (IAM's AttachUserPolicy/AttachGroupPolicy/AttachRolePolicy, PutUserPolicy…).
 */
function ownerPoliciesController(kind: keyof typeof OWNER_KINDS): Type<unknown> {
  const { type, Noun } = OWNER_KINDS[kind];
  const res = OWNER_KINDS[kind].res();

  @ApiTags(`${kind}: policies`)
  @ApiBearerAuth()
  @Controller(`v1/accounts/:accountId/${kind}/:name`)
  class OwnerPoliciesController {
    constructor(readonly policies: PoliciesService) {}

    @Get('attached-policies')
    @Authorize(`iam:ListAttached${Noun}Policies`, res)
    listAttached(@Param('accountId') accountId: string, @Param('name') name: string) {
      return this.policies.listAttached(accountId, { type, name });
    }

    @Post('attached-policies')
    @HttpCode(204)
    @Authorize(`iam:Attach${Noun}Policy`, res)
    async attach(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('name') name: string, @Body() dto: AttachPolicyDto, @Client() client: ClientInfo) {
      await this.policies.attach(auth, accountId, { type, name }, dto.policyArn, client);
    }

    @Delete('attached-policies')
    @HttpCode(204)
    @Authorize(`iam:Detach${Noun}Policy`, res)
    async detach(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('name') name: string, @Query() q: AttachPolicyDto, @Client() client: ClientInfo) {
      await this.policies.detach(auth, accountId, { type, name }, q.policyArn, client);
    }

    @Get('inline-policies')
    @Authorize(`iam:List${Noun}Policies`, res)
    listInline(@Param('accountId') accountId: string, @Param('name') name: string) {
      return this.policies.listInline(accountId, { type, name });
    }

    @Get('inline-policies/:policyName')
    @Authorize(`iam:Get${Noun}Policy`, res)
    getInline(@Param('accountId') accountId: string, @Param('name') name: string, @Param('policyName') policyName: string) {
      return this.policies.getInline(accountId, { type, name }, policyName);
    }

    @Put('inline-policies/:policyName')
    @HttpCode(204)
    @Authorize(`iam:Put${Noun}Policy`, res)
    async putInline(
      @CurrentAuth() auth: AuthContext,
      @Param('accountId') accountId: string,
      @Param('name') name: string,
      @Param('policyName') policyName: string,
      @Body() dto: PolicyDocumentDto,
      @Client() client: ClientInfo,
    ) {
      await this.policies.putInline(auth, accountId, { type, name }, policyName, JSON.stringify(dto.document), client);
    }

    @Delete('inline-policies/:policyName')
    @HttpCode(204)
    @Authorize(`iam:Delete${Noun}Policy`, res)
    async deleteInline(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('name') name: string, @Param('policyName') policyName: string, @Client() client: ClientInfo) {
      await this.policies.deleteInline(auth, accountId, { type, name }, policyName, client);
    }
  }
  Object.defineProperty(OwnerPoliciesController, 'name', { value: `${Noun}PoliciesController` });
  return OwnerPoliciesController;
}

export const UserPoliciesController = ownerPoliciesController('users');
export const GroupPoliciesController = ownerPoliciesController('groups');
export const RolePoliciesController = ownerPoliciesController('roles');
