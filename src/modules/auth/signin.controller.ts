import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { AllowRestricted, AuthenticatedOnly, AuthMethods, Client, CurrentAuth, Public } from '../../common/auth/auth.decorators.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { MfaChallengeDto, PasswordResetConfirmDto, PasswordResetRequestDto, SignInDto } from './dto/signin.dto.js';
import { SignInService } from './signin.service.js';

@ApiTags('sign-in')
@Controller('v1')
export class SignInController {
  constructor(
    private readonly signIn: SignInService,
    private readonly accounts: AccountsService,
  ) {}

  /** Password sign-in (the password strategy checked the password); MFA next if the principal has it. */
  @Post('signin')
  @HttpCode(200)
  @AuthMethods('password')
  @AuthenticatedOnly()
  @AllowRestricted('mfa-enrollment', 'password-change')
  @ApiBody({ type: SignInDto })
  signin(@CurrentAuth() auth: AuthContext, @Body() dto: SignInDto, @Client() client: ClientInfo) {
    return this.signIn.afterPassword(auth, dto, client);
  }

  @Post('signin/mfa')
  @HttpCode(200)
  @Public()
  mfa(@Body() dto: MfaChallengeDto, @Client() client: ClientInfo) {
    return this.signIn.completeChallenge(dto.challengeToken, dto.mfaCode, client);
  }

  @Post('signout')
  @HttpCode(204)
  @ApiBearerAuth()
  @AuthenticatedOnly()
  @AllowRestricted('mfa-enrollment', 'password-change')
  async signout(@CurrentAuth() auth: AuthContext, @Client() client: ClientInfo) {
    await this.signIn.signOut(auth, client);
  }

  /** Who am I: account, ARN and user ID of the caller (no permission needed, as in STS). */
  @Get('caller-identity')
  @ApiBearerAuth()
  @AuthenticatedOnly()
  @AllowRestricted('mfa-enrollment', 'password-change')
  callerIdentity(@CurrentAuth() auth: AuthContext) {
    return { account: auth.accountId, arn: auth.principal.arn, userId: auth.principal.userId };
  }

  /** Root "Forgot password?": always 202, whether or not the email is known. */
  @Post('root/password-reset')
  @HttpCode(202)
  @Public()
  async requestReset(@Body() dto: PasswordResetRequestDto, @Client() client: ClientInfo) {
    await this.accounts.requestRootPasswordReset(dto.email, client);
    return { message: 'If the address belongs to an account, a reset message is on its way.' };
  }

  @Post('root/password-reset/confirm')
  @HttpCode(204)
  @Public()
  async confirmReset(@Body() dto: PasswordResetConfirmDto, @Client() client: ClientInfo) {
    await this.accounts.confirmRootPasswordReset(dto.token, dto.newPassword, client);
  }
}
