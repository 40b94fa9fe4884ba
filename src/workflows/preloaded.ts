// Loaded once per worker thread, before any workflow runs, and shared by every workflow the thread
// runs (the bundle's `preloadModules`, src/runtime/workflowBundle.ts). Without it, each new workflow
// evaluates the zod library again in its own module scope: about 3 ms of CPU per workflow, a third
// of what a governed contract costs the workflow thread. zod holds no per-workflow state; its
// schemas, which our modules build, stay per workflow.
//
// The SDK deep-freezes preloaded modules after this runs. zod writes to its module state on first
// use (its default locale on the first schema built, a cached capability check on the first object
// parsed), so both happen here, before the freeze, and never again.
import { z } from 'zod';

z.object({ warm: z.string() }).safeParse({ warm: '' });
