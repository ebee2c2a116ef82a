/**
 * Text the action did not write (hook log tails, AWS messages, service events, the test command's
 * output) never becomes a workflow command, judged by the runner's own rules
 * (__tests__/helpers/runner-commands.ts, a port of actions/runner's parser).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createRunnerRuntime, type Runtime } from '../../../src/action/runtime.js';
import { guarded, MAX_HELD_CHARS, safeOutput } from '../../../src/action/safe-output.js';
import {
  processRunnerOutput,
  runnerCommands,
  runnerLines,
  tryParseLegacy,
  tryParseV2,
  REGISTERED_COMMANDS,
} from '../../helpers/runner-commands.js';

/** Lines an application, a hook or AWS could put in front of the action. */
const HOSTILE = [
  '::save-state name=phase::done',
  '::set-output name=deployment-status::Succeeded',
  '::error title=x::y',
  '::add-mask::hunter2',
  '##[set-output name=deployment-status]Succeeded',
  'npm ERR! see ##[error]legacy commands match anywhere in a line',
  '::stop-commands::guess',
  '::guess::',
  '   ::warning::leading spaces',
  '\t::notice::a leading tab',
  '\u00a0::debug::a leading no-break space',
  'harmless\r::set-env name=NODE_PATH::a bare CR ends a line',
  'harmless\r\n::add-path::/tmp/evil',
  '::SAVE-STATE name=phase::upper case',
];
const TAIL = HOSTILE.join('\n');

describe('the port of the runner parser (what the tests below rely on)', () => {
  const registered = new Set<string>(REGISTERED_COMMANDS);

  it('acts on every hostile line when nothing guards it', () => {
    const commands = runnerCommands(`${TAIL}\n`).map((c) => c.command.toLowerCase());
    expect(commands).toEqual([
      'save-state',
      'set-output',
      'error',
      'add-mask',
      'set-output',
      'error',
      // `::stop-commands::guess` … `::guess::` is a block of its own; then:
      'warning',
      'notice',
      'debug',
      'set-env',
      'add-path',
      'save-state',
    ]);
  });

  it('follows the runner: leading white space, legacy anywhere, CR as a line end, case', () => {
    expect(tryParseV2(' \t::warning file=a.ts,line=3::x%0Ay', registered)).toEqual({
      command: 'warning',
      properties: { file: 'a.ts', line: '3' },
      data: 'x\ny',
    });
    expect(tryParseV2('x ::warning::y', registered)).toBeUndefined();
    expect(tryParseV2('::unknown::y', registered)).toBeUndefined();
    expect(tryParseLegacy('text ##[add-mask]s%3Bx', registered)?.data).toBe('s;x');
    expect(runnerLines('a\r\nb\rc\n')).toEqual(['a', 'b', 'c']);
    expect(tryParseV2('::Group::t', registered)?.command).toBe('Group');
  });

  it('stops at stop-commands and resumes only at the token, in any case', () => {
    const lines = processRunnerOutput(
      ['::stop-commands::Tok-123456', '::error::ignored', '::tok-123456::', '::error::acted on'].join('\n'),
    ).map((l) => l.kind);
    expect(lines).toEqual(['stop', 'output', 'resume', 'command']);
    // a token the runner refuses does not stop anything
    expect(processRunnerOutput('::stop-commands::error\n::error::x').map((l) => l.kind)).toEqual([
      'command',
      'command',
    ]);
  });
});

describe('the runner runtime prints untrusted text so the runner acts on none of it', () => {
  let out = '';
  let rt: Runtime;
  const saved: Record<string, string | undefined> = {};
  const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };

  beforeAll(() => {
    // core.saveState / setOutput would write to a real runner's files: print the commands instead.
    for (const name of ['GITHUB_STATE', 'GITHUB_OUTPUT']) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
    rt = createRunnerRuntime();
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const l of process.listeners(signal)) if (!listeners[signal].includes(l)) process.off(signal, l);
    }
  });
  beforeEach(() => {
    out = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const names = (): string[] => runnerCommands(out).map((c) => c.command.toLowerCase());

  it('a hook log tail through info: its lines are shown, none is acted on; the own group is', () => {
    rt.startGroup('Log tail of smoke-test');
    rt.info(TAIL);
    rt.endGroup();
    expect(names()).toEqual(['group', 'endgroup']);
    const shown = processRunnerOutput(out)
      .filter((l) => l.kind === 'output')
      .map((l) => l.line);
    for (const line of runnerLines(TAIL)) expect(shown).toContain(line);
  });

  // (`::guess::` alone is harmless: it only ends a block that `::stop-commands::guess` began)
  it.each(HOSTILE.filter((l) => l !== '::guess::'))('one line through info: %j', (line) => {
    rt.info(`Service event: ${line}`);
    rt.info(line);
    // the action's next command is still heard (an untrusted stop-commands would swallow it)
    rt.warning('still heard');
    expect(names()).toEqual(['warning']);
  });

  it('failQuietly prints its message as safely as info', () => {
    const exitCode = process.exitCode;
    rt.failQuietly(TAIL);
    process.exitCode = exitCode;
    rt.warning('still heard');
    expect(names()).toEqual(['warning']);
  });

  it.each([1, 2, 3, 7, 64])('the test command output in chunks of %i characters', (size) => {
    const output = `${TAIL}\r\nlast line without an end ::error::x`;
    rt.startGroup('Test-traffic gate: ./smoke.sh');
    for (let i = 0; i < output.length; i += size) rt.write(output.slice(i, i + size));
    rt.endGroup();
    expect(names()).toEqual(['group', 'endgroup']);
    // the output is all there, in order
    const blockMarks = /^::stop-commands::[0-9a-f-]{36}\n|^::[0-9a-f-]{36}::\n/gm;
    expect(out.replace(blockMarks, '')).toContain(`${TAIL}\r\nlast line without an end ::error::x`);
  });

  it('annotations and group titles carry hostile text as data only', () => {
    rt.warning(`AWS said: ${TAIL}`);
    rt.error(`Hook failed: ${TAIL}`, { title: 'x::y, ::save-state name=phase::done' });
    rt.notice(TAIL, { title: TAIL });
    rt.startGroup(TAIL);
    rt.endGroup();
    const commands = runnerCommands(out);
    expect(commands.map((c) => c.command)).toEqual(['warning', 'error', 'notice', 'group', 'endgroup']);
    expect(commands[0]?.data).toBe(`AWS said: ${TAIL}`);
    expect(commands[1]?.properties).toEqual({ title: 'x::y, ::save-state name=phase::done' });
    expect(commands[3]?.data).toBe(TAIL);
  });

  it("the action's own commands still work: state, output, mask, warning", () => {
    rt.saveState('phase', 'following');
    rt.setOutput('deployment-status', 'InProgress');
    rt.setSecret('s3cr3t-value');
    rt.warning('careful');
    expect(runnerCommands(out).map((c) => [c.command, c.properties.name ?? '', c.data])).toEqual([
      ['save-state', 'phase', 'following'],
      ['set-output', 'deployment-status', 'InProgress'],
      ['add-mask', '', 's3cr3t-value'],
      ['warning', '', 'careful'],
    ]);
  });

  it('one stop-commands token for the whole run (the runner adds each one to the job-wide secret masker), never one the text holds', () => {
    for (let i = 0; i < 1000; i++) rt.info(`::error::chatty line ${i}`);
    rt.info('::error::b');
    const tokens = processRunnerOutput(out)
      .filter((l) => l.kind === 'stop')
      .map((l) => l.parsed?.data);
    expect(tokens).toHaveLength(1001);
    expect(new Set(tokens).size).toBe(1);
    // a text that holds the run's token gets a fresh one for its block
    const token = tokens[0] as string;
    rt.info(`::error::${token.toUpperCase()}`);
    const last = processRunnerOutput(out)
      .filter((l) => l.kind === 'stop')
      .map((l) => l.parsed?.data)
      .pop();
    expect(last).not.toBe(token);
    expect(runnerCommands(out).filter((c) => c.command === 'error')).toEqual([]);
  });
});

describe('safe-output', () => {
  it('never takes a token the text holds, in any case', () => {
    const tokens = ['ABC-1234567', 'def-7654321'];
    const text = '::error::abc-1234567\n';
    const block = guarded(text, () => tokens.shift() as string);
    expect(block).toBe(`::stop-commands::def-7654321\n${text}::def-7654321::\n`);
    expect(runnerCommands(block)).toEqual([]);
  });

  it('prints text that can hold no command as it is: an IAM ARN or a C++ name mid-line', () => {
    const text = '  execution role arn:aws:iam::111111111111:role/web\nstd::string x\n';
    expect(guarded(text)).toBe(text);
    expect(guarded(' \u00a0::x\n')).not.toBe(' \u00a0::x\n');
  });

  it('prints a partial line longer than the cap instead of holding it', () => {
    let printed = '';
    const out = safeOutput((t) => (printed += t));
    out.chunk(' '.repeat(MAX_HELD_CHARS));
    expect(printed).toBe('');
    out.chunk('::error::y');
    expect(printed).toContain('::error::y\n');
    expect(runnerCommands(printed)).toEqual([]);
  });

  it('random output in random chunks, with own commands in between, yields only the own commands', () => {
    // a small deterministic generator (mulberry32), so a failure can be replayed
    let seed = 20260115;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pieces = [
      ':',
      '::',
      '#',
      '##[',
      ']',
      '\r',
      '\n',
      '\r\n',
      ' ',
      '\t',
      'error',
      'save-state ',
      'name=phase',
      'stop-commands',
      '\u00a0',
      '\u0085',
      '\u2028',
      '\ufeff',
      'arn:aws:iam::1:role/x',
      'x',
      '%0A',
    ];
    let printed = '';
    const out = safeOutput((t) => (printed += t));
    let own = 0;
    for (let round = 0; round < 2000; round++) {
      const r = random();
      if (r < 0.05) {
        out.flush();
        printed += '::endgroup::\n';
        own++;
      } else if (r < 0.1) {
        out.line(pieces.filter(() => random() < 0.3).join(''));
      } else {
        out.chunk(pieces[Math.floor(random() * pieces.length)] as string);
      }
    }
    out.flush();
    expect(own).toBeGreaterThan(50);
    expect(runnerCommands(printed).map((c) => c.command)).toEqual(Array(own).fill('endgroup'));
  });
});
