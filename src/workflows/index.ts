// Everything the worker registers as a workflow type.
export { contractWorkflow } from './contract.js';
