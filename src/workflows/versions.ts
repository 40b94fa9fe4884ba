// Patch ids for `patched()`, one named constant per change of the commands a workflow issues, so
// a change shipped after 0.2.0 keeps every recorded history replaying (docs/architecture.md,
// "Workflow versioning"). Lifecycle: patched(PATCH.x) while runs from before it may exist, then
// deprecatePatch(PATCH.x) for one release, then the old branch and the constant are removed.
//
// 0.2.0 started a new set of histories: no patch is in use yet.
export const PATCH = {} as const satisfies Record<string, string>;
