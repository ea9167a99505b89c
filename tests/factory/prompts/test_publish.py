"""The HF copy of the prompt sets: TRL prompt-completion splits, a Hub card that validates, the Hub layout."""
from __future__ import annotations

import json

import datasets
import pytest
from huggingface_hub import DatasetCard, DatasetCardData

from common.io import read_jsonl, sha256_file
from factory.prompts.publish import CARD, card_metadata, export_hub_layout
from rewards.render import gold_answer
from schemas.tasks import parse_truth

SPLITS = {"train": "train.jsonl", "validation": "val.jsonl", "benchmark": "benchmark.jsonl"}


@pytest.fixture(scope="module")
def hf(prompt_sets) -> datasets.DatasetDict:
    return datasets.load_from_disk(str(prompt_sets.root / "hf"))


def test_splits_are_trl_conversational_prompt_completion(prompt_sets, hf):
    assert list(hf) == ["train", "validation", "benchmark"]
    for split, file in SPLITS.items():
        records = read_jsonl(prompt_sets.root / file)
        ds = hf[split]
        assert ds.column_names == ["id", "task", "stratum", "prompt", "completion", "ground_truth", "source"]
        assert ds.num_rows == len(records)
        for row, record in zip(ds.select(range(0, ds.num_rows, max(1, ds.num_rows // 25))),
                               records[::max(1, ds.num_rows // 25)]):
            assert row["id"] == record["id"] and row["stratum"] == record["difficulty"]
            assert row["prompt"] == record["messages"]
            assert row["completion"] == [{"role": "assistant", "content": gold_answer(record["task"], record["ground_truth"])}]
            assert json.loads(row["ground_truth"]) == record["ground_truth"]
            parse_truth(row["task"], row["ground_truth"])
            assert json.loads(row["source"]) == record["source"]
            assert all(m["role"] != "assistant" for m in row["prompt"])  # the answer is only in `completion`


def test_sft_trainer_takes_the_train_split_as_is(prompt_sets, hf, tmp_path):
    """SFTTrainer(train_dataset=load_from_disk(..., keep_in_memory=True)["train"]) with a tiny model,
    one step on CPU; in memory, SFTTrainer's tokenizing `map` writes no cache file into the folder
    (a DVC output, and the other tests' fixture)."""
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from factory.training.base_model import build_tiny_model
    from factory.training.data import tokenizer_corpus

    model_dir = build_tiny_model(tmp_path / "tiny", list(tokenizer_corpus(read_jsonl(prompt_sets.root / "train.jsonl"))),
                                 seed=0, vocab_size=512, hidden_size=32, num_layers=1, num_heads=2)
    folder = prompt_sets.root / "hf"
    before = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    train = datasets.load_from_disk(str(folder), keep_in_memory=True)["train"]  # the README's recipe
    args = SFTConfig(output_dir=str(tmp_path / "out"), max_steps=1, per_device_train_batch_size=2, max_length=1024,
                     report_to=[], save_strategy="no", logging_steps=1, use_cpu=True, dataloader_num_workers=0)
    trainer = SFTTrainer(model=str(model_dir), args=args, train_dataset=train,
                         processing_class=AutoTokenizer.from_pretrained(model_dir))
    # prompt-completion data: the loss is on the completion tokens only
    first = trainer.train_dataset[0]
    assert 0 < sum(label != -100 for label in first["labels"]) < len(first["input_ids"])
    result = trainer.train()
    assert result.global_step == 1 and result.training_loss > 0
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == before, "cache files written"


def test_card_has_a_valid_hub_yaml_header_and_the_lineage(prompt_sets):
    path = prompt_sets.root / "hf" / CARD
    card = DatasetCard.load(path)
    assert isinstance(card.data, DatasetCardData)
    meta = card.data.to_dict()
    assert DatasetCardData(**meta).to_dict() == meta  # round-trips through huggingface_hub's model
    assert meta["language"] == ["pt"] and meta["license"] == "apache-2.0"  # synthetic source
    assert meta["task_categories"] == ["text-generation", "text-classification", "table-question-answering"]
    assert meta["size_categories"] == ["n<1K"] or meta["size_categories"] == ["1K<n<10K"]
    splits = {f["split"]: f["path"] for f in meta["configs"][0]["data_files"]}
    assert splits == {"train": "data/train-*", "validation": "data/validation-*", "benchmark": "data/benchmark-*"}
    manifest = json.loads((prompt_sets.root / "manifest.json").read_text())
    for name in SPLITS.values():
        assert sha256_file(prompt_sets.root / name) in card.text
    assert manifest["params_sha256"] in card.text and manifest["source"]["commerce_db_sha256"] in card.text
    assert manifest["files"][f"hf/{CARD}"]["sha256"] == sha256_file(path)  # the manifest covers the card


def test_license_follows_the_sources():
    assert card_metadata({"train": 1}, {"olist", "b2w"})["license"] == "cc-by-nc-sa-4.0"
    assert card_metadata({"train": 1}, {"synthetic", "olist"})["license"] == ["apache-2.0", "cc-by-nc-sa-4.0"]
    assert card_metadata({"train": 5000}, {"synthetic"})["size_categories"] == ["1K<n<10K"]


def test_hub_layout_loads_back_through_the_card_configs(prompt_sets, hf, tmp_path):
    folder = export_hub_layout(prompt_sets.root / "hf", tmp_path / "repo")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.md", "data/benchmark-00000-of-00001.parquet", "data/train-00000-of-00001.parquet",
        "data/validation-00000-of-00001.parquet"]
    # what `load_dataset("ORG/NAME")` does with the pushed repo (own cache: no stale hit from an earlier run)
    loaded = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    assert list(loaded) == ["train", "validation", "benchmark"]
    for split in SPLITS:
        assert loaded[split].to_list() == hf[split].to_list()


def test_publish_cli_writes_the_hub_layout_and_refuses_offline_push(prompt_sets, tmp_path, monkeypatch):
    from stages.publish import main

    main(["--to-folder", str(tmp_path / "out"), "--hf-dir", str(prompt_sets.root / "hf")])
    assert (tmp_path / "out" / "data" / "train-00000-of-00001.parquet").is_file()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SystemExit, match="HF_HUB_OFFLINE is set"):
        main(["--repo-id", "org/name", "--hf-dir", str(prompt_sets.root / "hf")])
