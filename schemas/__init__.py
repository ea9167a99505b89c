"""Pydantic models for every record the factory reads or writes, with exported JSON Schemas."""
