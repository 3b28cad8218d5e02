"""Training: the Trainer mixin of Model, compile utilities and data adapters."""
