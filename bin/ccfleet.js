#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so there is no build step to forget.
import {fileURLToPath} from 'node:url';
import {register} from 'tsx/esm/api';

// tsx would otherwise look for a tsconfig in the user's working directory and compile the JSX wrongly.
register({tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url))});
await import('../source/cli.tsx');
