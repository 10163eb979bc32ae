/**
 * msgr_send lives in one SQL file (src/db/sql/msgr_send.sql), which the newest migration that
 * changes it installs: the function in a migrated database is that file, word for word, and
 * the only msgr_send there is (older overloads are dropped, so no caller can skip the log).
 */
import { expect } from 'chai';
import { SEND_PARAMETERS } from '../src/db/messages-queries.js';
import { functionBody, installedFunctions } from './support/sql-functions.js';

const FILE = new URL('../src/db/sql/msgr_send.sql', import.meta.url);

describe('msgr_send, one readable SQL file', () => {
  it('when a database is migrated then its msgr_send is the file, the one overload, with the parameters the server names', async () => {
    const body = functionBody(FILE);
    expect(body, 'the file holds one $$-quoted body').to.be.a('string');
    const rows = await installedFunctions('msgr_send');
    expect(rows).to.have.length(1);
    expect(rows[0]!.prosrc).to.equal(body);
    // Called by name (db/messages-queries.ts): every name the server passes is a parameter.
    const inputs = rows[0]!.names.filter((n) => n.startsWith('p_'));
    expect(inputs).to.deep.equal([...SEND_PARAMETERS]);
  });
});
