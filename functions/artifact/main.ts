import { join } from 'node:path';
import { loadCompiled } from '../clients/compile-cache.js';

// The artifact's main module (index.js), which the Functions Framework loads: the app bundle, compiled
// with its code cache. Loading it registers the entry points with the framework (functions/index.ts).
loadCompiled(join(__dirname, 'app.js'));
