/**
 * `hnas transfer` in the default suite: the incumbent of a tiny hpo_hnas study on both fixtures
 * (trained on one, not transferable to the other) and the default on each; the scenario is in
 * transfer-scenario.ts, the two-study matrix in transfer.slow.test.ts.
 */
import { transferScenario } from './transfer-scenario.js';

transferScenario(['hpo_hnas']);
