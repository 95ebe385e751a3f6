// The benchmark suite's tooling: its command line refuses what would time nothing or everything,
// and a regenerated RESULTS.md says when its hand-written notes describe another run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { caseFilter, parseArgs, UsageError } from '../bench/cli.js';
import { writeResultsMarkdown, type Results } from '../bench/report.js';

describe('npm run bench options', () => {
  it('take checked values', () => {
    expect(parseArgs(['--quick', '--rounds', '2', '--time', '12.5'])).toEqual({ quick: true, help: false, filter: null, rounds: 2, time: 12.5 });
    expect(parseArgs(['--rounds=2', '--time=12.5'])).toEqual({ quick: false, help: false, filter: null, rounds: 2, time: 12.5 });
    expect(parseArgs(['--filter=a=b']).filter).toEqual(/a=b/i);
    const refused: [string[], string][] = [
      [['--rounds', 'abc'], "--rounds must be a positive integer, got 'abc'"],
      [['--rounds', '0'], "--rounds must be a positive integer, got '0'"],
      [['--time', '-5'], "--time must be a positive number, got '-5'"],
      [['--time', 'abc'], "--time must be a positive number, got 'abc'"],
      [['--filter'], '--filter needs a value'],
      [['--filter', '--quick'], '--filter needs a value'],
      [['--filter', '(['], '--filter: Invalid regular expression: /([/i: Unterminated character class'],
      [['--bogus'], 'unknown argument --bogus'],
      [['--rounds='], '--rounds needs a value'],
    ];
    for (const [argv, message] of refused) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(new UsageError(message));
    }
  });

  it('filter case ids also as the tables spell them (×, A·B, A·Bᵀ, Aᵀ·B)', () => {
    expect(caseFilter('softmax 32×10').test('softmax 32x10')).toBe(true);
    expect(caseFilter('matmul A·B 256').test('matmul AB 256x256x256')).toBe(true);
    expect(caseFilter('matmul A·B 256').test('matmul ABt 256x256x256')).toBe(false);
    expect(caseFilter('A·Bᵀ').test('matmul ABt 256x256x256')).toBe(true);
    expect(caseFilter('Aᵀ·B').test('matmul AtB 256x256x256')).toBe(true);
  });
});

describe('RESULTS.md regeneration', () => {
  const results = (date: string): Results => ({
    meta: {
      date, command: 'npm run bench', mode: 'full', node: 'v20', v8: '11', cpu: 'cpu', cores: 2, os: 'Linux',
      commit: 'abc1234', loadAverage: { start: [1, 1, 1], end: [1, 1, 1] }, ours: [], tfjs: 'tfjs', ort: 'ort', rounds: 7, roundMs: 200,
    },
    cases: [],
    targets: [],
  });

  it('keeps the hand-written parts, and warns when the notes describe another run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'results-md-'));
    try {
      const path = join(dir, 'RESULTS.md');
      writeFileSync(path, '# Results\n\nintro\n\n<!-- GENERATED:START (npm run bench regenerates this part from bench/results/latest.json) -->\nold\n<!-- GENERATED:END -->\n\n'
        + '<!-- the notes below describe the run of 2026-12-07T12:19:48.672Z -->\n\n## Notes\nhand-written\n');
      expect(await writeResultsMarkdown(pathToFileURL(path), results('2026-12-07T12:19:48.672Z'))).toBe(null);
      let text = readFileSync(path, 'utf8');
      expect(text).not.toContain('old\n');
      expect(text).not.toContain('describe an earlier run');
      expect(text).toMatch(/^# Results\n\nintro\n\n<!-- GENERATED:START [^\n]*-->\n\nCommand: `npm run bench` \(full run\) · 2026-12-07T12:19:48\.672Z · commit abc1234\n/);
      expect(text).toMatch(/<!-- GENERATED:END -->\n\n<!-- the notes below describe the run of 2026-12-07T12:19:48\.672Z -->\n\n## Notes\nhand-written\n$/);

      expect(await writeResultsMarkdown(pathToFileURL(path), results('2026-12-08T09:00:00.000Z'))).toBe('2026-12-07T12:19:48.672Z');
      text = readFileSync(path, 'utf8');
      expect(text).toContain('-->\n\n> **The notes below describe an earlier run** (2026-12-07T12:19:48.672Z), not these tables:');
      expect(text).toContain('· 2026-12-08T09:00:00.000Z · commit abc1234');
      expect(text).toMatch(/## Notes\nhand-written\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
