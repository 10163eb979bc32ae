/**
 * The committed types (src/generated/openapi.ts) must be what `npm run generate` writes from
 * openapi/openapi.json and openapi/asyncapi.json today: regenerate in memory and compare byte
 * for byte.
 */
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { COMMENT_HEADER } from 'openapi-typescript';
import {
  GENERATED as committed,
  GENERATED_CONSTANTS as committedConstants,
  generateConstants,
  generateTypes as regenerate,
} from '../scripts/generate-types.js';

const HINT = 'src/generated/openapi.ts is stale: run `npm run generate -w @msgr/sdk`';

describe('sdk generated OpenAPI types', function () {
  this.timeout(60_000);

  it('when regenerated from openapi/openapi.json and asyncapi.json then they equal the committed file exactly', async () => {
    const [fresh, current] = await Promise.all([regenerate(), fs.readFile(committed, 'utf8')]);
    // Not deep.equal on the whole text: a one-line diff of a 1,000-line file should stay readable.
    const freshLines = fresh.split('\n');
    const currentLines = current.split('\n');
    const firstDiff = freshLines.findIndex((line, i) => line !== currentLines[i]);
    expect(
      firstDiff === -1 ? 'same' : `line ${firstDiff + 1}: ${currentLines[firstDiff]}`,
      `${HINT} (it should read: ${freshLines[firstDiff]})`,
    ).to.equal('same');
    expect(current.length, HINT).to.equal(fresh.length);
  });

  it('when the constants are regenerated then they equal the committed file exactly', async () => {
    const [fresh, current] = await Promise.all([
      generateConstants(),
      fs.readFile(committedConstants, 'utf8'),
    ]);
    expect(
      current,
      'src/generated/constants.ts is stale: run `npm run generate -w @msgr/sdk`',
    ).to.equal(fresh);
  });

  it('says at the top that it is generated', async () => {
    const current = await fs.readFile(committed, 'utf8');
    expect(current.startsWith(COMMENT_HEADER), HINT).to.be.true;
  });
});
