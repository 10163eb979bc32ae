/**
 * The echo bot's commands as plain functions: what is a command, and answers that are the same
 * every time they are worked out (a restarted bot sends them again under the same key).
 */
import { expect } from 'chai';
import { answerTo, die, MAX_DICE, MAX_SIDES } from '../src/commands.js';

describe('echo bot commands', () => {
  it('when !echo has text then the answer is the text, lines and all', () => {
    expect(answerTo('!echo hi there', 1)).to.equal('hi there');
    expect(answerTo('  !echo   padded  ', 1)).to.equal('padded');
    expect(answerTo('!echo one\ntwo', 1)).to.equal('one\ntwo');
    expect(answerTo('!echo !echo again', 1)).to.equal('!echo again');
  });

  it('when !echo has no text then the answer says how to use it', () => {
    expect(answerTo('!echo', 1)).to.match(/^usage: !echo/);
    expect(answerTo('!echo   \n ', 1)).to.match(/^usage: !echo/);
  });

  it('when the text is no command then there is no answer', () => {
    for (const text of ['hello', '!echoes x', 'echo x', 'say !echo x', '!ECHO x', '!help', '']) {
      expect(answerTo(text, 1), text).to.equal(undefined);
    }
  });

  it('when !roll is asked again for the same message then it rolls the same', () => {
    for (let id = 1; id < 50; id++) {
      expect(answerTo('!roll 3d20', id)).to.equal(answerTo('!roll 3d20', id));
    }
  });

  it('when !roll is asked for NdM then it throws N dice of 1..M and adds them up', () => {
    expect(answerTo('!roll', 7)).to.equal(`🎲 1d6: ${die(7, 0, 6)}`);
    expect(answerTo('!roll d20', 7)).to.equal(`🎲 1d20: ${die(7, 0, 20)}`);
    const [a, b, c] = [0, 1, 2].map((i) => die(7, i, 10));
    expect(answerTo('!roll 3d10', 7)).to.equal(`🎲 3d10: ${a} + ${b} + ${c} = ${a! + b! + c!}`);
  });

  it('when !roll asks for too many dice or sides then the answer says how to use it', () => {
    for (const arg of [
      '0d6',
      `${MAX_DICE + 1}d6`,
      '2d1',
      `2d${MAX_SIDES + 1}`,
      'lots',
      '2d6 please',
    ]) {
      expect(answerTo(`!roll ${arg}`, 1), arg).to.match(/^usage: !roll/);
    }
    expect(answerTo(`!roll ${MAX_DICE}d${MAX_SIDES}`, 1)).to.match(/^🎲 /);
  });

  it('dice of different messages fall independently: every face comes up', () => {
    const faces = new Set(Array.from({ length: 200 }, (_, id) => die(id + 1, 0, 6)));
    expect([...faces].sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });
});
