/**
 * Start the emulator from a shell:  npm run emulator -- --port 4566 --scale 10
 * Seeds one CodeDeploy blue/green ECS service and a GitHub OIDC deploy role, then prints `export` lines.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4566' },
    scale: { type: 'string', default: '1' },
    region: { type: 'string', default: 'us-east-1' },
    account: { type: 'string', default: '111111111111' },
    'require-known-credentials': { type: 'boolean', default: false },
    'ready-wait': { type: 'string', default: '0' },
    config: { type: 'string', default: 'CodeDeployDefault.ECSCanary10Percent5Minutes' },
  },
});

const port = Number(values.port);
const scale = Number(values.scale);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  throw new Error(`--port must be 0..65535, got ${values.port}`);
if (!Number.isFinite(scale) || scale <= 0)
  throw new Error(`--scale must be a positive number, got ${values.scale}`);
const readyWait = Number(values['ready-wait']);

const emu = await startEmulator({
  port,
  clockScale: scale,
  region: values.region,
  accountId: values.account,
  requireKnownCredentials: values['require-known-credentials'],
});
const s = emu.seed.blueGreenService({
  deploymentConfig: values.config,
  ...(readyWait > 0
    ? { readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT' as const, waitTimeInMinutes: readyWait } }
    : {}),
});
const role = emu.seed.role({
  name: 'github-deploy',
  trustPolicy: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: {
          Federated: `arn:aws:iam::${emu.accountId}:oidc-provider/token.actions.githubusercontent.com`,
        },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' },
        },
      },
    ],
  },
});

const lines = Object.entries(emu.env()).map(([k, v]) => `export ${k}='${v}'`);
process.stdout.write(
  [
    `# AWS emulator on ${emu.url} (clock x${scale})`,
    `# cluster=${s.cluster} service=${s.service} application=${s.application} deployment-group=${s.deploymentGroup}`,
    `# task definition ${s.taskDefinitionArn}`,
    `# OIDC role ${role.arn} (sub repo:acme/app:*, aud sts.amazonaws.com)`,
    `# load balancer http://${s.loadBalancerDnsName}`,
    ...lines,
    '',
  ].join('\n'),
);

const shutdown = () => {
  emu.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
