"""commerce-factory library code; `stages/` holds thin DVC entry points over it."""
