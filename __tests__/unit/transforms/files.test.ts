import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MAX_NESTING_DEPTH,
  MAX_USER_FILE_BYTES,
  firstInvalidUtf8Offset,
  parseJsonOrYaml,
  readUserFile,
  resolveWorkspacePath,
} from '../../../src/prepare/files.js';
import { InputError } from '../../../src/action/errors.js';
import { catchInputError } from '../../helpers/input-error.js';

async function catchAsyncInputError(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

describe('resolveWorkspacePath', () => {
  const saved = process.env.GITHUB_WORKSPACE;
  afterEach(() => {
    if (saved === undefined) delete process.env.GITHUB_WORKSPACE;
    else process.env.GITHUB_WORKSPACE = saved;
  });

  it('keeps an absolute path', () => {
    process.env.GITHUB_WORKSPACE = '/home/runner/work/repo';
    expect(resolveWorkspacePath('/etc/task.json')).toBe('/etc/task.json');
  });

  it('resolves a relative path against GITHUB_WORKSPACE', () => {
    process.env.GITHUB_WORKSPACE = '/home/runner/work/repo';
    expect(resolveWorkspacePath('deploy/task.json')).toBe('/home/runner/work/repo/deploy/task.json');
  });

  it('resolves against the cwd without GITHUB_WORKSPACE', () => {
    delete process.env.GITHUB_WORKSPACE;
    expect(resolveWorkspacePath('task.json')).toBe(join(process.cwd(), 'task.json'));
  });
});

describe('readUserFile', () => {
  let dir: string;
  const saved = process.env.GITHUB_WORKSPACE;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'files-test-'));
    process.env.GITHUB_WORKSPACE = dir;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.GITHUB_WORKSPACE;
    else process.env.GITHUB_WORKSPACE = saved;
  });

  it('reads a file relative to the workspace', async () => {
    writeFileSync(join(dir, 'td.json'), '{"family":"web"}');
    await expect(readUserFile('task-definition', 'td.json')).resolves.toEqual({
      path: join(dir, 'td.json'),
      text: '{"family":"web"}',
    });
  });

  it('names the input, the resolved path and the workspace when the file is missing', async () => {
    const error = await catchAsyncInputError(readUserFile('task-definition', 'deploy/missing.json'));
    expect(error.where).toBe("input 'task-definition'");
    expect(error.message).toContain(join(dir, 'deploy/missing.json'));
    expect(error.message).toContain(`workspace is ${dir}`);
    expect(error.fix).toMatch(/actions\/checkout/);
  });

  it('refuses a symbolic link that leaves the workspace, and says so', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'outside-'));
    writeFileSync(join(outside, 'secret.json'), '{"family":"stolen"}');
    symlinkSync(join(outside, 'secret.json'), join(dir, 'td.json'));
    mkdirSync(join(dir, 'deploy'));
    symlinkSync(outside, join(dir, 'deploy', 'linked'));
    for (const file of ['td.json', 'deploy/linked/secret.json', join(dir, 'td.json')]) {
      const error = await catchAsyncInputError(readUserFile('task-definition', file));
      expect(error.where).toBe("input 'task-definition'");
      expect(error.message).toContain(
        `leads through a symbolic link to ${join(outside, 'secret.json')}, outside the workspace ${dir}`,
      );
      expect(error.fix).toMatch(/inside the repository/);
    }
    rmSync(outside, { recursive: true, force: true });
  });

  it('follows a symbolic link that stays in the workspace', async () => {
    mkdirSync(join(dir, 'deploy'));
    writeFileSync(join(dir, 'deploy', 'td.json'), '{"family":"web"}');
    symlinkSync(join(dir, 'deploy', 'td.json'), join(dir, 'td.json'));
    await expect(readUserFile('task-definition', 'td.json')).resolves.toMatchObject({
      text: '{"family":"web"}',
    });
  });

  it('rejects a directory', async () => {
    const error = await catchAsyncInputError(readUserFile('codedeploy-appspec', '.'));
    expect(error.where).toBe("input 'codedeploy-appspec'");
    expect(error.message).toContain('is a directory');
    expect(error.fix).toMatch(/Name the file itself/);
  });

  it('reports a file that exists but cannot be read', async () => {
    // /proc/self/mem stats as a regular file but reading it from offset 0 fails (EIO), even as root.
    const error = await catchAsyncInputError(readUserFile('task-definition', '/proc/self/mem'));
    expect(error.where).toBe("input 'task-definition'");
    expect(error.message).toMatch(/\/proc\/self\/mem.*could not be read \(E[A-Z]+\)/);
    expect(error.fix).toMatch(/permissions/);
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    execFileSync('mkfifo', [join(dir, 'td.json')]);
    const started = Date.now();
    const error = await catchAsyncInputError(readUserFile('task-definition', 'td.json'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.where).toBe("input 'task-definition'");
    expect(error.message).toContain(
      `'td.json' (${join(dir, 'td.json')}) is a named pipe (FIFO), not a regular file`,
    );
    expect(error.fix).toMatch(/not a pipe or device/);
  });

  it.each(['/dev/zero', '/dev/null'])('refuses the character device %s', async (device) => {
    const error = await catchAsyncInputError(readUserFile('codedeploy-appspec', device));
    expect(error.where).toBe("input 'codedeploy-appspec'");
    expect(error.message).toContain(`'${device}' (${device}) is a character device, not a regular file`);
  });

  it('refuses a file over the size cap before reading it', async () => {
    writeFileSync(join(dir, 'big.json'), 'x'.repeat(MAX_USER_FILE_BYTES + 1));
    const error = await catchAsyncInputError(readUserFile('task-definition', 'big.json'));
    expect(error.message).toContain(
      `is ${MAX_USER_FILE_BYTES + 1} bytes: more than the ${MAX_USER_FILE_BYTES} bytes`,
    );
    expect(error.fix).toMatch(/right file/);
    writeFileSync(join(dir, 'small.json'), 'x'.repeat(11));
    await expect(readUserFile('task-definition', 'small.json', 10)).rejects.toThrow('is 11 bytes');
    await expect(readUserFile('task-definition', 'small.json', 11)).resolves.toMatchObject({
      text: 'x'.repeat(11),
    });
  });

  it('refuses bytes that are not UTF-8, naming the file, the byte and its offset', async () => {
    // "é" in Latin-1 (0xE9) on line 2, at offset 21
    writeFileSync(
      join(dir, 'td.yaml'),
      Buffer.concat([Buffer.from('family: web\nname: caf'), Buffer.from([0xe9, 0x0a])]),
    );
    const error = await catchAsyncInputError(readUserFile('task-definition', 'td.yaml'));
    expect(error.where).toBe("input 'task-definition'");
    expect(error.message).toContain(`file 'td.yaml' (${join(dir, 'td.yaml')}) is not UTF-8`);
    expect(error.message).toContain('byte 0xE9 at offset 21 (line 2)');
    expect(error.fix).toMatch(/UTF-8/);
  });

  it('reads UTF-8 text with a byte order mark and characters beyond ASCII', async () => {
    writeFileSync(join(dir, 'td.yaml'), '\uFEFFfamily: café 🚀\n');
    await expect(readUserFile('task-definition', 'td.yaml')).resolves.toMatchObject({
      text: 'family: café 🚀\n',
    });
  });
});

describe('firstInvalidUtf8Offset', () => {
  it.each([
    ['valid ASCII and multi-byte text', Buffer.from('aé€🚀'), undefined],
    ['a lone continuation byte', Buffer.from([0x61, 0x80]), 1],
    ['a truncated sequence at the end', Buffer.from([0x61, 0x62, 0xe2, 0x82]), 2],
    ['an overlong encoding of "/"', Buffer.from([0xc0, 0xaf]), 0],
    ['an overlong three-byte form', Buffer.from([0x61, 0xe0, 0x80, 0xaf]), 1],
    ['a UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80]), 0],
    ['a code point above U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80]), 0],
    ['0xFF', Buffer.from([0x7b, 0xff]), 1],
  ])('%s', (_label, bytes, offset) => {
    expect(firstInvalidUtf8Offset(bytes)).toBe(offset);
    // agrees with the platform's decoder on what is valid
    let valid = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      valid = false;
    }
    expect(valid).toBe(offset === undefined);
  });
});

describe('parseJsonOrYaml', () => {
  it('parses a .json file', () => {
    expect(parseJsonOrYaml('{"family": "web"}', 'td.json')).toEqual({ family: 'web' });
  });

  it('parses JSON by content when the name is not .json', () => {
    expect(parseJsonOrYaml('  {"a": [1, 2]}', 'appspec.yaml')).toEqual({ a: [1, 2] });
  });

  it('parses YAML', () => {
    expect(parseJsonOrYaml(fixture('task-definition.yaml'), 'task-definition.yaml')).toMatchObject({
      family: 'web',
      cpu: 256,
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', portMappings: [{ containerPort: 80 }] }],
    });
  });

  it('names file, line and column of a JSON syntax error', () => {
    const error = catchInputError(() =>
      parseJsonOrYaml(fixture('broken/trailing-comma.json'), 'broken/trailing-comma.json'),
    );
    // The trailing comma after "nginx" is on line 4; JSON.parse fails at the `}` in column 40.
    expect(error.where).toBe('broken/trailing-comma.json:4:40');
    expect(error.message).toContain('is not valid JSON');
    expect(error.message).toContain('line 4, column 40');
    expect(error.fix).toMatch(/trailing comma/);
  });

  it('puts a truncated JSON error at the end of the text', () => {
    const error = catchInputError(() => parseJsonOrYaml('{\n  "family": ', 'td.json'));
    expect(error.where).toBe('td.json:2:13');
    expect(error.message).toContain('Unexpected end of JSON input');
  });

  it('names the line of a YAML syntax error', () => {
    const error = catchInputError(() =>
      parseJsonOrYaml(fixture('broken/bad-indent.yaml'), 'bad-indent.yaml'),
    );
    expect(error.where).toMatch(/^bad-indent\.yaml:5:\d+$/);
    expect(error.message).toContain('is not valid YAML');
    expect(error.fix).toMatch(/indentation/);
  });

  it('rejects duplicate YAML keys with their line', () => {
    const error = catchInputError(() =>
      parseJsonOrYaml(fixture('broken/duplicate-key.yaml'), 'appspec.yaml'),
    );
    expect(error.where).toBe('appspec.yaml:9:11');
    expect(error.message).toMatch(/unique/);
    expect(error.fix).toMatch(/only once/);
  });

  it('rejects multi-document YAML', () => {
    const error = catchInputError(() => parseJsonOrYaml(fixture('broken/multi-document.yaml'), 'td.yaml'));
    expect(error.where).toBe('td.yaml:2');
    expect(error.message).toContain('2 YAML documents');
    expect(error.fix).toMatch(/single document/);
  });

  it.each([
    ['a top-level list (YAML)', fixture('broken/top-level-list.yaml'), 'td.yaml', 'a list'],
    ['a top-level list (JSON)', '[{"family":"web"}]', 'td.json', 'a list'],
    ['a scalar', 'just text', 'td.yaml', 'a string'],
    ['an empty file', '', 'td.yaml', 'empty'],
    ['JSON null', 'null', 'td.json', 'empty'],
  ])('rejects %s at the top level', (_label, text, file, kind) => {
    const error = catchInputError(() => parseJsonOrYaml(text, file));
    expect(error.where).toBe(file);
    expect(error.message).toContain(`the document is ${kind}`);
    expect(error.fix).toMatch(/top level/);
  });
});

describe('parseJsonOrYaml, as the official action reads files (yaml.parse)', () => {
  it('reads a .yml task definition in YAML flow style with trailing commas (not JSON, valid YAML)', () => {
    const text = fixture('official/flow-style-trailing-commas.yml');
    expect(() => JSON.parse(text)).toThrow();
    expect(parseJsonOrYaml(text, 'td.yml')).toEqual({
      family: 'web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'web',
          image: 'nginx:1.27',
          portMappings: [{ containerPort: 80, protocol: 'tcp' }],
          environment: [{ name: 'STAGE', value: 'prod' }],
        },
      ],
    });
  });

  it('still reports the JSON error when text that starts with { is neither JSON nor YAML', () => {
    const error = catchInputError(() => parseJsonOrYaml('{"family": "web"\n  "cpu": [}', 'td.yml'));
    expect(error.message).toContain('is not valid JSON');
    expect(error.where).toMatch(/^td\.yml:2:/);
  });

  it('names the file of a YAML alias bomb instead of expanding it', () => {
    const error = catchInputError(() => parseJsonOrYaml(fixture('broken/alias-bomb.yaml'), 'td.yaml'));
    expect(error.where).toBe('td.yaml');
    expect(error.message).toContain('alias bomb');
    expect(error.fix).toMatch(/fewer aliases/);
  });

  it('refuses aliases that stay under the alias cap but expand past the file limit, before building the value', () => {
    // 90 aliases of one 20 KB anchor: fewer than maxAliasCount (100), 1.8 MB once expanded
    const text = `family: web\nbig: &big "${'x'.repeat(20_000)}"\ncopies: [${Array(90).fill('*big').join(', ')}]\n`;
    const error = catchInputError(() => parseJsonOrYaml(text, 'td.yaml'));
    expect(error.where).toBe('td.yaml');
    expect(error.message).toMatch(/aliases .* expand to more than/);
  });

  it('keeps ordinary YAML aliases', () => {
    const text = 'family: web\nx: &env [{name: A, value: "1"}]\ny: *env\n';
    expect(parseJsonOrYaml(text, 'td.yaml')).toEqual({
      family: 'web',
      x: [{ name: 'A', value: '1' }],
      y: [{ name: 'A', value: '1' }],
    });
  });

  it.each([
    ['JSON arrays', '['.repeat(100000) + ']'.repeat(100000), 'td.json'],
    ['JSON objects', '{"a":'.repeat(100000) + '1' + '}'.repeat(100000), 'td.json'],
    ['YAML flow sequences', 'family: web\nx: ' + '['.repeat(100000) + ']'.repeat(100000), 'td.yaml'],
    ['YAML compact block sequences', 'family: web\nx:\n' + '- '.repeat(100000) + 'y\n', 'td.yaml'],
    [
      'YAML block mappings',
      'family: web\n' + Array.from({ length: 150 }, (_, i) => `${' '.repeat(i)}k${i}:\n`).join(''),
      'td.yaml',
    ],
  ])('refuses %s nested too deeply, naming the file', (_label, text, file) => {
    const error = catchInputError(() => parseJsonOrYaml(text, file));
    expect(error.where).toMatch(new RegExp(`^${file.replace('.', '\\.')}(:\\d+:\\d+)?$`));
    expect(error.message).toContain(`more than ${MAX_NESTING_DEPTH} levels deep`);
    expect(error.fix).toMatch(/fewer than 10 levels/);
  });

  it('accepts nesting up to the limit', () => {
    const depth = MAX_NESTING_DEPTH - 2;
    const text = '{"a": ' + '['.repeat(depth) + ']'.repeat(depth) + '}';
    expect(parseJsonOrYaml(text, 'td.json')).toHaveProperty('a');
    const yaml = 'family: web\n' + Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}k${i}:\n`).join('');
    expect(parseJsonOrYaml(yaml, 'td.yaml')).toHaveProperty('k0.k1.k2');
  });

  it('reads the committed task definition fixtures as before', () => {
    for (const name of ['task-definition.json', 'task-definition.yaml', 'describe-task-definition.json']) {
      expect(parseJsonOrYaml(fixture(name), name)).toHaveProperty(
        name.startsWith('describe') ? 'taskDefinition.family' : 'family',
      );
    }
  });
});
