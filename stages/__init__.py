"""DVC stage entry points: `python -m stages.<name>`, each driven only by params.yaml."""
