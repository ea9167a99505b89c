"""Print readable prompt records: `python -m stages.show_prompts --task sql -n 3 [--split val] [--stratum join]`."""
import argparse

from common.io import read_jsonl
from factory.prompts.publish import SPLIT_FILES
from factory.prompts.show import pick, render_text
from schemas.tasks import TASKS

PROMPTS_DIR = "data/prompts"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", choices=TASKS, required=True)
    parser.add_argument("-n", type=int, default=3, help="records to print")
    parser.add_argument("--split", choices=[*SPLIT_FILES, "pool"], default="train",
                        help="train | val | benchmark, or pool (data/prompts/by_task/<task>.jsonl)")
    parser.add_argument("--stratum", help="only this difficulty")
    parser.add_argument("--prompts-dir", default=PROMPTS_DIR)
    args = parser.parse_args(argv)
    file = f"by_task/{args.task}.jsonl" if args.split == "pool" else SPLIT_FILES[args.split]
    records = pick(read_jsonl(f"{args.prompts_dir}/{file}"), args.task, args.n, args.stratum)
    if not records:
        raise SystemExit(f"no {args.task} records in {args.prompts_dir}/{file}" + (f" with difficulty {args.stratum}" if args.stratum else ""))
    for record in records:
        print(render_text(record))


if __name__ == "__main__":
    main()
