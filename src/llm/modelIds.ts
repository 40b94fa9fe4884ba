// The ids the embedded local server answers as (plain constants: the client imports them without
// loading node-llama-cpp).
export const LOCAL_MODEL_ID = 'smollm2-135m-instruct';
export const LOCAL_EMBEDDING_MODEL_ID = 'all-minilm-l6-v2';
