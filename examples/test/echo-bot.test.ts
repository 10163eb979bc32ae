/**
 * The echo bot (examples/src/echo-bot.ts) as a process against a real cluster of two server
 * instances: people write commands in a group and in direct chats while the bot is killed with
 * SIGKILL again and again — at the two moments that matter, through its crash hook (between
 * reading a command and answering it; between answering and saving its position), and at
 * random moments — and started again. In the end every command has exactly one answer, a
 * reply to it with the right text in its chat, and nothing else has one.
 */
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  startCluster,
  type Api,
  type Cluster,
  type Session,
} from '../../packages/server/test/support/harness.js';
import { waitFor } from '../../packages/server/test/support/fault-cluster.js';
import { answerTo } from '../src/commands.js';
import { Program } from './support/program.js';

/** A run of the bot: how it is going to end. */
type Plan =
  | { crashAt: `${'before' | 'after'}-answer:${number}` }
  | { kill: 'after-an-answer' | 'soon-after-start' };

const PLANS: Plan[] = [
  { crashAt: 'before-answer:3' },
  { crashAt: 'after-answer:2' },
  { kill: 'after-an-answer' },
  { crashAt: 'after-answer:1' },
  { kill: 'soon-after-start' },
  { crashAt: 'before-answer:1' },
  { kill: 'after-an-answer' },
];
/** Commands written during each run of PLANS: 30 in all. */
const CHUNKS = [5, 5, 4, 4, 4, 4, 4];

/** A message written by the test. */
interface Written {
  id: number;
  chatId: number;
  text: string;
  from: Session;
}

/** mulberry32: the test's randomness, from a seed printed when it fails. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the echo bot, killed again and again', function () {
  this.timeout(120_000);
  const seed = Number(process.env.EXAMPLES_SEED ?? Date.now() % 1_000_000);
  const rand = random(seed);
  let cluster: Cluster;
  let dir: string;
  let runs: Program[] = [];

  before(async () => {
    cluster = await startCluster({ instances: 2 });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'msgr-echo-bot-'));
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' || process.env.EXAMPLES_VERBOSE) {
      console.log(`seed ${seed} (EXAMPLES_SEED=${seed} repeats the random choices)`);
      for (const run of runs) console.log(run.transcript());
    }
    for (const run of runs) run.kill('SIGKILL');
    runs = [];
  });
  after(async () => {
    await cluster?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers every command exactly once, as a reply in its chat, and nothing else', async () => {
    const api: Api = cluster.api;
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const made = await api.post('/bots', { name: 'Echo' }, alice.token);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const bot = { id: made.body.user.id as number, token: made.body.token as string };
    expect(bot.token).to.match(/^msgr_pat_/);
    const group = await api.newGroup(alice, [bob], 'dice');
    const added = await api.post(
      `/groups/${group.group_id}/members`,
      { user_ids: [bot.id] },
      alice.token,
    );
    expect(added.status).to.equal(200);

    let operationId = 0;
    const write = async (
      from: Session,
      where: 'group' | 'direct',
      text: string,
    ): Promise<Written> => {
      const target = where === 'group' ? { group: group.group_id } : { user: bot.id };
      const res = await api.send(target, text, ++operationId, from.token);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return { id: res.body.id, chatId: res.body.chat_id, text, from };
    };
    const commands: Written[] = [];
    let n = 0;
    /** Writes `count` commands, each by someone, somewhere, and now and then something else. */
    const writeCommands = async (count: number) => {
      for (let i = 0; i < count; i++) {
        n++;
        const from = rand() < 0.5 ? alice : bob;
        const where = rand() < 0.6 ? 'group' : 'direct';
        const text = [
          `!echo hello ${n}`,
          `!roll ${1 + Math.floor(rand() * 5)}d${[6, 20, 100][n % 3]}`,
          '!roll',
          `!echo !echo loop ${n}`, // its answer is a command: nobody must answer that
          `!echo line ${n}\nand ✨ ${n}`,
        ][n % 5]!;
        commands.push(await write(from, where, text));
        if (rand() < 0.3) await write(from, where, `just talking ${n}, not an !echo`);
      }
    };

    const env = {
      MSGR_HOSTS: cluster.servers.map((s) => s.url).join(','),
      MSGR_TOKEN: bot.token,
      MSGR_BOT_STATE: path.join(dir, 'echo-bot.position'),
    };
    const start = (crashAt?: string) => {
      const run = new Program('echo-bot', crashAt ? { ...env, MSGR_BOT_CRASH_AT: crashAt } : env);
      runs.push(run);
      return run;
    };

    for (const [i, plan] of PLANS.entries()) {
      const run = start('crashAt' in plan ? plan.crashAt : undefined);
      // The first start takes "now" as its position: what was written before is not for it.
      if (i === 0) await run.line(/^ready/);
      const writing = writeCommands(CHUNKS[i]!);
      // Awaited below; meanwhile a failed write must not count as an unhandled rejection.
      writing.catch(() => undefined);
      if ('crashAt' in plan) {
        // The hook fires: the run has more commands to answer than the hook's number.
        expect(await run.exit(), run.transcript()).to.deep.equal({ code: null, signal: 'SIGKILL' });
      } else {
        if (plan.kill === 'after-an-answer') await run.line(/^answered/);
        // A random moment: while it answers, saves, polls, or (soon after start) before it reads.
        const withinMs = plan.kill === 'after-an-answer' ? 150 : 800;
        await new Promise((resolve) => setTimeout(resolve, rand() * withinMs));
        run.kill('SIGKILL');
        await run.exit();
      }
      await writing;
      if (i === 0) await somethingElse(commands[0]!);
    }

    /** Things that are no command for this bot, written while it is down or busy. */
    async function somethingElse(first: Written) {
      // An incoming webhook says a command: it posts as a bot user of its own.
      const hook = await api.post(`/chats/${group.chat_id}/hooks`, { name: 'CI' }, alice.token);
      expect(hook.status).to.equal(201);
      const posted = await api.post(hook.body.url, { text: '!echo from a hook' });
      expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
      // An edit is no new command; the answer is to the command as it was written.
      const edited = await api.request('PATCH', `/messages/${first.id}`, {
        body: { text: '!echo edited' },
        token: first.from.token,
      });
      expect(edited.status).to.equal(200);
    }

    // The last run is left alone: it catches up with everything, then stops when asked to.
    const last = start();
    commands.push(await write(alice, 'group', '!echo the end'));
    const chatIds = [...new Set(commands.map((c) => c.chatId))];
    const everything = async () => {
      const messages: any[] = [];
      for (const chatId of chatIds) {
        for (let after = 0; ;) {
          const page = await api.get(`/history/${chatId}?after=${after}&limit=100`, bot.token);
          expect(page.status).to.equal(200);
          messages.push(...page.body);
          if (page.body.length < 100) break;
          after = page.body.at(-1).id;
        }
      }
      return messages;
    };
    const answersTo = (messages: any[], command: Written) =>
      messages.filter((m) => m.sender_id === bot.id && m.reply_to === command.id);
    let unanswered: Written[] = [];
    await waitFor(
      'an answer to every command',
      async () => {
        const messages = await everything();
        unanswered = commands.filter((c) => answersTo(messages, c).length === 0);
        return unanswered.length === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, everyMs: 100 },
    ).catch((err: Error) => {
      const which = unanswered.map((c) => `${c.id} ${JSON.stringify(c.text)}`).join(', ');
      throw new Error(`${err.message}; never answered: ${which}`);
    });
    last.kill('SIGTERM');
    expect(await last.exit(10_000), last.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(last.lines.at(-1)).to.equal('stopped');

    // The audit: one answer per command, in its chat, with its text; no other bot message.
    const messages = await everything();
    for (const command of commands) {
      const answers = answersTo(messages, command);
      expect(answers, `answers to ${JSON.stringify(command.text)}`).to.have.length(1);
      expect(answers[0].chat_id).to.equal(command.chatId);
      expect(answers[0].text).to.equal(answerTo(command.text, command.id));
      const dice = /^🎲 (\d+)d(\d+): (.*)$/u.exec(answers[0].text);
      if (dice) {
        const [, count, sides, shown] = dice;
        const rolls = shown!.split(/ [+=] /).map(Number);
        const total = rolls.length === 1 ? rolls[0] : rolls.pop();
        expect(rolls).to.have.length(Number(count));
        for (const r of rolls) expect(r).to.be.within(1, Number(sides));
        expect(rolls.reduce((a, b) => a + b, 0)).to.equal(total);
      }
    }
    const fromBot = messages.filter((m) => m.sender_id === bot.id);
    expect(fromBot, 'messages of the bot').to.have.length(commands.length);

    // The windows were hit: answers lost by a crash were sent on a later run, and answers sent
    // before a crash were sent again on a later run and came back as replays.
    const output = runs.map((r) => r.lines.join('\n')).join('\n');
    const stderr = runs.map((r) => r.stderr).join('');
    expect(stderr.match(/crash hook: dying at before-answer/g)).to.have.length(2);
    expect(stderr.match(/crash hook: dying at after-answer/g)).to.have.length(2);
    expect(output.match(/\(a replay/g)?.length ?? 0).to.be.at.least(2);
  });
});
