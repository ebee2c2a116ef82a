/** Which credentials the AWS clients use: the deploy role through GitHub OIDC, or what the environment has. */
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AwsInputs } from '../action/inputs.js';
import type { AwsRuntime } from './clients.js';
import { oidcCredentialsProvider } from './oidc.js';

export async function resolveCredentials(
  aws: AwsInputs,
  rt: AwsRuntime,
): Promise<AwsCredentialIdentityProvider | undefined> {
  if (!aws.roleToAssume) {
    rt.info('No role-to-assume: using the AWS credentials already in the environment.');
    return undefined;
  }
  const { provider, first } = await oidcCredentialsProvider(
    aws,
    {
      getIDToken: (audience) => rt.getIDToken(audience),
      setSecret: (secret) => rt.setSecret(secret),
      info: (message) => rt.info(message),
      env: rt.env,
      sleep: (ms) => rt.clock.sleep(ms),
      stsClient: (region) => rt.stsClient(region),
    },
    rt.clock,
  );
  rt.info(
    `Assumed ${first.assumedRoleArn ?? aws.roleToAssume} through GitHub OIDC${first.subject ? ` (token subject ${first.subject})` : ''}.`,
  );
  return provider;
}
