import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { STSClient } from '@aws-sdk/client-sts';
import type { Emulator } from '../../../emulator/index.js';
import { STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY } from '../../../emulator/index.js';

export interface Clients {
  ecs: ECSClient;
  cd: CodeDeployClient;
  sts: STSClient;
  elb: ElasticLoadBalancingV2Client;
}

export function clients(
  emu: Emulator,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = {
    accessKeyId: STATIC_ACCESS_KEY_ID,
    secretAccessKey: STATIC_SECRET_ACCESS_KEY,
  },
): Clients {
  const config = { endpoint: emu.url, region: emu.region, credentials, maxAttempts: 1 };
  return {
    ecs: new ECSClient(config),
    cd: new CodeDeployClient(config),
    sts: new STSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
  };
}

/** Poll `fn` (real time) until `ok` holds; fail after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 4000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 15));
    last = await fn();
  }
  return last;
}

export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { name: string; $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

export function appSpec(taskDefinitionArn: string, hooks: Record<string, string> = {}, port = 8080): string {
  return JSON.stringify({
    version: 0.0,
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: taskDefinitionArn,
            LoadBalancerInfo: { ContainerName: 'web', ContainerPort: port },
          },
        },
      },
    ],
    Hooks: Object.entries(hooks).map(([k, v]) => ({ [k]: v })),
  });
}
