/** In-process study storage: for tests, benchmarks and throw-away studies. */
import { StorageError } from '../errors.js';
import type { StudySettings } from './settings.js';
import type { StudyStorage } from './storage.js';
import { type Claim, type TrialEvent, type TrialRecord, type TrialSpec, createTrial, transition } from './trial.js';

interface StoredStudy {
  settings: StudySettings;
  trials: TrialRecord[];
  byKey: Map<string, number>;
  version: number;
}

export class MemoryStorage implements StudyStorage {
  private readonly studies = new Map<string, StoredStudy>();

  private study(name: string): StoredStudy {
    const s = this.studies.get(name);
    if (!s) throw new StorageError(`no study named '${name}'`);
    return s;
  }

  async createStudy(name: string, settings: StudySettings): Promise<StudySettings> {
    if (!this.studies.has(name)) this.studies.set(name, { settings: structuredClone(settings), trials: [], byKey: new Map(), version: 0 });
    return structuredClone(this.study(name).settings);
  }

  async getStudy(name: string): Promise<StudySettings | undefined> {
    const s = this.studies.get(name);
    return s && structuredClone(s.settings);
  }

  async listStudies(): Promise<string[]> {
    return [...this.studies.keys()].sort();
  }

  async trials(study: string, since = 0): Promise<TrialRecord[]> {
    return structuredClone(this.study(study).trials.filter((t) => t.version > since));
  }

  async insertTrial(spec: TrialSpec, worker: string, at: number): Promise<TrialRecord | undefined> {
    const s = this.study(spec.study);
    if (s.byKey.has(spec.key)) return undefined;
    const record = createTrial(structuredClone(spec), s.trials.length, ++s.version, worker, at);
    s.byKey.set(spec.key, s.trials.length);
    s.trials.push(record);
    return structuredClone(record);
  }

  async updateTrial(study: string, key: string, claim: Claim, event: TrialEvent): Promise<TrialRecord | undefined> {
    const s = this.study(study);
    const i = s.byKey.get(key);
    if (i === undefined) throw new StorageError(`study '${study}' has no trial '${key}'`);
    const moved = transition(s.trials[i]!, claim, structuredClone(event));
    if (!moved) return undefined;
    const next = { ...moved, version: ++s.version };
    s.trials[i] = next;
    return structuredClone(next);
  }

  async close(): Promise<void> {}
}
