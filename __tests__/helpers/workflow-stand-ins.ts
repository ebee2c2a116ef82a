/**
 * Third-party actions the workflows use, stood in for by what each documents it does (the workflow
 * executor runs this repository's own actions for real, as their bundles). Each takes the step's inputs
 * and the job's environment and returns outputs, environment exports, values to mask and log lines,
 * as the runner would take them from the real action:
 *
 * - actions/checkout: the calling repository's files in the workspace (README "checkout": "checks-out
 *   your repository under $GITHUB_WORKSPACE"); outputs ref and commit.
 * - actions/setup-node: output node-version (the Node running the tests).
 * - aws-actions/configure-aws-credentials: really assumes the role: asks the job's OIDC endpoint for a
 *   token with the audience (default sts.amazonaws.com), calls AssumeRoleWithWebIdentity on the
 *   emulator's STS (which checks the role's trust policy), exports AWS_ACCESS_KEY_ID,
 *   AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and AWS_DEFAULT_REGION for later steps, masks
 *   the credentials (and the account id only with mask-aws-account-id: true, its default being false
 *   since v3), outputs aws-account-id. Without id-token: write it fails as the action does.
 * - aws-actions/amazon-ecr-login: needs the credentials a previous step exported (checked with
 *   GetCallerIdentity against the emulator's STS); outputs registry (<account>.dkr.ecr.<region>.amazonaws.com)
 *   and docker_username_/docker_password_<registry> (the password masked with mask-password: true).
 * - docker/setup-buildx-action: outputs name, driver, platforms.
 * - docker/build-push-action: builds nothing; "pushes" the tags (recorded for the test) and outputs
 *   digest (sha256 of what it was given), imageid and metadata.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export interface StandInContext {
  inputs: Record<string, string>;
  /** the step's environment, as a process would get it */
  env: Record<string, string>;
  workspace: string;
  /** the calling repository's files, for checkout */
  repositoryFiles: Record<string, string>;
  sha: string;
  ref: string;
  /** what the "registry" received */
  pushes: { tags: string[]; digest: string }[];
}

export interface StandInResult {
  ok: boolean;
  outputs: Record<string, string>;
  exports: Record<string, string>;
  masks: string[];
  log: string[];
}

type StandIn = (ctx: StandInContext) => Promise<StandInResult>;

const done = (o: Partial<StandInResult> = {}): StandInResult => ({
  ok: true,
  outputs: {},
  exports: {},
  masks: [],
  log: [],
  ...o,
});
const failed = (message: string): StandInResult => done({ ok: false, log: [`::error::${message}`] });

async function idToken(env: Record<string, string>, audience: string): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) throw new Error('no id token');
  const response = await fetch(`${url}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${bearer}` },
  });
  if (!response.ok) throw new Error(`OIDC endpoint answered ${response.status}`);
  return ((await response.json()) as { value: string }).value;
}

function sts(env: Record<string, string>, region: string, withCredentials: boolean): STSClient {
  return new STSClient({
    region,
    endpoint: env.AWS_ENDPOINT_URL,
    maxAttempts: 1,
    ...(withCredentials
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : { credentials: { accessKeyId: 'unsigned', secretAccessKey: 'unsigned' } }),
  });
}

const checkout: StandIn = async (ctx) => {
  for (const [file, content] of Object.entries(ctx.repositoryFiles)) {
    const abs = path.join(ctx.workspace, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  return done({ outputs: { ref: ctx.ref, commit: ctx.sha } });
};

const setupNode: StandIn = async () => done({ outputs: { 'node-version': process.version } });

const configureAwsCredentials: StandIn = async (ctx) => {
  const region = ctx.inputs['aws-region'];
  const roleArn = ctx.inputs['role-to-assume'];
  if (!region) return failed('Input required and not supplied: aws-region');
  if (!roleArn) return failed('Credentials could not be loaded, please check your action inputs');
  let token: string;
  try {
    token = await idToken(ctx.env, ctx.inputs.audience || 'sts.amazonaws.com');
  } catch {
    // the action's wording when the job cannot request a token
    return failed(
      'Could not assume role with OIDC: It looks like you might be trying to authenticate with OIDC. Did you mean to set the `id-token` permission?',
    );
  }
  try {
    const out = await sts(ctx.env, region, false).send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: ctx.inputs['role-session-name'] || 'GitHubActions',
        WebIdentityToken: token,
        DurationSeconds: Number(ctx.inputs['role-duration-seconds'] || 3600),
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
      return failed('STS returned no credentials');
    const account = out.AssumedRoleUser?.Arn?.split(':')[4] ?? '';
    const masks = [c.AccessKeyId, c.SecretAccessKey, c.SessionToken];
    if (ctx.inputs['mask-aws-account-id'] === 'true') masks.push(account);
    return done({
      outputs: { 'aws-account-id': account, 'authenticated-arn': out.AssumedRoleUser?.Arn ?? '' },
      exports: {
        AWS_ACCESS_KEY_ID: c.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
        AWS_SESSION_TOKEN: c.SessionToken,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
      },
      masks,
      log: [`Authenticated as assumedRoleId ${out.AssumedRoleUser?.AssumedRoleId ?? '?'}`],
    });
  } catch (error) {
    return failed(`Could not assume role with OIDC: ${(error as Error).message}`);
  }
};

const ecrLogin: StandIn = async (ctx) => {
  const region = ctx.env.AWS_REGION;
  if (!ctx.env.AWS_ACCESS_KEY_ID || !region) return failed('Could not load credentials from any providers');
  try {
    const who = await sts(ctx.env, region, true).send(new GetCallerIdentityCommand({}));
    const registry = `${who.Account}.dkr.ecr.${region}.amazonaws.com`;
    const key = registry.replace(/[.-]/g, '_');
    const password = createHash('sha256').update(`${ctx.env.AWS_ACCESS_KEY_ID}/${registry}`).digest('hex');
    return done({
      outputs: { registry, [`docker_username_${key}`]: 'AWS', [`docker_password_${key}`]: password },
      masks: ctx.inputs['mask-password'] === 'false' ? [] : [password],
      log: [`Logged into ${registry} as ${who.Arn ?? '?'}`],
    });
  } catch (error) {
    return failed(`Amazon ECR login failed: ${(error as Error).message}`);
  }
};

const setupBuildx: StandIn = async () =>
  done({ outputs: { name: 'builder-emulated', driver: 'docker-container', platforms: 'linux/amd64' } });

const buildPush: StandIn = async (ctx) => {
  const tags = (ctx.inputs.tags ?? '')
    .split(/[\n,]/)
    .map((t) => t.trim())
    .filter(Boolean);
  if (ctx.inputs.push === 'true' && tags.length === 0)
    return failed('tag is needed when pushing to registry');
  const digest = `sha256:${createHash('sha256')
    .update(JSON.stringify([ctx.sha, ctx.inputs.context, ctx.inputs.file, ctx.inputs['build-args'], tags]))
    .digest('hex')}`;
  if (ctx.inputs.push === 'true') ctx.pushes.push({ tags, digest });
  return done({
    outputs: {
      digest,
      imageid: digest,
      metadata: JSON.stringify({ 'containerimage.digest': digest, 'image.name': tags.join(',') }),
    },
  });
};

/** owner/repo (without @ref) → stand-in */
export const STAND_INS: Record<string, StandIn> = {
  'actions/checkout': checkout,
  'actions/setup-node': setupNode,
  'aws-actions/configure-aws-credentials': configureAwsCredentials,
  'aws-actions/amazon-ecr-login': ecrLogin,
  'docker/setup-buildx-action': setupBuildx,
  'docker/build-push-action': buildPush,
};
