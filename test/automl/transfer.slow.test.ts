/** `hnas transfer` with two studies (hpo and hpo_hnas): the full 2 x 2 matrix of transfer-scenario.ts. */
import { transferScenario } from './transfer-scenario.js';

transferScenario(['hpo', 'hpo_hnas']);
