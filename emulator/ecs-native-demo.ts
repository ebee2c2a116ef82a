/**
 * `npm run demo -- --ecs-native --strategy blue-green|linear|canary|rolling`: seeds an ECS-native service in
 * the emulator and runs one deployment of it through the real SDK ECS client, printing each stage, status and
 * weight as a poller sees them. The action does not deploy ECS-native services yet; when it does, the lead
 * runs it here instead of the UpdateService call below.
 */
import {
  DescribeServiceDeploymentsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { startEmulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY } from './index.js';
import type { NativeServiceOptions } from './ecs-native.js';
import { NATIVE_STRATEGIES, type NativeStrategy } from './ecs-native-stages.js';

const TERMINAL = ['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'];

/** The service each strategy flag seeds: short bakes so that the demo ends in seconds at the default scale. */
export function nativeDemoOptions(strategy: NativeStrategy): NativeServiceOptions {
  return {
    cluster: 'demo',
    service: 'web',
    strategy,
    bakeTimeInMinutes: strategy === 'ROLLING' ? undefined : 2,
    linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 1 },
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 2 },
    deploymentCircuitBreaker: { enable: true, rollback: true },
    lifecycleHooks:
      strategy === 'ROLLING'
        ? []
        : [
            {
              hookTargetArn: 'arn:aws:lambda:us-east-1:111111111111:function:web-smoke-test',
              lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
            },
          ],
  };
}

export async function runNativeScenario(o: { strategy: string; scale: number }): Promise<number> {
  const strategy = o.strategy.toUpperCase().replace('-', '_') as NativeStrategy;
  if (!NATIVE_STRATEGIES.includes(strategy)) {
    console.error(`--strategy must be one of blue-green, linear, canary, rolling; got '${o.strategy}'.`);
    return 2;
  }
  const emu = await startEmulator({ clockScale: o.scale * 10 });
  try {
    const s = emu.seed.ecsNativeService(nativeDemoOptions(strategy));
    const ecs = new ECSClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: { accessKeyId: STATIC_ACCESS_KEY_ID, secretAccessKey: STATIC_SECRET_ACCESS_KEY },
    });
    console.log(`Emulator on ${emu.url}; seeded ${s.cluster}/${s.service} (ECS controller, ${strategy}).`);
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: s.family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: s.containerName,
            image: 'public.ecr.aws/nginx/nginx:1.27',
            portMappings: [{ containerPort: s.containerPort }],
          },
        ],
      }),
    );
    const t0 = new Date(emu.clock.now() - 1000);
    await ecs.send(
      new UpdateServiceCommand({
        cluster: s.cluster,
        service: s.service,
        taskDefinition: td.taskDefinition?.taskDefinitionArn,
      }),
    );
    const listed = await ecs.send(
      new ListServiceDeploymentsCommand({ cluster: s.cluster, service: s.service, createdAt: { after: t0 } }),
    );
    const arn = listed.serviceDeployments?.[0]?.serviceDeploymentArn;
    if (!arn) throw new Error('the deployment UpdateService started was not listed');
    console.log(`Service deployment ${arn}`);
    let last = '';
    for (;;) {
      const d = (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })))
        .serviceDeployments?.[0];
      const t = d?.targetServiceRevision;
      const line = `${d?.status} ${d?.lifecycleStage ?? ''} green running ${t?.runningTaskCount ?? 0}/${t?.requestedTaskCount ?? 0}${
        t?.requestedProductionTrafficWeight !== undefined
          ? `, production ${t.requestedProductionTrafficWeight}%, test ${t.requestedTestTrafficWeight}%`
          : ''
      }`;
      if (line !== last) console.log(`${new Date(emu.clock.now()).toISOString()}  ${line}`);
      last = line;
      if (TERMINAL.includes(d?.status ?? '')) return d?.status === 'SUCCESSFUL' ? 0 : 1;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await emu.stop();
  }
}
