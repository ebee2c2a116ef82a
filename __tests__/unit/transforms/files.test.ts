import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJsonOrYaml, readUserFile, resolveWorkspacePath } from '../../../src/prepare/files.js';
import { catchInputError } from '../../helpers/input-error.js';

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

  it('reads a file relative to the workspace', () => {
    writeFileSync(join(dir, 'td.json'), '{"family":"web"}');
    expect(readUserFile('task-definition', 'td.json')).toEqual({
      path: join(dir, 'td.json'),
      text: '{"family":"web"}',
    });
  });

  it('names the input, the resolved path and the workspace when the file is missing', () => {
    const error = catchInputError(() => readUserFile('task-definition', 'deploy/missing.json'));
    expect(error.where).toBe("input 'task-definition'");
    expect(error.message).toContain(join(dir, 'deploy/missing.json'));
    expect(error.message).toContain(`workspace is ${dir}`);
    expect(error.fix).toMatch(/actions\/checkout/);
  });

  it('rejects a directory', () => {
    const error = catchInputError(() => readUserFile('codedeploy-appspec', '.'));
    expect(error.where).toBe("input 'codedeploy-appspec'");
    expect(error.message).toContain('is a directory');
    expect(error.fix).toMatch(/Name the file itself/);
  });

  it('reports a file that exists but cannot be read', () => {
    // /proc/self/mem stats as a regular file but reading it from offset 0 fails (EIO), even as root.
    const error = catchInputError(() => readUserFile('task-definition', '/proc/self/mem'));
    expect(error.where).toBe("input 'task-definition'");
    expect(error.message).toMatch(/\/proc\/self\/mem.*could not be read \(E[A-Z]+\)/);
    expect(error.fix).toMatch(/permissions/);
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
