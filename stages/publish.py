"""Publish the prompt sets to the Hugging Face Hub: `python -m stages.publish --repo-id ORG/NAME`.

Not a DVC stage: it reads data/prompts/hf (the split stage's DatasetDict and its card) and pushes it
with `DatasetDict.push_to_hub` over the user's network, with the token from `--token-env` (default
HF_TOKEN) or the `huggingface-cli login` cache. `--to-folder DIR` writes the same repository layout
locally instead (data/<split>-*.parquet + README.md), e.g. to inspect it or to copy it elsewhere.
"""
from __future__ import annotations

import argparse
import os
import sys

from factory.prompts.publish import export_hub_layout, push_to_hub

HF = "data/prompts/hf"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stages.publish", description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--repo-id", help="Hub dataset repository, ORG/NAME")
    target.add_argument("--to-folder", help="write the Hub layout to this local folder instead")
    parser.add_argument("--hf-dir", default=HF, help=f"the DatasetDict folder (default {HF})")
    parser.add_argument("--private", action="store_true", help="create the repository private")
    parser.add_argument("--token-env", default="HF_TOKEN", help="environment variable with the Hub token")
    parser.add_argument("--revision", default=None, help="branch to push to (default: main)")
    args = parser.parse_args(argv)
    if args.to_folder:
        print(f"wrote {export_hub_layout(args.hf_dir, args.to_folder)}")
        return
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        sys.exit("HF_HUB_OFFLINE is set: pushing needs the network (run with HF_HUB_OFFLINE=0)")
    url = push_to_hub(args.hf_dir, args.repo_id, private=args.private or None,
                      token=os.environ.get(args.token_env) or None, revision=args.revision)
    print(f"pushed {args.hf_dir} to {url}")


if __name__ == "__main__":
    main()
