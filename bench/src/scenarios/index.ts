import type { Scenario } from '../lib/scenario.js';
import { busScenario } from './bus.js';
import { fanoutScenario } from './fanout.js';
import { historyScenario } from './history.js';
import { limitsScenario } from './limits.js';
import { loginStormScenario } from './login-storm.js';
import { memoryScenario } from './memory.js';
import { raceScenario } from './race.js';
import { receiptsScenario } from './receipts.js';
import { sendScenario } from './send.js';

/** Every scenario of a default run, in order. */
export const scenarios: Scenario[] = [
  sendScenario,
  limitsScenario,
  raceScenario,
  fanoutScenario,
  busScenario,
  historyScenario,
  receiptsScenario,
  memoryScenario,
  loginStormScenario,
];
