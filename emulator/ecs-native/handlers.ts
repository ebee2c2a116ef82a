import { serviceWire } from '../ecs.js';
import { ApiError, type JsonHandler } from '../protocol.js';
import { findTaskDefinition, type EmulatorState, type Service } from '../state.js';
import { SERVICE_DEPLOYMENT_STATUSES, type ServiceDeploymentStatus } from './stages.js';
import { adopt, switchController } from './adopt.js';
import { applyMissingBakeTime, mergeConfig, defaultConfig, parseLoadBalancers } from './config.js';
import {
  type NativeContext,
  resolveHook,
  startRollback,
  advanceDeployment,
  newRevision,
  createDeployment,
} from './machine.js';
import {
  DEFAULT_READINGS,
  nativeState,
  invalid,
  clusterOf,
  serviceOf,
  keyOf,
  setStatus,
  isTerminal,
  deploymentsOf,
} from './model.js';
import { deploymentWire, briefWire, revisionWire, decorate, taskWire } from './wire.js';

// ───────────────────────────── handlers ─────────────────────────────

const UPDATE_MEMBERS = [
  'cluster',
  'service',
  'desiredCount',
  'taskDefinition',
  'capacityProviderStrategy',
  'deploymentConfiguration',
  'availabilityZoneRebalancing',
  'networkConfiguration',
  'placementConstraints',
  'placementStrategy',
  'platformVersion',
  'forceNewDeployment',
  'healthCheckGracePeriodSeconds',
  'deploymentController',
  'enableExecuteCommand',
  'enableECSManagedTags',
  'loadBalancers',
  'propagateTags',
  'serviceRegistries',
  'serviceConnectConfiguration',
  'volumeConfigurations',
  'vpcLatticeConfigurations',
  'gatewayConnectors',
  'monitoring',
];

/**
 * What UpdateService cannot change on a CODE_DEPLOY service (API reference UpdateService: only "desired count,
 * deployment configuration, health check grace period, task placement constraints and strategies, enable ECS
 * managed tags option, and propagate tags"; volumeConfigurations is not among them; the wording is [U]).
 */
const CODE_DEPLOY_ONLY = ['networkConfiguration', 'platformVersion', 'loadBalancers', 'volumeConfigurations'];

/** PropagateTags (SDK enum). */
const PROPAGATE_TAGS = ['TASK_DEFINITION', 'SERVICE', 'NONE'];

/**
 * enableECSManagedTags, propagateTags and volumeConfigurations as UpdateService takes them (SDK
 * ServiceVolumeConfiguration: name and managedEBSVolume with roleArn required); the wording is [U].
 */
function serviceTagsAndVolumes(input: Record<string, unknown>): Partial<Service> {
  const out: Partial<Service> = {};
  if (input.enableECSManagedTags !== undefined) {
    if (typeof input.enableECSManagedTags !== 'boolean')
      throw invalid('enableECSManagedTags must be a boolean.');
    out.enableECSManagedTags = input.enableECSManagedTags;
  }
  if (input.propagateTags !== undefined) {
    if (!PROPAGATE_TAGS.includes(String(input.propagateTags)))
      throw invalid(`propagateTags must be one of ${PROPAGATE_TAGS.join(', ')}.`);
    out.propagateTags = String(input.propagateTags);
  }
  if (input.volumeConfigurations !== undefined) {
    const volumes = input.volumeConfigurations;
    if (!Array.isArray(volumes)) throw invalid('volumeConfigurations must be a list.');
    for (const v of volumes) {
      const volume = v as { name?: unknown; managedEBSVolume?: { roleArn?: unknown } };
      if (typeof volume.name !== 'string' || volume.name === '')
        throw invalid('volumeConfigurations[].name is required.');
      if (typeof volume.managedEBSVolume?.roleArn !== 'string')
        throw invalid('volumeConfigurations[].managedEBSVolume.roleArn is required.');
    }
    out.volumeConfigurations = volumes;
  }
  return out;
}

function arnList(input: Record<string, unknown>, key: string): string[] {
  const v = input[key];
  if (!Array.isArray(v) || v.length === 0) throw invalid(`${key} must list at least one ARN.`);
  if (v.length > 20) throw invalid(`${key} can list at most 20 ARNs.`);
  return v.map(String);
}

function time(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string' && v !== '') return Date.parse(v);
  return undefined;
}

/**
 * ECS handlers for native deployments, layered over the base ECS handlers (`base`): DescribeServices,
 * ListTasks and DescribeTasks decorate or fall back to the base ones for services without native state.
 */
export function ecsNativeHandlers(
  state: EmulatorState,
  base: Record<string, JsonHandler>,
): Record<string, JsonHandler> {
  const ctx: NativeContext = { state };
  const ns = nativeState(state);
  const find = (arn: string) => {
    const d = ns.deployments.get(arn);
    if (!d)
      throw new ApiError(
        'ServiceDeploymentNotFoundException',
        `The service deployment ${arn} does not exist.`,
      );
    return d;
  };
  return {
    UpdateService: (input, rctx) => {
      for (const key of Object.keys(input))
        if (!UPDATE_MEMBERS.includes(key))
          throw new ApiError(
            'ClientException',
            `Unknown parameter in input: "${key}", must be one of: ${UPDATE_MEMBERS.join(', ')}`,
          );
      const svc = serviceOf(state, input.cluster, input.service);
      const at = rctx.now;
      const controller = (input.deploymentController as { type?: unknown } | undefined)?.type;
      // validate everything before changing anything
      let probe = mergeConfig(
        ns.services.get(keyOf(svc))?.config ?? ns.codeDeployConfigs.get(keyOf(svc)) ?? defaultConfig(),
        input.deploymentConfiguration,
      );
      if (
        input.deploymentConfiguration !== undefined &&
        (svc.deploymentController === 'ECS' || controller === 'ECS')
      )
        probe = applyMissingBakeTime(
          probe,
          ns.services.get(keyOf(svc))?.readings.missingBakeTime ?? DEFAULT_READINGS.missingBakeTime,
        );
      const lbs = input.loadBalancers !== undefined ? parseLoadBalancers(input.loadBalancers) : undefined;
      let td: string | undefined;
      if (input.taskDefinition !== undefined) {
        const found = findTaskDefinition(state, String(input.taskDefinition));
        if (!found) throw new ApiError('ClientException', 'TaskDefinition not found.');
        if (found.status !== 'ACTIVE') throw new ApiError('ClientException', 'TaskDefinition is inactive.');
        td = found.taskDefinitionArn;
      }
      if (
        input.desiredCount !== undefined &&
        (typeof input.desiredCount !== 'number' || input.desiredCount < 0)
      )
        throw invalid('desiredCount must be a number of at least 0.');
      if (svc.deploymentController === 'CODE_DEPLOY' && controller !== 'ECS') {
        if (controller !== undefined && controller !== 'CODE_DEPLOY')
          switchController(state, svc, String(controller), at);
        // UpdateService on a CODE_DEPLOY service changes "only the desired count, deployment configuration,
        // health check grace period, task placement constraints and strategies, enable ECS managed tags
        // option, and propagate tags"; the rest needs a CodeDeploy deployment (API reference UpdateService)
        if (td !== undefined || input.forceNewDeployment === true)
          throw invalid(
            'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
          );
        const viaCodeDeploy = CODE_DEPLOY_ONLY.filter((k) => input[k] !== undefined);
        if (viaCodeDeploy.length)
          throw invalid(
            `Unable to update ${viaCodeDeploy.join(', ')} on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.`,
          );
        const tagsOnly = serviceTagsAndVolumes(input);
        if (input.deploymentConfiguration !== undefined) ns.codeDeployConfigs.set(keyOf(svc), probe);
        if (typeof input.desiredCount === 'number') svc.desiredCount = input.desiredCount;
        Object.assign(svc, tagsOnly);
        return { service: decorate(state, serviceWire(state, svc), svc, at) };
      }
      if (controller !== undefined) switchController(state, svc, String(controller), at);
      if (svc.deploymentController !== 'ECS')
        throw new ApiError(
          'UnsupportedFeatureException',
          `The emulator does not model ${svc.deploymentController} services.`,
        );
      const settings = serviceTagsAndVolumes(input);
      const n = adopt(state, svc, at);
      n.config = probe;
      Object.assign(svc, settings);
      if (lbs) {
        n.loadBalancers = lbs;
        svc.loadBalancers = lbs
          .filter((lb) => lb.targetGroupArn && lb.containerName && lb.containerPort !== undefined)
          .map((lb) => ({
            targetGroupArn: lb.targetGroupArn!,
            containerName: lb.containerName!,
            containerPort: lb.containerPort!,
          }));
      }
      if (typeof input.desiredCount === 'number') svc.desiredCount = input.desiredCount;
      const current = ns.revisions.get(n.currentRevisionArn);
      // A task definition other than the one the service is set to starts a deployment: the one of the
      // last UpdateService, not the revision running now, so that an UpdateService retried after its answer
      // was lost does not replace the deployment it started ([U]: AWS documents no idempotency for
      // UpdateService; DescribeServices shows the new taskDefinition at once, and the emulator takes that as
      // the service's state). forceNewDeployment, and volumeConfigurations ("If you leave
      // volumeConfigurations null, it doesn't trigger a new deployment": update-service reference), start
      // one with the same task definition too.
      if (
        (td !== undefined && td !== svc.taskDefinition) ||
        input.forceNewDeployment === true ||
        settings.volumeConfigurations !== undefined
      ) {
        const rev = newRevision(state, ns, svc, n, td ?? current?.taskDefinition ?? svc.taskDefinition, at);
        // the revision keeps the target group the current one serves on; the deployment brings green up on the other
        if (current?.loadBalancers[0]?.targetGroupArn && rev.loadBalancers[0])
          rev.loadBalancers[0] = {
            ...rev.loadBalancers[0],
            targetGroupArn: current.loadBalancers[0].targetGroupArn,
          };
        createDeployment(state, ns, svc, n, rev, at);
        svc.taskDefinition = rev.taskDefinition;
      }
      return { service: decorate(state, serviceWire(state, svc), svc, at) };
    },
    DescribeServices: (input, rctx) => {
      const out = base.DescribeServices!(input, rctx) as {
        services: Record<string, unknown>[];
        failures: unknown[];
      };
      return {
        ...out,
        services: out.services.map((w) => {
          const [cluster, name] = String(w.serviceArn).split('/').slice(-2) as [string, string];
          const svc = state.services.get(`${cluster}/${name}`);
          return svc ? decorate(state, w, svc, rctx.now) : w;
        }),
      };
    },
    ListServiceDeployments: (input, rctx) => {
      const svc = serviceOf(state, input.cluster, input.service);
      const n = ns.services.get(keyOf(svc));
      const statuses = input.status === undefined ? undefined : (input.status as unknown[]).map(String);
      for (const s of statuses ?? [])
        if (!SERVICE_DEPLOYMENT_STATUSES.includes(s as ServiceDeploymentStatus))
          throw invalid(`status: ${s} is not a service deployment status.`);
      const created = (input.createdAt ?? {}) as Record<string, unknown>;
      const after = time(created.after);
      const before = time(created.before);
      const max = input.maxResults === undefined ? 20 : Number(input.maxResults);
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw invalid('maxResults must be between 1 and 100.');
      const lag = n?.listLagMs ?? 0;
      const list = deploymentsOf(ns, keyOf(svc))
        .filter((d) => rctx.now - d.createdAt >= lag)
        .filter((d) => !statuses || statuses.includes(d.status))
        .filter((d) => after === undefined || d.createdAt >= after)
        .filter((d) => before === undefined || d.createdAt <= before)
        .reverse(); // newest first ([U]: the order is undocumented)
      const start =
        typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) throw invalid('Invalid nextToken.');
      const page = list.slice(start, start + max);
      return {
        serviceDeployments: page.map((d) => briefWire(state, d)),
        ...(start + max < list.length
          ? { nextToken: Buffer.from(String(start + max)).toString('base64') }
          : {}),
      };
    },
    DescribeServiceDeployments: (input) => {
      const arns = arnList(input, 'serviceDeploymentArns');
      const serviceDeployments: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const arn of arns) {
        const d = ns.deployments.get(arn);
        if (d) serviceDeployments.push(deploymentWire(state, d));
        else failures.push({ arn, reason: 'MISSING' });
      }
      return { serviceDeployments, failures };
    },
    DescribeServiceRevisions: (input) => {
      const arns = arnList(input, 'serviceRevisionArns');
      const serviceRevisions: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const arn of arns) {
        const r = ns.revisions.get(arn);
        if (r) serviceRevisions.push(revisionWire(state, r));
        else failures.push({ arn, reason: 'MISSING' });
      }
      return { serviceRevisions, failures };
    },
    StopServiceDeployment: (input, rctx) => {
      if (typeof input.serviceDeploymentArn !== 'string') throw invalid('serviceDeploymentArn is required.');
      const d = find(input.serviceDeploymentArn);
      const stopType = input.stopType ?? 'ROLLBACK';
      if (stopType !== 'ROLLBACK' && stopType !== 'ABORT')
        throw invalid(`stopType must be ROLLBACK or ABORT; got ${String(stopType)}.`);
      advanceDeployment(ctx, d, rctx.now);
      if (isTerminal(d.status))
        throw new ApiError(
          'ConflictException',
          `The service deployment ${d.arn} is ${d.status} and cannot be stopped.`,
        );
      if (
        d.status === 'ROLLBACK_REQUESTED' ||
        d.status === 'ROLLBACK_IN_PROGRESS' ||
        d.status === 'STOP_REQUESTED'
      )
        return { serviceDeploymentArn: d.arn }; // continues what is under way (DG stop-service-deployment)
      if (stopType === 'ABORT') {
        // [U]: the docs list only ROLLBACK; modelled as a stop that leaves both revisions as they are
        for (const h of d.hooks) if (h.finishedAt === undefined) resolveHook(d, h, rctx.now, 'FAILED', false);
        d.currentHookIds = [];
        setStatus(d, 'STOP_REQUESTED', rctx.now);
        d.statusReason = 'Stopped by StopServiceDeployment (ABORT).';
        d.phase = {
          kind: 'request',
          until: rctx.now + (ns.services.get(d.serviceKey)?.timing.requestMs ?? 1000),
          then: 'stop',
        };
        return { serviceDeploymentArn: d.arn };
      }
      startRollback(ctx, d, rctx.now, 'Rollback requested by StopServiceDeployment.', true);
      return { serviceDeploymentArn: d.arn };
    },
    ContinueServiceDeployment: (input, rctx) => {
      if (typeof input.serviceDeploymentArn !== 'string') throw invalid('serviceDeploymentArn is required.');
      if (typeof input.hookId !== 'string' || input.hookId === '') throw invalid('hookId is required.');
      const action = input.action ?? 'CONTINUE';
      if (action !== 'CONTINUE' && action !== 'ROLLBACK')
        throw invalid(`action must be CONTINUE or ROLLBACK; got ${String(action)}.`);
      const d = find(input.serviceDeploymentArn);
      advanceDeployment(ctx, d, rctx.now);
      const h = d.hooks.find((x) => x.hookId === input.hookId);
      if (!h) throw invalid(`The lifecycle hook ${input.hookId} does not exist in ${d.arn}.`);
      if (d.status !== 'IN_PROGRESS')
        throw invalid(`The service deployment is ${d.status}; it must be IN_PROGRESS.`);
      if (h.status !== 'AWAITING_ACTION')
        throw invalid(`The lifecycle hook ${h.hookId} is ${h.status}; it must be AWAITING_ACTION.`);
      if (action === 'CONTINUE') resolveHook(d, h, rctx.now, 'SUCCEEDED', true);
      else {
        resolveHook(d, h, rctx.now, 'FAILED', false);
        h.message = `Rollback requested through ContinueServiceDeployment for the pause hook at ${h.stage}.`;
      }
      advanceDeployment(ctx, d, rctx.now);
      return { serviceDeploymentArn: d.arn };
    },
    ListTasks: (input, rctx) => {
      const cluster = clusterOf(state, input.cluster);
      const others = ['serviceName', 'family', 'containerInstance', 'desiredStatus', 'launchType'].filter(
        (k) => input[k] !== undefined,
      );
      // "When you specify startedBy as the filter, it must be the only filter that you use." (ListTasks)
      if (typeof input.startedBy === 'string' && others.length > 0)
        throw invalid(`startedBy must be the only filter of ListTasks; also given: ${others.join(', ')}.`);
      const name =
        typeof input.serviceName === 'string' ? (input.serviceName.split('/').pop() ?? '') : undefined;
      const n = name !== undefined ? ns.services.get(`${cluster}/${name}`) : undefined;
      if (name !== undefined && !n) {
        if (base.ListTasks) return base.ListTasks(input, rctx);
        if (!state.services.has(`${cluster}/${name}`))
          throw new ApiError('ServiceNotFoundException', 'Service not found.');
        return { taskArns: [] };
      }
      const desired = input.desiredStatus ?? 'RUNNING';
      const arns = [...ns.tasks.values()]
        .filter((t) => t.serviceKey.startsWith(`${cluster}/`) && (!n || t.serviceKey === n.key))
        .filter((t) => t.desiredStatus === desired)
        .filter((t) => typeof input.startedBy !== 'string' || t.startedBy === input.startedBy)
        .map((t) => t.taskArn);
      if (!n && base.ListTasks) {
        const more = base.ListTasks(input, rctx) as { taskArns?: string[] };
        return { taskArns: [...arns, ...(more.taskArns ?? [])] };
      }
      return { taskArns: arns };
    },
    DescribeTasks: (input, rctx) => {
      const cluster = clusterOf(state, input.cluster);
      const refs = Array.isArray(input.tasks) ? input.tasks.map(String) : [];
      if (!refs.length) throw invalid('Tasks cannot be empty.');
      if (refs.length > 100) throw invalid('The tasks list can contain at most 100 tasks.');
      const tasks: Record<string, unknown>[] = [];
      const rest: string[] = [];
      for (const ref of refs) {
        const t =
          ns.tasks.get(ref) ?? [...ns.tasks.values()].find((x) => x.taskArn.endsWith(`/${cluster}/${ref}`));
        if (t) tasks.push(taskWire(state, t));
        else rest.push(ref);
      }
      let failures: unknown[] = rest.map((arn) => ({ arn, reason: 'MISSING' }));
      if (rest.length && base.DescribeTasks) {
        const more = base.DescribeTasks({ ...input, tasks: rest }, rctx) as {
          tasks?: Record<string, unknown>[];
          failures?: unknown[];
        };
        tasks.push(...(more.tasks ?? []));
        failures = more.failures ?? [];
      }
      return { tasks, failures };
    },
  };
}
