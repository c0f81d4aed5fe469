"""Errors of the modeling package: data that does not fit a model, and model files the project did not write."""

from __future__ import annotations

__all__ = ["ModelMismatchError", "ModelFileError"]


class ModelMismatchError(ValueError):
    """The data does not carry what the model was trained on."""


class ModelFileError(ValueError):
    """A model file or its card is not one the project wrote (or is damaged). One-line message."""
