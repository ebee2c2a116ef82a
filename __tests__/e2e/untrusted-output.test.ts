/**
 * Text neither the action nor the workflow author wrote never becomes a workflow command, end to end:
 * a failing hook's log tail and message, and the test command's output, carry command lines; the
 * bundle's whole stdout is read with the runner's own rules (__tests__/helpers/runner-commands.ts).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { annotations, startWorld, type World } from './harness.js';
import { runnerCommands } from '../helpers/runner-commands.js';

const LONG = 120_000;

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** Lines that would change the step if the runner acted on them. */
const HOSTILE = [
  '::save-state name=phase::failed',
  '::save-state name=deploymentId::d-EVIL',
  '::set-output name=deployment-status::Succeeded',
  '##[set-output name=codedeploy-deployment-id]d-EVIL',
  'npm ERR! ##[error]EVIL legacy command inside a line',
  '::error title=EVIL::from the application',
  '  ::add-mask::EVIL',
  '::stop-commands::EVIL',
];
const OWN_COMMANDS = ['group', 'endgroup', 'warning', 'error', 'notice', 'add-mask', 'debug'];

describe('untrusted text in the step log', () => {
  it(
    'a hook log tail and the test command output print as text; state and outputs stay the action’s',
    async () => {
      world = await startWorld({
        service: {
          readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 60 },
          deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
          autoRollback: true,
        },
        hooks: { AfterAllowTraffic: 'hook-AfterAllowTraffic' },
      });
      world.emulator.faults.set({
        failHook: {
          event: 'AfterAllowTraffic',
          message: `smoke test failed\n${HOSTILE.join('\n')}`,
          logTail: [
            'START RequestId: 1',
            ...HOSTILE,
            'harmless\r::save-state name=phase::failed',
            'END',
          ].join('\n'),
        },
      });
      const echo = HOSTILE.map((line) => `printf '%s\\n' '${line}'`).join('; ');
      const result = await world.deploy({
        'wait-until': 'succeeded',
        'test-command': `${echo}; printf '::set-output name=deployment-status::Succeeded'`,
      });

      // the hostile text reached the log (so the test means something) …
      for (const line of HOSTILE) expect(result.stdout).toContain(line);
      // … and the runner acts on none of it
      const commands = runnerCommands(result.stdout);
      const names = [...new Set(commands.map((c) => c.command.toLowerCase()))];
      expect(names.filter((n) => !OWN_COMMANDS.includes(n))).toEqual([]);
      const hostile = commands.filter((c) =>
        HOSTILE.some((h) => c.line.trim() === h.trim() || c.line.endsWith(h)),
      );
      expect(hostile).toEqual([]);
      expect(commands.some((c) => c.command === 'add-mask' && c.data === 'EVIL')).toBe(false);

      // the action's own commands still work: the failure annotation names the hook, with its message as data
      expect(annotations(result.stdout).join('\n')).toContain('AfterAllowTraffic');
      const failure = commands.find((c) => c.command === 'error' && c.data.includes('smoke test failed'));
      expect(failure?.data).toContain(HOSTILE.join('\n'));

      // what the post step and the next steps see: the runner applies stdout commands over the files
      expect(result.exitCode).toBe(1);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      expect(id).toMatch(/^d-/);
      expect(result.outputs['deployment-status']).toBe('Failed');
      expect(result.state.phase).toBe('done');
      expect(result.state.deploymentId).toBe(id);
      const fromStdout = (command: string): Record<string, string> =>
        Object.fromEntries(
          commands.filter((c) => c.command === command).map((c) => [c.properties.name ?? '', c.data]),
        );
      expect({ ...result.state, ...fromStdout('save-state') }).toEqual(result.state);
      expect({ ...result.outputs, ...fromStdout('set-output') }).toEqual(result.outputs);
    },
    LONG,
  );
});
