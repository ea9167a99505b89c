"""Neutral helpers shared by every layer (schemas, rewards, factory, stages); imports none of them."""
