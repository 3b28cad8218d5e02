"""Preprocessing layers: Normalization and Rescaling (``normalization``), and the categorical
ones - Discretization, CategoryEncoding, Hashing, HashedCrossing (``categorical``),
IntegerLookup and StringLookup (``index_lookup``)."""

from ember.layers.preprocessing.categorical import (
    CategoryEncoding,
    Discretization,
    HashedCrossing,
    Hashing,
)
from ember.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from ember.layers.preprocessing.normalization import Normalization, Rescaling

__all__ = ["CategoryEncoding", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup",
           "Normalization", "Rescaling", "StringLookup"]
