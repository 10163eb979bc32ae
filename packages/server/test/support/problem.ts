import { expect } from 'chai';
import type { Answer } from './harness.js';

/** A problem+json answer with `status` (and `code`), carrying no stack trace. */
export function expectProblem(res: Answer, status: number, code?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
  expect(res.body).to.be.an('object').that.includes.keys('code', 'status', 'title', 'detail');
  expect(res.body.status).to.equal(status);
  if (code !== undefined) expect(res.body.code).to.equal(code);
  const text = JSON.stringify(res.body);
  expect(text).not.to.match(/node_modules|\bat .*:\d+:\d+|"stack"/);
}
