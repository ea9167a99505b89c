"""Training: the base model (tiny, offline, seeded), SFT and GRPO with TRL, and their monitors."""
