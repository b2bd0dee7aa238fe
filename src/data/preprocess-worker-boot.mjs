// Worker entry: workers do not inherit the parent's tsx loader, so register it here and load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./preprocess-worker.ts');
