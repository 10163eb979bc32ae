import type { Scenario } from '../lib/scenario.js';
import { busScenario } from './bus.js';
import { catchUpScenario } from './catch-up.js';
import { fanoutScenario } from './fanout.js';
import { filesScenario } from './files.js';
import { historyScenario } from './history.js';
import { idlePollsScenario } from './idle-polls.js';
import { integrationsScenario } from './integrations.js';
import { limitsScenario } from './limits.js';
import { logCostScenario } from './log-cost.js';
import { loginStormScenario } from './login-storm.js';
import { memoryScenario } from './memory.js';
import { raceScenario } from './race.js';
import { receiptsScenario } from './receipts.js';
import { requestCostScenario } from './request-cost.js';
import { sendScenario } from './send.js';
import { threadsScenario } from './threads.js';

/** Every scenario of a default run, in order. */
export const scenarios: Scenario[] = [
  sendScenario,
  requestCostScenario,
  logCostScenario,
  limitsScenario,
  raceScenario,
  fanoutScenario,
  busScenario,
  historyScenario,
  catchUpScenario,
  receiptsScenario,
  memoryScenario,
  idlePollsScenario,
  loginStormScenario,
  filesScenario,
  threadsScenario,
  integrationsScenario,
];
