"""Generated from protos/ by scripts/genproto.py (make proto). Do not edit."""
