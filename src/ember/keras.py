"""``ember.keras`` is ember itself, so ``from ember.keras import layers, models`` works."""

import sys

import ember

sys.modules[__name__] = ember
