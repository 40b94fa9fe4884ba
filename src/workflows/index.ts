// Everything the worker registers as a workflow type.
export { contractWorkflow } from './contract/index.js';
export { planWorkflow } from './plan/index.js';
export { requestWorkflow } from './request.js';
export { agentLedgerWorkflow } from './agentLedger.js';
