"""LoRA also trains the embedding rows of the chat turn tokens, and nothing else of the embedding."""
from __future__ import annotations

import torch

from factory.training.backends import LoraSpec, load_policy, merged, turn_token_ids


def test_lora_moves_only_the_turn_token_rows_and_keeps_the_head_tied(tiny_model_dir):
    model, tokenizer = load_policy(tiny_model_dir, backend="trl", lora=LoraSpec(enabled=True), max_seq_length=64, seed=0)
    turn = turn_token_ids(tokenizer)
    assert tokenizer.eos_token_id in turn and tokenizer.bos_token_id not in turn and tokenizer.pad_token_id not in turn
    before = model.get_input_embeddings().weight.detach().clone()
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "oi"}, {"role": "assistant", "content": "ok"}],
                                        tokenize=True, return_dict=True, return_tensors="pt")["input_ids"]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2, weight_decay=0.0)
    for _ in range(2):
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    policy = merged(model)
    after = policy.get_input_embeddings().weight.detach()
    moved = torch.nonzero((after - before).abs().amax(dim=1)).flatten().tolist()
    assert moved and set(moved) <= set(turn)  # the turn rows learn; every other row is exactly as it was
    assert policy.get_output_embeddings().weight.data_ptr() == policy.get_input_embeddings().weight.data_ptr()


def test_without_lora_nothing_is_hooked(tiny_model_dir):
    model, _ = load_policy(tiny_model_dir, backend="trl", lora=LoraSpec(enabled=False), max_seq_length=64, seed=0)
    assert all(p.requires_grad for p in model.parameters())  # full fine-tuning trains every row anyway
    assert not model.get_input_embeddings().weight._backward_hooks
