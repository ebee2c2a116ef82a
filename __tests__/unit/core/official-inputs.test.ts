/**
 * Every input of the official action is accounted for (issue 16): its names and effective defaults
 * (__tests__/fixtures/official/inputs.json, read from its action.yml and index.js at the tag named there)
 * against this action's action.yml, its behaviour table (src/action/official-inputs.ts, which makes the
 * warnings and refusals) and the README's "Coming from the official action" table.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  COLUMNS,
  OFFICIAL_ACTION,
  OFFICIAL_INPUTS,
  officialInputNotes,
  type Handling,
} from '../../../src/action/official-inputs.js';

interface Fixture {
  repository: string;
  tag: string;
  commit: string;
  inputs: { name: string; required?: boolean; default?: string; computedDefault?: string }[];
  outputs: string[];
}

const fixture = JSON.parse(readFileSync('__tests__/fixtures/official/inputs.json', 'utf8')) as Fixture;
const actionYml = parseYaml(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
};
const readme = readFileSync('README.md', 'utf8');

/** The README section's table: input name → its three cells (CODE_DEPLOY, ECS, no service). */
function readmeTable(): Map<string, string[]> {
  const start = readme.indexOf('## Coming from the official action');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^\| `([^`]+)` \|(.*)\|$/.exec(line);
    if (!m) continue;
    expect(rows.has(m[1] as string)).toBe(false);
    rows.set(
      m[1] as string,
      (m[2] as string).split(' | ').map((c) => c.trim()),
    );
  }
  return rows;
}

describe("the official action's inputs", () => {
  it('are the ones the behaviour table lists, in the same order, from the same release', () => {
    expect(OFFICIAL_INPUTS.map((i) => i.name)).toEqual(fixture.inputs.map((i) => i.name));
    expect(fixture.inputs).toHaveLength(31);
    expect(OFFICIAL_ACTION).toEqual({
      repository: fixture.repository,
      tag: fixture.tag,
      commit: fixture.commit,
    });
  });

  it('are each declared in action.yml, with the official default unless the table says the input differs', () => {
    for (const official of fixture.inputs) {
      const ours = actionYml.inputs[official.name];
      expect({ name: official.name, declared: ours !== undefined }).toEqual({
        name: official.name,
        declared: true,
      });
      expect(ours?.required ?? false).toBe(false);
      const entry = OFFICIAL_INPUTS.find((i) => i.name === official.name)!;
      const differs = COLUMNS.some((c) => entry[c].handling === 'differs');
      if (official.default !== undefined && !differs)
        expect({ name: official.name, default: ours?.default }).toEqual({
          name: official.name,
          default: official.default,
        });
      // the value that means "not given" is the default a run gets from action.yml
      expect({ name: official.name, off: entry.off }).toEqual({ name: official.name, off: ours?.default });
    }
    // codedeploy-appspec differs: no default, appspec.yaml/.yml/.json when there, else generated
    expect(actionYml.inputs['codedeploy-appspec']?.default).toBeUndefined();
  });

  it('give the same outputs', () => {
    for (const output of fixture.outputs) expect(Object.keys(actionYml.outputs)).toContain(output);
  });

  it("are exactly the README table's rows, each cell starting with the table's word for that column", () => {
    const rows = readmeTable();
    expect([...rows.keys()]).toEqual(fixture.inputs.map((i) => i.name));
    for (const entry of OFFICIAL_INPUTS) {
      const cells = rows.get(entry.name) as string[];
      expect(cells).toHaveLength(3);
      const words = cells.map((c) => /^(same|differs|ignored|refused)\b/.exec(c)?.[1] as Handling);
      expect({ name: entry.name, words }).toEqual({
        name: entry.name,
        words: COLUMNS.map((c) => entry[c].handling),
      });
    }
  });

  it('warn only when ignored, and refuse only when refused, in each column', () => {
    for (const column of COLUMNS)
      for (const entry of OFFICIAL_INPUTS) {
        const given = (name: string) => (name === entry.name ? 'given-value' : '');
        const { handling } = entry[column];
        if (handling === 'refused') {
          expect(() => officialInputNotes(given, column)).toThrow(`input '${entry.name}': cannot be used`);
          continue;
        }
        const warnings = officialInputNotes(given, column);
        expect({ name: entry.name, column, warned: warnings.length }).toEqual({
          name: entry.name,
          column,
          warned: handling === 'ignored' ? 1 : 0,
        });
      }
  });
});
