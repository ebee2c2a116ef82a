/**
 * The promote action, for every engine: continue a deployment held for a decision — CodeDeploy's Ready
 * (reroute production traffic now) or termination wait (remove the original task set now), an ECS pause
 * hook — then follow it like the deploy action. This is the manual reroute of the console, placed behind
 * whatever approval the job has (an environment with required reviewers). The deployment id picks the
 * engine (d-… CodeDeploy, a service deployment ARN ECS); a service without an id, its controller.
 */
import type { AwsRuntime } from '../aws/clients.js';
import { getPromoteInputs } from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import { describeService } from '../aws/ecs-reads.js';
import type { Engine, EngineContext } from '../engine/engine.js';
import { engineForId, engineForService } from '../engines/index.js';
import { addNote, setVerdict } from '../record/record.js';
import {
  conclude,
  finishFollow,
  followTo,
  named,
  namedInSentence,
  notFollowed,
  startFollow,
} from './follow.js';
import { outputDeploymentId } from './outputs.js';

export async function runPromote(rt: AwsRuntime): Promise<void> {
  const inputs = getPromoteInputs(rt.readInput, rt.env);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const ctx: EngineContext = { rt, clients, region: inputs.aws.region };
  let engine: Engine | undefined = inputs.deploymentId ? engineForId(inputs.deploymentId) : undefined;
  if (!engine) {
    const service = await describeService(clients.ecs, inputs.cluster, inputs.service as string);
    engine = engineForService(service, `${inputs.cluster}/${inputs.service}`);
  }
  const located = await engine.locateForPromote(ctx, inputs);
  const { follower, step } = located;
  const f = startFollow(rt, follower, inputs);
  outputDeploymentId(rt, engine, located.id);
  const link = follower.steering.consoleUrl(located.id);
  rt.info(`Before the promote: ${follower.position(located.before)}.`);
  try {
    if (step.kind === 'already-succeeded') {
      rt.info(`${named(f)} already succeeded; nothing to promote. ${link}`);
      setVerdict(follower.record, 'succeeded', `${named(f)} had already succeeded; nothing to promote.`);
      return;
    }
    if (step.kind === 'already-ended') {
      // A failure first seen after the fact is reported as one seen live: its failed step, diagnostics and rollback.
      rt.info(`${named(f)} is ${follower.record.status}; there is nothing to promote. ${link}`);
      return await conclude(f, { kind: 'failed', observation: located.before }, inputs.waitUntil, '');
    }
    rt.info(step.doing);
    addNote(follower.record, step.note);
    await step.run();
    if (inputs.waitUntil === 'none') return notFollowed(f, 'was continued');
    const at = await followTo(
      f,
      inputs.waitUntil,
      follower.budget(inputs.waitUntil, inputs.waitForMinutes, located.from),
    );
    // One promote, one decision: held again (the next pause of a linear or canary deployment), it waits for the next.
    const held = follower.record.verdict === 'reached' ? follower.held(at) : undefined;
    if (held) {
      setVerdict(
        follower.record,
        'reached',
        `${step.what} was continued; ${namedInSentence(f)} now ${held}. Promote again to continue it (each hold is its own approval), or roll it back.`,
      );
      rt.info(follower.record.verdictText ?? '');
    }
  } finally {
    await finishFollow(f);
  }
}
